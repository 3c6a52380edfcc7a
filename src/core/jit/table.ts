// The translation table: a direct-mapped cache of translations keyed by guest pc and a code
// key. Each slot has a tag (the guest pc translated there, 64 bits), the key (what else the
// code's meaning depends on, as the ISA computes it: on RISC-V with address translation, the
// host page the pc is fetched from and the privilege), a counter of taken jumps to pcs of
// that slot (hotness.ts), the budget a call of its translation needs and the block of it to
// begin at, all in wasm memory so that the interpreter and translations read them inline; the
// functions themselves sit in the same slot of a WebAssembly.Table, called through
// call_indirect with that block. A translation runs
// only when the tag and the key both match what the hart would fetch now, so a change of
// address space, mapping or privilege needs no flush: the old translations wait unused
// until their context comes back.
import { I32, type FunctionBuilder, type Local } from "../wasm.js";

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
  /** JIT_SLOTS i32: the code key each slot's translation was made for. */
  readonly keys: number;
  /** JIT_SLOTS i32: the address-space generation (Recompiler.switchedAddressSpace) each slot's translation was asked for in. */
  readonly born: number;
  /** JIT_SLOTS i32 counters of the dispatcher's entries from indirect jumps, by the jump's slot (dispatch.ts). */
  readonly sites: number;
  /** JIT_SLOTS i32: the block each slot's translation function begins at (0, or one of Region.entries). */
  readonly blocks: number;
  /**
   * i32: counts flushes and invalidations (TranslationTable.codeChanged): a translation waiting
   * for a call's return goes on only while it holds the count it saw before the call
   * (TranslationContext's predicted returns).
   */
  readonly changes: number;
}
export const JIT_TABLE_BYTES = JIT_SLOTS * 32 + 8;

/** The table's seven arrays, laid out from `base` (JIT_TABLE_BYTES long). */
export function jitLayoutAt(base: number): JitLayout {
  return {
    tags: base,
    counters: base + JIT_SLOTS * 8,
    needs: base + JIT_SLOTS * 12,
    keys: base + JIT_SLOTS * 16,
    born: base + JIT_SLOTS * 20,
    sites: base + JIT_SLOTS * 24,
    blocks: base + JIT_SLOTS * 28,
    changes: base + JIT_SLOTS * 32,
  };
}

/**
 * Emits the code key of the guest pc in i64 local `pc` for the hart whose state starts at
 * i32 local `hart` (an i32; one no installed translation has when the hart cannot fetch
 * there without the host). Undefined when every translation has the same key (0).
 */
export type EmitCodeKey = (w: FunctionBuilder, hart: Local, pc: Local) => void;

/** A translation function as the host holds it (TRANSLATION_PARAMS). */
export type TranslationFunction = (hart: number, budget: number, block: number) => number;

/** What a translation returns when the interpreter is to go on at the pc in the state. */
export const JIT_CONTINUE = -1;
/**
 * The same, but the interpreter runs the instruction at that pc before it may enter a
 * translation again (a side exit: the translation left that instruction to it).
 */
export const JIT_STEP = -2;
/**
 * The same as JIT_CONTINUE (pc, budget and registers are in the state), returned by an exit to
 * the pc a call made from a translation waits for (HartStateLayout.calls): that translation
 * goes on at its return site. The interpreter takes it as JIT_CONTINUE.
 */
export const JIT_RETURNED = -3;

/**
 * The slot of guest pc `pc` (a 64-bit value held as a signed integer, exact below 2^53 in
 * magnitude; `>>>` takes its low 32 bits as the wasm side's i32.wrap does): its halfword index
 * folded with the bits above the table's reach.
 */
export function jitSlot(pc: number): number {
  return ((pc >>> 1) ^ (pc >>> 15)) & (JIT_SLOTS - 1);
}

/**
 * The type of a translation function in the table: `(hart, budget, block) -> exit reason`, run
 * from `block` (JitLayout.blocks). A slot's block comes from memory, not from a small function
 * per entry calling the translation with it: V8 never optimizes such a function (each call
 * charges its tiering budget a few bytes), and its Liftoff code with the tail call was about
 * 6 % of a call-heavy run's main thread (README, "The seventeenth session").
 */
