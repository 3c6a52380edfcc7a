// Platform-level interrupt controller (sifive,plic-1.0.0) with QEMU virt's layout: two
// contexts per hart (2n = hart n M-mode, 2n+1 = S-mode), 3-bit priorities, level-triggered
// sources. RISC-V PLIC spec §5–§9: a source whose request is claimed is not forwarded again
// until its completion; priority 0 never interrupts; ties go to the lowest source id.
import type { Device, DeviceState } from "../core/device.js";
import { UserError } from "../core/errors.js";

const PRIORITY = 0x0;
const PENDING = 0x1000;
const ENABLE = 0x2000;
const ENABLE_STRIDE = 0x80;
const CONTEXT = 0x20_0000;
const CONTEXT_STRIDE = 0x1000;
const CLAIM = 4; // within a context's threshold/claim block
const PRIORITY_MASK = 7;
export const PLIC_SIZE = 0x60_0000;

/** Drives context `context`'s interrupt line (the board wires it to MEIP/SEIP of hart context >> 1). */
export type PlicOutput = (context: number, level: boolean) => void;

interface PlicState {
  priority: number[]; // by source id; [0] unused
  level: boolean[]; // the source's input line
  pending: boolean[];
  claimed: boolean[]; // claimed and not yet completed
  enable: number[][]; // by context: 32-bit words of enable bits
  threshold: number[]; // by context
}

export class Plic implements Device {
  readonly name = "plic";
  readonly contexts: number;
  private readonly words: number; // enable/pending words per context
  private s: PlicState;
  private readonly lines: boolean[]; // last level given to each context's output

  /** `sources` is the highest source id (QEMU virt: 0x5f, `riscv,ndev`). */
  constructor(
    readonly harts: number,
    private readonly output: PlicOutput,
    readonly sources = 0x5f,
  ) {
    this.contexts = 2 * harts;
    this.words = (sources >> 5) + 1;
    this.s = this.fresh();
    this.lines = new Array<boolean>(this.contexts).fill(false);
  }

  private fresh(): PlicState {
    const n = this.sources + 1;
    return {
      priority: new Array<number>(n).fill(0),
      level: new Array<boolean>(n).fill(false),
      pending: new Array<boolean>(n).fill(false),
      claimed: new Array<boolean>(n).fill(false),
      enable: Array.from({ length: this.contexts }, () => new Array<number>(this.words).fill(0)),
      threshold: new Array<number>(this.contexts).fill(0),
    };
  }

  /** Sets the level of source `irq`'s line (1..sources; others are ignored). */
  setSource(irq: number, level: boolean): void {
    if (!this.isSource(irq)) return;
    const s = this.s;
    // The gateway forwards a level while no request of this source is in flight.
    const pending = s.claimed[irq] ? s.pending[irq] : level;
    if (s.level[irq] === level && s.pending[irq] === pending) return;
    s.level[irq] = level;
    s.pending[irq] = pending;
    this.update();
  }

