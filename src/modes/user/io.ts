// Syscalls on open fds: read and write (and their vector and positional forms, preadv2 and
// pwritev2 with their RWF_* flags), seeking, duplication, close_range, fcntl (memfd seals
// too), ioctl, pipes, sync_file_range and readahead. A read that would block deschedules the
// thread: host streams are read asynchronously, guest pipes wake their readers on write.
//
// Differs from Linux: RWF_NOWAIT never fails on a regular file (its data is always at
// hand); RWF_HIPRI and the sync flags add nothing (writes reach the host at once);
// close_range's CLOSE_RANGE_UNSHARE changes nothing (a process's threads share one table);
// sync_file_range and readahead only check their arguments; fcntl's record locks always
// succeed (one process's view).
import * as fs from "node:fs";
import { ERRNO, hostErrno, O, PROT_READ, PROT_WRITE, SIG } from "./abi.js";
import { HostFile, isatty, MAX_FDS, type GuestFile } from "./files.js";
import { MemFd } from "./memfd.js";
import { Pipe, PipeEnd } from "./pipes.js";
import type { UserProcess } from "./process.js";
import { sendSignal } from "./signals.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { hostTimer } from "./time.js";

export type Iov = [addr: number, len: number];
const IOV_MAX = 1024;

export function iovecs(p: UserProcess, addr: number, count: number): Iov[] {
  if (count < 0 || count > IOV_MAX) throw new SysError(ERRNO.EINVAL);
  const out: Iov[] = [];
  for (let i = 0; i < count; i++) out.push([p.as.u64(addr + 16 * i), p.as.u64(addr + 16 * i + 8)]);
  return out;
}

/** Copies `data` into the iovecs; returns the bytes copied. */
export function scatter(p: UserProcess, iovs: readonly Iov[], data: Uint8Array): number {
  let at = 0;
  for (const [addr, len] of iovs) {
    if (at >= data.length) break;
    const n = Math.min(len, data.length - at);
    p.as.write(addr, data.subarray(at, at + n));
    at += n;
  }
  return at;
}

function readFile(
  p: UserProcess,
  t: Thread,
  f: GuestFile,
  iovs: readonly Iov[],
  pos: number | null,
  nowait = false,
): SysResult {
  if ((f.flags & O.ACCMODE) === O.WRONLY) throw new SysError(ERRNO.EBADF);
  return readInto(p, t, f, iovs, nowait || (f.flags & O.NONBLOCK) !== 0, (dst) => f.read(dst, pos, { p, t }));
}

/**
 * A read into the iovecs: `read` fills `dst` and returns the result (undefined: it would
 * block). Then the thread waits until `f` may have data, or fails with EAGAIN if `nonblock`.
 * A result larger than `dst` (recv with MSG_TRUNC) means `dst` was filled.
 */
export function readInto(
  p: UserProcess,
  t: Thread,
  f: GuestFile,
  iovs: readonly Iov[],
  nonblock: boolean,
  read: (dst: Uint8Array) => number | undefined,
): SysResult {
  let total = 0;
  for (const [addr, len] of iovs) {
    p.as.out(addr, len);
    total += len;
  }
  const direct = iovs.length === 1;
  const attempt = (): number | undefined => {
    const dst = direct ? p.as.out(iovs[0][0], total) : new Uint8Array(total);
    const n = read(dst);
    if (n !== undefined && !direct) scatter(p, iovs, dst.subarray(0, n));
    return n;
  };
  const n = attempt();
  if (n !== undefined) return n;
  if (nonblock) {
    f.onReadable(() => {}, p)(); // start the host stream so that data can arrive meanwhile
    return -ERRNO.EAGAIN;
  }
  // Retry whenever the file may have data: a guest pipe was written, a host read finished.
  return retryWhen(p, t, (fn) => f.onReadable(fn, p), attempt, { timeoutUs: f.recvTimeoutUs });
}

/** How a blocked call may end besides succeeding. */
export interface Patience {
  /** Gives up after this long with `expired` (SO_RCVTIMEO, SO_SNDTIMEO); 0 or none: waits on. */
  timeoutUs?: number;
  /** The result when the time is up (default -EAGAIN), or what computes it then. */
  expired?: number | (() => number);
  /** May SA_RESTART restart it (default true)? */
  restartable?: boolean;
  uninterruptible?: boolean;
}

