// The `hartwood` command line: argument parsing and error reporting only. `hartwood run` has a
// build of its own (main-run.ts), without the other commands.
import { readFileSync, statSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { compileStatsLine } from "../core/jit/compile-stats.js";
import { UserError } from "../core/errors.js";
import { runBaremetal, runBaremetalAsync } from "../modes/baremetal.js";
import { addBootCommand, addImageCommand } from "./boot.js";
import { addJitFlags, jitOptions, type JitFlags } from "./jit-flags.js";
import { newProgram, parse } from "./program.js";
import { addRunCommand, type EngineHooks } from "./run.js";

export type { EngineHooks } from "./run.js";

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  ELOOP: "too many symbolic links",
};

function readInput(path: string): Uint8Array {
  try {
    // A device or FIFO could be endless: only regular files are programs.
    if (!statSync(path).isFile()) throw new UserError(`${path} is not a regular file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw new UserError(`cannot read ${path}: ${ERRNO_TEXT[code] ?? (code || String(e))}`);
  }
}

/** Runs the CLI; returns the process exit status. */
export async function main(argv: string[], engine: EngineHooks = {}): Promise<number> {
  let status = 0;
  const program = newProgram();
  const baremetal = program
    .command("baremetal")
    .description("run a bare-metal ELF (RAM at 0x80000000, HTIF tohost/fromhost) on one hart in M-mode")
    .argument("<file>", "the ELF program")
    .option("--max-insns <n>", "stop with an error after n instructions", positiveInt);
  addJitFlags(baremetal).action(async (file: string, opts: { maxInsns?: number } & JitFlags) => {
    const o = { maxInsns: opts.maxInsns, jit: jitOptions(opts) };
    const r = opts.jitAsync ? await runBaremetalAsync(readInput(file), o) : runBaremetal(readInput(file), o);
    if (r.status !== 0) process.stderr.write(`hartwood: guest reported failure of test ${r.status}\n`);
    if (process.env.HARTWOOD_JIT_STATS === "1") process.stderr.write(compileStatsLine(r.jit));
    status = Math.min(r.status, 255);
  });
  addRunCommand(program, engine, (s) => (status = s));
  addBootCommand(program, (s) => (status = s));
  addImageCommand(program);
  return parse(program, argv, () => status);
}
