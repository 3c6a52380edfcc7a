// Taking signals synchronously instead of running handlers: signalfd (signalfd(2): reads
// return struct signalfd_siginfo, one per pending signal of the fd's mask) and
// rt_sigtimedwait. Both take a thread's pending signals first, then those sent to its process.
import { ERRNO, O } from "./abi.js";
import { GuestFile, POLLIN, type Caller, type Edges, type HostWork, type StatInfo } from "./files.js";
import type { UserProcess } from "./process.js";
import { bit, dequeueSignal, UNBLOCKABLE, writeSiginfo } from "./signals.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { SigInfo, Thread } from "./thread.js";
import { readTimespec } from "./time.js";
import { retryWhen } from "./io.js";

const SIGNALFD_SIGINFO_BYTES = 128;

/** Does `t` (or its process) have a signal of `set` pending? */
function pendingIn(p: UserProcess, t: Thread, set: bigint): boolean {
  if (t.pending & set) return true;
  for (const th of p.threads) {
    const ready = th.pending & set;
    if (ready) for (const [sig, info] of th.siginfo) if (ready & bit(sig) && info.shared) return true;
  }
  return false;
}

/** struct signalfd_siginfo (include/uapi/linux/signalfd.h), filled as Linux's signalfd_copyinfo. */
function writeSignalfdSiginfo(dst: Uint8Array, sig: number, info: SigInfo): void {
  dst.fill(0, 0, SIGNALFD_SIGINFO_BYTES);
  const dv = new DataView(dst.buffer, dst.byteOffset, SIGNALFD_SIGINFO_BYTES);
  dv.setUint32(0, sig, true); // ssi_signo
  dv.setInt32(8, info.code, true); // ssi_code
  if (info.timer) {
    dv.setUint32(24, info.timer.id, true); // ssi_tid
    dv.setUint32(32, info.timer.overrun, true); // ssi_overrun
    dv.setInt32(44, Number(BigInt.asIntN(32, info.timer.value)), true); // ssi_int
    dv.setBigUint64(48, info.timer.value, true); // ssi_ptr
  } else if (info.pid !== undefined) {
    dv.setUint32(12, info.pid, true); // ssi_pid
    dv.setUint32(16, process.getuid?.() ?? 0, true); // ssi_uid
    if (info.status !== undefined) dv.setInt32(40, info.status, true); // ssi_status
  } else dv.setBigUint64(72, BigInt(info.addr), true); // ssi_addr
}

export class SignalFd extends GuestFile {
  constructor(
    public mask: bigint,
    flags: number,
  ) {
    super(O.RDWR | flags);
  }
  override read(dst: Uint8Array, _pos: number | null, caller?: Caller): number | undefined {
    if (dst.length < SIGNALFD_SIGINFO_BYTES || !caller) throw new SysError(ERRNO.EINVAL);
    let n = 0;
    for (; n + SIGNALFD_SIGINFO_BYTES <= dst.length; n += SIGNALFD_SIGINFO_BYTES) {
      const got = dequeueSignal(caller.p, caller.t, this.mask);
      if (!got) break;
      writeSignalfdSiginfo(dst.subarray(n), got[0], got[1]);
    }
    if (n > 0) return n;
    if (this.flags & O.NONBLOCK) throw new SysError(ERRNO.EAGAIN);
    return undefined;
  }
  override write(): number {
    throw new SysError(ERRNO.EINVAL);
  }
  override stat(): StatInfo | undefined {
    return undefined;
  }
  override poll(caller?: Caller): number {
    return caller && pendingIn(caller.p, caller.t, this.mask) ? POLLIN : 0;
  }
  override edgesFor(host: HostWork): Edges {
    return host.signalEdges;
  }
  override onReadable(fn: () => void, host: HostWork): () => void {
    host.signalWaiters.add(fn);
    return () => host.signalWaiters.delete(fn);
  }
  override anonName(): string {
    return "anon_inode:[signalfd]";
  }
}

const SFD_FLAGS = O.CLOEXEC | O.NONBLOCK;

/** signalfd4(fd, mask, sizemask, flags): a new signalfd (fd -1) or a new mask for one. */
function signalfd4(p: UserProcess, t: Thread): number {
  const fd = t.argInt(0);
  const flags = t.argInt(3);
  if (t.arg(2) !== 8 || flags & ~SFD_FLAGS) throw new SysError(ERRNO.EINVAL);
  const mask = p.as.big64(t.arg(1)) & ~UNBLOCKABLE;
  if (fd === -1) return p.fds.add(new SignalFd(mask, flags & O.NONBLOCK), (flags & O.CLOEXEC) !== 0);
  const f = p.fds.get(fd);
  if (!(f instanceof SignalFd)) throw new SysError(ERRNO.EINVAL);
  f.mask = mask;
  p.signalEdges.in++;
  for (const w of [...p.signalWaiters]) w(); // pollers see the new mask
  return fd;
}

/** rt_sigtimedwait(set, info, timeout, sigsetsize): the signal taken, or EAGAIN when the time is up. */
function rtSigtimedwait(p: UserProcess, t: Thread): SysResult {
  if (t.arg(3) !== 8) throw new SysError(ERRNO.EINVAL);
  const set = p.as.big64(t.arg(0)) & ~UNBLOCKABLE;
  const infoAt = t.arg(1);
  const timeoutNs = t.arg(2) ? readTimespec(p, t.arg(2)) : -1;
  const take = (): number | undefined => {
    const got = dequeueSignal(p, t, set);
    if (got && infoAt) writeSiginfo(p, infoAt, got[0], got[1]);
    return got?.[0];
  };
  const sig = take();
  if (sig !== undefined) return sig;
  if (timeoutNs === 0) return -ERRNO.EAGAIN;
  const watch = (fn: () => void) => {
    p.signalWaiters.add(fn);
    return () => p.signalWaiters.delete(fn);
  };
  return retryWhen(p, t, watch, take, { timeoutUs: Math.max(timeoutNs, 0) / 1000, restartable: false });
}

export const SIGFD_SYSCALLS: SyscallDef[] = [
  sys(74, "signalfd4", "ipuQ", signalfd4),
  sys(137, "rt_sigtimedwait", "pppu", rtSigtimedwait),
];
