// futex(2): wait queues keyed by guest address. Every thread runs on the one JS thread, so
// the compare-and-block of FUTEX_WAIT is atomic by construction; a waiter is a descheduled
// thread, woken by FUTEX_WAKE, a timeout or a signal.
import { ERRNO } from "./abi.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { CLOCK, clockNs, hostTimer, readTimespec } from "./time.js";

const FUTEX = { WAIT: 0, WAKE: 1, FD: 2, REQUEUE: 3, CMP_REQUEUE: 4, WAKE_OP: 5, WAIT_BITSET: 9, WAKE_BITSET: 10 }; // prettier-ignore
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;
const BITSET_ALL = -1;

interface Waiter {
  t: Thread;
  bitset: number;
  /** The address whose queue holds the waiter (a requeue changes it). */
  key: number;
  /** Cancels the timeout's host timer, while one is armed. */
  timer: (() => void) | undefined;
}

/** Empty queues kept before a sweep (a lock's queue empties and fills again at every hand-over). */
const MAX_QUEUES = 64;

export class Futexes {
  /**
   * Waiters by address, in arrival order. A queue that empties stays in the map (deleting and
   * adding a hot lock's entry at every hand-over made the map allocate and rehash); empty ones
   * are swept when a new queue would make more than MAX_QUEUES.
   */
  private readonly queues = new Map<number, Waiter[]>();
  constructor(private readonly p: UserProcess) {}

  /** Takes `w` off its queue and stops its timer. */
  private detach(w: Waiter): void {
    const q = this.queues.get(w.key);
    if (q) remove(q, q.indexOf(w));
    this.stopTimer(w);
  }

  private stopTimer(w: Waiter): void {
    if (w.timer) {
      w.timer();
      w.timer = undefined;
      this.p.pendingHost--;
    }
  }

  /** The queue of `addr`, made when there is none. */
  private queue(addr: number): Waiter[] {
    let q = this.queues.get(addr);
    if (q) return q;
    if (this.queues.size >= MAX_QUEUES)
      for (const [key, other] of this.queues) if (other.length === 0) this.queues.delete(key);
    this.queues.set(addr, (q = []));
    return q;
  }

  /** Blocks `t` on `addr` until woken, or until the monotonic deadline (ns) passes. */
  wait(t: Thread, addr: number, bitset: number, deadlineNs: number | undefined): SysResult {
    const p = this.p;
    const w: Waiter = { t, bitset, key: addr, timer: undefined };
    this.queue(addr).push(w);
    if (deadlineNs !== undefined) {
      const ms = Math.max(0, (deadlineNs - clockNs(CLOCK.MONOTONIC)) / 1e6);
      p.pendingHost++;
      w.timer = hostTimer(ms, () => {
        w.timer = undefined;
        p.hostDone(() => {
          this.detach(w);
          p.complete(t, -ERRNO.ETIMEDOUT);
        });
      });
    }
    return p.block(t, { cancel: () => this.detach(w), restartable: false });
  }

  wake(addr: number, n: number, bitset = BITSET_ALL): number {
    const q = this.queues.get(addr);
    if (!q) return 0;
    let woken = 0;
    for (let i = 0; i < q.length && woken < n;) {
      const w = q[i];
      if ((w.bitset & bitset) === 0) {
        i++;
        continue;
      }
      remove(q, i);
      this.stopTimer(w);
      this.p.complete(w.t, 0);
      woken++;
    }
    return woken;
  }

  /** Wakes `n` waiters on `from` and moves up to `n2` others to `to`. */
  requeue(from: number, n: number, to: number, n2: number): number {
    const woken = this.wake(from, n);
    const q = this.queues.get(from);
    if (!q || n2 <= 0 || q.length === 0) return woken;
    const moved = q.splice(0, n2);
    const dest = this.queue(to);
    for (const w of moved) {
      w.key = to;
      dest.push(w);
    }
    return woken + moved.length;
  }
}

/** Removes element `i` of `q` (nothing when i < 0), keeping the others in order. */
function remove(q: Waiter[], i: number): void {
  if (i < 0) return;
  for (let j = i; j < q.length - 1; j++) q[j] = q[j + 1];
  q.length--;
}

function wakeOp(p: UserProcess, uaddr: number, n: number, uaddr2: number, n2: number, val3: number): number {
  const op = (val3 >>> 28) & 7;
  const cmp = (val3 >>> 24) & 15;
  let oparg = (val3 << 8) >> 20; // 12-bit signed
  const cmparg = (val3 << 20) >> 20;
  if ((val3 >>> 28) & 8) oparg = 1 << (oparg & 31);
  const old = p.as.i32(uaddr2);
  const ops = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg];
  if (op > 4) throw new SysError(ERRNO.ENOSYS);
  p.as.setU32(uaddr2, ops[op]);
  let woken = p.futexes.wake(uaddr, n);
  const tests = [old === cmparg, old !== cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg];
  if (cmp > 5) throw new SysError(ERRNO.ENOSYS);
  if (tests[cmp]) woken += p.futexes.wake(uaddr2, n2);
  return woken;
}

function futex(p: UserProcess, t: Thread): SysResult {
  const uaddr = t.arg(0);
  const op = t.argInt(1);
  const val = t.argInt(2);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (uaddr % 4) throw new SysError(ERRNO.EINVAL);
  const f = p.futexes;
  switch (cmd) {
    case FUTEX.WAIT:
    case FUTEX.WAIT_BITSET: {
      const bitset = cmd === FUTEX.WAIT ? BITSET_ALL : t.argInt(5);
      if (bitset === 0) throw new SysError(ERRNO.EINVAL);
      const tsp = t.arg(3);
      let deadline: number | undefined;
      if (tsp) {
        const ns = readTimespec(p, tsp);
        if (cmd === FUTEX.WAIT) deadline = clockNs(CLOCK.MONOTONIC) + ns;
        else if (op & FUTEX_CLOCK_REALTIME)
          deadline = clockNs(CLOCK.MONOTONIC) + (ns - clockNs(CLOCK.REALTIME));
        else deadline = ns;
      }
      if (p.as.i32(uaddr) !== val) return -ERRNO.EAGAIN;
      return f.wait(t, uaddr, bitset, deadline);
    }
    case FUTEX.WAKE:
      p.as.u32(uaddr);
      return f.wake(uaddr, val);
    case FUTEX.WAKE_BITSET: {
      const bitset = t.argInt(5);
      if (bitset === 0) throw new SysError(ERRNO.EINVAL);
      return f.wake(uaddr, val, bitset);
    }
    case FUTEX.REQUEUE:
    case FUTEX.CMP_REQUEUE: {
      const uaddr2 = t.arg(4);
      if (uaddr2 % 4 || val < 0) throw new SysError(ERRNO.EINVAL);
      if (cmd === FUTEX.CMP_REQUEUE && p.as.i32(uaddr) !== t.argInt(5)) return -ERRNO.EAGAIN;
      return f.requeue(uaddr, val, uaddr2, t.argInt(3));
    }
    case FUTEX.WAKE_OP:
      return wakeOp(p, uaddr, val, t.arg(4), t.argInt(3), t.argInt(5));
    default:
      return -ERRNO.ENOSYS;
  }
}

export const FUTEX_SYSCALLS: SyscallDef[] = [sys(98, "futex", "pFipxpx", futex)];
