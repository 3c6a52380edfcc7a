// Where the recompiler reads guest code, and how it learns that code changed. Two shapes, one
// per memory strategy (sem.ts):
//  - flat (user mode): a guest pc is a wasm offset; the page-permission table says what is
//    executable, and PAGE_CODE marks pages with translations so that stores there take the
//    slow path (which asks the recompiler to flush);
//  - tlb (bare-metal and system modes): a pc is virtual (64 bits), fetched through the hart's
//    MMU at its current privilege; a translation's code key is the fetch TLB's addend for its
//    page (which host page the pc maps to) with the privilege, so it runs only where its pc
//    maps to the same code; pages with translations are watched physical pages, whose
//    stores reach the host (PhysMap.watch) and drop that page's translations alone.
import type { CodeMemory, CodeView } from "../../core/jit/isa.js";
import type { EmitCodeKey } from "../../core/jit/table.js";
import type { PhysMap } from "../../core/physmem.js";
import { I32, type FunctionBuilder, type Local } from "../../core/wasm.js";
import type { Hart } from "./hart.js";
import { PAGE_CODE, PAGE_R, PAGE_X, PERM_TABLE_BYTES, type MemStrategy } from "./sem.js";
import { PRV_U } from "./priv.js";
import * as S from "./state.js";

/** Calls `protectParcel` for each 16-bit parcel of [pc, pc + bytes): the page holding it holds translated code. */
function eachParcel(pc: number, bytes: number, protectParcel: (pc: number) => void): void {
  for (let a = pc; a < pc + bytes; a += 2) protectParcel(a);
}

/** User mode: guest address = wasm offset + hostOffset, permissions from the page table. */
export class FlatCode implements CodeMemory<Hart> {
  private readonly pages = new Set<number>();
  private readonly view_: CodeView;
  /** Leave the PAGE_CODE marks when translations go (engines beside others share the table: hart-worker.ts). */
  keepMarks = false;
  /** Called when every translation has gone (the process's engines on other threads drop theirs). */
  onFlush: (() => void) | undefined;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly permTable: number,
    hostOffset: number,
  ) {
    this.view_ = {
      host: (pc) => (pc >= 0 && pc < 2 ** 32 && this.perms()[pc >>> 12] & PAGE_X ? pc + hostOffset : -1),
      key: (pc) => (this.view_.host(pc) < 0 ? -1 : 0),
      protect: (pc, bytes) => {
        // Atomic: engines on other threads mark the same table, and main changes a page's
        // permissions (mprotect, munmap) while they run; a plain read-modify-write could undo that.
        eachParcel(pc, bytes, (a) => {
          Atomics.or(this.perms(), a >>> 12, PAGE_CODE);
          this.pages.add(a >>> 12);
        });
        return undefined; // a store to code flushes every translation (user mode's slow path)
      },
      readData: (addr, bytes) => {
        const last = addr + bytes - 1;
        const perms = this.perms();
        if (!(addr >= 0 && last < 2 ** 32 && perms[addr >>> 12] & PAGE_R && perms[last >>> 12] & PAGE_R))
          return undefined;
        const data = this.data(addr + hostOffset + bytes);
        const at = addr + hostOffset;
        const lo = data.getInt32(at, true);
        return bytes === 4 ? lo : (lo >>> 0) + data.getInt32(at + 4, true) * 2 ** 32;
      },
    };
  }

  /** A view of the memory reaching `end` (made again only when it grew: see perms). */
  private data(end: number): DataView {
    if (this.dataView === undefined || this.dataView.byteLength < end)
      this.dataView = new DataView(this.memory.buffer);
    return this.dataView;
  }
  private dataView: DataView | undefined;

  /**
   * The permission table (a view made again only if the memory grows: the recompiler asks per
   * parcel, and reading `memory.buffer` costs a call into the engine). Growing detaches a
   * memory's old buffer (its views become empty); a shared one's stays valid where it was.
   */
  private perms(): Uint8Array {
    if (this.permsView === undefined || this.permsView.length === 0)
      this.permsView = new Uint8Array(this.memory.buffer, this.permTable, PERM_TABLE_BYTES);
    return this.permsView;
  }
  private permsView: Uint8Array | undefined;

  view(): CodeView {
    return this.view_;
  }

  unprotectAll(): void {
    const perms = this.perms();
    if (!this.keepMarks) for (const page of this.pages) Atomics.and(perms, page, ~PAGE_CODE);
    this.pages.clear();
    this.onFlush?.();
  }

  /** Clears every page's PAGE_CODE mark, whichever engine made it. */
  unmarkAll(): void {
    const perms = this.perms();
    for (let page = 0; page < perms.length; page++)
      if (perms[page] & PAGE_CODE) Atomics.and(perms, page, ~PAGE_CODE);
  }

  /** True when a store to [addr, addr + bytes) would change translated code. */
  isCode(addr: number, bytes: number): boolean {
    const perms = this.perms();
    for (let page = addr >>> 12; page <= (addr + bytes - 1) >>> 12; page++)
      if (perms[page] & PAGE_CODE) return true;
    return false;
  }
}

