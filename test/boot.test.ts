// Linux on the system board, end to end: the guest image built from Debian's sources (kernel,
// busybox, initramfs whose /init runs a test picked on the command line and powers off), booted
// with the built-in SBI and with Debian's OpenSBI, on 1 and 2 harts.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildProgram } from "../bench/build.js";
import { buildGuestImage, type GuestImage } from "../src/modes/system/image.js";

const OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic";
const BOOT_TIMEOUT_MS = 240_000;

let image: GuestImage;
let tmp: string;
beforeAll(() => {
  image = buildGuestImage({ quiet: true });
  tmp = mkdtempSync(join(tmpdir(), "hartwood-boot-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hartwood boot` with the test kernel and initramfs; stdin is empty. */
export function hartwood(
  args: string[],
  timeoutMs = BOOT_TIMEOUT_MS,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/hartwood.js", "boot", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("latin1")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`boot timed out after ${timeoutMs} ms:\n${stdout.slice(-3000)}\n${stderr}`));
    }, timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * The smoke boot with the recompiler translating the kernel's code too: at the default threshold
 * (plugin.ts) little of a boot's code is hot enough, so these boots take the earlier default,
 * 512, under which more than half the kernel's instructions run translated. `extra` may set
 * another. The recompiler's counts are on stderr (jitCount reads one).
 */
function jitBoot(extra: string[]): Promise<Run> {
  return testBoot("smoke", ["--jit", "--jit-threshold", "512", ...extra], "", { HARTWOOD_JIT_STATS: "1" });
}

function jitCount(r: Run, what: string): number {
  return Number(new RegExp(`${what} (\\d+)`).exec(r.stderr)?.[1]);
}

function testBoot(hwtest: string, extra: string[] = [], append = "", env?: NodeJS.ProcessEnv): Promise<Run> {
  return hartwood([
    "--kernel", image.kernel,
    "--initrd", image.initramfs,
    "--append", `console=ttyS0 panic=-1 hwtest=${hwtest} ${append}`.trim(),
    "--no-reboot",
    ...extra,
  ], BOOT_TIMEOUT_MS, env); // prettier-ignore
}

/**
 * Boots with benchmark program `name` (bench/programs, built for riscv64) on an ext4 disk, runs
 * it with `reps` under the initramfs's `hwtest=run`, and checks that it printed what
 * qemu-riscv64 prints for it (the recompiler's counts are on the run's stderr).
 */
async function runFromDisk(name: string, reps: number, extra: string[]): Promise<Run> {
  const binary = buildProgram(name).riscv;
  const dir = join(tmp, `${name}-disk`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(binary, join(dir, name));
  const disk = join(tmp, `${name}.ext4`);
  const mk = spawnSync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", dir, disk, "16M"], { encoding: "utf8" });
  expect(mk.status, mk.stderr).toBe(0);
  const want = spawnSync("qemu-riscv64", [binary, String(reps)], { encoding: "utf8" });
  expect(want.status, want.stderr).toBe(0);
  const drive = ["--drive", `file=${disk},format=raw,readonly=on`];
  const r = await testBoot("run", [...extra, ...drive], `hwrun=${name} hwargs=${reps}`, {
    HARTWOOD_JIT_STATS: "1",
  });
  expect(r.stdout, r.stderr).toContain("HWTEST PASS run");
  expect(/HWTEST output (.*)/.exec(r.stdout)?.[1]?.trim()).toBe(want.stdout.trim());
  return r;
}

/** The HWTEST lines of a run, as key=value pairs. */
function hwValues(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split(/\r?\n/)) {
    const r = /^HWTEST (\w+)=(.*)$/.exec(line.trim());
    if (r) m.set(r[1], r[2]);
  }
  return m;
}

const FIRMWARES: [string, string[]][] = [
  ["the built-in SBI", []],
  ["OpenSBI fw_jump", ["--bios", `${OPENSBI}/fw_jump.bin`]],
  ["OpenSBI fw_dynamic", ["--bios", `${OPENSBI}/fw_dynamic.bin`]],
];

describe.concurrent("Linux boots to its init and powers off", () => {
  for (const [name, bios] of FIRMWARES) {
    for (const harts of [1, 2]) {
      test(`with ${name} on ${harts} hart(s): cpuinfo lists every hart, sleep 1 takes a second, tmpfs and virtio-rng work`, async () => {
        const r = await testBoot("smoke", [...bios, "--smp", String(harts)], "", { HARTWOOD_JIT_STATS: "1" });
        // The recompiler is the default engine: it translated the boot's hottest code.
        expect(jitCount(r, "translations"), r.stderr).toBeGreaterThan(0);
        const v = hwValues(r.stdout);
        expect(r.stdout, r.stderr).toContain("HWTEST PASS smoke");
        expect(v.get("harts")).toBe(String(harts));
        const ms = Number(v.get("sleep1_ms"));
        expect(ms).toBeGreaterThanOrEqual(900);
        expect(ms).toBeLessThan(2500);
        expect(r.stdout).toContain("HWTEST rng ok");
        expect(r.stdout).toContain("HWTEST tmpfs ok");
        expect(r.status).toBe(0);
      });
    }
  }

  test("with the recompiler translating the kernel (--jit-threshold 512), the same boot passes too, and code was translated", async () => {
    const r = await jitBoot([]);
    expect(r.stdout, r.stderr).toContain("HWTEST PASS smoke");
    const count = (what: string) => jitCount(r, what);
    expect(count("modules"), r.stderr).toBeGreaterThan(0);
    // The kernel (S-mode) ran translated for a large part of the boot, and its translations
    // outlived the boot's many address-space switches: nothing flushed them all but the
    // resets and PMP writes at start (at most a few per hart).
    const retired = count("instructions retired");
    expect(count("run translated in S") / retired, r.stderr).toBeGreaterThan(0.3);
    expect(count("run translated in U"), r.stderr).toBeGreaterThan(0);
    // The kernel's translations keep its registers in the hart state (TlbCode).
    expect(count("registers in memory"), r.stderr).toBeGreaterThan(100);
    expect(count("flushes"), r.stderr).toBeLessThanOrEqual(8);
    // And they were found again after satp changes: entries into translations made before the
    // hart's last switch of address space (about 700,000 in this boot when measured).
    expect(count("reused across address-space switches"), r.stderr).toBeGreaterThan(10_000);
    expect(r.status).toBe(0);
  });

  test("translating every jump target at first sight (--jit-threshold 0), the boot prints what the interpreter's prints", async () => {
    const [interp, jit] = await Promise.all([
      testBoot("smoke", ["--no-jit"]),
      jitBoot(["--jit-threshold", "0"]),
    ]);
    // What the smoke test measures or draws at random differs from run to run.
    const stable = (out: string) =>
      [...hwValues(out)].filter(([k]) => !["date", "sleep1_ms", "random"].includes(k));
    expect(interp.stdout, interp.stderr).toContain("HWTEST PASS smoke");
    expect(stable(jit.stdout), jit.stderr).toEqual(stable(interp.stdout));
    expect(jit.status).toBe(interp.status);
    expect(jitCount(jit, "translations"), jit.stderr).toBeGreaterThan(0);
    expect(jitCount(jit, "run translated in S"), jit.stderr).toBeGreaterThan(0);
    expect(jitCount(jit, "run translated in U"), jit.stderr).toBeGreaterThan(0);
  });

  test("with modules compiled asynchronously (--jit --jit-async), the boot passes and the kernel ran translated", async () => {
    const r = await jitBoot(["--jit-async"]);
    expect(r.stdout, r.stderr).toContain("HWTEST PASS smoke");
    expect(jitCount(r, "translations"), r.stderr).toBeGreaterThan(0);
    expect(
      jitCount(r, "run translated in S") / jitCount(r, "instructions retired"),
      r.stderr,
    ).toBeGreaterThan(0.3);
    expect(r.status).toBe(0);
  });

  test("with the recompiler on two harts (--jit --smp 2), the boot passes and the kernel ran translated", async () => {
    // The harts share one table of translations: each runs one only where its own fetch TLB
    // maps the pc to the code the translation was made from (its code key).
    const r = await jitBoot(["--smp", "2"]);
    expect(r.stdout, r.stderr).toContain("HWTEST PASS smoke");
    expect(hwValues(r.stdout).get("harts")).toBe("2");
    expect(r.stdout).toContain("HWTEST tmpfs ok");
    const count = (what: string) => jitCount(r, what);
    expect(count("run translated in S") / count("instructions retired"), r.stderr).toBeGreaterThan(0.3);
    expect(r.status).toBe(0);
  });

  test("a program built here runs under the kernel from an ext4 disk (--jit): qemu-riscv64's output, run translated in U-mode", async () => {
    // The benchmark's in-guest program (bench/system.ts), at a test size.
    const r = await runFromDisk("crc32", 3, ["--jit"]);
    // crc32 at 3 repetitions is about 35 M instructions of user code.
    expect(jitCount(r, "run translated in U"), r.stderr).toBeGreaterThan(20_000_000);
    expect(r.status).toBe(0);
  });

  test("a kernel-heavy program under the kernel, default engine: qemu-riscv64's output, and the kernel's hot code ran translated", async () => {
    // bench/system.ts's second in-guest program: system calls moving data through a pipe,
    // /dev/zero and /dev/null, about 2.3 M kernel instructions a repetition.
    const r = await runFromDisk("syscalls", 5, []);
    // The boot alone runs about 3 M S-mode instructions translated at the default threshold;
    // the program's 5 repetitions add about 11 M, nearly all the kernel's code they run. With
    // the recompiler not serving the kernel this is 0.
    expect(jitCount(r, "run translated in S"), r.stderr).toBeGreaterThan(9_000_000);
    expect(r.status).toBe(0);
  });

  test("a file written to the virtio-blk disk and synced is there after a poweroff and a second boot", async () => {
    const disk = join(tmp, "disk.ext4");
    copyFileSync(image.rootfs, disk);
    const token = `tok${process.pid}x${Date.now()}`;
    const drive = ["--drive", `file=${disk},format=raw`];
    const w = await testBoot("disk-write", drive, `hwtoken=${token}`);
    expect(w.stdout, w.stderr).toContain("HWTEST PASS disk-write");
    expect(w.status).toBe(0);
    // The guest's sync reached the host file: the token is in the image's bytes.
    expect(readFileSync(disk).includes(Buffer.from(token))).toBe(true);
    const c = await testBoot("disk-check", drive, `hwtoken=${token}`);
    expect(c.stdout, c.stderr).toContain(`HWTEST read ${token}`);
    expect(c.stdout).toContain("HWTEST PASS disk-check");
    expect(c.status).toBe(0);
  });

  test("a read-only drive refuses the guest's writes", async () => {
    const disk = join(tmp, "ro.ext4");
    copyFileSync(image.rootfs, disk);
    const before = readFileSync(disk);
    const r = await testBoot("disk-write", ["--drive", `file=${disk},format=raw,readonly=on`], "hwtoken=ro");
    expect(r.stdout).toContain("HWTEST FAIL disk-write");
    expect(readFileSync(disk).equals(before)).toBe(true);
  });

  test("a guest reboot restarts the machine (without --no-reboot)", async () => {
    const disk = join(tmp, "reboot.ext4");
    copyFileSync(image.rootfs, disk);
    const r = await hartwood([
      "--kernel", image.kernel,
      "--initrd", image.initramfs,
      "--append", "console=ttyS0 panic=-1 hwtest=reboot",
      "--drive", `file=${disk},format=raw`,
    ]); // prettier-ignore
    expect(r.stdout, r.stderr).toContain("HWTEST first boot: rebooting");
    expect(r.stdout).toContain("HWTEST second boot");
    expect(r.stdout).toContain("HWTEST PASS reboot");
    expect(r.status).toBe(0);
  });

  test("a boot whose init panics exits non-zero (the panic reboots; --no-reboot stops there)", async () => {
    const r = await testBoot("panic");
    expect(r.stdout).toContain("Attempted to kill init");
    expect(r.stderr).toContain("guest rebooted");
    expect(r.status).toBe(3);
  });
});

// Behind a flag: building the defconfig kernel takes about 10 minutes on 2 cores.
describe.runIf(process.env.HARTWOOD_DEFCONFIG === "1")("HARTWOOD_DEFCONFIG=1", () => {
  test("a kernel built from the same source with defconfig boots too", async () => {
    const def = buildGuestImage({ defconfig: true, quiet: true });
    const r = await hartwood([
      "--kernel", def.kernel,
      "--initrd", image.initramfs,
      "--append", "console=ttyS0 panic=-1 hwtest=smoke",
      "--no-reboot", "--smp", "2",
    ]); // prettier-ignore
    expect(r.stdout, r.stderr).toContain("HWTEST PASS smoke");
    expect(r.status).toBe(0);
  });
});
