// A system machine: RAM, the devices on its bus, the harts and the run loop that shares the
// host thread between them. ISA-neutral: the CPU comes from a plug-in, devices from the board.
//
// The loop runs each runnable hart for a slice, then lets time-driven devices and per-hart
// timers catch up and takes pending interrupts. A slice ends before the earliest timer
// deadline: it covers half the time left at the rate the harts ran at lately, then the next
// slice half of what is left, and so on, so a timer interrupt is taken close to its
// deadline however long slices are, even when the rate changes (translated code runs
// several times faster than interpreted). A hart that executes WFI with nothing pending is
// parked; when every hart is parked the loop sleeps on the host until the earliest timer
// deadline or until something wakes it (console input), so an idle guest costs nothing.
import type { Cpu } from "./isa.js";
import type { Device, DeviceState } from "./device.js";
import type { PhysMap } from "./physmem.js";

/** How a machine's run ended. */
export type MachineExit =
  | { readonly kind: "poweroff" }
  | { readonly kind: "fail"; readonly code: number }
  | { readonly kind: "reset" }
  | { readonly kind: "quit" }
  | { readonly kind: "error"; readonly message: string };

/** Something whose state changes with time: polled between slices, asked when it next needs to be. */
export interface Timed {
  /** Brings the state up to date with the host clock (raises lines that came due). */
  poll(): void;
  /** Milliseconds until poll() next has work to do; Infinity when nothing is armed. */
  msUntilDue(): number;
}

export const enum HartRun {
  Running,
  /** Executed WFI with nothing pending: runs again when an interrupt becomes pending. */
  Waiting,
  /** Not started or stopped (a firmware's hart state management): runs again when started. */
  Stopped,
}

/**
 * How long a slice lasts by default, at the recent instruction rate, and the fewest and most
 * instructions it may have. One hart running (the others wait in WFI or are stopped): long
 * enough that the loop costs nothing, short enough that input is served well within a
 * millisecond (timer deadlines and device interrupts end a slice anyway, and so does an
 * interrupt that wakes a waiting hart, interruptRaised). Several harts running share the
 * thread, and one that spins on a lock or waits for an IPI's answer holds up the hart it waits
 * for for a whole slice, unless the plug-in ends its turn where the guest says it spins (a
 * spin-wait hint): shorter slices (measured before the plug-in did so: OpenSBI on 2 harts
 * boots Linux 2.2x faster at 2K instructions than 32K, in the interpreter).
 * A length in time rather than instructions keeps translated code, which runs ten to thirty
 * times as many instructions in that time, from paying the loop's cost ten to thirty times as often.
 */
const SLICE_ONE_HART = { ms: 0.5, min: 1 << 15, max: 1 << 22 };
const SLICE_SMP = { ms: 0.05, min: 1 << 11, max: 1 << 16 };
/**
 * The shortest slice a coming deadline cuts one to: shorter ones cost the loop more than
 * they gain (256 instructions are about a microsecond).
 */
const MIN_SLICE = 256;
/** The instruction rate is measured over windows of at least this long; the last one counts. */
const RATE_WINDOW_MS = 0.5;
/** The loop yields to the host's event loop (console input, signals) at least this often. */
const YIELD_MS = 8;
/** Longer sleeps than setTimeout can time are waits without a deadline. */
const MAX_SLEEP_MS = 2 ** 31 - 1;

export interface MachineParts {
  readonly phys: PhysMap;
  readonly cpu: Cpu;
  /** Devices by name, for saving their state. */
  readonly devices: ReadonlyMap<string, Device>;
  readonly timed: readonly Timed[];
  /** Instructions per slice at most (default: by the number of harts, as above). */
  readonly sliceInsns?: number;
}

export class Machine {
  readonly phys: PhysMap;
  readonly cpu: Cpu;
  readonly devices: ReadonlyMap<string, Device>;
  private readonly timed: readonly Timed[];
  readonly hartRun: HartRun[];
  private exit: MachineExit | undefined;
  private wakeUp: (() => void) | undefined;
  private lastYield = 0;
  /** Instructions per slice given by the user (--slice), or undefined: by time (SLICE_ONE_HART, SLICE_SMP). */
  private readonly slice: number | undefined;
  /** Instructions per millisecond the harts ran at over the last window; 0 = not yet measured. */
  private ratePerMs = 0;
  private windowInsns = 0;
  private windowMs = 0;
  /** The hart whose slice is running, or -1. */
  private current = -1;

  constructor(parts: MachineParts) {
    this.phys = parts.phys;
    this.cpu = parts.cpu;
    this.devices = parts.devices;
    this.timed = parts.timed;
    this.hartRun = Array.from({ length: parts.cpu.hartCount }, () => HartRun.Running);
    const slice = parts.sliceInsns;
    if (slice !== undefined && (!Number.isInteger(slice) || slice < 1))
      throw new Error(`slice of ${slice} instructions`);
    this.slice = slice;
  }

  /** Ends the run with `exit` after the instruction in progress (device and firmware code call this). */
  finish(exit: MachineExit): void {
    this.exit ??= exit;
    for (let h = 0; h < this.cpu.hartCount; h++) this.cpu.stop(h);
    this.wake();
  }

