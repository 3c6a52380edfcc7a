// The wasm memory of a machine: VMM-private regions (hart state, TLBs, tables) at the bottom,
// guest RAM above them. Guest code can reach only the RAM window (through the TLB).

export const WASM_PAGE = 65536;

export class MemoryLayout {
  private next = WASM_PAGE; // keep the first wasm page unused: a null host offset is never valid
  readonly memory: WebAssembly.Memory;
  readonly ramHostOffset: number;
  readonly pages: number;

  /** `vmmBytes` reserves room for VMM regions; RAM follows, 64 KiB aligned. */
  constructor(
    vmmBytes: number,
    readonly ramBytes: number,
    readonly shared = false,
  ) {
    this.ramHostOffset = Math.ceil((WASM_PAGE + vmmBytes) / WASM_PAGE) * WASM_PAGE;
    this.pages = Math.ceil((this.ramHostOffset + ramBytes) / WASM_PAGE);
    if (this.pages > 65536) throw new RangeError("RAM does not fit in a 4 GiB wasm memory");
    this.memory = new WebAssembly.Memory({ initial: this.pages, maximum: this.pages, shared });
  }

  /** Reserves a VMM region of `bytes`, aligned to `align`. */
  alloc(bytes: number, align = 64): number {
    const at = Math.ceil(this.next / align) * align;
    if (at + bytes > this.ramHostOffset) throw new RangeError("VMM region overflows into RAM");
    this.next = at + bytes;
    return at;
  }
}
