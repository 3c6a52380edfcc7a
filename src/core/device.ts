// What devices share with the machine: saveable state, interrupt lines and DMA into guest
// RAM. ISA-neutral: a device never sees a hart, only the lines and memory the board gives it.
import type { MmioDevice, PhysMap } from "./physmem.js";

/** Plain data a device's state is saved as: numbers, strings, booleans, byte arrays, nested. */
export type DeviceState =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | readonly DeviceState[]
  | { readonly [key: string]: DeviceState };

/** A device on the board: MMIO registers plus explicit state that a snapshot can hold. */
export interface Device extends MmioDevice {
  save(): DeviceState;
  /** Replaces the state with a saved one; a state that does not fit is a thrown UserError. */
  restore(state: DeviceState): void;
}

/** One interrupt line into an interrupt controller (level-triggered). */
export type IrqLine = (level: boolean) => void;

/**
 * Device access to guest physical memory (virtio rings and buffers). Every method checks that
 * the whole range is RAM and answers `undefined`/`false` otherwise: a bad guest address is a
 * device error, never a host exception. Writes reach the store listeners of watched pages, so
 * DMA over translated code invalidates it like a store from a hart.
 */
export class GuestMemory {
  private readonly dv: DataView;
  constructor(
    private readonly phys: PhysMap,
    private readonly u8: Uint8Array,
  ) {
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  }

  /** Host offset of [pa, pa + bytes), or -1 when not all RAM (pa may be any number the guest wrote). */
  private offset(pa: number, bytes: number): number {
    if (!Number.isSafeInteger(pa) || pa < 0 || !Number.isSafeInteger(bytes) || bytes < 0) return -1;
    return this.phys.ramOffset(pa, Math.max(bytes, 1));
  }

  /** A view of guest RAM (no copy), or undefined when the range is not all RAM. */
  view(pa: number, bytes: number): Uint8Array | undefined {
    const off = this.offset(pa, bytes);
    return off < 0 ? undefined : this.u8.subarray(off, off + bytes);
  }

  read(pa: number, bytes: number): Uint8Array | undefined {
    return this.view(pa, bytes)?.slice();
  }

  write(pa: number, data: Uint8Array): boolean {
    const off = this.offset(pa, data.length);
    if (off < 0) return false;
    this.u8.set(data, off);
    this.touched(pa, data.length);
    return true;
  }

  u16(pa: number): number | undefined {
    const off = this.offset(pa, 2);
    return off < 0 ? undefined : this.dv.getUint16(off, true);
  }
  u32(pa: number): number | undefined {
    const off = this.offset(pa, 4);
    return off < 0 ? undefined : this.dv.getUint32(off, true);
  }
  /** A 64-bit value as a number (exact below 2^53; larger values are never RAM addresses anyway). */
  u64(pa: number): number | undefined {
    const off = this.offset(pa, 8);
    return off < 0
      ? undefined
      : this.dv.getUint32(off + 4, true) * 0x1_0000_0000 + this.dv.getUint32(off, true);
  }
  setU16(pa: number, v: number): boolean {
    const off = this.offset(pa, 2);
    if (off < 0) return false;
    this.dv.setUint16(off, v, true);
    this.touched(pa, 2);
    return true;
  }
  setU32(pa: number, v: number): boolean {
    const off = this.offset(pa, 4);
    if (off < 0) return false;
    this.dv.setUint32(off, v >>> 0, true);
    this.touched(pa, 4);
    return true;
  }

  /** Tells the watchers of every page in [pa, pa + bytes) that it was written. */
  touched(pa: number, bytes: number): void {
    for (let page = pa - (pa % 4096); page < pa + bytes; page += 4096) {
      if (this.phys.isWatched(page)) this.phys.notifyStore(Math.max(page, pa));
    }
  }
}