/**
 * Blocks `t` and calls `attempt` again each time `watch` signals that it may now succeed,
 * until it returns a result (undefined: not yet) or throws; SA_RESTART restarts the syscall.
 */
export function retryWhen(
  p: UserProcess,
  t: Thread,
  watch: (fn: () => void) => () => void,
  attempt: () => number | undefined,
  patience: Patience = {},
): SysResult {
  let cancelTimer: (() => void) | undefined;
  const stopAll = () => {
    stop();
    if (cancelTimer) {
      cancelTimer();
      cancelTimer = undefined;
      p.pendingHost--;
    }
  };
  const stop = watch(() => {
    let r: number | undefined;
    try {
      r = attempt();
    } catch (e) {
      r = e instanceof SysError ? -e.errno : -ERRNO.EFAULT;
    }
    if (r === undefined) return;
    stopAll();
    p.complete(t, r);
  });
  const timeoutUs = patience.timeoutUs ?? 0;
  if (timeoutUs > 0) {
    p.pendingHost++;
    cancelTimer = hostTimer(timeoutUs / 1000, () => {
      cancelTimer = undefined;
      p.hostDone(() => {
        stop();
        const e = patience.expired ?? -ERRNO.EAGAIN;
        p.complete(t, typeof e === "number" ? e : e());
      });
    });
  }
  // A socket wait with a timeout is not restarted after a handler: EINTR (sock_intr_errno).
  const restartable = (patience.restartable ?? true) && timeoutUs === 0;
  return p.block(t, { cancel: stopAll, restartable, uninterruptible: patience.uninterruptible });
}

function writeFile(
  p: UserProcess,
  t: Thread,
  f: GuestFile,
  iovs: readonly Iov[],
  pos: number | null,
): number {
  if ((f.flags & O.ACCMODE) === O.RDONLY) throw new SysError(ERRNO.EBADF);
  const src = gather(p, iovs);
  if (src.length === 0) return 0;
  try {
    return f.write(src, pos);
  } catch (e) {
    const errno = e instanceof SysError ? e.errno : hostErrno(e);
    if (errno === ERRNO.EPIPE && f.sigpipe) sendSignal(p, t, SIG.SIGPIPE);
    return -errno;
  }
}

/** The bytes of the iovecs (a view of guest memory when there is one). */
export function gather(p: UserProcess, iovs: readonly Iov[]): Uint8Array {
  if (iovs.length === 1) return p.as.bytes(iovs[0][0], iovs[0][1]);
  const parts = iovs.map(([addr, len]) => p.as.bytes(addr, len));
  const src = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of parts) {
    src.set(b, at);
    at += b.length;
  }
  return src;
}

/**
 * The buffer of read/write: like Linux, a transfer stops where the buffer's mapping ends
 * (EFAULT only when not even its first byte is there).
 */
function single(p: UserProcess, t: Thread, prot: number): Iov[] {
  const addr = t.arg(1);
  const len = t.arg(2);
  const n = p.as.mappedLength(addr, len, prot);
  if (n === 0 && len > 0) throw new SysError(ERRNO.EFAULT);
  return [[addr, n]];
}

function positional(t: Thread, i: number): number {
  const pos = t.argI64(i);
  if (pos < 0) throw new SysError(ERRNO.EINVAL);
  return pos;
}

function seekableFile(p: UserProcess, fd: number): GuestFile {
  const f = p.fds.get(fd);
  if (!(f instanceof HostFile) || !f.seekable) throw new SysError(ERRNO.ESPIPE);
  return f;
}

// --- fcntl ---
const F = { DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, GETLK: 5, SETLK: 6, SETLKW: 7,
  SETOWN: 8, GETOWN: 9, OFD_GETLK: 36, OFD_SETLK: 37, OFD_SETLKW: 38, DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031, GETPIPE_SZ: 1032, ADD_SEALS: 1033, GET_SEALS: 1034 }; // prettier-ignore
const FD_CLOEXEC = 1;
const F_UNLCK = 2;
const SETFL_MASK = O.APPEND | O.NONBLOCK | O.DIRECT | O.NOATIME;

