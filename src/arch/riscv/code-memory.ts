// Where the recompiler reads guest code, and how it learns that code changed. Two shapes, one
// per memory strategy (sem.ts):
//  - flat (user mode): a guest pc is a wasm offset; the page-permission table says what is
//    executable, and PAGE_CODE marks pages with translations so that stores there take the
//    slow path (which asks the recompiler to flush);
//  - tlb (bare-metal and system modes): a pc is virtual, fetched through the hart's MMU at
//    its current privilege; pages with translations are watched physical pages, whose stores
//    reach the host (PhysMap.watch) and flush.
import type { CodeMemory, CodeView } from "../../core/jit/isa.js";
import type { PhysMap } from "../../core/physmem.js";
import type { Hart } from "./hart.js";
import { PAGE_CODE, PAGE_X, PERM_TABLE_BYTES } from "./sem.js";

/** Calls `protectParcel` for each 16-bit parcel of [pc, pc + bytes): the page holding it holds translated code. */
function eachParcel(pc: number, bytes: number, protectParcel: (pc: number) => void): void {
  for (let a = pc; a < pc + bytes; a += 2) protectParcel(a);
}

/** User mode: guest address = wasm offset + hostOffset, permissions from the page table. */
export class FlatCode implements CodeMemory<Hart> {
  private readonly pages = new Set<number>();
  private readonly view_: CodeView;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly permTable: number,
    hostOffset: number,
  ) {
    this.view_ = {
      host: (pc) => (pc < 2 ** 32 && this.perms()[pc >>> 12] & PAGE_X ? pc + hostOffset : -1),
      protect: (pc, bytes) =>
        eachParcel(pc, bytes, (a) => {
          this.perms()[a >>> 12] |= PAGE_CODE;
          this.pages.add(a >>> 12);
        }),
    };
  }

  private perms(): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.permTable, PERM_TABLE_BYTES);
  }

  view(): CodeView {
    return this.view_;
  }

  unprotectAll(): void {
    const perms = this.perms();
    for (const page of this.pages) perms[page] &= ~PAGE_CODE;
    this.pages.clear();
  }

  /** True when a store to [addr, addr + bytes) would change translated code. */
  isCode(addr: number, bytes: number): boolean {
    const perms = this.perms();
    for (let page = addr >>> 12; page <= (addr + bytes - 1) >>> 12; page++)
      if (perms[page] & PAGE_CODE) return true;
    return false;
  }
}

/** Bare-metal and system modes: code fetched through each hart's MMU, stores watched per physical page. */
export class TlbCode implements CodeMemory<Hart> {
  private readonly pages = new Set<number>();

  constructor(
    private readonly phys: PhysMap,
    private readonly harts: readonly Hart[],
    onStore: () => void,
  ) {
    phys.onStore((pa) => {
      if (this.pages.has(pa - (pa % 4096))) onStore();
    });
  }

  view(hart: Hart): CodeView {
    return {
      // Only pcs below 4 GiB for now: the recompiler keeps pcs in JS numbers.
      host: (pc) => (pc < 2 ** 32 ? hart.mmu.fetchHost(pc) : -1),
      protect: (pc, bytes) => eachParcel(pc, bytes, (a) => this.watch(hart, a)),
    };
  }

  /** Watches the physical page `hart` fetches guest pc from. */
  private watch(hart: Hart, pc: number): void {
    const host = hart.mmu.fetchHost(pc);
    const page = host < 0 ? -1 : this.phys.physicalOf(host);
    if (page < 0 || this.pages.has(page - (page % 4096))) return;
    this.pages.add(page - (page % 4096));
    this.phys.watch(page - (page % 4096));
    // TLB entries made before may let stores to the page skip the host: drop them.
    for (const h of this.harts) h.mmu.flushTlb();
  }

  unprotectAll(): void {
    for (const page of this.pages) this.phys.unwatch(page);
    this.pages.clear();
  }
}
