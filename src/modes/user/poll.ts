// Readiness: ppoll, pselect6, epoll (epoll_create1/ctl/pwait) and eventfd. Host files and
// streams always count as ready (a read of a host stream then blocks the thread alone); guest
// pipes, sockets, eventfds, timerfds and signalfds report their real state and wake waiters
// when it changes.
import { ERRNO, O, PROT_READ, PROT_WRITE } from "./abi.js";
import { GuestFile, MAX_FDS, POLLERR, POLLHUP, POLLIN, POLLOUT, type StatInfo } from "./files.js";
import { EventFd } from "./pipes.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { UNBLOCKABLE } from "./signals.js";
import { CLOCK, clockNs, hostTimer, readTimespec, writeTimespec } from "./time.js";

const POLLNVAL = 0x20;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3; // prettier-ignore
const EPOLLONESHOT = 1 << 30;
const EPOLLET = 1 << 31;
/** Flags rather than events (Linux's EP_PRIVATE_BITS: EPOLLWAKEUP, EPOLLONESHOT, EPOLLET, EPOLLEXCLUSIVE). */
const EP_PRIVATE_BITS = (1 << 29) | EPOLLONESHOT | EPOLLET | (1 << 28);
/** The events that readers' and writers' wake-ups carry (EPOLLIN, PRI, RDNORM, RDBAND, RDHUP; EPOLLOUT, WRNORM, WRBAND). */
const IN_EVENTS = 0x1 | 0x2 | 0x40 | 0x80 | 0x2000;
const OUT_EVENTS = 0x4 | 0x100 | 0x200;
const EFD_SEMAPHORE = 1;

interface Interest {
  events: number;
  data: bigint;
  file: GuestFile;
  /** EPOLLET: the file's wake-up counts when the entry was last looked at (see Edges). */
  seenIn: number;
  seenOut: number;
  /** EPOLLET: ready at ADD or MOD counts as an edge (ep_insert and ep_modify queue a ready file). */
  armed: boolean;
}

/**
 * Whether an edge-triggered entry has been woken since it was last looked at: by a wake-up
 * its events hear (an entry with neither kind hears every one, for EPOLLHUP and EPOLLERR).
 * Looking consumes the edge, reported or not, as Linux drops an entry from the ready list
 * when it finds nothing to report.
 */
function takeEdge(p: UserProcess, it: Interest): boolean {
  const e = it.file.edgesFor(p);
  const wantIn = (it.events & IN_EVENTS) !== 0 || !(it.events & OUT_EVENTS);
  const wantOut = (it.events & OUT_EVENTS) !== 0 || !(it.events & IN_EVENTS);
  const fresh = it.armed || (wantIn && e.in !== it.seenIn) || (wantOut && e.out !== it.seenOut);
  [it.seenIn, it.seenOut, it.armed] = [e.in, e.out, false];
  return fresh;
}

class EpollFile extends GuestFile {
  readonly interest = new Map<number, Interest>();
  constructor() {
    super(O.RDONLY);
  }
  override read(): number {
    throw new SysError(ERRNO.EINVAL);
  }
  override write(): number {
    throw new SysError(ERRNO.EINVAL);
  }
  override stat(): StatInfo | undefined {
    return undefined;
  }
}

/** What ppoll and pselect6 add to a wait: a signal mask for its duration, and a last word. */
interface WaitOptions {
  /** The mask while blocked; a handler that interrupts the wait returns to the caller's mask. */
  sigmask?: bigint;
  /** Called with the result when the wait ends without a signal. */
  done?: (result: number) => void;
}

/**
 * Scans with `scan` (which returns how many are ready); if none and the timeout allows,
 * blocks until a watched file changes or `timeoutMs` passes (negative: no timeout).
 */
function waitReady(
  p: UserProcess,
  t: Thread,
  files: GuestFile[],
  timeoutMs: number,
  scan: () => number,
  opts: WaitOptions = {},
): SysResult {
  const ready = scan();
  if (ready || timeoutMs === 0) {
    opts.done?.(ready);
    return ready;
  }
  if (opts.sigmask !== undefined) {
    t.suspendMask = t.sigmask;
    t.sigmask = opts.sigmask & ~UNBLOCKABLE;
  }
  const finish = (r: number) => {
    if (opts.sigmask !== undefined && t.suspendMask !== undefined) {
      t.sigmask = t.suspendMask;
      t.suspendMask = undefined;
    }
    opts.done?.(r);
    p.complete(t, r);
  };
  const stops: (() => void)[] = [];
  let timer: (() => void) | undefined;
  const cleanup = () => {
    for (const s of stops) s();
    stops.length = 0;
    if (timer) {
      timer();
      timer = undefined;
      p.pendingHost--;
    }
  };
  for (const f of files) {
    stops.push(
      f.onReadable(() => {
        let r: number;
        try {
          r = scan();
        } catch {
          r = -ERRNO.EFAULT;
        }
        if (r === 0) return;
        cleanup();
        finish(r);
      }, p),
    );
  }
  if (timeoutMs > 0) {
    p.pendingHost++;
    timer = hostTimer(timeoutMs, () => {
      timer = undefined;
      p.hostDone(() => {
        cleanup();
        finish(0);
      });
    });
  }
  return p.block(t, { cancel: cleanup, restartable: false });
}

