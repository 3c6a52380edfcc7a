// Guest registers live in wasm locals inside a translation. A first emission pass records,
// per instruction, which registers it reads and writes and where the translation loops back;
// the second pass then knows exactly which registers hold a value the hart state does not:
//  - at entry it loads only registers read before the translation writes them;
//  - leaving after instruction k, or calling the host inside it (a syscall, a slow path that
//    may build a signal frame), it writes back what instructions before it wrote, and, once
//    the loop has gone round (a flag), what the rest of the loop body wrote;
//  - after a helper, which may write any register, it reloads them all.
import { I32, I64, type FunctionBuilder, type Local } from "../wasm.js";
import type { RegisterFile } from "./isa.js";

export class RegCache {
  private readonly reads: Set<number>[] = [];
  private readonly writes: Set<number>[] = [];
  /** The last instruction that branches back to the start, or -1. */
  lastBackEdge = -1;
  private readonly locals = new Map<number, Local>();
  /** Set once a back-edge is taken (second pass, when the code loops). */
  iterated: Local | undefined;
  /** The instruction being emitted, and the block depth its code starts at. */
  k = 0;
  baseDepth = 0;
  /**
   * Registers written only on some paths (inside an instruction, or by instructions a forward
   * branch may skip): they are loaded at entry, so their locals are right whichever path ran.
   */
  readonly partlyWritten = new Set<number>();

  constructor(private readonly file: RegisterFile) {}

  /** The local of register `reg`, noting the access (first pass). */
  local(w: FunctionBuilder, reg: number, write: boolean): Local {
    (write ? this.writes : this.reads)[this.k] ??= new Set();
    (write ? this.writes : this.reads)[this.k].add(reg);
    if (write && w.blockDepth > this.baseDepth) this.partlyWritten.add(reg);
    let l = this.locals.get(reg);
    if (!l) this.locals.set(reg, (l = w.local(I64)));
    return l;
  }

  /** A cache for the second pass, with what the first pass learnt and a local per register. */
  withLocals(w: FunctionBuilder): RegCache {
    const c = new RegCache(this.file);
    c.reads.push(...this.reads);
    c.writes.push(...this.writes);
    c.lastBackEdge = this.lastBackEdge;
    for (const r of this.partlyWritten) c.partlyWritten.add(r);
    for (const r of this.locals.keys()) c.locals.set(r, w.local(I64));
    if (this.lastBackEdge >= 0) c.iterated = w.local(I32);
    return c;
  }

  writtenIn(from: number, to: number): Set<number> {
    const out = new Set<number>();
    for (let i = from; i <= to; i++) for (const r of this.writes[i] ?? []) out.add(r);
    return out;
  }

  private load(w: FunctionBuilder, hart: Local, reg: number): void {
    w.get(hart).i64_load(this.file.offset(reg)).set(this.locals.get(reg)!);
  }

  private storeAll(w: FunctionBuilder, hart: Local, regs: Iterable<number>): void {
    for (const r of regs) w.get(hart).get(this.locals.get(r)!).i64_store(this.file.offset(r));
  }

  /**
   * Entry: loads the registers read before they are written, those written on some paths
   * only, and, in a loop, those its body writes.
   */
  loadLiveIn(w: FunctionBuilder, hart: Local): void {
    const written = new Set<number>();
    for (const r of this.partlyWritten) {
      written.add(r);
      this.load(w, hart, r);
    }
    // A loop writes back, once it has gone round, what its whole body writes (writeBack): a
    // register the body writes only after an exit taken in a later pass must hold its value.
    if (this.lastBackEdge >= 0)
      for (const r of this.writtenIn(0, this.lastBackEdge)) {
        written.add(r);
        this.load(w, hart, r);
      }
    for (let i = 0; i < Math.max(this.reads.length, this.writes.length); i++) {
      for (const r of this.reads[i] ?? [])
        if (!written.has(r)) {
          written.add(r); // loaded once
          this.load(w, hart, r);
        }
      for (const r of this.writes[i] ?? []) written.add(r);
    }
    if (this.iterated) w.i32_const(0).set(this.iterated);
  }

  /** After a helper: every register from the hart state. */
  reloadAll(w: FunctionBuilder, hart: Local): void {
    for (const r of this.locals.keys()) this.load(w, hart, r);
  }

  /**
   * Writes back what is newer in locals than in the hart state when the instructions before
   * `upTo` (inclusive) have run in this pass, and, if the loop has gone round, the loop body's.
   */
  writeBack(w: FunctionBuilder, hart: Local, upTo: number): void {
    const done = this.writtenIn(0, upTo);
    this.storeAll(w, hart, done);
    if (this.iterated && upTo < this.lastBackEdge) {
      const rest = [...this.writtenIn(upTo + 1, this.lastBackEdge)].filter((r) => !done.has(r));
      if (rest.length) {
        w.get(this.iterated).if_();
        this.storeAll(w, hart, rest);
        w.end();
      }
    }
  }
}