export const TRANSLATION_PARAMS = [I32, I32, I32] as const;

/** Pushes the block where the translation in slot `slot` (i32 local) begins: the call's last argument. */
export function emitEntryBlock(w: FunctionBuilder, layout: JitLayout, slot: Local): void {
  w.get(slot).i32_const(2).i32_shl().i32_load(layout.blocks);
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
 * Pushes whether the translation in slot `slot` (i32 local) is for guest pc `pc` (i64 local),
 * can run a whole pass on `budget` (i32 local) and was made for the code key `key` emits
 * (evaluated only when the rest holds).
 */
export function emitCanRun(
  w: FunctionBuilder,
  layout: JitLayout,
  at: { readonly slot: Local; readonly pc: Local; readonly budget: Local; readonly hart: Local },
  key: EmitCodeKey | undefined,
): void {
  const { slot, pc, budget, hart } = at;
  w.get(slot).i32_const(3).i32_shl().i64_load(layout.tags).get(pc).i64_eq();
  w.get(budget).get(slot).i32_const(2).i32_shl().i32_load(layout.needs).i32_ge_s();
  w.i32_and();
  if (!key) return;
  w.if_(I32);
  w.get(slot).i32_const(2).i32_shl().i32_load(layout.keys);
  key(w, hart, pc);
  w.i32_eq();
  w.else_();
  w.i32_const(0);
  w.end();
}

/**
 * emitCanRun for the interpreter: also emits `otherKey` when the slot holds the translation of
 * `pc` for another code key than the hart's now (another address space's code at that pc), so
 * that the host can put back this key's translation (Recompiler.translate) before the next
 * jump here. Costs nothing more while the slot holds another pc.
 */
export function emitCanRunOrAsk(
  w: FunctionBuilder,
  layout: JitLayout,
  at: { readonly slot: Local; readonly pc: Local; readonly budget: Local; readonly hart: Local },
  key: EmitCodeKey | undefined,
  otherKey: () => void,
): void {
  if (!key) return emitCanRun(w, layout, at, key);
  const { slot, pc, budget, hart } = at;
  const ok = w.local(I32);
  const k = w.local(I32);
  w.i32_const(0).set(ok);
  w.get(slot).i32_const(3).i32_shl().i64_load(layout.tags).get(pc).i64_eq();
  w.if_();
  key(w, hart, pc);
  w.set(k);
  w.get(slot).i32_const(2).i32_shl().i32_load(layout.keys).get(k).i32_eq();
  w.if_();
  w.get(budget).get(slot).i32_const(2).i32_shl().i32_load(layout.needs).i32_ge_s().set(ok);
  w.else_();
  w.get(k).i32_const(-1).i32_ne();
  w.if_();
  otherKey();
  w.end();
  w.end();
  w.end();
  w.get(ok);
  w.release(ok);
  w.release(k);
}

/** Offsets in the hart state of the count of translations reused across address-space switches. */
export interface ReuseCounter {
  /** i32: the generation of the hart's last address-space switch (0 before any). */
  readonly switched: number;
  /** i64: entries into translations asked for before that switch. */
  readonly reused: number;
}

/**
 * Emits, for an entry into the translation in slot `slot` (i32 local) by the hart at `hart`
 * (i32 local), the count of entries into translations made before the hart last switched
 * address space: they show that translations survive context switches. Two loads and a
 * compare beside the call into the translation.
 */
export function emitCountReuse(
  w: FunctionBuilder,
  layout: JitLayout,
  at: { readonly slot: Local; readonly hart: Local },
  counter: ReuseCounter,
): void {
  w.get(at.slot).i32_const(2).i32_shl().i32_load(layout.born);
  w.get(at.hart).i32_load(counter.switched).i32_lt_u();
  w.if_();
  w.get(at.hart).get(at.hart).i64_load(counter.reused).i64_const(1).i64_add().i64_store(counter.reused);
  w.end();
}

/** The table's host side: the function table, and the tags, keys and counters in wasm memory. */
export class TranslationTable {
  readonly functions = new WebAssembly.Table({ element: "anyfunc", initial: JIT_SLOTS });

  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly layout: JitLayout,
  ) {}

  /**
   * Views of the table in wasm memory, made again only when the memory grows (the recompiler
   * asks at every request), which detaches the old buffer (its views become empty); a shared
   * memory's old buffer stays valid where it was.
   */
  private views(): {
    tags: BigInt64Array;
    keys: Int32Array;
    needs: Int32Array;
    born: Uint32Array;
    blocks: Int32Array;
  } {
    if (this.viewsOf === undefined || this.viewsOf.tags.length === 0) {
      const buffer = this.memory.buffer;
      this.viewsOf = {
        tags: new BigInt64Array(buffer, this.layout.tags, JIT_SLOTS),
        keys: new Int32Array(buffer, this.layout.keys, JIT_SLOTS),
        needs: new Int32Array(buffer, this.layout.needs, JIT_SLOTS),
        born: new Uint32Array(buffer, this.layout.born, JIT_SLOTS),
        blocks: new Int32Array(buffer, this.layout.blocks, JIT_SLOTS),
      };
    }
    return this.viewsOf;
  }
  private viewsOf: ReturnType<TranslationTable["views"]> | undefined;

  private tags(): BigInt64Array {
    return this.views().tags;
  }

  private keys(): Int32Array {
    return this.views().keys;
  }

  /** Empties every slot (its function too, so that the engine can free its module) and restarts every hotness count. */
  clear(): void {
    this.codeChanged();
    this.tags().fill(-1n);
    // Writing a table slot costs the engine far more than a store (V8 updates its dispatch
    // tables): a boot's firmware writes the PMP, and so flushes, about 40 times, nearly all
    // before anything is translated (14-17 ms of a 1-hart boot's CPU when every slot was
    // written each time).
    if (this.holdsFunctions) for (let slot = 0; slot < JIT_SLOTS; slot++) this.functions.set(slot, null);
    this.holdsFunctions = false;
    new Int32Array(this.memory.buffer, this.layout.counters, JIT_SLOTS).fill(0);
  }
  /** Translations were dropped because their code may have changed: none waiting for a return goes on (JitLayout.changes). */
  codeChanged(): void {
    Atomics.add(new Int32Array(this.memory.buffer, this.layout.changes, 1), 0, 1); // the memory is shared when guest threads run on workers
  }

  /** Whether a slot may hold a function (one was installed since the last clear). */
  private holdsFunctions = false; // a new table holds none

  /**
   * Taken jumps the interpreter counted to pcs of `pc`'s slot (hotness.ts): 0 when no jump to
   * `pc` was taken while its code was interpreted (or since the last clear).
   */
  jumpsTo(pc: number): number {
    if (this.countersView === undefined || this.countersView.length === 0)
      this.countersView = new Int32Array(this.memory.buffer, this.layout.counters, JIT_SLOTS);
    return this.countersView[jitSlot(pc)];
  }
  private countersView: Int32Array | undefined;

  /** True when `pc`'s slot holds its translation for code key `key`. */
  holds(pc: number, key: number): boolean {
    const slot = jitSlot(pc);
    return this.tags()[slot] === BigInt(pc) && this.keys()[slot] === key;
  }

  /**
   * Puts the translation of `pc` for `key` in its slot (returned): function `run` from its
   * block `block`; a call needs `needs` of budget; it was asked for in address-space generation
   * `born`.
   */
  install(
    pc: number,
    key: number,
    run: TranslationFunction,
    block: number,
    needs: number,
    born: number,
  ): number {
    const slot = jitSlot(pc);
    this.functions.set(slot, run);
    this.views().blocks[slot] = block;
    this.holdsFunctions = true;
    this.tags()[slot] = BigInt(pc);
    this.keys()[slot] = key;
    this.views().needs[slot] = needs;
    this.views().born[slot] = born;
    return slot;
  }

  /** Empties `slot` (tag and function) if it still holds the translation of `pc` for `key`. */
  evict(slot: number, pc: number, key: number): void {
    const tags = this.tags();
    if (tags[slot] !== BigInt(pc) || this.keys()[slot] !== key) return;
    tags[slot] = -1n;
    this.functions.set(slot, null);
  }
}