function ppoll(p: UserProcess, t: Thread): SysResult {
  const fds = t.arg(0);
  const n = t.arg(1);
  if (n > MAX_FDS) throw new SysError(ERRNO.EINVAL);
  const tsp = t.arg(2);
  const timeoutMs = tsp ? p.as.i64(tsp) * 1000 + p.as.i64(tsp + 8) / 1e6 : -1;
  // The array is read, and its revents written back: EFAULT unless it allows both (Linux
  // fails the write-back only after the wait).
  p.as.check(fds, 8 * n, PROT_READ | PROT_WRITE);
  const files: GuestFile[] = [];
  for (let i = 0; i < n; i++) {
    const fd = p.as.i32(fds + 8 * i);
    // POLLOUT too: a connecting socket becomes writable when the host says so.
    if (fd >= 0 && p.fds.has(fd) && p.as.dv.getInt16(fds + 8 * i + 4, true) & (POLLIN | POLLOUT))
      files.push(p.fds.get(fd));
  }
  const scan = () => {
    let ready = 0;
    for (let i = 0; i < n; i++) {
      const at = fds + 8 * i;
      const fd = p.as.i32(at);
      const events = p.as.dv.getInt16(at + 4, true);
      let rev = 0;
      if (fd >= 0)
        rev = p.fds.has(fd) ? p.fds.get(fd).poll({ p, t }) & (events | POLLHUP | POLLERR) : POLLNVAL;
      p.as.written(at + 6, 2);
      p.as.dv.setInt16(at + 6, rev, true);
      if (rev) ready++;
    }
    return ready;
  };
  const sigmask = t.arg(3) ? readSigmask(p, t.arg(3), t.arg(4)) : undefined;
  return waitReady(p, t, files, timeoutMs, scan, { sigmask });
}

function readSigmask(p: UserProcess, at: number, size: number): bigint {
  if (size !== 8) throw new SysError(ERRNO.EINVAL);
  return p.as.big64(at);
}

const POLLPRI = 2;
/** What makes select(2) report a descriptor in each set (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
const SELECT_EVENTS = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI];

/** pselect6(n, readfds, writefds, exceptfds, timeout, {sigmask, size}). */
function pselect6(p: UserProcess, t: Thread): SysResult {
  const n = t.argInt(0);
  if (n < 0) throw new SysError(ERRNO.EINVAL);
  const nfds = Math.min(n, MAX_FDS);
  const bytes = Math.ceil(nfds / 64) * 8;
  const sets = [t.arg(1), t.arg(2), t.arg(3)];
  const wanted = sets.map((at) => (at ? p.as.bytes(at, bytes).slice() : undefined));
  const isSet = (set: Uint8Array | undefined, fd: number) => set !== undefined && (set[fd >> 3] & (1 << (fd & 7))) !== 0; // prettier-ignore
  const files: GuestFile[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    if (!wanted.some((set) => isSet(set, fd))) continue;
    files.push(p.fds.get(fd)); // EBADF for a closed one, as Linux
  }
  const tsp = t.arg(4);
  const timeoutNs = tsp ? readTimespec(p, tsp) : -1;
  const startNs = clockNs(CLOCK.MONOTONIC);
  let sigmask: bigint | undefined;
  const sig = t.arg(5);
  if (sig && p.as.u64(sig)) sigmask = readSigmask(p, p.as.u64(sig), p.as.u64(sig + 8));
  const scan = () => {
    const out = wanted.map((set) => (set ? new Uint8Array(bytes) : undefined));
    let ready = 0;
    for (let fd = 0; fd < nfds; fd++) {
      if (!wanted.some((set) => isSet(set, fd)) || !p.fds.has(fd)) continue;
      const rev = p.fds.get(fd).poll({ p, t });
      for (let i = 0; i < 3; i++) {
        const o = out[i];
        if (!o || !isSet(wanted[i], fd) || !(rev & SELECT_EVENTS[i])) continue;
        o[fd >> 3] |= 1 << (fd & 7);
        ready++;
      }
    }
    if (ready) out.forEach((o, i) => o && p.as.write(sets[i], o));
    return ready;
  };
  // Linux writes back the time left (glibc's pselect passes a copy).
  const done = (r: number) => {
    if (r === 0) for (const at of sets) if (at) p.as.out(at, bytes).fill(0);
    if (tsp) writeTimespec(p, tsp, Math.max(0, timeoutNs - (clockNs(CLOCK.MONOTONIC) - startNs)));
  };
  return waitReady(p, t, files, timeoutNs < 0 ? -1 : timeoutNs / 1e6, scan, { sigmask, done });
}

