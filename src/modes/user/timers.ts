// Timers that the guest creates and names: timerfd (timerfd_create(2): a descriptor whose
// reads return the expirations as a u64) and POSIX timers (timer_create(2): a signal per
// expiration, with overruns counted as in Linux's posixtimer_rearm). Both count expirations
// from their clock when asked, so a late host timer loses none; the host timer only wakes.
import { ERRNO, NSIG, O, SIG } from "./abi.js";
import { GuestFile, POLLIN, type StatInfo } from "./files.js";
import type { UserProcess } from "./process.js";
import { sendProcessSignal, sendSignal } from "./signals.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { SigInfo, Thread } from "./thread.js";
import { CLOCK, clockNs, hostTimer, readTimespec, writeTimespec } from "./time.js";

const TIMER_ABSTIME = 1;
const TFD_TIMER_ABSTIME = 1;
const TFD_TIMER_CANCEL_ON_SET = 2;
const CLOCK_REALTIME_ALARM = 8;
const CLOCK_BOOTTIME_ALARM = 9;
const SI_TIMER = -2;
const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 };
const INT_MAX = 0x7fffffff;

/** When a timer expires next on its clock, and its period (0: once). */
class Expiry {
  armed = false;
  dueNs = 0;
  intervalNs = 0;
  constructor(readonly clock: number) {}

  /** it_value (absolute on the clock when `abs`) and it_interval; a zero value disarms. */
  set(valueNs: number, intervalNs: number, abs: boolean): void {
    this.armed = valueNs > 0;
    this.intervalNs = intervalNs;
    // An absolute time already past expires at once (and counts the periods since, as Linux does).
    this.dueNs = abs ? valueNs : clockNs(this.clock) + valueNs;
  }

  /** How many expirations have passed since the last call; the timer moves on to its next one. */
  take(): number {
    if (!this.armed) return 0;
    const now = clockNs(this.clock);
    if (now < this.dueNs) return 0;
    if (this.intervalNs === 0) {
      this.armed = false;
      return 1;
    }
    const n = 1 + Math.floor((now - this.dueNs) / this.intervalNs);
    this.dueNs += n * this.intervalNs;
    return n;
  }

  /** Time to the next expiry; a periodic timer whose expiry passed untaken counts from the period after. */
  remainingNs(): number {
    if (!this.armed) return 0;
    const left = this.dueNs - clockNs(this.clock);
    if (left <= 0 && this.intervalNs > 0) return this.intervalNs - (-left % this.intervalNs);
    return Math.max(left, 1);
  }

  /** A host timer for the next expiry (none when disarmed); returns its canceller. */
  wakeAtDue(fn: () => void): (() => void) | undefined {
    if (!this.armed) return undefined;
    return hostTimer(Math.max(0, this.dueNs - clockNs(this.clock)) / 1e6, fn);
  }
}

/** struct itimerspec { it_interval; it_value }, each a timespec. */
function readItimerspec(p: UserProcess, at: number): { intervalNs: number; valueNs: number } {
  return { intervalNs: readTimespec(p, at), valueNs: readTimespec(p, at + 16) };
}

function writeItimerspec(p: UserProcess, at: number, e: Expiry): void {
  p.as.out(at, 32);
  writeTimespec(p, at, e.armed ? e.intervalNs : 0);
  writeTimespec(p, at + 16, e.remainingNs());
}

// --- timerfd ---

export class TimerFd extends GuestFile {
  readonly expiry: Expiry;
  /** Expirations not yet read. */
  private ticks = 0;
  private cancelHost: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(clock: number, flags: number) {
    super(O.RDWR | flags);
    this.expiry = new Expiry(clock);
  }

  private count(): number {
    this.ticks += this.expiry.take();
    return this.ticks;
  }

  /** timerfd_settime: arm or disarm; unread expirations are forgotten. */
  set(valueNs: number, intervalNs: number, abs: boolean): void {
    this.ticks = 0;
    this.expiry.set(valueNs, intervalNs, abs);
    this.schedule();
  }

  private schedule(): void {
    this.cancelHost?.();
    this.cancelHost = this.expiry.wakeAtDue(() => {
      this.cancelHost = undefined;
      if (this.count() > 0) {
        this.edges.in++;
        for (const w of [...this.waiters]) w();
      }
      if (!this.cancelHost) this.schedule();
    });
  }

