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
import { I32, I64, FunctionBuilder, type Local, type ModuleBuilder, type ValType } from "../wasm.js";
import type { RegisterFile } from "./isa.js";

type Mark = "load" | "store" | "storeForHost" | "loadAfterHost";

const NOTHING = new Uint8Array(0);

export class RegCache {
  private readonly used = new Set<number>();
  private readonly written = new Set<number>();
  private readonly locals = new Map<number, Local>();
  private readonly marks: { at: number; kind: Mark }[] = [];

  constructor(
    private readonly file: RegisterFile,
    private readonly w: FunctionBuilder,
    /** The i32 local (of the translation function) holding the hart state's base. */
    private readonly hart: Local,
    /** Registers stay in the hart state (see above). */
    readonly inMemory = false,
  ) {}

  /** Pushes register `reg`'s value. */
  get(reg: number): void {
    if (this.inMemory) this.w.get(this.hart).i64_load(this.file.offset(reg));
    else this.w.get(this.local(reg, false));
  }

  /** Sets register `reg` to the i64 `value` pushes. */
  set(reg: number, value: () => void): void {
    if (!this.inMemory) {
      value();
      this.w.set(this.local(reg, true));
      return;
    }
    // The address goes under the value (code after a fault inside `value` unwinds it).
    this.w.get(this.hart);
    value();
    this.w.i64_store(this.file.offset(reg));
  }

  /** The local of register `reg`, noting the access. */
  local(reg: number, write: boolean): Local {
    this.used.add(reg);
    if (write) this.written.add(reg);
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

  private mark(kind: Mark): void {
    this.marks.push({ at: this.w.code.length, kind });
  }

  /**
   * Once the translation is emitted: puts the loads and stores at their marks (helpers into
   * `m`), and `extra` code (ascending) where it belongs.
   */
  finish(m: ModuleBuilder, extra: readonly { at: number; bytes: Uint8Array }[] = []): void {
    const used = [...this.used];
    const written = [...this.written];
    const local = (r: number) => this.locals.get(r)!;
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
    // Marks whose code is empty (no register used: inMemory, or none touched) put in nothing.
    const pieces: { at: number; bytes: ArrayLike<number> }[] = [];
    for (const { at, kind } of this.marks)
      if (bytes[kind].length > 0) pieces.push({ at, bytes: bytes[kind] });
    this.w.insert(extra.length === 0 ? pieces : [...pieces, ...extra].sort((a, b) => a.at - b.at));
  }
}
