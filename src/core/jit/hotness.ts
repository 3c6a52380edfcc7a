// When code is worth translating: the interpreter counts taken jumps by target slot, and the
// count that makes a target hot asks the host for a translation. Compiling wasm is the
// expensive part, so code that runs a few times stays interpreted.
import type { FunctionBuilder, Local } from "../wasm.js";
import { emitSlot, type JitLayout } from "./table.js";

/** Taken jumps to a target before it is translated. */
export const JIT_THRESHOLD = 32;
/**
 * A target whose slot holds another pc's translation (two hot pcs share a slot) asks again
 * every JIT_RETRY counts: the slot then changes hands at most that often.
 */
export const JIT_RETRY = 1024;

/**
 * Emits the count of a taken jump to the guest pc in i64 local `pc` (`slot` is an i32 scratch
 * local); `askForTranslation` emits the request made when the target is hot.
 */
export function emitCountJump(
  w: FunctionBuilder,
  layout: JitLayout,
  pc: Local,
  slot: Local,
  askForTranslation: () => void,
): void {
  emitSlot(w, pc);
  w.i32_const(2).i32_shl().tee(slot);
  w.get(slot).i32_load(layout.counters).i32_const(1).i32_add();
  w.i32_store(layout.counters);
  // Hot now, or still hot without its translation (another pc took the slot).
  w.get(slot).i32_load(layout.counters).i32_const(JIT_THRESHOLD).i32_eq();
  w.get(slot)
    .i32_load(layout.counters)
    .i32_const(JIT_RETRY - 1)
    .i32_and()
    .i32_eqz()
    .i32_or();
  w.if_();
  askForTranslation();
  w.end();
}
