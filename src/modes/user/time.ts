// Clocks, sleeping and interval timers. Sleeps deschedule the thread on a host timer; an
// interval timer is a host timer that signals the process.
import { ERRNO, SIG } from "./abi.js";
import { sendSignal } from "./signals.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";

export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4, REALTIME_COARSE: 5, MONOTONIC_COARSE: 6, BOOTTIME: 7 }; // prettier-ignore
const TIMER_ABSTIME = 1;

const startNs = process.hrtime.bigint();
/** process.hrtime.bigint() when this clock read 0 (an engine on a worker thread reads the same clock). */
export const CLOCK_ORIGIN_NS = startNs;
// Realtime = monotonic + this offset, so both advance together at nanosecond resolution.
const realtimeOffsetNs = BigInt(Date.now()) * 1_000_000n - startNs;

/**
 * Milliseconds on the monotonic clock since start-up. Node's global `performance` loads
 * perf_hooks at its first use (about 5 ms of a hello-world); process.hrtime is there already.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() - startNs) / 1e6;
}

/** Clock `id` now, in nanoseconds (a number: exact to well below a microsecond for centuries). */
export function clockNs(id: number): number {
  const mono = process.hrtime.bigint();
  switch (id) {
    case CLOCK.REALTIME:
    case CLOCK.REALTIME_COARSE:
      return Number(mono + realtimeOffsetNs);
    case CLOCK.MONOTONIC:
    case CLOCK.MONOTONIC_RAW:
    case CLOCK.MONOTONIC_COARSE:
    case CLOCK.BOOTTIME:
      return Number(mono);
    case CLOCK.PROCESS_CPUTIME_ID:
    case CLOCK.THREAD_CPUTIME_ID:
      return Number(mono - startNs);
    default:
      throw new SysError(ERRNO.EINVAL);
  }
}

export function writeTimespec(p: UserProcess, addr: number, ns: number): void {
  const sec = Math.floor(ns / 1e9);
  p.as.setU64(addr, sec);
  p.as.setU64(addr + 8, ns - sec * 1e9);
}

/** A struct timespec in nanoseconds (EINVAL for a bad tv_nsec). */
export function readTimespec(p: UserProcess, addr: number): number {
  const sec = p.as.i64(addr);
  const nsec = p.as.i64(addr + 8);
  if (nsec < 0 || nsec >= 1e9 || sec < 0) throw new SysError(ERRNO.EINVAL);
  return sec * 1e9 + nsec;
}

const MAX_TIMER_MS = 0x7fffffff; // Node's setTimeout limit (about 24.8 days)