function epollOf(p: UserProcess, fd: number): EpollFile {
  const f = p.fds.get(fd);
  if (!(f instanceof EpollFile)) throw new SysError(ERRNO.EINVAL);
  return f;
}

function epollCtl(p: UserProcess, t: Thread): number {
  const ep = epollOf(p, t.argInt(0));
  const op = t.argInt(1);
  const fd = t.argInt(2);
  const ev = t.arg(3);
  const file = p.fds.get(fd);
  if (file === ep) throw new SysError(ERRNO.EINVAL);
  // struct epoll_event on riscv64: u32 events, then u64 data at offset 8 (not packed).
  const interest = (): Interest => {
    const e = file.edgesFor(p);
    // Linux adds EPOLLERR and EPOLLHUP to every entry's events.
    return {
      events: p.as.u32(ev) | POLLERR | POLLHUP,
      data: p.as.big64(ev + 8),
      file,
      seenIn: e.in,
      seenOut: e.out,
      armed: true,
    };
  };
  switch (op) {
    case EPOLL_CTL_ADD:
      if (ep.interest.has(fd)) throw new SysError(ERRNO.EEXIST);
      ep.interest.set(fd, interest());
      return 0;
    case EPOLL_CTL_MOD:
      if (!ep.interest.has(fd)) throw new SysError(ERRNO.ENOENT);
      ep.interest.set(fd, interest());
      return 0;
    case EPOLL_CTL_DEL:
      if (!ep.interest.delete(fd)) throw new SysError(ERRNO.ENOENT);
      return 0;
    default:
      throw new SysError(ERRNO.EINVAL);
  }
}

/**
 * epoll_pwait: level-triggered entries report while their file is ready; an EPOLLET entry
 * reports once per wake-up that finds it ready; EPOLLONESHOT disables an entry after one
 * report, until EPOLL_CTL_MOD.
 */
function epollPwait(p: UserProcess, t: Thread): SysResult {
  const ep = epollOf(p, t.argInt(0));
  const out = t.arg(1);
  const max = t.argInt(2);
  const timeoutMs = t.argInt(3);
  if (max <= 0) throw new SysError(ERRNO.EINVAL);
  p.as.out(out, 16 * max);
  const scan = () => {
    let n = 0;
    for (const [fd, it] of ep.interest) {
      if (n >= max) break;
      if (!p.fds.has(fd) || p.fds.get(fd) !== it.file) {
        ep.interest.delete(fd); // closed: Linux drops it with its last reference
        continue;
      }
      if (!(it.events & ~EP_PRIVATE_BITS)) continue; // disabled by EPOLLONESHOT
      if (it.events & EPOLLET && !takeEdge(p, it)) continue;
      const rev = it.file.poll({ p, t }) & it.events;
      if (!rev) continue;
      p.as.setU32(out + 16 * n, rev);
      p.as.setBig64(out + 16 * n + 8, it.data);
      if (it.events & EPOLLONESHOT) it.events &= EP_PRIVATE_BITS;
      n++;
    }
    return n;
  };
  return waitReady(
    p,
    t,
    [...ep.interest.values()].map((i) => i.file),
    timeoutMs,
    scan,
    { sigmask: t.arg(4) ? readSigmask(p, t.arg(4), t.arg(5)) : undefined },
  );
}

export const POLL_SYSCALLS: SyscallDef[] = [
  sys(72, "pselect6", "ipppp", pselect6),
  sys(73, "ppoll", "puppu", ppoll),
  sys(20, "epoll_create1", "x", (p, t) => p.fds.add(new EpollFile(), (t.argInt(0) & O.CLOEXEC) !== 0)),
  sys(21, "epoll_ctl", "iiip", epollCtl),
  sys(22, "epoll_pwait", "ipiipu", epollPwait),
  sys(19, "eventfd2", "ux", (p, t) => {
    const flags = t.argInt(1);
    const file = new EventFd(BigInt(t.arg(0) >>> 0), flags & O.NONBLOCK, (flags & EFD_SEMAPHORE) !== 0);
    return p.fds.add(file, (flags & O.CLOEXEC) !== 0);
  }),
];
