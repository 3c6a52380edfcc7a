// What every `hartwood` command line shares: the program, and how it reports a failure.
import { Command, CommanderError } from "commander";
import { UserError } from "../core/errors.js";

/** The `hartwood` program, without commands. */
export function newProgram(): Command {
  return new Command("hartwood")
    .description(
      "Run RISC-V (RV64GC) software in WebAssembly (an interpreter generated from the instruction definitions)",
    )
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`hartwood: ${s.replace(/^error: /, "")}`),
    });
}

/** Parses `argv` (after the program's name) and runs the command; returns the exit status, `status()` unless it failed. */
export async function parse(program: Command, argv: string[], status: () => number): Promise<number> {
  try {
    await program.parseAsync(argv, { from: "user" });
    return status();
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