function fcntl(p: UserProcess, t: Thread): number {
  const fd = t.argInt(0);
  const cmd = t.argInt(1);
  const e = p.fds.entry(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      const min = t.argInt(2);
      if (min < 0 || min >= MAX_FDS) throw new SysError(ERRNO.EINVAL);
      e.file.refs++;
      return p.fds.add(e.file, cmd === F.DUPFD_CLOEXEC, min);
    }
    case F.GETFD:
      return e.cloexec ? FD_CLOEXEC : 0;
    case F.SETFD:
      e.cloexec = (t.argInt(2) & FD_CLOEXEC) !== 0;
      return 0;
    case F.GETFL:
      return e.file.flags | (e.file.isDir ? O.DIRECTORY : 0);
    case F.SETFL:
      e.file.flags = (e.file.flags & ~SETFL_MASK) | (t.argInt(2) & SETFL_MASK);
      return 0;
    case F.GETLK:
    case F.OFD_GETLK:
      // Locks always succeed here (one process): report the range unlocked.
      p.as.out(t.arg(2), 32);
      p.as.dv.setInt16(t.arg(2), F_UNLCK, true);
      return 0;
    case F.SETLK:
    case F.SETLKW:
    case F.OFD_SETLK:
    case F.OFD_SETLKW:
      return 0;
    case F.GETOWN:
    case F.SETOWN:
      return 0;
    case F.ADD_SEALS:
    case F.GET_SEALS: {
      if (!(e.file instanceof MemFd)) return -ERRNO.EINVAL;
      if (cmd === F.GET_SEALS) return e.file.seals;
      e.file.addSeals(t.argInt(2));
      return 0;
    }
    case F.GETPIPE_SZ:
      return 65536;
    case F.SETPIPE_SZ:
      return Math.max(t.argInt(2), 4096);
    default:
      return -ERRNO.EINVAL;
  }
}

// --- ioctl ---
const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410,
  TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451; // prettier-ignore

