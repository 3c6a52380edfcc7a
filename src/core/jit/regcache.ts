// Guest registers live in wasm locals inside a translation. A first emission pass records
// which registers the translation reads and writes; the second then holds each of them in a
// local for the whole translation, whichever of its blocks run:
//  - at entry it loads every register the translation uses (a register written on one path
//    only must still hold the right value when it is written back);
//  - leaving it, or calling the host inside it (a syscall, a slow path that may build a
//    signal frame), it writes back every register the translation writes;
//  - after a helper, which may write any register, it reloads them all.
import { I64, type FunctionBuilder, type Local } from "../wasm.js";
import type { RegisterFile } from "./isa.js";

export class RegCache {
  private readonly used = new Set<number>();
  private readonly written = new Set<number>();
  private readonly locals = new Map<number, Local>();

  constructor(private readonly file: RegisterFile) {}

  /** The local of register `reg`, noting the access. */
  local(w: FunctionBuilder, reg: number, write: boolean): Local {
    this.used.add(reg);
    if (write) this.written.add(reg);
    let l = this.locals.get(reg);
    if (!l) this.locals.set(reg, (l = w.local(I64)));
    return l;
  }

  /** A cache for the second pass, with what the first pass learnt and a local per register. */
  withLocals(w: FunctionBuilder): RegCache {
    const c = new RegCache(this.file);
    for (const r of this.used) c.used.add(r);
    for (const r of this.written) c.written.add(r);
    for (const r of this.used) c.locals.set(r, w.local(I64));
    return c;
  }

  /** Entry, and after a helper: every register used, from the hart state. */
  loadAll(w: FunctionBuilder, hart: Local): void {
    for (const r of this.used) w.get(hart).i64_load(this.file.offset(r)).set(this.locals.get(r)!);
  }

  /** Every register written, to the hart state. */
  writeBack(w: FunctionBuilder, hart: Local): void {
    for (const r of this.written) w.get(hart).get(this.locals.get(r)!).i64_store(this.file.offset(r));
  }
}