/** A host timer of any length (long ones are re-armed); returns the function that cancels it. */
export function hostTimer(ms: number, fn: () => void): () => void {
  const due = monotonicMs() + ms;
  let timer: NodeJS.Timeout;
  const arm = (left: number) => {
    timer = setTimeout(
      () => {
        const rest = due - monotonicMs();
        if (rest > 1) arm(rest);
        else fn();
      },
      Math.min(Math.max(left, 0), MAX_TIMER_MS),
    );
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** Blocks `t` for `ns` nanoseconds; -EINTR if a signal ends the sleep (remaining time to `rem`). */
export function sleep(p: UserProcess, t: Thread, ns: number, rem: number): SysResult {
  if (ns <= 0) return 0;
  const until = clockNs(CLOCK.MONOTONIC) + ns;
  p.pendingHost++;
  const cancelTimer = hostTimer(ns / 1e6, () => p.hostDone(() => p.complete(t, 0)));
  return p.block(t, {
    cancel: () => {
      cancelTimer();
      p.pendingHost--;
      if (rem) {
        try {
          writeTimespec(p, rem, Math.max(0, until - clockNs(CLOCK.MONOTONIC)));
        } catch {
          // the remaining time is best effort
        }
      }
    },
    restartable: false,
  });
}

function clockNanosleep(p: UserProcess, t: Thread): SysResult {
  const id = t.argInt(0);
  const flags = t.argInt(1);
  let ns = readTimespec(p, t.arg(2));
  if (flags & TIMER_ABSTIME) ns -= clockNs(id);
  else clockNs(id); // validates the clock
  return sleep(p, t, ns, flags & TIMER_ABSTIME ? 0 : t.arg(3));
}

// --- interval timers (setitimer; glibc's alarm is setitimer(ITIMER_REAL)) ---
const ITIMER_SIGNALS = [SIG.SIGALRM, SIG.SIGVTALRM, SIG.SIGPROF]; // REAL, VIRTUAL, PROF
const SI_KERNEL = 0x80;

/** An armed interval timer: when it fires next (monotonic ms) and its period (0: once). */
export interface Itimer {
  dueMs: number;
  intervalMs: number;
  cancel: () => void;
}

/** struct timeval (sec, usec) in milliseconds; EINVAL when malformed. */
function readTimeval(p: UserProcess, addr: number): number {
  const sec = p.as.i64(addr);
  const usec = p.as.i64(addr + 8);
  if (sec < 0 || usec < 0 || usec >= 1e6) throw new SysError(ERRNO.EINVAL);
  return sec * 1000 + usec / 1000;
}

function writeTimeval(p: UserProcess, addr: number, ms: number): void {
  const us = Math.ceil(ms * 1000);
  p.as.setU64(addr, Math.floor(us / 1e6));
  p.as.setU64(addr + 8, us % 1e6);
}

/** struct itimerval of timer `which`: the interval, then the time left. */
function writeItimer(p: UserProcess, addr: number, it: Itimer | undefined): void {
  writeTimeval(p, addr, it?.intervalMs ?? 0);
  writeTimeval(p, addr + 16, it ? Math.max(it.dueMs - monotonicMs(), 0.001) : 0);
}

/** Arms timer `which` to fire in `valueMs`, then every `intervalMs`; the scheduler waits for it. */
function armItimer(p: UserProcess, which: number, valueMs: number, intervalMs: number): void {
  p.pendingHost++;
  const it: Itimer = { dueMs: monotonicMs() + valueMs, intervalMs, cancel: () => {} };
  const cancelTimer = hostTimer(valueMs, () =>
    p.hostDone(() => {
      if (p.itimers[which] !== it) return;
      p.itimers[which] = undefined;
      if (intervalMs > 0) armItimer(p, which, intervalMs, intervalMs);
      const main = p.threads[0];
      if (main) sendSignal(p, main, ITIMER_SIGNALS[which], { code: SI_KERNEL, addr: 0 });
    }),
  );
  it.cancel = () => {
    cancelTimer();
    p.pendingHost--;
  };
  p.itimers[which] = it;
}

/**
 * setitimer. ITIMER_VIRTUAL and ITIMER_PROF count wall time here, not the process's CPU time
 * (a guest that runs alone on its host uses about as much of one as of the other).
 */
function setitimer(p: UserProcess, t: Thread): number {
  const which = t.argInt(0);
  if (which < 0 || which > 2) throw new SysError(ERRNO.EINVAL);
  const valueMs = t.arg(1) ? readTimeval(p, t.arg(1) + 16) : 0;
  const intervalMs = t.arg(1) ? readTimeval(p, t.arg(1)) : 0;
  if (t.arg(2)) writeItimer(p, t.arg(2), p.itimers[which]);
  p.itimers[which]?.cancel();
  p.itimers[which] = undefined;
  if (valueMs > 0) armItimer(p, which, valueMs, intervalMs);
  return 0;
}

export const TIME_SYSCALLS: SyscallDef[] = [
  sys(103, "setitimer", "ipp", setitimer),
  sys(102, "getitimer", "ip", (p, t) => {
    const which = t.argInt(0);
    if (which < 0 || which > 2) throw new SysError(ERRNO.EINVAL);
    writeItimer(p, t.arg(1), p.itimers[which]);
    return 0;
  }),
  sys(113, "clock_gettime", "cp", (p, t) => (writeTimespec(p, t.arg(1), clockNs(t.argInt(0))), 0)),
  sys(114, "clock_getres", "cp", (p, t) => {
    clockNs(t.argInt(0));
    if (t.arg(1)) writeTimespec(p, t.arg(1), 1);
    return 0;
  }),
  sys(169, "gettimeofday", "pp", (p, t) => {
    if (t.arg(0)) {
      const us = Math.floor(clockNs(CLOCK.REALTIME) / 1000);
      p.as.setU64(t.arg(0), Math.floor(us / 1e6));
      p.as.setU64(t.arg(0) + 8, us % 1e6);
    }
    if (t.arg(1)) {
      p.as.setU32(t.arg(1), 0);
      p.as.setU32(t.arg(1) + 4, 0);
    }
    return 0;
  }),
  sys(101, "nanosleep", "pp", (p, t) => sleep(p, t, readTimespec(p, t.arg(0)), t.arg(1))),
  sys(115, "clock_nanosleep", "cxpp", clockNanosleep),
  sys(153, "times", "p", (p, t) => {
    const ticks = Math.floor(clockNs(CLOCK.PROCESS_CPUTIME_ID) / 1e7);
    if (t.arg(0)) {
      p.as.out(t.arg(0), 32).fill(0);
      p.as.setU64(t.arg(0), ticks);
    }
    return ticks;
  }),
];
