// Building and running the virt-board test programs of test/guest/virt: on QEMU's `virt`
// machine (the reference) and on `hartwood boot`, with the same devices and command line.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { buildGuest, GUEST_DIR } from "../build.js";

export const VIRT_DIR = join(GUEST_DIR, "virt");
const HARTWOOD = fileURLToPath(new URL("../../../bin/hartwood.js", import.meta.url));

/** Debian's OpenSBI 1.1 (package `opensbi`), jumping to 0x8020_0000. */
export const FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";

export type Privilege = "M" | "S";

/**
 * Builds test/guest/virt/`name`.c: M-mode programs run from the base of RAM with no firmware
 * (start-m.S, link-m.ld), S-mode ones at RAM + 2 MiB under an SBI (start-s.S, link-s.ld).
 */
export function buildVirt(name: string, privilege: Privilege): string {
  const mode = privilege.toLowerCase();
  return buildGuest({
    sources: [`virt/start-${mode}.S`, `virt/${name}.c`],
    deps: ["virt/virt.h", "virt/paging.h", "virt/sections.ld", `virt/link-${mode}.ld`],
    cc: "riscv64-unknown-elf-gcc",
    flags: [
      "-march=rv64gc",
      "-mabi=lp64d",
      "-mcmodel=medany",
      "-nostdlib",
      "-ffreestanding",
      "-static",
      "-O2",
      "-g",
      "-Wall",
      "-Wextra",
      ...(privilege === "S" ? ["-DVIRT_SMODE"] : []),
      `-L${VIRT_DIR}`, // for INCLUDE sections.ld
      "-T",
      join(VIRT_DIR, `link-${mode}.ld`),
      "-Wl,--no-warn-rwx-segments",
    ],
    name: `virt-${name}.elf`,
  });
}

export interface Run {
  /** Exit status; null if killed (then `signal` says why). */
  status: number | null;
  signal: NodeJS.Signals | null;
  /** The console (UART) output, with terminal control sequences and CRs removed. */
  stdout: string;
  stderr: string;
}

/** Runs a command with stdin closed; stdout goes to a file, which QEMU cannot outrun. */
function run(command: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "hartwood-virt-"));
  const file = join(dir, "stdout");
  const fd = openSync(file, "w");
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", fd, "pipe"],
      env: env && { ...process.env, ...env },
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (status, signal) =>
      resolve({ status, signal, stdout: consoleText(readFileSync(file, "latin1")), stderr }),
    );
  }).finally(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * QEMU's -nographic console may wrap the guest's output in terminal control sequences
 * (line wrap off/on, cursor queries); neither they nor CRs are the guest's.
 */
export function consoleText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>c]|\r/g, "");
}

export interface Machine {
  privilege: Privilege;
  smp?: number;
  /** A raw disk image for virtio-mmio slot 0. */
  drive?: string;
  /**
   * QEMU runs the harts in one thread (`-accel tcg,thread=single`): with a thread per hart
   * QEMU 7.2 was seen to go on running a hart's old translation of code another hart had
   * rewritten, after an SBI remote_fence_i to it (smc_smp.c: about half of the runs).
   */
  qemuOneThread?: boolean;
}

/** QEMU's default for `virt`, given to both so that they build the same memory map. */
const RAM = "128M";
const QEMU_TIMEOUT_MS = 25_000; // generous: every program finishes in under a second on QEMU
/**
 * QEMU 7.2 (two harts under fw_jump, on a loaded CI machine) was seen to hang once in the
 * sbi program's wait for its SBI timer interrupt; a reference run that hangs is tried
 * again, and the retry is reported.
 */
const QEMU_ATTEMPTS = 3;
const HARTWOOD_TIMEOUT_MS = 60_000;

/**
 * Runs on `qemu-system-riscv64 -M virt`. M-mode programs with `-bios none` (every hart
 * enters the ELF in M-mode with a0 = hart id, a1 = DTB); S-mode ones under QEMU's own
 * OpenSBI (`-bios default`, fw_dynamic) or the firmware file `bios`.
 */