function ioctl(p: UserProcess, t: Thread): number {
  const fd = t.argInt(0);
  const req = t.argInt(1) >>> 0;
  const arg = t.arg(2);
  const e = p.fds.entry(fd);
  const f = e.file;
  switch (req) {
    case FIOCLEX:
    case FIONCLEX:
      e.cloexec = req === FIOCLEX;
      return 0;
    case FIONBIO:
      f.flags = p.as.i32(arg) ? f.flags | O.NONBLOCK : f.flags & ~O.NONBLOCK;
      return 0;
    case FIONREAD:
      p.as.setU32(arg, f.unread());
      return 0;
  }
  const host = f.hostFd();
  if (host === undefined || !isatty(host)) return -ERRNO.ENOTTY;
  switch (req) {
    case TCGETS: {
      // struct termios (asm-generic): iflag, oflag, cflag, lflag, line, cc[19]: a cooked terminal.
      const out = p.as.out(arg, 36);
      out.fill(0);
      const dv = p.as.dv;
      dv.setUint32(arg, 0o2400, true); // ICRNL | IXON
      dv.setUint32(arg + 4, 0o5, true); // OPOST | ONLCR
      dv.setUint32(arg + 8, 0o277, true); // B38400 | CS8 | CREAD
      dv.setUint32(arg + 12, 0o105073, true); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
      out.set([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22], 17);
      return 0;
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
    case TIOCSWINSZ:
    case TIOCSPGRP:
      return 0;
    case TIOCGPGRP:
      p.as.setU32(arg, p.pid);
      return 0;
    case TIOCGWINSZ: {
      const cols = host === 1 && process.stdout.isTTY ? process.stdout.columns : 80;
      const rows = host === 1 && process.stdout.isTTY ? process.stdout.rows : 24;
      p.as.out(arg, 8).fill(0);
      p.as.dv.setUint16(arg, rows, true);
      p.as.dv.setUint16(arg + 2, cols, true);
      return 0;
    }
    default:
      return -ERRNO.ENOTTY;
  }
}

function pipe2(p: UserProcess, t: Thread): number {
  const flags = t.argInt(1);
  const pipe = new Pipe();
  const status = flags & O.NONBLOCK;
  const r = p.fds.add(new PipeEnd(pipe, O.RDONLY | status), (flags & O.CLOEXEC) !== 0);
  const w = p.fds.add(new PipeEnd(pipe, O.WRONLY | status), (flags & O.CLOEXEC) !== 0);
  try {
    p.as.setU32(t.arg(0), r);
    p.as.setU32(t.arg(0) + 4, w);
  } catch (e) {
    p.fds.close(r);
    p.fds.close(w);
    throw e;
  }
  return 0;
}

function sendfile(p: UserProcess, t: Thread): number {
  const out = p.fds.get(t.argInt(0));
  const src = p.fds.get(t.argInt(1));
  const offPtr = t.arg(2);
  const count = Math.min(t.arg(3), 1 << 24);
  let pos = offPtr ? p.as.i64(offPtr) : null;
  const buf = new Uint8Array(Math.min(count, 1 << 20));
  let done = 0;
  while (done < count) {
    const n = src.read(buf.subarray(0, Math.min(buf.length, count - done)), pos);
    if (n === undefined) throw new SysError(ERRNO.EAGAIN);
    if (n === 0) break;
    out.write(buf.subarray(0, n), null);
    done += n;
    if (pos !== null) pos += n;
  }
  if (offPtr && pos !== null) p.as.setU64(offPtr, pos);
  return done;
}

// preadv2/pwritev2's flags (RWF_*): others are EOPNOTSUPP, as in kiocb_set_rw_flags.
const RWF_HIPRI = 1, RWF_DSYNC = 2, RWF_SYNC = 4, RWF_NOWAIT = 8, RWF_APPEND = 0x10; // prettier-ignore
const RWF_SUPPORTED = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND;

/**
 * preadv2/pwritev2: at offset pos (riscv64 passes it whole in pos_l), or at the file position
 * when it is -1. RWF_NOWAIT makes a read that would wait fail with EAGAIN (a regular file's
 * data is always at hand here); RWF_APPEND writes at the end; the sync flags and RWF_HIPRI
 * need nothing more (writes reach the host at once).
 */
function rwv2(p: UserProcess, t: Thread, write: boolean): SysResult {
  const f = p.fds.get(t.argInt(0));
  const iovs = iovecs(p, t.arg(1), t.argInt(2));
  const at = t.argI64(3);
  const flags = t.argInt(5);
  if (flags & ~RWF_SUPPORTED) throw new SysError(ERRNO.EOPNOTSUPP);
  if (at < -1) throw new SysError(ERRNO.EINVAL);
  let pos = at === -1 ? null : at;
  if (pos !== null) seekableFile(p, t.argInt(0));
  if (!write) return readFile(p, t, f, iovs, pos, (flags & RWF_NOWAIT) !== 0);
  if (flags & RWF_APPEND && f instanceof HostFile && f.seekable) {
    pos = Number(f.stat().size);
    const n = writeFile(p, t, f, iovs, pos);
    if (at === -1 && n > 0) f.pos = pos + n;
    return n;
  }
  return writeFile(p, t, f, iovs, pos);
}

const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4; // prettier-ignore

/** close_range: closes (or marks close-on-exec) the open fds from first to last. */
function closeRange(p: UserProcess, t: Thread): number {
  const [first, last, flags] = [t.argInt(0) >>> 0, t.argInt(1) >>> 0, t.argInt(2)]; // unsigned int
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last) throw new SysError(ERRNO.EINVAL);
  for (const fd of p.fds.list()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) p.fds.entry(fd).cloexec = true;
    else p.fds.close(fd);
  }
  return 0;
}

const SYNC_FILE_RANGE_ALL = 7;

function syncFileRange(p: UserProcess, t: Thread): number {
  const f = p.fds.get(t.argInt(0));
  const [off, nbytes, flags] = [t.argI64(1), t.argI64(2), t.argInt(3)];
  if (flags & ~SYNC_FILE_RANGE_ALL || off < 0 || nbytes < 0) throw new SysError(ERRNO.EINVAL);
  if (!f.isDir && !(f instanceof HostFile && f.seekable)) throw new SysError(ERRNO.ESPIPE);
  return 0; // written data is the host's already
}

function readahead(p: UserProcess, t: Thread): number {
  const f = p.fds.get(t.argInt(0));
  if ((f.flags & O.ACCMODE) === O.WRONLY) throw new SysError(ERRNO.EBADF);
  if (!(f instanceof HostFile && f.seekable) || t.argI64(1) < 0) throw new SysError(ERRNO.EINVAL);
  return 0;
}