/**
 * The code key of the pc in i64 local `pc` (TlbCode.view's `key` in wasm): the fetch TLB entry's
 * addend, which says the host page the pc maps to, ORed with the privilege (the addend's low
 * 12 bits are zero); -1 when the entry is for another page (the interpreter's fetch fills it).
 */
const emitTlbCodeKey: EmitCodeKey = (w: FunctionBuilder, hart: Local, pc: Local) => {
  const entry = w.local(I32);
  w.get(hart).i32_load(S.TLB_FETCH);
  w.get(pc)
    .i64_const(12)
    .i64_shr_u()
    .i32_wrap_i64()
    .i32_const(S.TLB_ENTRIES - 1)
    .i32_and();
  w.i32_const(Math.log2(S.TLB_ENTRY_BYTES)).i32_shl().i32_add().tee(entry);
  w.i64_load(S.TLB_EXEC).get(pc).i64_const(-4096).i64_and().i64_eq();
  w.if_(I32);
  w.get(entry).i32_load(S.TLB_ADDEND).get(hart).i32_load(S.PRIV).i32_or();
  w.else_();
  w.i32_const(-1);
  w.end();
  w.release(entry);
};

/** How the engines emit the code key for memory strategy `mem` (none in user mode: always 0). */
export function codeKey(mem: MemStrategy): EmitCodeKey | undefined {
  return mem.kind === "tlb" ? emitTlbCodeKey : undefined;
}

/** Bare-metal and system modes: code fetched through each hart's MMU, stores watched per physical page. */
export class TlbCode implements CodeMemory<Hart> {
  private readonly pages = new Set<number>();

  constructor(
    private readonly phys: PhysMap,
    private readonly harts: readonly Hart[],
    /** A store reached `page`, which holds translated code. */
    onStore: (page: number) => void,
    /**
     * The most instructions a translation of S- and M-mode code holds (CodeView.maxInsns): a
     * booting kernel's code mostly runs a few times, and is served better by small ones.
     * U-mode code (a program under the kernel) gets the recompiler's default, as in user mode.
     */
    private readonly kernelInsns?: number,
  ) {
    phys.onStore((pa) => {
      const page = pa - (pa % 4096);
      if (this.pages.has(page)) onStore(page);
    });
  }

  view(hart: Hart): CodeView {
    return {
      host: (pc) => hart.mmu.fetchHost(pc),
      key: (pc) => {
        const host = hart.mmu.fetchHost(pc);
        // The fetch TLB's addend: host offset minus the low 32 bits of the pc (emitCodeKey).
        return host < 0 ? -1 : (host - (pc % 2 ** 32)) | 0 | hart.priv;
      },
      pageBytes: 4096,
      maxInsns: hart.priv === PRV_U ? undefined : this.kernelInsns,
      // The kernel's code: a translation runs about 14 instructions between its entry and exit
      // in a boot (at --jit-threshold 512), and V8 runs it unoptimised (Liftoff), where a
      // local is a stack slot anyway; loading and storing every register it uses at each
      // entry and exit cost more (the boot: 3.53 -> 3.32 s of main-thread CPU, 6.2 -> 5.4 MB
      // of wasm). Programs under the kernel keep theirs in locals.
      registersInMemory: hart.priv !== PRV_U,
      protect: (pc, bytes) => {
        let page: number | undefined;
        // Once per virtual page the bytes are on: a mapping maps a page whole.
        eachParcel(pc, bytes, (a) => {
          if (a === pc || (a & 0xfff) === 0) page = this.watch(hart, a);
        });
        return page;
      },
    };
  }

  /** Watches the physical page `hart` fetches guest pc from, and returns it. */
  private watch(hart: Hart, pc: number): number | undefined {
    const host = hart.mmu.fetchHost(pc);
    const pa = host < 0 ? -1 : this.phys.physicalOf(host);
    if (pa < 0) return undefined;
    const page = pa - (pa % 4096);
    if (this.pages.has(page)) return page;
    this.pages.add(page);
    this.phys.watch(page);
    // TLB entries made before may let stores to the page skip the host: drop their store tags.
    for (const h of this.harts) h.mmu.dropStoresTo(host - (host % 4096));
    return page;
  }

  unprotect(page: number): void {
    if (this.pages.delete(page)) this.phys.unwatch(page);
  }

  unprotectAll(): void {
    for (const page of this.pages) this.phys.unwatch(page);
    this.pages.clear();
  }
}
