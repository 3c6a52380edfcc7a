// `hartwood boot` on bad input: one clear line on stderr and a non-zero status, before any
// guest runs; and --dumpdtb.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { interpreterBytes } from "../src/arch/riscv/cpu.js";
import { exitStatus, REBOOT_STATUS } from "../src/cli/boot.js";
import { computePrebuilt } from "../src/cli/prebuilt.js";
import { VirtBoard } from "../src/modes/system/virt.js";

const tmp = mkdtempSync(join(tmpdir(), "hartwood-boot-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function boot(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/hartwood.js", "boot", ...args], {
    encoding: "utf8",
    input: "",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A file of `bytes` bytes holding a RISC-V Image header that claims `imageSize` bytes. */
function fakeImage(name: string, bytes: number, imageSize: number): string {
  const data = new Uint8Array(bytes);
  const dv = new DataView(data.buffer);
  dv.setUint32(0, 0x0000006f, true); // j . (never run: the load fails first)
  dv.setBigUint64(16, BigInt(imageSize), true);
  dv.setUint32(0x38, 0x05435352, true); // "RSC\x05"
  const path = join(tmp, name);
  writeFileSync(path, data);
  return path;
}

function expectOneLine(r: { status: number | null; stderr: string }, status: number, text: RegExp): void {
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^hartwood: /);
  expect(lines[0]).toMatch(text);
  expect(r.status).toBe(status);
}

describe("bad input gets one line and a non-zero status", () => {
  const image = fakeImage("small.Image", 4096, 4096);

  test("a kernel that is neither a RISC-V Image nor a RISC-V ELF", () => {
    const f = join(tmp, "text");
    writeFileSync(f, "this is not a kernel\n".repeat(10));
    expectOneLine(boot(["--kernel", f]), 1, /neither a RISC-V Image nor a RISC-V ELF/);
  });

  test("an ELF for another machine", () => {
    expectOneLine(boot(["--kernel", process.execPath]), 1, /not RISC-V/);
  });

  test("a kernel whose image does not fit in RAM", () => {
    const big = fakeImage("big.Image", 4096, 64 << 20);
    expectOneLine(boot(["--kernel", big, "-m", "32M"]), 1, /kernel .* does not fit in RAM/);
  });

  test("an initrd that does not fit in RAM", () => {
    const initrd = join(tmp, "initrd");
    writeFileSync(initrd, new Uint8Array(40 << 20));
    expectOneLine(
      boot(["--kernel", image, "--initrd", initrd, "-m", "32M"]),
      1,
      /initrd .* does not fit in RAM/,
    );
  });

  test("-m beyond what a 32-bit wasm memory holds beside the VMM's state", () => {
    expectOneLine(boot(["--kernel", image, "-m", "4G"]), 1, /does not fit in a 32-bit wasm memory/);
  });

  test("a malformed -m", () => {
    expectOneLine(boot(["--kernel", image, "-m", "lots"]), 2, /expected a size/);
  });

  test("--slice outside 1..2^30", () => {
    for (const n of ["0", "-5", "1.5", "2000000000", "many"])
      expectOneLine(boot(["--kernel", image, "--slice", n]), 2, /from 1 to 2\^30/);
  });

  test("--smp outside 1..8", () => {
    for (const n of ["0", "9", "two"]) expectOneLine(boot(["--kernel", image, "--smp", n]), 2, /1 to 8/);
  });

  test("bad --drive values", () => {
    expectOneLine(boot(["--kernel", image, "--drive", "format=raw"]), 1, /needs file=PATH/);
    expectOneLine(
      boot(["--kernel", image, "--drive", `file=${image},format=qcow2`]),
      1,
      /format=qcow2 is not supported/,
    );
    expectOneLine(
      boot(["--kernel", image, "--drive", `file=${image},cache=none`]),
      1,
      /unknown option 'cache=none'/,
    );
    expectOneLine(
      boot(["--kernel", image, "--drive", `file=${join(tmp, "absent.img")}`]),
      1,
      /cannot open drive/,
    );
    expectOneLine(boot(["--kernel", image, "--drive", `file=${tmp}`]), 1, /not a regular file/);
  });

  test("a missing firmware file", () => {
    expectOneLine(boot(["--kernel", image, "--bios", join(tmp, "fw.bin")]), 1, /cannot read firmware/);
  });

  test("a malformed --dtb", () => {
    const f = join(tmp, "bad.dtb");
    writeFileSync(f, new Uint8Array(64));
    expectOneLine(boot(["--kernel", image, "--dtb", f]), 1, /device tree/);
  });
});

test("--dumpdtb writes the board's device tree (QEMU's option), with the hart count and RAM size asked for", () => {
  const out = join(tmp, "virt.dtb");
  const r = boot(["--dumpdtb", out, "--smp", "3", "-m", "512M"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const dts = spawnSync("dtc", ["-I", "dtb", "-O", "dts", out], { encoding: "utf8" });
  expect(dts.stderr).toBe("");
  expect(dts.stdout.match(/device_type = "cpu"/g)).toHaveLength(3);
  expect(dts.stdout).toMatch(/memory@80000000[^}]*reg = <0x00 0x80000000 0x00 0x20000000>/);
  expect(readFileSync(out).readUInt32BE(0)).toBe(0xd00dfeed);
});

test("exit statuses: poweroff 0, the guest's fail code, 3 for a reboot under --no-reboot, never 0 for a failure whose code ends in a zero byte", () => {
  expect(exitStatus({ kind: "poweroff" }).status).toBe(0);
  expect(exitStatus({ kind: "fail", code: 42 }).status).toBe(42);
  expect(exitStatus({ kind: "fail", code: 256 }).status).toBe(1);
  expect(exitStatus({ kind: "reset" }).status).toBe(REBOOT_STATUS);
  expect(REBOOT_STATUS).not.toBe(0);
  expect(exitStatus({ kind: "error", message: "x" }).status).toBe(1);
});

test("the single-file build carries the interpreters of the usual boots, whatever the RAM size and firmware", () => {
  computePrebuilt();
  const made = interpreterBytes(); // every interpreter this process generated (or unpacked) so far
  const before = made.size;
  const kernel = { name: "small.Image", data: readFileSync(fakeImage("prebuilt.Image", 4096, 4096)) };
  const configs = [
    { harts: 1, jit: true, ramBytes: 256 << 20, bios: "builtin" as const },
    { harts: 2, jit: true, ramBytes: 1 << 30, bios: { name: "fw", data: new Uint8Array(4) } },
    { harts: 1, jit: false, ramBytes: 64 << 20, bios: "none" as const },
  ];
  for (const c of configs) new VirtBoard({ ...c, kernel, drives: [], write: () => {} }).close();
  expect(made.size).toBe(before); // a board asked for no interpreter the build lacks
});

test("a kernel Image and an initrd on disk are read straight into guest RAM, never into buffers of their own", () => {
  const image = readFileSync(fakeImage("direct.Image", 8192, 16384));
  const initrd = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
  const onDisk = (name: string, bytes: Uint8Array) => ({
    name,
    get data(): Uint8Array {
      throw new Error(`${name}: read into a buffer`);
    },
    onDisk: {
      sizeBytes: bytes.length,
      head: bytes.subarray(0, 64),
      copyTo: (dest: Uint8Array) => dest.set(bytes),
    },
  });
  const board = new VirtBoard({
    ramBytes: 64 << 20,
    harts: 1,
    bios: "builtin",
    kernel: onDisk("direct.Image", image),
    initrd: onDisk("initrd", initrd),
    drives: [],
    jit: false,
    write: () => {},
  });
  const ram = board.harts[0].u8;
  const at = (pa: number) => board.machine.phys.ramOffset(pa, 1);
  expect(Buffer.from(ram.subarray(at(0x8020_0000), at(0x8020_0000) + image.length)).equals(image)).toBe(true);
  const initrdAt = 0x8020_0000 + (32 << 20); // half-way into RAM after the kernel (QEMU's placement)
  expect(Buffer.from(ram.subarray(at(initrdAt), at(initrdAt) + initrd.length)).equals(initrd)).toBe(true);
  board.close();
});