/** fsync/fdatasync: the guest's data is on the host's disk when it returns (pipes, ttys: nothing to do). */
function flush(f: GuestFile, how: (fd: number) => void): number {
  const fd = f.hostFd();
  if (fd === undefined || !(f instanceof HostFile) || !f.seekable) return 0;
  how(fd);
  return 0;
}

export const IO_SYSCALLS: SyscallDef[] = [
  sys(63, "read", "ipu", (p, t) => readFile(p, t, p.fds.get(t.argInt(0)), single(p, t, PROT_WRITE), null)),
  sys(64, "write", "ibu", (p, t) => writeFile(p, t, p.fds.get(t.argInt(0)), single(p, t, PROT_READ), null)),
  sys(65, "readv", "ipi", (p, t) =>
    readFile(p, t, p.fds.get(t.argInt(0)), iovecs(p, t.arg(1), t.argInt(2)), null),
  ),
  sys(66, "writev", "ipi", (p, t) =>
    writeFile(p, t, p.fds.get(t.argInt(0)), iovecs(p, t.arg(1), t.argInt(2)), null),
  ),
  sys(67, "pread64", "ipuu", (p, t) =>
    readFile(p, t, seekableFile(p, t.argInt(0)), single(p, t, PROT_WRITE), positional(t, 3)),
  ),
  sys(68, "pwrite64", "ibuu", (p, t) =>
    writeFile(p, t, seekableFile(p, t.argInt(0)), single(p, t, PROT_READ), positional(t, 3)),
  ),
  sys(69, "preadv", "ipiu", (p, t) =>
    readFile(p, t, seekableFile(p, t.argInt(0)), iovecs(p, t.arg(1), t.argInt(2)), positional(t, 3)),
  ),
  sys(70, "pwritev", "ipiu", (p, t) =>
    writeFile(p, t, seekableFile(p, t.argInt(0)), iovecs(p, t.arg(1), t.argInt(2)), positional(t, 3)),
  ),
  sys(286, "preadv2", "ipiiix", (p, t) => rwv2(p, t, false)),
  sys(287, "pwritev2", "ipiiix", (p, t) => rwv2(p, t, true)),
  sys(436, "close_range", "uux", closeRange),
  sys(84, "sync_file_range", "iiix", syncFileRange),
  sys(213, "readahead", "iiu", readahead),
  sys(62, "lseek", "iii", (p, t) => p.fds.get(t.argInt(0)).seek(t.argI64(1), t.argInt(2))),
  sys(23, "dup", "i", (p, t) => {
    const f = p.fds.get(t.argInt(0));
    f.refs++;
    return p.fds.add(f);
  }),
  sys(24, "dup3", "iix", (p, t) => {
    const [from, to, flags] = [t.argInt(0), t.argInt(1), t.argInt(2)];
    if (from === to || flags & ~O.CLOEXEC) throw new SysError(ERRNO.EINVAL);
    const f = p.fds.get(from);
    f.refs++;
    p.fds.set(to, f, (flags & O.CLOEXEC) !== 0);
    return to;
  }),
  sys(25, "fcntl", "iix", fcntl),
  sys(29, "ioctl", "ixx", ioctl),
  sys(59, "pipe2", "px", pipe2),
  sys(71, "sendfile", "iipu", sendfile),
  sys(46, "ftruncate", "iu", (p, t) => {
    const f = p.fds.get(t.argInt(0));
    const fd = f.hostFd();
    if (fd === undefined) throw new SysError(ERRNO.EINVAL);
    if (f instanceof MemFd) f.resize(t.argI64(1));
    fs.ftruncateSync(fd, t.argI64(1));
    return 0;
  }),
  sys(82, "fsync", "i", (p, t) => flush(p.fds.get(t.argInt(0)), fs.fsyncSync)),
  sys(83, "fdatasync", "i", (p, t) => flush(p.fds.get(t.argInt(0)), fs.fdatasyncSync)),
  sys(81, "sync", "", () => 0),
  sys(47, "fallocate", "iiuu", () => -ERRNO.EOPNOTSUPP),
  sys(223, "fadvise64", "iuui", () => 0),
];
