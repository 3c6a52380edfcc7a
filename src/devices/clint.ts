// Core-local interruptor (sifive,clint0): per-hart software interrupt (msip) and timer
// compare (mtimecmp) registers and the shared mtime counter, which runs at `timebaseHz`
// from the host's monotonic clock.
import type { MmioDevice } from "../core/physmem.js";

export interface ClintLines {
  /** Raise or lower hart `hart`'s machine software interrupt line. */
  software(hart: number, level: boolean): void;
  /** Raise or lower hart `hart`'s machine timer interrupt line. */
  timer(hart: number, level: boolean): void;
}

const MSIP = 0x0;
const MTIMECMP = 0x4000;
const MTIME = 0xbff8;
export const CLINT_SIZE = 0x10000;

export class Clint implements MmioDevice {
  readonly name = "clint";
  private readonly msip: Uint8Array;
  private readonly mtimecmp: Float64Array; // whole ticks, exact below 2^53
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  private readonly startMs = performance.now();
  private offset = 0; // added to the host clock by guest writes to mtime

  constructor(
    readonly harts: number,
    private readonly lines: ClintLines,
    readonly timebaseHz = 10_000_000,
  ) {
    this.msip = new Uint8Array(harts);
    this.mtimecmp = new Float64Array(harts).fill(Infinity);
    this.cmpLo = new Uint32Array(harts).fill(0xffffffff);
    this.cmpHi = new Uint32Array(harts).fill(0xffffffff);
  }

  /** mtime in ticks. */
  now(): number {
    return Math.floor(((performance.now() - this.startMs) * this.timebaseHz) / 1000) + this.offset;
  }

  /** Milliseconds until the earliest armed timer fires (Infinity when none is armed). */
  msUntilNextTimer(): number {
    const next = Math.min(...this.mtimecmp) - this.now();
    return next <= 0 ? 0 : (next * 1000) / this.timebaseHz;
  }

  /** Re-evaluates every hart's timer line against mtime. */
  update(): void {
    const t = this.now();
    for (let h = 0; h < this.harts; h++) this.lines.timer(h, t >= this.mtimecmp[h]);
  }

  read(offset: number, bytes: 1 | 2 | 4): number {
    if (bytes !== 4) return 0;
    if (offset < MSIP + 4 * this.harts) return this.msip[offset >> 2];
    const cmp = offset - MTIMECMP;
    if (cmp >= 0 && cmp < 8 * this.harts) return cmp & 4 ? this.cmpHi[cmp >> 3] : this.cmpLo[cmp >> 3];
    if (offset === MTIME || offset === MTIME + 4) {
      const t = this.now();
      return offset === MTIME ? t % 0x100000000 : Math.floor(t / 0x100000000);
    }
    return 0;
  }

  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if (bytes !== 4) return;
    if (offset < MSIP + 4 * this.harts) {
      this.msip[offset >> 2] = value & 1;
      this.lines.software(offset >> 2, (value & 1) === 1);
      return;
    }
    const cmp = offset - MTIMECMP;
    if (cmp >= 0 && cmp < 8 * this.harts) {
      const h = cmp >> 3;
      if (cmp & 4) this.cmpHi[h] = value >>> 0;
      else this.cmpLo[h] = value >>> 0;
      this.mtimecmp[h] = this.cmpHi[h] * 0x100000000 + this.cmpLo[h];
      this.update();
      return;
    }
    if (offset === MTIME || offset === MTIME + 4) {
      const t = this.now();
      const lo = offset === MTIME ? value >>> 0 : t % 0x100000000;
      const hi = offset === MTIME ? Math.floor(t / 0x100000000) : value >>> 0;
      this.offset += hi * 0x100000000 + lo - t;
      this.update();
    }
  }
}
