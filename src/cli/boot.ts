// `hartwood boot`: the system board from the command line, with QEMU's option names.
import { closeSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { UserError } from "../core/errors.js";
import type { MachineExit } from "../core/machine.js";
import { buildGuestImage, userDisk } from "../modes/system/image.js";
import { VirtBoard, type Drive, type NamedFile, type VirtOptions } from "../modes/system/virt.js";
import { virtDeviceTree } from "../modes/system/virt-dt.js";
import { VIRT } from "../modes/system/virt-map.js";
import { VIRT_ISA } from "../modes/system/virt.js";
import { addJitFlags, jitOptions, type JitFlags } from "./jit-flags.js";
import { HostConsole } from "./console.js";
import { compileStatsLine } from "../core/jit/compile-stats.js";

/** Exit status when the guest reboots under --no-reboot (never 0: a panic that reboots is no success). */
export const REBOOT_STATUS = 3;
const DEFAULT_APPEND = "root=/dev/vda rw console=ttyS0";

interface BootFlags extends JitFlags {
  bios: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  memory: number;
  smp: number;
  drive?: string[];
  dtb?: string;
  dumpdtb?: string;
  reboot: boolean;
  jit?: boolean;
  slice?: number;
}

/** QEMU's -m: a number of MiB, or with a suffix K, M, G (KiB, MiB, GiB). */
export function parseSize(v: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError("expected a size such as 256M or 1G");
  const unit = { "": 1 << 20, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[
    m[2].toUpperCase() as "" | "K" | "M" | "G"
  ];
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError("expected a size such as 256M or 1G");
  return n;
}

function smpCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 8)
    throw new InvalidArgumentError("expected a hart count from 1 to 8");
  return n;
}

function sliceInsns(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 30)
    throw new InvalidArgumentError("expected a number of instructions from 1 to 2^30");
  return n;
}

/** `file=PATH,format=raw[,readonly=on]` (QEMU's -drive, the keys Hartwood understands). */
export function parseDrive(spec: string): Drive {
  let path: string | undefined;
  let readOnly = false;
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    if (key === "file" && value) path = value;
    else if (key === "format") {
      if (value !== "raw") throw new UserError(`--drive: format=${value} is not supported (only raw images)`);
    } else if (key === "readonly") {
      if (!["on", "off", "true", "false"].includes(value))
        throw new UserError(`--drive: readonly expects on or off, got '${value}'`);
      readOnly = value === "on" || value === "true";
    } else if (key === "if" && (value === "virtio" || value === "none")) continue;
    else
      throw new UserError(`--drive: unknown option '${part}' (expected file=PATH,format=raw[,readonly=on])`);
  }
  if (!path) throw new UserError(`--drive needs file=PATH, got '${spec}'`);
  return { path, readOnly };
}