  override read(dst: Uint8Array): number | undefined {
    if (dst.length < 8) throw new SysError(ERRNO.EINVAL);
    const n = this.count();
    if (n === 0) {
      if (this.flags & O.NONBLOCK) throw new SysError(ERRNO.EAGAIN);
      return undefined;
    }
    this.ticks = 0;
    new DataView(dst.buffer, dst.byteOffset).setBigUint64(0, BigInt(n), true);
    return 8;
  }
  override write(): number {
    throw new SysError(ERRNO.EINVAL);
  }
  override stat(): StatInfo | undefined {
    return undefined;
  }
  override poll(): number {
    return this.count() > 0 ? POLLIN : 0;
  }
  override onReadable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  override anonName(): string {
    return "anon_inode:[timerfd]";
  }
  protected override close(): void {
    this.cancelHost?.();
    this.cancelHost = undefined;
  }
}

function timerfdCreate(p: UserProcess, t: Thread): number {
  const clock = t.argInt(0);
  const flags = t.argInt(1);
  if (flags & ~(O.CLOEXEC | O.NONBLOCK)) throw new SysError(ERRNO.EINVAL);
  if (clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) throw new SysError(ERRNO.EPERM);
  if (clock !== CLOCK.REALTIME && clock !== CLOCK.MONOTONIC && clock !== CLOCK.BOOTTIME)
    throw new SysError(ERRNO.EINVAL);
  return p.fds.add(new TimerFd(clock, flags & O.NONBLOCK), (flags & O.CLOEXEC) !== 0);
}

function timerfdOf(p: UserProcess, fd: number): TimerFd {
  const f = p.fds.get(fd);
  if (!(f instanceof TimerFd)) throw new SysError(ERRNO.EINVAL);
  return f;
}

function timerfdSettime(p: UserProcess, t: Thread): number {
  const flags = t.argInt(1);
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) throw new SysError(ERRNO.EINVAL);
  const f = timerfdOf(p, t.argInt(0));
  const next = readItimerspec(p, t.arg(2));
  if (t.arg(3)) {
    f.poll(); // count what has expired, so the old value is the time to the next expiry
    writeItimerspec(p, t.arg(3), f.expiry);
  }
  f.set(next.valueNs, next.intervalNs, (flags & TFD_TIMER_ABSTIME) !== 0);
  return 0;
}

function timerfdGettime(p: UserProcess, t: Thread): number {
  const f = timerfdOf(p, t.argInt(0));
  f.poll();
  writeItimerspec(p, t.arg(1), f.expiry);
  return 0;
}

// --- POSIX timers ---

export class PosixTimer {
  readonly expiry: Expiry;
  /** timer_getoverrun: the overruns of the last signal taken. */
  overrunLast = 0;
  /** The signal is queued and not yet taken: the timer waits for that to re-arm. */
  private queued = false;
  /** Periods that passed before a late host timer fired: they count as overruns of its signal. */
  private late = 0;
  private cancelHost: (() => void) | undefined;

  constructor(
    private readonly p: UserProcess,
    readonly id: number,
    clock: number,
    readonly notify: number,
    readonly signo: number,
    readonly value: bigint,
    /** The thread of SIGEV_THREAD_ID. */
    readonly tid: number,
  ) {
    this.expiry = new Expiry(clock);
  }

  set(valueNs: number, intervalNs: number, abs: boolean): void {
    this.queued = false;
    this.overrunLast = 0;
    this.expiry.set(valueNs, intervalNs, abs);
    this.schedule();
  }

  private schedule(): void {
    this.cancel();
    if (this.notify === SIGEV.NONE || this.queued) return;
    this.p.pendingHost++;
    this.cancelHost = this.expiry.wakeAtDue(() => {
      this.cancelHost = undefined;
      this.p.hostDone(() => this.fire());
    });
    if (!this.cancelHost) this.p.pendingHost--;
  }

  /** The host timer: signal one expiration (a late host timer's extra ones become overruns). */
  private fire(): void {
    const n = this.expiry.take();
    if (n === 0) return this.schedule();
    this.late = n - 1;
    const info: SigInfo = {
      code: SI_TIMER,
      addr: 0,
      timer: { id: this.id, overrun: 0, value: this.value },
      dequeued: () => this.taken(info),
    };
    const to = this.notify & SIGEV.THREAD_ID ? this.p.threadByTid(this.tid) : undefined;
    // Queued, it re-arms when taken (Linux's posixtimer_rearm), which may happen at once (a
    // waiting sigtimedwait or signalfd); dropped (ignored, or the signal was already pending
    // from elsewhere), it goes on now.
    this.queued = true;
    const sent = to ? sendSignal(this.p, to, this.signo, info) : sendProcessSignal(this.p, this.signo, info);
    const parked = this.p.threads.some((th) => th.siginfo.get(this.signo)?.timer === info.timer);
    if (this.queued && !(sent && parked)) {
      this.queued = false;
      this.schedule();
    }
  }

