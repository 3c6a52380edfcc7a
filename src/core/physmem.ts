// The physical memory map: RAM (backed by a window of the wasm memory) and MMIO devices.
// ISA-neutral; the plug-in's MMU resolves physical addresses through it.

/** A memory-mapped device. Accesses are 1, 2 or 4 bytes; wider ones arrive as 4-byte halves, low first. */
export interface MmioDevice {
  readonly name: string;
  read(offset: number, bytes: 1 | 2 | 4): number;
  write(offset: number, bytes: 1 | 2 | 4, value: number): void;
}

export interface RamRegion {
  readonly base: number; // guest physical address
  readonly sizeBytes: number;
  readonly hostOffset: number; // where it starts in the wasm memory
}

export interface MmioRegion {
  readonly base: number;
  readonly sizeBytes: number;
  readonly device: MmioDevice;
}

export class PhysMap {
  readonly ram: RamRegion[] = [];
  readonly mmio: MmioRegion[] = [];
  /** Physical pages whose stores must reach the host (an HTIF mailbox, translated code), with a count of watchers. */
  private readonly watched = new Map<number, number>();
  private readonly storeListeners: ((guestPa: number) => void)[] = [];

  /** Stores to RAM page `page` (a page-aligned physical address) now reach the store listeners. */
  watch(page: number): void {
    this.watched.set(page, (this.watched.get(page) ?? 0) + 1);
  }

  unwatch(page: number): void {
    const n = (this.watched.get(page) ?? 0) - 1;
    if (n > 0) this.watched.set(page, n);
    else this.watched.delete(page);
  }

  isWatched(page: number): boolean {
    return this.watched.has(page);
  }

  /** Calls `fn` with the address of every store to a watched page. */
  onStore(fn: (guestPa: number) => void): void {
    this.storeListeners.push(fn);
  }

  notifyStore(guestPa: number): void {
    for (const fn of this.storeListeners) fn(guestPa);
  }

  /** The guest physical address of RAM at host offset `hostOffset`, or -1. */
  physicalOf(hostOffset: number): number {
    for (const r of this.ram) {
      if (hostOffset >= r.hostOffset && hostOffset < r.hostOffset + r.sizeBytes)
        return r.base + (hostOffset - r.hostOffset);
    }
    return -1;
  }

  addRam(r: RamRegion): void {
    this.ram.push(r);
  }

  addMmio(r: MmioRegion): void {
    this.mmio.push(r);
  }

  /** Host offset of `bytes` bytes of RAM at guestPa, or -1 when not all of them are RAM. */
  ramOffset(guestPa: number, bytes: number): number {
    for (const r of this.ram) {
      if (guestPa >= r.base && guestPa + bytes <= r.base + r.sizeBytes)
        return r.hostOffset + (guestPa - r.base);
    }
    return -1;
  }

  findMmio(guestPa: number, bytes: number): MmioRegion | undefined {
    for (const r of this.mmio) {
      if (guestPa >= r.base && guestPa + bytes <= r.base + r.sizeBytes) return r;
    }
    return undefined;
  }
}
