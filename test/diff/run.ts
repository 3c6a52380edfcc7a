// Builds a generated program and runs it on QEMU (the reference) and on Hartwood.
// Child processes write to files, not pipes, so QEMU keeps running while Hartwood's
// bare-metal runner (synchronous, in this process) has the event loop.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { runBaremetal, runBaremetalAsync } from "../../src/modes/baremetal.js";
import type { JitOptions } from "../../src/core/jit/recompiler.js";
import { CACHE_DIR } from "../guest/build.js";
import { ISA_DIR } from "../guest/isa.js";
import { generateBlocks, type Block, type GenOptions } from "./gen.js";
import { compareRuns, type Comparison, renderProgram, type RunOutput, type Target } from "./program.js";

const execFileAsync = promisify(execFile);
const DIFF_DIR = join(CACHE_DIR, "diff");
const TIMEOUT_MS = 120_000;
/** Far more than any generated program needs; a runaway program stops here. */
const MAX_INSNS = 200_000_000;

const LINK_LD = join(ISA_DIR, "link.ld");
const CC: Record<Target, { cc: string; flags: string[] }> = {
  baremetal: {
    cc: "riscv64-unknown-elf-gcc",
    flags: ["-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static", "-T", LINK_LD],
  },
  linux: {
    cc: "riscv64-linux-gnu-gcc",
    flags: ["-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static", "-no-pie"],
  },
};

const versions = new Map<string, Promise<string>>();
function compilerVersion(cc: string): Promise<string> {
  let v = versions.get(cc);
  if (!v) {
    v = execFileAsync(cc, ["--version"]).then((r) => r.stdout.split("\n")[0]);
    versions.set(cc, v);
  }
  return v;
}

/** Assembles and links a generated program (cached by content); returns the ELF path and source path. */
export async function buildProgram(source: string, target: Target): Promise<{ elf: string; src: string }> {
  const { cc, flags } = CC[target];
  const h = createHash("sha256").update(await compilerVersion(cc));
  h.update(JSON.stringify(flags)).update(source);
  if (target === "baremetal") h.update(readFileSync(LINK_LD));
  const key = `${target}-${h.digest("hex").slice(0, 16)}`;
  mkdirSync(DIFF_DIR, { recursive: true });
  const src = join(DIFF_DIR, `${key}.s`);
  const elf = join(DIFF_DIR, `${key}.elf`);
  if (existsSync(elf)) return { elf, src };
  writeFileSync(src, source);
  const tmp = `${elf}.tmp${process.pid}`;
  await execFileAsync(cc, [...flags, "-o", tmp, src], { maxBuffer: 16 << 20 });
  renameSync(tmp, elf);
  return { elf, src };
}

let outSeq = 0;

/** The line `HARTWOOD_JIT_STATS=1` adds to Hartwood's stderr. */
const JIT_STATS = /^hartwood: jit stats: translations (\d+).*\n?/m;

/**
 * Runs a command with stdout in a file; resolves when it exits (or is killed at the timeout).
 * `env` adds to this process's environment; a recompiler's statistics line on stderr becomes
 * `translations`.
 */
export function runToFile(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunOutput> {
  const outPath = join(DIFF_DIR, `out-${process.pid}-${outSeq++}.txt`);
  mkdirSync(DIFF_DIR, { recursive: true });
  const fd = openSync(outPath, "w");
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ["ignore", fd, "pipe"],
      timeout: TIMEOUT_MS,
      env: { ...process.env, ...env },
    });
    closeSync(fd);
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    const finish = (status: number | null, error?: string) => {
      const out = readFileSync(outPath, "latin1");
      rmSync(outPath, { force: true });
      const stats = JIT_STATS.exec(stderr);
      stderr = stderr.replace(JIT_STATS, "");
      const translations = stats ? Number(stats[1]) : undefined;
      resolve({ name, status, out, error: error ?? (stderr.trim() || undefined), translations });
    };
    child.on("error", (e) => finish(null, e.message));
    child.on("close", (code, signal) => finish(code, signal ? `killed by ${signal}` : undefined));
  });
}

export function runQemuSpike(elf: string): Promise<RunOutput> {
  return runToFile("qemu", "qemu-system-riscv64", [
    "-M",
    "spike",
    "-bios",
    "none",
    "-nographic",
    "-kernel",
    elf,
  ]);
}

/** Hartwood's bare-metal runner, in this process (yielding to the event loop when it compiles asynchronously). */
export async function runHartwoodBaremetal(elf: string, jit?: JitOptions): Promise<RunOutput> {
  const chunks: Uint8Array[] = [];
  try {
    const opts = { maxInsns: MAX_INSNS, out: (b: Uint8Array) => chunks.push(b), jit };
    const r = jit?.async
      ? await runBaremetalAsync(readFileSync(elf), opts)
      : runBaremetal(readFileSync(elf), opts);
    const out = Buffer.concat(chunks).toString("latin1");
    return { name: "hartwood", status: r.status, out, translations: r.jit?.translations };
  } catch (e) {
    const error = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    return { name: "hartwood", status: null, out: Buffer.concat(chunks).toString("latin1"), error };
  }
}

export interface DiffOptions extends GenOptions {
  seed: number;
  blocks: number;
  /** Runs of each block before its dump (a recompiler only sees code that runs often). */
  repeat?: number;
  /** How Hartwood's recompiler translates (bare-metal; user mode takes its command line's options). */
  jit?: JitOptions;
}

export interface DiffResult extends Comparison {
  blocks: number;
  /** Translations Hartwood's recompiler made (undefined when it did not say). */
  translations: number | undefined;
  insns: number;
  /** The generated assembly (kept in the cache directory) for reading along a report. */
  source: string;
}

function label(o: DiffOptions, src: string): string {
  return `[seed ${o.seed}, ${o.blocks} blocks, source ${src}]`;
}

function result(blocks: Block[], ref: RunOutput, hw: RunOutput, label: string, source: string): DiffResult {
  const cmp = compareRuns(blocks, ref, hw, label);
  const insns = blocks.reduce((n, b) => n + b.insns, 0);
  return { ...cmp, translations: hw.translations, blocks: blocks.length, insns, source };
}

/** Generates a bare-metal program and compares QEMU's spike machine with runBaremetal. */
export async function diffBaremetal(o: DiffOptions): Promise<DiffResult> {
  const blocks = generateBlocks(o.seed, o.blocks, o);
  const { elf, src } = await buildProgram(renderProgram(blocks, "baremetal", o.repeat), "baremetal");
  const qemu = runQemuSpike(elf);
  const hw = await runHartwoodBaremetal(elf, o.jit);
  return result(blocks, await qemu, hw, label(o, src), src);
}

/** Generates a Linux user-mode program and compares qemu-riscv64 with a Hartwood command line. */
export async function diffUser(o: DiffOptions, hartwood: string[]): Promise<DiffResult> {
  const blocks = generateBlocks(o.seed, o.blocks, o);
  const { elf, src } = await buildProgram(renderProgram(blocks, "linux", o.repeat), "linux");
  const [qemu, hw] = await Promise.all([
    runToFile("qemu", "qemu-riscv64", [elf]),
    runToFile("hartwood", hartwood[0], [...hartwood.slice(1), elf], { HARTWOOD_JIT_STATS: "1" }),
  ]);
  return result(blocks, qemu, hw, label(o, src), src);
}