function readNamed(path: string, what: string): NamedFile {
  try {
    if (!statSync(path).isFile()) throw new UserError(`${what} ${path} is not a regular file`);
    return { name: basename(path), data: readFileSync(path) };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The head of a file the board reads straight into RAM (loader.ts, FileOnDisk): a kernel Image's header. */
const HEAD_BYTES = 64;

/**
 * Like readNamed, but the board reads the bytes straight into guest RAM when it places the file
 * whole (a kernel Image, an initrd), and reads `data` only if it needs it (an ELF kernel).
 */
function fileOnDisk(path: string, what: string): NamedFile {
  const fail = (e: unknown): never => {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  };
  const readAt = (dest: Uint8Array): number => {
    let fd: number | undefined;
    try {
      fd = openSync(path, "r");
      let done = 0;
      for (let n = 1; done < dest.length && n > 0; done += n)
        n = readSync(fd, dest, done, dest.length - done, done);
      return done;
    } catch (e) {
      return fail(e);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  let sizeBytes = 0;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UserError(`${what} ${path} is not a regular file`);
    sizeBytes = st.size;
  } catch (e) {
    fail(e);
  }
  const head = new Uint8Array(Math.min(HEAD_BYTES, sizeBytes));
  if (readAt(head) !== head.length) fail(new Error("it is shorter than it was"));
  let data: Uint8Array | undefined;
  return {
    name: basename(path),
    get data() {
      return (data ??= readNamed(path, what).data);
    },
    onDisk: {
      sizeBytes,
      head,
      copyTo: (dest) => {
        if (readAt(dest) !== dest.length) fail(new Error("it is shorter than it was"));
      },
    },
  };
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Writes `data` to `path` atomically (a temporary file renamed over it). */
function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** What the machine's end means for the process: its exit status and a line for stderr. */
export function exitStatus(exit: MachineExit): { status: number; message?: string } {
  switch (exit.kind) {
    case "poweroff": return { status: 0 };
    case "quit": return { status: 0 };
    // A code whose low byte is 0 (256, 512...) must not read as success to the shell.
    case "fail": return { status: exit.code & 0xff || (exit.code ? 1 : 0), message: `guest reported failure ${exit.code}` };
    case "reset": return { status: REBOOT_STATUS, message: "guest rebooted (--no-reboot)" };
    case "error": return { status: 1, message: exit.message };
  } // prettier-ignore
}

export function addBootCommand(program: Command, setStatus: (s: number) => void): void {
  const cmd = program
    .command("boot")
    .description(
      "boot a QEMU-virt-compatible RISC-V machine (default: the built-in Linux guest, built on first use, to a shell)",
    )
    .option(
      "--bios <builtin|none|file>",
      "firmware: the built-in SBI, none (kernel in M-mode), or a file such as OpenSBI's fw_jump.bin",
      "builtin",
    ) // prettier-ignore
    .option("--kernel <file>", "a RISC-V Linux Image or ELF (default: the built-in guest's kernel)")
    .option("--initrd <file>", "an initial RAM disk")
    .option(
      "--append <cmdline>",
      `kernel command line (default with the built-in guest: "${DEFAULT_APPEND}")`,
    )
    .addOption(
      new Option("-m, --memory <size>", "RAM size, e.g. 256M or 1G (a plain number is MiB)")
        .argParser(parseSize)
        .default(256 << 20, "256M"),
    )
    .option("--smp <n>", "number of harts (1..8)", smpCount, 1)
    .option(
      "--drive <spec>",
      "a virtio-blk disk: file=PATH,format=raw[,readonly=on] (repeatable; slots 0, 1, ...)",
      collect,
    ) // prettier-ignore
    .option("--dtb <file>", "pass this device tree instead of the generated one")
    .option("--dumpdtb <file>", "write the generated device tree to file and exit")
    .option(
      "--no-reboot",
      `exit with status ${REBOOT_STATUS} when the guest reboots, instead of restarting it`,
    )
    .option(
      "--slice <insns>",
      "instructions a hart runs between looks at devices and timers (default: what it runs in 0.5 ms, at least 32768; with several harts 0.05 ms, at least 2048; a timer deadline ends a slice early)",
      sliceInsns,
    ) // prettier-ignore
    .option("--jit", "translate hot code to wasm (the default)")
    .option("--no-jit", "interpret every instruction");
  addJitFlags(cmd).action(async (opts: BootFlags) => setStatus(await boot(opts)));
}

async function boot(f: BootFlags): Promise<number> {
  const drives = (f.drive ?? []).map(parseDrive);
  let kernel = f.kernel === undefined ? undefined : fileOnDisk(f.kernel, "kernel");
  let append = f.append;
  const bios: VirtOptions["bios"] =
    f.bios === "builtin" || f.bios === "none" ? f.bios : readNamed(f.bios, "firmware");
  if (!kernel && bios === "builtin" && !f.dumpdtb) {
    // The main job: the built-in guest (kernel and ext4 root disk), built on first use.
    const image = buildGuestImage({});
    kernel = fileOnDisk(image.kernel, "kernel");
    drives.unshift({ path: userDisk(image), readOnly: false });
    append ??= DEFAULT_APPEND;
  }
  const initrd = f.initrd === undefined ? undefined : fileOnDisk(f.initrd, "initrd");
  const dtb = f.dtb === undefined ? undefined : readNamed(f.dtb, "device tree");
  for (const d of drives) readableDrive(d);

  let console: HostConsole | undefined;
  let board: VirtBoard | undefined;
  const options = (): VirtOptions => ({
    ramBytes: f.memory,
    harts: f.smp,
    bios,
    kernel,
    initrd,
    append,
    dtb,
    drives,
    jit: f.jit !== false,
    jitOptions: jitOptions(f),
    sliceInsns: f.slice,
    write: (b) => (console ? console.write(b) : process.stdout.write(b)),
  });

  if (f.dumpdtb) {
    const bytes = kernel
      ? new VirtBoard(options()).dtb
      : virtDeviceTree({ ramBytes: f.memory, harts: f.smp, isa: VIRT_ISA, bootargs: append, virtioSlots: VIRT.virtio.count }); // prettier-ignore
    writeAtomic(f.dumpdtb, bytes);
    return 0;
  }

  let inputOpen = true;
  try {
    for (;;) {
      board = new VirtBoard(options());
      board.machine.inputPossible = inputOpen;
      console ??= new HostConsole({
        input: (b) => board?.input(b),
        quit: () => board?.machine.finish({ kind: "quit" }),
        end: () => {
          inputOpen = false;
          if (board) board.machine.inputPossible = false;
        },
      });
      const exit = await board.machine.run();
      board.close();
      if (process.env.HARTWOOD_JIT_STATS === "1")
        process.stderr.write(
          compileStatsLine(board.jitCounts()) + `hartwood: instructions retired ${board.instret()}\n`,
        );
      if (exit.kind === "reset" && f.reboot) continue;
      const r = exitStatus(exit);
      if (r.message) process.stderr.write(`hartwood: ${r.message}\n`);
      return r.status;
    }
  } finally {
    board?.close();
    console?.close();
  }
}

function readableDrive(d: Drive): void {
  try {
    if (!statSync(d.path).isFile()) throw new UserError(`drive ${d.path} is not a regular file`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot open drive ${d.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function addImageCommand(program: Command): void {
  const image = program.command("image").description("the built-in Linux guest image");
  image
    .command("build")
    .description(
      "build the default guest (kernel, busybox, initramfs, ext4 root disk) from Debian packages, cached",
    )
    .option(
      "--defconfig",
      "build the kernel with the source's defconfig instead of Hartwood's small configuration",
    )
    .action((opts: { defconfig?: boolean }) => {
      const img = buildGuestImage({ defconfig: opts.defconfig });
      process.stdout.write(`${img.dir}\n`);
    });
}
