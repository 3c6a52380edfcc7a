// Goldfish real-time clock (google,goldfish-rtc) as QEMU's hw/rtc/goldfish_rtc.c models it:
// nanoseconds since the Unix epoch, read low half first (which latches the high half), and
// one alarm. The device has no host timer: the machine's run loop asks `nextDeadlineMs()`
// how long it may sleep and calls `poll()` to fire a due alarm.
import type { Device, DeviceState, IrqLine } from "../core/device.js";
import { UserError } from "../core/errors.js";

const TIME_LOW = 0x00;
const TIME_HIGH = 0x04;
const ALARM_LOW = 0x08;
const ALARM_HIGH = 0x0c;
const IRQ_ENABLED = 0x10;
const CLEAR_ALARM = 0x14;
const ALARM_STATUS = 0x18;
const CLEAR_INTERRUPT = 0x1c;

const LOW = 0xffff_ffffn;
const U64 = (1n << 64n) - 1n;

/** The host's wall clock in nanoseconds since the Unix epoch (sub-microsecond precision). */
export function hostWallClockNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

interface RtcState {
  offsetNs: bigint; // guest time minus host time (guest writes to TIME_*)
  alarmNs: bigint;
  alarmRunning: boolean;
  irqPending: boolean;
  irqEnabled: boolean;
  timeHigh: number; // latched by a TIME_LOW read
}

export class GoldfishRtc implements Device {
  readonly name = "goldfish-rtc";
  private s: RtcState = {
    offsetNs: 0n,
    alarmNs: 0n,
    alarmRunning: false,
    irqPending: false,
    irqEnabled: false,
    timeHigh: 0,
  };

  constructor(
    private readonly irq: IrqLine,
    private readonly nowNs: () => bigint = hostWallClockNs,
    /** Called when the alarm is armed: the machine's next deadline may have moved. */
    private readonly armed: () => void = () => {},
  ) {}

  /** Guest time in ns for host time `hostNs`. */
  private count(hostNs: bigint): bigint {
    return (hostNs + this.s.offsetNs) & U64;
  }

  /** Fires the alarm when it is due at host time `hostNs`. */
  poll(hostNs: bigint = this.nowNs()): void {
    if (this.s.alarmRunning && this.count(hostNs) >= this.s.alarmNs) this.raiseAlarm();
  }

  /** Milliseconds until the armed alarm is due (0 if overdue), Infinity when none is armed. */
  nextDeadlineMs(hostNs: bigint = this.nowNs()): number {
    if (!this.s.alarmRunning) return Infinity;
    const left = this.s.alarmNs - this.count(hostNs);
    return left <= 0n ? 0 : Number(left) / 1e6;
  }

  read(offset: number, bytes: 1 | 2 | 4): number {
    if (bytes !== 4) return 0;
    const s = this.s;
    const now = this.nowNs();
    this.poll(now);
    switch (offset) {
      case TIME_LOW: {
        const t = this.count(now);
        s.timeHigh = Number(t >> 32n);
        return Number(t & LOW);
      }
      case TIME_HIGH:
        return s.timeHigh;
      case ALARM_LOW:
        return Number(s.alarmNs & LOW);
      case ALARM_HIGH:
        return Number(s.alarmNs >> 32n);
      case IRQ_ENABLED:
        return s.irqEnabled ? 1 : 0;
      case ALARM_STATUS:
        return s.alarmRunning ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if (bytes !== 4) return;
    const s = this.s;
    const v = BigInt(value >>> 0);
    const now = this.nowNs();
    switch (offset) {
      case TIME_LOW:
      case TIME_HIGH: {
        const t = this.count(now);
        const next = offset === TIME_LOW ? (t & ~LOW) | v : (t & LOW) | (v << 32n);
        s.offsetNs += next - t;
        break;
      }
      case ALARM_LOW:
        s.alarmNs = (s.alarmNs & ~LOW) | v;
        // Writing the low half arms the alarm; one already due fires at once.
        s.alarmRunning = true;
        this.armed();
        break;
      case ALARM_HIGH:
        s.alarmNs = (s.alarmNs & LOW) | (v << 32n);
        break;
      case IRQ_ENABLED:
        s.irqEnabled = (value & 1) === 1;
        break;
      case CLEAR_ALARM:
        s.alarmRunning = false;
        break;
      case CLEAR_INTERRUPT:
        s.irqPending = false;
        break;
      default:
        return;
    }
    this.poll(now);
    this.update();
  }

  private raiseAlarm(): void {
    this.s.alarmRunning = false;
    this.s.irqPending = true;
    this.update();
  }

  private update(): void {
    this.irq(this.s.irqPending && this.s.irqEnabled);
  }

  save(): DeviceState {
    const s = this.s;
    return { ...s, offsetNs: s.offsetNs.toString(), alarmNs: s.alarmNs.toString() };
  }

  restore(state: DeviceState): void {
    const bad = (why: string) => new UserError(`saved goldfish-rtc state: ${why}`);
    const r = state as Record<string, DeviceState>;
    if (typeof state !== "object" || state === null || Array.isArray(state) || state instanceof Uint8Array)
      throw bad("not a record");
    const big = (k: string, min: bigint, max: bigint): bigint => {
      const v = r[k];
      if (typeof v !== "string" || !/^-?\d{1,20}$/.test(v)) throw bad(`${k} is not an integer`);
      const n = BigInt(v);
      if (n < min || n > max) throw bad(`${k} is out of range`);
      return n;
    };
    const bool = (k: string): boolean => {
      const v = r[k];
      if (typeof v !== "boolean") throw bad(`${k} is not a boolean`);
      return v;
    };
    const th = r.timeHigh;
    if (typeof th !== "number" || !Number.isInteger(th) || th < 0 || th > 0xffff_ffff) throw bad("timeHigh");
    this.s = {
      offsetNs: big("offsetNs", -U64, U64),
      alarmNs: big("alarmNs", 0n, U64),
      alarmRunning: bool("alarmRunning"),
      irqPending: bool("irqPending"),
      irqEnabled: bool("irqEnabled"),
      timeHigh: th,
    };
    this.update();
  }
}
