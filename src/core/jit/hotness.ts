// When code is worth translating: the interpreter counts taken jumps by target slot, and the
// count that makes a target hot asks the host for a translation. Compiling wasm is the
// expensive part, so code that runs a few times stays interpreted.
import type { FunctionBuilder, Local } from "../wasm.js";
import { emitSlot, type JitLayout } from "./table.js";

/** Taken jumps to a target before it is translated, unless the machine is built with another. */
export const JIT_THRESHOLD = 32;

/** The highest threshold taken (a count must reach it without wrapping its i32). */
const MAX_THRESHOLD = 2 ** 30;

/**
 * A threshold as the interpreter is built with it: a whole number of taken jumps, where 0 and
 * 1 both mean the first time a target is reached ("first sight"; the interpreter then also
 * counts the pc it starts at, see `countsEntry`).
 */
export function jitThreshold(n: number | undefined): number {
  if (n === undefined) return JIT_THRESHOLD;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`jit threshold ${n}: expected a whole number >= 0`);
  return Math.max(1, Math.min(n, MAX_THRESHOLD));
}

/** At first sight the pc a run starts at (an entry point, a trap vector) counts as reached. */
export function countsEntry(threshold: number): boolean {
  return threshold <= 1;
}
/**
 * A target whose slot holds another pc's translation (two hot pcs share a slot) asks again
 * every JIT_RETRY counts past the threshold: the slot then changes hands at most that often.
 * Counted from the threshold, not from zero: a retry that came right after the first request
 * (a threshold just below a multiple of JIT_RETRY) would build its batch at once, one module
 * per request.
 */
export const JIT_RETRY = 1024;

/**
 * Emits the count of a taken jump to the guest pc in i64 local `pc` (`slot` is an i32 scratch
 * local); `askForTranslation` emits the request made when the count reaches `threshold` (a
 * constant of the build: jitThreshold's).
 */
export function emitCountJump(
  w: FunctionBuilder,
  layout: JitLayout,
  pc: Local,
  slot: Local,
  threshold: number,
  askForTranslation: () => void,
): void {
  emitSlot(w, pc);
  w.i32_const(2).i32_shl().tee(slot);
  w.get(slot).i32_load(layout.counters).i32_const(1).i32_add();
  w.i32_store(layout.counters);
  // Hot now, or still hot without its translation (another pc took the slot): the count is
  // the threshold plus a multiple of JIT_RETRY (unsigned, so a count that wrapped goes on).
  w.get(slot).i32_load(layout.counters).i32_const(threshold).i32_ge_u();
  w.get(slot)
    .i32_load(layout.counters)
    .i32_const(threshold)
    .i32_sub()
    .i32_const(JIT_RETRY - 1)
    .i32_and()
    .i32_eqz()
    .i32_and();
  w.if_();
  askForTranslation();
  w.end();
}