  /** The signal is taken: the periods missed since it expired are its overrun. */
  private taken(info: SigInfo): void {
    if (!this.queued || this.p.timers.get(this.id) !== this) return;
    this.queued = false;
    const missed = this.late + this.expiry.take();
    this.overrunLast = Math.min(missed, INT_MAX);
    if (info.timer) info.timer.overrun = this.overrunLast;
    this.schedule();
  }

  cancel(): void {
    if (!this.cancelHost) return;
    this.cancelHost();
    this.cancelHost = undefined;
    this.p.pendingHost--;
  }
}

/** struct sigevent: sigev_value at 0, sigev_signo at 8, sigev_notify at 12, sigev_notify_thread_id at 16. */
function timerCreate(p: UserProcess, t: Thread): number {
  const clock = t.argInt(0);
  const sev = t.arg(1);
  const out = t.arg(2);
  if (clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) throw new SysError(ERRNO.EPERM);
  const clocks = [
    CLOCK.REALTIME,
    CLOCK.MONOTONIC,
    CLOCK.BOOTTIME,
    CLOCK.PROCESS_CPUTIME_ID,
    CLOCK.THREAD_CPUTIME_ID,
  ];
  if (!clocks.includes(clock)) throw new SysError(ERRNO.EINVAL);
  let id = 0;
  while (p.timers.has(id)) id++;
  let [notify, signo, value, tid]: [number, number, bigint, number] = [
    SIGEV.SIGNAL,
    SIG.SIGALRM,
    BigInt(id),
    0,
  ];
  if (sev) {
    [value, signo, notify, tid] = [
      p.as.big64(sev),
      p.as.i32(sev + 8),
      p.as.i32(sev + 12),
      p.as.i32(sev + 16),
    ];
    // Linux's good_sigevent.
    if (notify === (SIGEV.SIGNAL | SIGEV.THREAD_ID)) {
      if (!p.threadByTid(tid)) throw new SysError(ERRNO.EINVAL);
    } else if (notify !== SIGEV.SIGNAL && notify !== SIGEV.THREAD && notify !== SIGEV.NONE)
      throw new SysError(ERRNO.EINVAL);
    if (notify !== SIGEV.NONE && (signo <= 0 || signo > NSIG)) throw new SysError(ERRNO.EINVAL);
  }
  p.as.setU32(out, id);
  p.timers.set(
    id,
    new PosixTimer(p, id, clock, notify === SIGEV.THREAD ? SIGEV.SIGNAL : notify, signo, value, tid),
  );
  return 0;
}

function timerOf(p: UserProcess, id: number): PosixTimer {
  const tm = p.timers.get(id);
  if (!tm) throw new SysError(ERRNO.EINVAL);
  return tm;
}

function timerSettime(p: UserProcess, t: Thread): number {
  const tm = timerOf(p, t.argInt(0));
  const next = readItimerspec(p, t.arg(2));
  if (t.arg(3)) writeItimerspec(p, t.arg(3), tm.expiry);
  tm.set(next.valueNs, next.intervalNs, (t.argInt(1) & TIMER_ABSTIME) !== 0);
  return 0;
}

export const TIMER_SYSCALLS: SyscallDef[] = [
  sys(85, "timerfd_create", "cT", timerfdCreate),
  sys(86, "timerfd_settime", "ixpp", timerfdSettime),
  sys(87, "timerfd_gettime", "ip", timerfdGettime),
  sys(107, "timer_create", "cpp", timerCreate),
  sys(
    108,
    "timer_gettime",
    "ip",
    (p, t) => (writeItimerspec(p, t.arg(1), timerOf(p, t.argInt(0)).expiry), 0),
  ),
  sys(109, "timer_getoverrun", "i", (p, t) => timerOf(p, t.argInt(0)).overrunLast),
  sys(110, "timer_settime", "ixpp", timerSettime),
  sys(111, "timer_delete", "i", (p, t) => {
    timerOf(p, t.argInt(0)).cancel();
    p.timers.delete(t.argInt(0));
    return 0;
  }),
];
