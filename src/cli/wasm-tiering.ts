// V8 compiles a wasm function first with its baseline compiler, then recompiles it with its
// optimising compiler, on background threads, once it has used up a "tiering budget" of
// work (`--wasm-tiering-budget`, default 1,800,000). A recompiler makes thousands of
// functions, most of them warm for a moment only: at the default budget the optimising
// compiler works through them while the guest runs and competes with it for the host's cores.
// Measured on the smoke boot with `--jit` (2 cores, loaded by other work): 7.8-8.2 s of CPU
// time at the default budget, 4.2-5.3 s at 100 times it, the guest's own time in a CPU-bound
// program inside the guest also shorter. Code that stays hot is still optimised, later. The
// interpreter, which runs all the time, keeps the default budget.
import { setFlagsFromString } from "node:v8";

const FLAG = "--wasm-tiering-budget";
const V8_DEFAULT_BUDGET = 1_800_000;
const RAISED_BUDGET = 100 * V8_DEFAULT_BUDGET;

/**
 * Sets V8's wasm tiering budget for instances created from now on (V8 gives each instance
 * its budget when it is instantiated), unless the user set it: "default" before the
 * interpreter is instantiated (it runs all the time and is worth optimising at once),
 * "raised" after, for the translations.
 */
export function setWasmTieringBudget(which: "default" | "raised"): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((a) => a.startsWith(FLAG))) return;
  setFlagsFromString(`${FLAG}=${which === "raised" ? RAISED_BUDGET : V8_DEFAULT_BUDGET}`);
}
