// The translation table: a direct-mapped cache of translations keyed by guest pc. Each slot
// has a tag (the guest pc translated there), a counter of taken jumps to pcs of that slot
// (hotness.ts) and the budget a call of its translation needs, all in wasm memory so that
// the interpreter and translations read them inline; the functions themselves sit in the
// same slot of a WebAssembly.Table, called through call_indirect.
import type { FunctionBuilder, Local } from "../wasm.js";

/** Slots of the translation table (a power of two). */
export const JIT_SLOTS = 4096;

/** Where the translation table lives in wasm memory (host offsets). */
export interface JitLayout {
  /** JIT_SLOTS i64 tags: the guest pc translated in each slot, -1 when empty. */
  readonly tags: number;
  /** JIT_SLOTS i32 counters of taken jumps, by target slot. */
  readonly counters: number;
  /** JIT_SLOTS i32: the budget a call of each slot's translation needs (its length). */
  readonly needs: number;
}
export const JIT_TABLE_BYTES = JIT_SLOTS * 16;

/** The table's three arrays, laid out from `base` (JIT_TABLE_BYTES long). */
export function jitLayoutAt(base: number): JitLayout {
  return { tags: base, counters: base + JIT_SLOTS * 8, needs: base + JIT_SLOTS * 12 };
}

/** What a translation returns when the interpreter is to go on at the pc in the state. */
export const JIT_CONTINUE = -1;

/** The slot of guest pc `pc`: its halfword index folded with the bits above the table's reach. */
export function jitSlot(pc: number): number {
  return ((pc >>> 1) ^ (pc >>> 15)) & (JIT_SLOTS - 1);
}

/** Pushes jitSlot of the guest pc in i64 local `pc`, as an i32. */
export function emitSlot(w: FunctionBuilder, pc: Local): void {
  w.get(pc).i32_wrap_i64().i32_const(1).i32_shr_u();
  w.get(pc).i32_wrap_i64().i32_const(15).i32_shr_u();
  w.i32_xor()
    .i32_const(JIT_SLOTS - 1)
    .i32_and();
}

/**
 * Pushes whether the translation in slot `slot` (i32 local) is for guest pc `pc` (i64 local)
 * and can run a whole pass on `budget` (i32 local).
 */
export function emitCanRun(
  w: FunctionBuilder,
  layout: JitLayout,
  slot: Local,
  pc: Local,
  budget: Local,
): void {
  w.get(slot).i32_const(3).i32_shl().i64_load(layout.tags).get(pc).i64_eq();
  w.get(budget).get(slot).i32_const(2).i32_shl().i32_load(layout.needs).i32_ge_s();
  w.i32_and();
}

/** The table's host side: the function table, and the tags and counters in wasm memory. */
export class TranslationTable {
  readonly functions = new WebAssembly.Table({ element: "anyfunc", initial: JIT_SLOTS });

  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly layout: JitLayout,
  ) {}

  private tags(): BigInt64Array {
    return new BigInt64Array(this.memory.buffer, this.layout.tags, JIT_SLOTS);
  }

  /** Empties every slot and restarts every hotness count. */
  clear(): void {
    this.tags().fill(-1n);
    new Int32Array(this.memory.buffer, this.layout.counters, JIT_SLOTS).fill(0);
  }

  /** True when `pc`'s slot holds its translation. */
  holds(pc: bigint): boolean {
    return this.tags()[jitSlot(Number(pc))] === pc;
  }

  /** Puts the translation of `pc` in its slot; a call needs `needs` of budget. */
  install(pc: bigint, run: () => number, needs: number): void {
    const slot = jitSlot(Number(pc));
    this.functions.set(slot, run);
    this.tags()[slot] = pc;
    new Int32Array(this.memory.buffer, this.layout.needs, JIT_SLOTS)[slot] = needs;
  }
}
