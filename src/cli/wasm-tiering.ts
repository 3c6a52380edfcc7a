// V8 compiles a wasm function first with its baseline compiler, then recompiles it with its
// optimising compiler, on background threads, once it has used up a "tiering budget" of
// work (`--wasm-tiering-budget`, default 1,800,000). A recompiler makes thousands of
// functions, most of them warm for a moment only: at the default budget the optimising
// compiler works through them while the guest runs and competes with it for the host's cores.
// Measured on the smoke boot with `--jit` (2 cores, loaded by other work): 7.8-8.2 s of CPU
// time at the default budget, 4.2-5.3 s at 100 times it, the guest's own time in a CPU-bound
// program inside the guest also shorter. Code that stays hot is still optimised, later.
import { setFlagsFromString } from "node:v8";

const FLAG = "--wasm-tiering-budget";
const V8_DEFAULT_BUDGET = 1_800_000;
const BUDGET = 100 * V8_DEFAULT_BUDGET;

/** Raises V8's wasm tiering budget for what is compiled from now on, unless the user set it. */
export function raiseWasmTieringBudget(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((a) => a.startsWith(FLAG))) return;
  setFlagsFromString(`${FLAG}=${BUDGET}`);
}
