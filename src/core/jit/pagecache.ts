// Per-access page caches inside a translation: each guest memory access (each instruction that
// loads or stores) keeps, in two wasm locals, the page its last fast-path access hit and what
// turns that page's addresses into host offsets. The next access to the same page, aligned,
// skips the full check (the page table or TLB lookup) and costs a mask, a compare and an
// add. A cache is only as old as the translation's run: the locals die when it returns, and
// they are forgotten at its entry and wherever the run goes on after something that may change
// what pages map to or allow (a helper, a CSR write served in wasm). Nothing else can change
// that while the run lasts: harts take turns on one thread, and new code is protected only
// between runs.
import { I32, I64, FunctionBuilder, type Local } from "../wasm.js";

/** One access's cache: the page it hit last (an i64; -1, which no address matches, when none) and that page's addend (i32). */
export interface PageCache {
  readonly page: Local;
  readonly addend: Local;
}

export class PageCaches {
  private readonly caches: PageCache[] = [];
  private readonly marks: number[] = [];

  constructor(private readonly w: FunctionBuilder) {}

  /** A new cache for one access site (its locals are set where the caches are forgotten). */
  add(): PageCache {
    const c = { page: this.w.local(I64, true), addend: this.w.local(I32, true) };
    this.caches.push(c);
    return c;
  }

  /** From here on every cache is empty (the function's entry, or after the host may have changed mappings). */
  forget(): void {
    this.marks.push(this.w.code.length);
  }

  /** The code that empties every cache, at each place `forget` marked (for FunctionBuilder.insert, ascending). */
  pieces(): { at: number; bytes: Uint8Array }[] {
    if (this.caches.length === 0) return [];
    const b = new FunctionBuilder([], []);
    for (const c of this.caches) b.i64_const(-1).set(c.page);
    const bytes = b.code.view();
    return this.marks.map((at) => ({ at, bytes }));
  }
}