export function runOnQemu(elf: string, m: Machine, bios?: string): Promise<Run> {
  const args = ["-M", "virt", "-nographic", "-m", RAM, "-smp", String(m.smp ?? 1), "-kernel", elf];
  args.push("-bios", m.privilege === "M" ? "none" : (bios ?? "default"));
  if (m.qemuOneThread) args.push("-accel", "tcg,thread=single");
  if (m.drive !== undefined) {
    // Modern (version 2) virtio-mmio; slot 0 (QEMU fills the slots from the top otherwise).
    args.push("-global", "virtio-mmio.force-legacy=false");
    args.push("-drive", `file=${m.drive},format=raw,if=none,id=d0`);
    args.push("-device", "virtio-blk-device,drive=d0,bus=virtio-mmio-bus.0");
  }
  return runQemuAttempts(args, QEMU_ATTEMPTS);
}

async function runQemuAttempts(args: string[], left: number): Promise<Run> {
  const r = await run("qemu-system-riscv64", args, QEMU_TIMEOUT_MS);
  if (r.signal !== "SIGKILL" || left <= 1) return r;
  console.warn(`qemu-system-riscv64 ${args.join(" ")} hung (no exit in ${QEMU_TIMEOUT_MS} ms); trying again`);
  return runQemuAttempts(args, left - 1);
}

/**
 * Taken jumps before the test programs' code is translated with `jit`: they run their loops
 * hundreds of times, not the tens of thousands of `hartwood boot`'s default (plugin.ts), and
 * must run translated.
 */
export const TEST_JIT_THRESHOLD = "512";

/**
 * Runs on `hartwood boot`: `--bios none` for M-mode programs, the built-in SBI for S-mode.
 * With `jit`, the recompiler is on (at TEST_JIT_THRESHOLD) and its counts are on stderr
 * (HARTWOOD_JIT_STATS), else the interpreter runs alone; `args` go on the command line after
 * the others.
 */
export function runOnHartwood(
  elf: string,
  m: Machine,
  opts: { jit?: boolean; args?: readonly string[] } = {},
): Promise<Run> {
  const args = [HARTWOOD, "boot", "--bios", m.privilege === "M" ? "none" : "builtin", "--kernel", elf];
  args.push("-m", RAM, "--smp", String(m.smp ?? 1));
  if (m.drive !== undefined) args.push("--drive", `file=${m.drive},format=raw`);
  args.push(...(opts.jit ? ["--jit", "--jit-threshold", TEST_JIT_THRESHOLD] : ["--no-jit"]));
  args.push(...(opts.args ?? []));
  return run(process.execPath, args, HARTWOOD_TIMEOUT_MS, opts.jit ? { HARTWOOD_JIT_STATS: "1" } : undefined);
}

/** A run's status and output, for a failed expectation's message. */
export function describeRun(r: Run): string {
  return `status ${r.status} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(0, 2000)}`;
}

/** The output from the line that starts with `marker` on (drops a firmware's banner). */
export function fromMarker(stdout: string, marker: string): string {
  const at = stdout.search(new RegExp(`^${marker}`, "m"));
  return at < 0 ? stdout : stdout.slice(at);
}

/** Lines of `text` split by whether they start with `tag`. */
export function splitTagged(text: string, tag: string): { tagged: string[]; rest: string[] } {
  const lines = text.split("\n");
  return { tagged: lines.filter((l) => l.startsWith(tag)), rest: lines.filter((l) => !l.startsWith(tag)) };
}

/** A program's lines from `marker` on, split into its own and the host's figures (lines starting with `tag`). */
export function ownAndFigures(r: Run, marker: string, tag: string): { own: string[]; figures: string[] } {
  const { tagged, rest } = splitTagged(fromMarker(r.stdout, marker).trimEnd(), tag);
  return { own: rest, figures: tagged };
}

/**
 * A program that prints figures of the host beside its own lines (`name: start` on, figures
 * tagged `tag`): its QEMU run, made once, is the reference; `check` says what the reference
 * must print (status 0, the required lines) and logs its figures.
 */
export function figuresProgram(name: string, m: Machine, tag: string) {
  const lines = (r: Run) => ownAndFigures(r, `${name}: start`, tag);
  let reference: Promise<Run> | undefined;
  const onQemu = () => (reference ??= runOnQemu(buildVirt(name, m.privilege), m));
  return {
    lines,
    onQemu,
    async check(required: readonly string[]): Promise<void> {
      const run = await onQemu();
      expect(run.status, describeRun(run)).toBe(0);
      const { own, figures } = lines(run);
      for (const line of required) expect(own, describeRun(run)).toContain(line);
      console.log(`QEMU: ${figures.join("; ")}`);
    },
  };
}
