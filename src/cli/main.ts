// The `hartwood` command line: argument parsing and error reporting only.
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { UserError } from "../core/errors.js";
import { runBaremetal } from "../modes/baremetal.js";

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Runs the CLI; returns the process exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command("hartwood")
    .description("Run RISC-V (RV64GC) software by recompiling it to WebAssembly")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command("baremetal")
    .description("run a bare-metal ELF (RAM at 0x80000000, HTIF tohost/fromhost) on one hart in M-mode")
    .argument("<file>", "the ELF program")
    .option("--max-insns <n>", "stop with an error after n instructions", positiveInt)
    .action((file: string, opts: { maxInsns?: number }) => {
      const r = runBaremetal(readInput(file), { maxInsns: opts.maxInsns });
      if (r.status !== 0) process.stderr.write(`hartwood: guest reported failure of test ${r.status}\n`);
      status = Math.min(r.status, 255);
    });
  try {
    await program.parseAsync(argv, { from: "user" });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError) {
      process.stderr.write(`hartwood: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`hartwood: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 70;
  }
}
