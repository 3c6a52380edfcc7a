// The wasm memory of a machine: VMM-private regions (hart state, TLBs, tables) and guest RAM.
// By default the VMM regions sit at the bottom and RAM above them (system and bare-metal
// modes, where guest code reaches RAM only through the TLB). With `vmmAtTop` RAM starts at
// host offset 0 and the VMM regions follow it at the top of the memory: user mode maps guest
// addresses straight onto host offsets, and its window check keeps guest code below them.

export const WASM_PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the limit of a 32-bit wasm memory

export interface MemoryLayoutOptions {
  /** Put RAM at host offset 0 and the VMM regions above it. */
  readonly vmmAtTop?: boolean;
}

export class MemoryLayout {
  private next: number;
  private readonly vmmEnd: number;
  readonly memory: WebAssembly.Memory;
  readonly ramHostOffset: number;
  readonly pages: number;

  /** `vmmBytes` reserves room for VMM regions; RAM is 64 KiB aligned. */
  constructor(
    vmmBytes: number,
    readonly ramBytes: number,
    readonly shared = false,
    opts: MemoryLayoutOptions = {},
  ) {
    if (opts.vmmAtTop) {
      this.ramHostOffset = 0;
      this.next = Math.ceil(ramBytes / WASM_PAGE) * WASM_PAGE;
      this.vmmEnd = this.next + vmmBytes;
      this.pages = Math.ceil(this.vmmEnd / WASM_PAGE);
    } else {
      this.next = WASM_PAGE; // keep the first wasm page unused: a null host offset is never valid
      this.ramHostOffset = Math.ceil((WASM_PAGE + vmmBytes) / WASM_PAGE) * WASM_PAGE;
      this.vmmEnd = this.ramHostOffset;
      // Room after RAM: the interpreter reads four bytes at an instruction's address, also
      // in the last two bytes of a page (interp.ts, emitFetch).
      this.pages = Math.ceil((this.ramHostOffset + ramBytes + 2) / WASM_PAGE);
    }
    if (this.pages > MAX_PAGES) throw new RangeError("RAM does not fit in a 4 GiB wasm memory");
    this.memory = new WebAssembly.Memory({ initial: this.pages, maximum: this.pages, shared });
  }

  /** Reserves a VMM region of `bytes`, aligned to `align`. */
  alloc(bytes: number, align = 64): number {
    const at = Math.ceil(this.next / align) * align;
    if (at + bytes > this.vmmEnd) throw new RangeError("VMM region overflows into RAM");
    this.next = at + bytes;
    return at;
  }
}
