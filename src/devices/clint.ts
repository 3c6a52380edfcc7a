// Core-local interruptor (sifive,clint0): per-hart software interrupt (msip) and timer
// compare (mtimecmp) registers and the shared mtime counter, which runs at `timebaseHz`
// from the host's monotonic clock.
import type { Device, DeviceState } from "../core/device.js";
import { UserError } from "../core/errors.js";

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

export class Clint implements Device {
  readonly name = "clint";
  private readonly msip: Uint8Array;
  private readonly mtimecmp: Float64Array; // whole ticks, exact below 2^53
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  private readonly startMs = performance.now();
  private offset = 0; // added to the host clock by guest writes to mtime
  private readonly raised: boolean[]; // each hart's timer line as update() last set it

  constructor(
    readonly harts: number,
    private readonly lines: ClintLines,
    readonly timebaseHz = 10_000_000,
    /** Called when a compare or mtime is written: the next deadline may have moved. */
    private readonly armed: () => void = () => {},
  ) {
    this.msip = new Uint8Array(harts);
    this.raised = new Array<boolean>(harts).fill(false);
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
    // A compare whose line update() already raised has nothing left to wait for.
    let next = Infinity;
    for (let h = 0; h < this.harts; h++) if (!this.raised[h]) next = Math.min(next, this.mtimecmp[h]);
    if (next === Infinity) return Infinity;
    return Math.max(0, ((next - this.now()) * 1000) / this.timebaseHz);
  }

  /** Re-evaluates every hart's timer line against mtime. */
  update(): void {
    const t = this.now();
    for (let h = 0; h < this.harts; h++) {
      this.raised[h] = t >= this.mtimecmp[h];
      this.lines.timer(h, this.raised[h]);
    }
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
      this.armed();
      return;
    }
    if (offset === MTIME || offset === MTIME + 4) {
      const t = this.now();
      const lo = offset === MTIME ? value >>> 0 : t % 0x100000000;
      const hi = offset === MTIME ? Math.floor(t / 0x100000000) : value >>> 0;
      this.offset += hi * 0x100000000 + lo - t;
      this.update();
      this.armed();
    }
  }

  /** mtime is saved as a value: a restored machine's clock continues from it. */
  save(): DeviceState {
    return { msip: this.msip.slice(), cmpLo: [...this.cmpLo], cmpHi: [...this.cmpHi], mtime: this.now() };
  }

  restore(state: DeviceState): void {
    const s = state as { msip?: unknown; cmpLo?: unknown; cmpHi?: unknown; mtime?: unknown };
    const words = (v: unknown) =>
      Array.isArray(v) &&
      v.length === this.harts &&
      v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff);
    if (
      !(s.msip instanceof Uint8Array) ||
      s.msip.length !== this.harts ||
      !words(s.cmpLo) ||
      !words(s.cmpHi) ||
      typeof s.mtime !== "number" ||
      !Number.isSafeInteger(s.mtime)
    )
      throw new UserError("saved CLINT state does not fit this board");
    this.msip.set(s.msip);
    for (let h = 0; h < this.harts; h++) {
      this.cmpLo[h] = (s.cmpLo as number[])[h];
      this.cmpHi[h] = (s.cmpHi as number[])[h];
      this.mtimecmp[h] = this.cmpHi[h] * 0x100000000 + this.cmpLo[h];
      this.lines.software(h, this.msip[h] === 1);
    }
    this.offset += s.mtime - this.now();
    this.update();
  }
}
