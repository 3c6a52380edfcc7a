// Guest registers live in wasm locals inside a translation: each register the translation
// reads or writes has one local for the whole translation, whichever of its blocks run.
//  - at entry it loads every register the translation uses (a register written on one path
//    only must still hold the right value when it is written back);
//  - leaving it, or calling the host inside it (a syscall, a slow path that may build a
//    signal frame), it writes back every register the translation writes;
//  - after a helper, which may write any register, it reloads them all.
// Which registers those are is known only once the whole translation is emitted, so the code
// is emitted once with a mark at each of those places, and `finish` inserts the loads and
// stores there. Host calls sit on slow paths, many to a translation: their stores (and the
// reloads after helpers) go through two small functions beside the translation, so that each
// costs a call with the locals as arguments (or results) instead of a store per register.
// Or (`inMemory`) no register has a local: each use loads it from the hart state and each
// write stores it there, and entries, exits and host calls move nothing.
//
// Of a translation with locals, only the registers it uses most (MAX_LOCAL_REGISTERS) have one,
// besides those its code asks the local of (`local`): the others stay in the hart state, each
// use a load and each write a store. A local costs a load at every entry, a store at every
// exit when written, and both around every call that waits; a translation of many registers
// keeps most of them in stack slots anyway (V8 has about a dozen host registers for them), so
// that such a register cost a load and a store to its slot at the entry and the reverse at
// the exit besides its uses. Which registers those are is known only at `finish`, so each
// access is a mark too, made a local access or a hart-state one there.
import { I32, I64, FunctionBuilder, type Local, type ModuleBuilder, type ValType } from "../wasm.js";
import type { RegisterFile } from "./isa.js";

type Mark = "load" | "store" | "storeForHost" | "loadAfterHost";

/** Where a register is accessed: a read (`get`), or around a write's value (`setBefore`, `setAfter`). */
type Access = "get" | "setBefore" | "setAfter";

const NOTHING = new Uint8Array(0);

/**
 * Registers at most that a translation keeps in locals besides those its loops in place access
 * and those its code asks the local of: the ones with the most accesses (reads and writes where
 * they are emitted), an access in a block on a cycle of the translation's blocks counting
 * CYCLE_WEIGHT. Measured (host instructions, `valgrind --tool=cachegrind`, the generated code's
 * share | the process's): `statemachine 575` 8.40 | 10.98 G with every register in a local,
 * 8.00 | 10.84 keeping 10 (loops not protected), 7.68 | 10.39 keeping 6, 7.60 | 10.29 keeping 3,
 * 7.90 | 10.66 keeping 6 and the loops' registers; `strings 5` 11.67 | 14.79, 11.31 | 14.82
 * (10), 11.09 | 14.61 (6 and the loops'). A register of a loop in place kept in the state would
 * cost a store and a load at each pass where TurboFan keeps it in a host register.
 */
export const MAX_LOCAL_REGISTERS = 6;
const CYCLE_WEIGHT = 8;

export class RegCache {
  private readonly used = new Set<number>();
  private readonly written = new Set<number>();
  private readonly locals = new Map<number, Local>();
  private readonly marks: { at: number; kind: Mark | Access; reg: number }[] = [];
  /** By register, its accesses so far, and whether one was in a block on a cycle or needed the local itself. */
  private readonly uses = new Map<number, number>();
  private readonly needLocal = new Set<number>();
  private readonly cycleUses = new Map<number, number>();
  /** The block being emitted is on a cycle of the translation's blocks (set by the emitter). */
  inCycle = false;
  /** The block being emitted is in a loop in place (set by the emitter): the registers it accesses keep their locals. */
  inLoop = false;
  /** Registers that were kept in the hart state (after `finish`). */
  inMemoryCount = 0;

  constructor(
    private readonly file: RegisterFile,
    private readonly w: FunctionBuilder,
    /** The i32 local (of the translation function) holding the hart state's base. */
    private readonly hart: Local,
    /** Registers stay in the hart state (see above). */
    readonly inMemory = false,
    /** Registers at most in locals besides those asked for by `local` (see above). */
    private readonly maxLocals = MAX_LOCAL_REGISTERS,
  ) {}

  /** Pushes register `reg`'s value. */
  get(reg: number): void {
    if (this.inMemory) this.w.get(this.hart).i64_load(this.file.offset(reg));
    else this.access(reg, "get", false);
  }

  /** Sets register `reg` to the i64 `value` pushes. */
  set(reg: number, value: () => void): void {
    if (!this.inMemory) {
      // In the hart state, the address goes under the value.
      this.access(reg, "setBefore", true);
      value();
      this.mark("setAfter", reg);
      return;
    }
    // The address goes under the value (code after a fault inside `value` unwinds it).
    this.w.get(this.hart);
    value();
    this.w.i64_store(this.file.offset(reg));
  }

  private access(reg: number, kind: Access, write: boolean): void {
    this.used.add(reg);
    if (write) this.written.add(reg);
    this.uses.set(reg, (this.uses.get(reg) ?? 0) + 1);
    if (this.inCycle) this.cycleUses.set(reg, (this.cycleUses.get(reg) ?? 0) + 1);
    if (this.inLoop) this.needLocal.add(reg);
    this.mark(kind, reg);
  }