  /** Parks `hart` until started again (it stops after the instruction in progress). */
  stopHart(hart: number): void {
    this.hartRun[hart] = HartRun.Stopped;
    this.cpu.stop(hart);
  }

  /** `hart` waits as after WFI (it stops after the instruction in progress) until an interrupt is pending. */
  park(hart: number): void {
    this.hartRun[hart] = HartRun.Waiting;
    this.cpu.stop(hart);
  }

  startHart(hart: number): void {
    this.hartRun[hart] = HartRun.Running;
    this.wake();
  }

  /**
   * A timer was armed or moved (device and firmware code call this): the running slice was
   * sized for the old deadlines, so it ends after the instruction in progress and the next
   * one is sized for the new.
   */
  timerArmed(): void {
    if (this.current >= 0) this.cpu.stop(this.current);
  }

  /**
   * An interrupt line of `hart` rose (device and firmware code call this). A hart waiting in
   * WFI that it wakes runs only after the running slice, which may be a long one-hart slice,
   * while the sender may be about to wait for its answer: so that slice ends after the
   * instruction in progress.
   */
  interruptRaised(hart: number): void {
    const cur = this.current;
    if (cur >= 0 && cur !== hart && this.hartRun[hart] === HartRun.Waiting && this.cpu.wakeable(hart))
      this.cpu.stop(cur);
    this.wake();
  }

  /** Wakes a sleeping run loop (input arrived, a hart was started). */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Runs until the guest powers off, fails, resets, or finish() is called. */
  async run(): Promise<MachineExit> {
    const cpu = this.cpu;
    const harts = cpu.hartCount;
    this.lastYield = performance.now();
    while (this.exit === undefined) {
      let running = 0;
      const start = performance.now();
      const budget = this.sliceBudget();
      let ran = 0;
      for (let h = 0; h < harts && this.exit === undefined; h++) {
        if (this.hartRun[h] !== HartRun.Running) continue;
        const before = cpu.instret(h);
        this.current = h;
        if (cpu.step(h, budget) === "wfi" && this.hartRun[h] === HartRun.Running)
          this.hartRun[h] = HartRun.Waiting;
        this.current = -1;
        ran += cpu.instret(h) - before;
      }
      if (this.exit !== undefined) break;
      this.measureRate(ran, performance.now() - start);
      for (const t of this.timed) t.poll();
      for (let h = 0; h < harts; h++) {
        if (this.hartRun[h] === HartRun.Waiting && cpu.wakeable(h)) this.hartRun[h] = HartRun.Running;
        if (this.hartRun[h] === HartRun.Running) {
          cpu.checkInterrupts(h);
          running++;
        }
      }
      if (running === 0) await this.idle();
      else if (performance.now() - this.lastYield >= YIELD_MS) await this.yieldToHost();
    }
    return this.exit;
  }

  /**
   * Instructions each running hart runs in the next slice: together, what the recent rate
   * gets through in half the time to the earliest deadline (the harts run one after another).
   */
  private sliceBudget(): number {
    let running = 0;
    for (const r of this.hartRun) if (r === HartRun.Running) running++;
    const perHartPerMs = this.ratePerMs / Math.max(1, running);
    let slice = this.slice;
    if (slice === undefined) {
      const d = running <= 1 ? SLICE_ONE_HART : SLICE_SMP;
      slice = Math.min(d.max, Math.max(d.min, Math.floor(perHartPerMs * d.ms)));
    }
    if (this.ratePerMs === 0) return Math.min(slice, MIN_SLICE);
    let ms = Infinity;
    for (const t of this.timed) ms = Math.min(ms, t.msUntilDue());
    if (ms === Infinity) return slice;
    return Math.min(slice, Math.max(MIN_SLICE, Math.floor((ms * perHartPerMs) / 2)));
  }

  private measureRate(insns: number, ms: number): void {
    this.windowInsns += insns;
    this.windowMs += ms;
    if (this.windowMs < RATE_WINDOW_MS) return;
    this.ratePerMs = Math.max(this.windowInsns / this.windowMs, 1);
    this.windowInsns = 0;
    this.windowMs = 0;
  }

  private async yieldToHost(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }

  /** Every hart waits: sleep until the earliest deadline, or until wake(). */
  private async idle(): Promise<void> {
    let ms = Infinity;
    for (const t of this.timed) ms = Math.min(ms, t.msUntilDue());
    if (ms <= 0) return this.yieldToHost();
    if (ms > MAX_SLEEP_MS && !this.inputPossible) {
      this.finish({ kind: "error", message: "every hart waits for an interrupt that nothing can raise" });
      return;
    }
    await new Promise<void>((resolve) => {
      // A deadline years away (a guest disarms its timer with an all-ones compare) is no deadline.
      const timer = ms > MAX_SLEEP_MS ? undefined : setTimeout(() => this.wake(), Math.max(1, Math.ceil(ms)));
      this.wakeUp = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
    this.lastYield = performance.now();
  }

  /** Something outside the harts (console input) may still wake them. */
  inputPossible = true;

  /** Every device's state, by name (a snapshot adds RAM and the harts). */
  saveDevices(): Record<string, DeviceState> {
    const out: Record<string, DeviceState> = {};
    for (const [name, d] of this.devices) out[name] = d.save();
    return out;
  }
}