  read(offset: number, bytes: 1 | 2 | 4): number {
    if (bytes !== 4 || offset & 3) return 0;
    const s = this.s;
    if (offset < PENDING) {
      const irq = (offset - PRIORITY) >> 2;
      return this.isSource(irq) ? s.priority[irq] : 0;
    }
    if (offset < ENABLE) {
      const word = (offset - PENDING) >> 2;
      return word < this.words ? this.pendingWord(word) : 0;
    }
    if (offset < CONTEXT) {
      const ctx = Math.floor((offset - ENABLE) / ENABLE_STRIDE);
      const word = ((offset - ENABLE) % ENABLE_STRIDE) >> 2;
      return ctx < this.contexts && word < this.words ? s.enable[ctx][word] : 0;
    }
    const ctx = Math.floor((offset - CONTEXT) / CONTEXT_STRIDE);
    const reg = (offset - CONTEXT) % CONTEXT_STRIDE;
    if (ctx >= this.contexts) return 0;
    if (reg === 0) return s.threshold[ctx];
    if (reg === CLAIM) return this.claim(ctx);
    return 0;
  }

  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if (bytes !== 4 || offset & 3) return;
    const s = this.s;
    if (offset < PENDING) {
      const irq = (offset - PRIORITY) >> 2;
      if (this.isSource(irq)) s.priority[irq] = value & PRIORITY_MASK;
    } else if (offset < ENABLE) {
      return; // pending bits are read-only
    } else if (offset < CONTEXT) {
      const ctx = Math.floor((offset - ENABLE) / ENABLE_STRIDE);
      const word = ((offset - ENABLE) % ENABLE_STRIDE) >> 2;
      if (ctx >= this.contexts || word >= this.words) return;
      s.enable[ctx][word] = (value & this.validBits(word)) >>> 0;
    } else {
      const ctx = Math.floor((offset - CONTEXT) / CONTEXT_STRIDE);
      const reg = (offset - CONTEXT) % CONTEXT_STRIDE;
      if (ctx >= this.contexts) return;
      if (reg === 0) s.threshold[ctx] = value & PRIORITY_MASK;
      else if (reg === CLAIM) this.complete(ctx, value >>> 0);
    }
    this.update();
  }

  private isSource(irq: number): boolean {
    return Number.isInteger(irq) && irq >= 1 && irq <= this.sources;
  }

  /** The enable bits of `word` that name real sources (bit 0 of word 0 is source 0). */
  private validBits(word: number): number {
    let bits = 0;
    for (let b = 0; b < 32; b++) if (this.isSource(word * 32 + b)) bits |= 1 << b;
    return bits;
  }

  private enabled(ctx: number, irq: number): boolean {
    return ((this.s.enable[ctx][irq >> 5] >>> (irq & 31)) & 1) === 1;
  }

  private pendingWord(word: number): number {
    let bits = 0;
    for (let b = 0; b < 32; b++)
      if (this.isSource(word * 32 + b) && this.s.pending[word * 32 + b]) bits |= 1 << b;
    return bits >>> 0;
  }

  /** The source context `ctx` would claim now, or 0. */
  private best(ctx: number): number {
    const s = this.s;
    let best = 0;
    let bestPriority = s.threshold[ctx];
    for (let irq = 1; irq <= this.sources; irq++) {
      if (s.pending[irq] && s.priority[irq] > bestPriority && this.enabled(ctx, irq)) {
        best = irq;
        bestPriority = s.priority[irq];
      }
    }
    return best;
  }

  private claim(ctx: number): number {
    const irq = this.best(ctx);
    if (irq !== 0) {
      this.s.pending[irq] = false;
      this.s.claimed[irq] = true;
      this.update();
    }
    return irq;
  }

  /** PLIC spec §9: a completion for a source not enabled for this context is ignored. */
  private complete(ctx: number, irq: number): void {
    if (!this.isSource(irq) || !this.enabled(ctx, irq) || !this.s.claimed[irq]) return;
    this.s.claimed[irq] = false;
    this.s.pending[irq] = this.s.level[irq];
  }

  private update(force = false): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const level = this.best(ctx) !== 0;
      if (level !== this.lines[ctx] || force) {
        this.lines[ctx] = level;
        this.output(ctx, level);
      }
    }
  }

  save(): DeviceState {
    const s = this.s;
    return {
      sources: this.sources,
      contexts: this.contexts,
      priority: [...s.priority],
      level: [...s.level],
      pending: [...s.pending],
      claimed: [...s.claimed],
      enable: s.enable.map((w) => [...w]),
      threshold: [...s.threshold],
    };
  }

  restore(state: DeviceState): void {
    const bad = (why: string) => new UserError(`saved plic state: ${why}`);
    const r = state as Record<string, DeviceState>;
    if (typeof state !== "object" || state === null || Array.isArray(state) || state instanceof Uint8Array)
      throw bad("not a record");
    if (r.sources !== this.sources || r.contexts !== this.contexts) throw bad("another PLIC's size");
    const n = this.sources + 1;
    const list = (k: string, len: number, ok: (v: DeviceState) => boolean): DeviceState[] => {
      const v = r[k];
      if (!Array.isArray(v) || v.length !== len || !v.every(ok)) throw bad(`${k} does not fit`);
      return v as DeviceState[];
    };
    const prio = (v: DeviceState) =>
      typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= PRIORITY_MASK;
    const bool = (v: DeviceState) => typeof v === "boolean";
    const u32 = (v: DeviceState) =>
      typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
    const words = (v: DeviceState) => Array.isArray(v) && v.length === this.words && v.every(u32);
    const copy = <T>(v: DeviceState[]) => v.slice() as T[];
    this.s = {
      priority: copy<number>(list("priority", n, prio)),
      level: copy<boolean>(list("level", n, bool)),
      pending: copy<boolean>(list("pending", n, bool)),
      claimed: copy<boolean>(list("claimed", n, bool)),
      enable: (list("enable", this.contexts, words) as number[][]).map((w) =>
        w.map((x, word) => (x & this.validBits(word)) >>> 0),
      ),
      threshold: copy<number>(list("threshold", this.contexts, prio)),
    };
    this.update(true);
  }
}