  /** The local of register `reg`, noting the access (the register then has a local wherever it is used). */
  local(reg: number, write: boolean): Local {
    this.used.add(reg);
    if (write) this.written.add(reg);
    this.needLocal.add(reg);
    return this.localOf(reg);
  }

  private localOf(reg: number): Local {
    let l = this.locals.get(reg);
    // fresh: the entry's load sets it before any code of the translation runs
    if (!l) this.locals.set(reg, (l = this.w.local(I64, true)));
    return l;
  }

  /** Entry: every register used, from the hart state. */
  loadAll(): void {
    this.mark("load");
  }
  /** The exit: every register written, to the hart state. */
  writeBack(): void {
    this.mark("store");
  }
  /** Before a host call: as writeBack. */
  writeBackForHost(): void {
    this.mark("storeForHost");
  }
  /** After a helper: as loadAll. */
  reloadAfterHost(): void {
    this.mark("loadAfterHost");
  }

  private mark(kind: Mark | Access, reg = -1): void {
    this.marks.push({ at: this.w.code.length, kind, reg });
  }

  /**
   * Once the translation is emitted: puts the loads and stores at their marks (helpers into
   * `m`), and `extra` code (ascending) where it belongs.
   */
  finish(m: ModuleBuilder, extra: readonly { at: number; bytes: Uint8Array }[] = []): void {
    const score = (r: number) => (this.uses.get(r) ?? 0) + CYCLE_WEIGHT * (this.cycleUses.get(r) ?? 0);
    const ranked = [...this.used].sort((a, b) => score(b) - score(a));
    const kept = new Set([...this.needLocal, ...ranked.slice(0, this.maxLocals)]);
    const inLocal = (r: number) => kept.has(r);
    const used = [...this.used].filter(inLocal);
    const written = [...this.written].filter(inLocal);
    this.inMemoryCount = this.used.size - used.length;
    const local = (r: number) => this.localOf(r);
    const code = (emit: (b: FunctionBuilder) => void): Uint8Array => {
      if (used.length === 0) return NOTHING;
      const b = new FunctionBuilder([], []);
      emit(b);
      return b.code.view();
    };
    const load = code((b) => {
      for (const r of used) b.get(this.hart).i64_load(this.file.offset(r)).set(local(r));
    });
    const store = code((b) => {
      for (const r of written) b.get(this.hart).get(local(r)).i64_store(this.file.offset(r));
    });
    const count = (k: Mark) => this.marks.filter((x) => x.kind === k).length;
    // A call pays off from two registers on; a single site is as small inline.
    let storeForHost = store;
    if (written.length > 1 && count("storeForHost") > 1) {
      const params: ValType[] = [I32, ...written.map((): ValType => I64)];
      const [fn, f] = m.func(params, []);
      written.forEach((r, i) =>
        f
          .get(f.param(0))
          .get(f.param(i + 1))
          .i64_store(this.file.offset(r)),
      );
      storeForHost = code((b) => {
        b.get(this.hart);
        for (const r of written) b.get(local(r));
        b.call(fn);
      });
    }
    let loadAfterHost = load;
    if (used.length > 1 && count("loadAfterHost") > 1) {
      const [fn, f] = m.func(
        [I32],
        used.map((): ValType => I64),
      );
      for (const r of used) f.get(f.param(0)).i64_load(this.file.offset(r));
      loadAfterHost = code((b) => {
        b.get(this.hart).call(fn);
        for (let i = used.length - 1; i >= 0; i--) b.set(local(used[i])); // results pop last first
      });
    }
    const bytes = { load, store, storeForHost, loadAfterHost };
    /** By register, the code of each access (made once). */
    const accesses = new Map<number, Record<Access, Uint8Array>>();
    const accessCode = (r: number): Record<Access, Uint8Array> => {
      let a = accesses.get(r);
      if (a) return a;
      const piece = (emit: (b: FunctionBuilder) => void): Uint8Array => {
        const b = new FunctionBuilder([], []);
        emit(b);
        return b.code.view();
      };
      const offset = this.file.offset(r);
      a = inLocal(r)
        ? {
            get: piece((b) => b.get(local(r))),
            setBefore: NOTHING,
            setAfter: piece((b) => b.set(local(r))),
          }
        : {
            get: piece((b) => b.get(this.hart).i64_load(offset)),
            setBefore: piece((b) => b.get(this.hart)),
            setAfter: piece((b) => b.i64_store(offset)),
          };
      accesses.set(r, a);
      return a;
    };
    // Marks whose code is empty (no register used: inMemory, or none touched) put in nothing.
    const pieces: { at: number; bytes: ArrayLike<number> }[] = [];
    for (const { at, kind, reg } of this.marks) {
      const b = reg < 0 ? bytes[kind as Mark] : accessCode(reg)[kind as Access];
      if (b.length > 0) pieces.push({ at, bytes: b });
    }
    this.w.insert(extra.length === 0 ? pieces : [...pieces, ...extra].sort((a, b) => a.at - b.at));
  }
}
