// `hartwood run` alone: what the bin loads for it (scripts/build-dist.js bundles it apart), so
// that a short run neither reads, nor deserializes, nor initializes the code of system mode,
// bare-metal mode and the image builder (README, "Start-up"). Its command line is main.ts's.
import { newProgram, parse } from "./program.js";
import { addRunCommand, type EngineHooks } from "./run.js";

/** Runs `hartwood run` (argv[0] is "run"); returns the process exit status. */
export async function main(argv: string[], engine: EngineHooks = {}): Promise<number> {
  let status = 0;
  const program = newProgram();
  addRunCommand(program, engine, (s) => (status = s));
  return parse(program, argv, () => status);
}
