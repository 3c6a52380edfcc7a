// Copies between fds without a guest buffer: splice(2) (one side a pipe), tee(2) (pipe to
// pipe, the bytes stay in the source) and copy_file_range(2) (regular file to regular file).
// Checks follow Linux's fs/splice.c and fs/read_write.c; a splice or tee that waits for a
// pipe's bytes deschedules its thread alone.
//
// Differs from Linux: bytes are copied, never moved page by page (SPLICE_F_MOVE and
// SPLICE_F_GIFT change nothing); a splice moves at most 64 KiB (a pipe's default size) at a
// time; copy_file_range never reflinks.
import { ERRNO, O, SIG } from "./abi.js";
import { HostFile, type GuestFile } from "./files.js";
import { retryWhen } from "./io.js";
import { PipeEnd } from "./pipes.js";
import type { UserProcess } from "./process.js";
import { sendSignal } from "./signals.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";

const SPLICE_F_NONBLOCK = 2;
const SPLICE_F_ALL = 0xf; // MOVE, NONBLOCK, MORE, GIFT
/** A pipe's default capacity: the most one splice moves. */
const PIPE_BYTES = 65536;
const CHUNK_BYTES = 1 << 20;

const readable = (f: GuestFile): boolean => (f.flags & O.ACCMODE) !== O.WRONLY;
const writable = (f: GuestFile): boolean => (f.flags & O.ACCMODE) !== O.RDONLY;
const regular = (f: GuestFile): f is HostFile => f instanceof HostFile && f.seekable && !f.isDir;

/** An offset argument (loff_t *): undefined for NULL (the file's own position). */
function offsetArg(p: UserProcess, addr: number): number | undefined {
  if (!addr) return undefined;
  const off = p.as.i64(addr);
  if (off < 0) throw new SysError(ERRNO.EINVAL);
  return off;
}

/** Writes `src` to `out` (at `pos`, or its own position); EPIPE raises SIGPIPE. */
function writeOut(
  p: UserProcess,
  t: Thread,
  out: GuestFile,
  src: Uint8Array,
  pos: number | undefined,
): number {
  try {
    return out.write(src, pos ?? null);
  } catch (e) {
    if (e instanceof SysError && e.errno === ERRNO.EPIPE && out.sigpipe) sendSignal(p, t, SIG.SIGPIPE);
    throw e;
  }
}

function splice(p: UserProcess, t: Thread): SysResult {
  const [fdIn, offInAt, fdOut, offOutAt, len, flags] = [t.argInt(0), t.arg(1), t.argInt(2), t.arg(3), t.arg(4), t.argInt(5)]; // prettier-ignore
  const src = p.fds.get(fdIn);
  const out = p.fds.get(fdOut);
  if (flags & ~SPLICE_F_ALL) throw new SysError(ERRNO.EINVAL);
  if (!readable(src) || !writable(out)) throw new SysError(ERRNO.EBADF);
  const inPipe = src instanceof PipeEnd;
  const outPipe = out instanceof PipeEnd;
  if (!inPipe && !outPipe) throw new SysError(ERRNO.EINVAL);
  if (inPipe && outPipe && src.pipe === out.pipe) throw new SysError(ERRNO.EINVAL);
  if ((inPipe && offInAt) || (outPipe && offOutAt)) throw new SysError(ERRNO.ESPIPE);
  if ((offInAt && !regular(src)) || (offOutAt && !regular(out))) throw new SysError(ERRNO.ESPIPE);
  if (out.flags & O.APPEND && !outPipe) throw new SysError(ERRNO.EINVAL);
  const offIn = offsetArg(p, offInAt);
  const offOut = offsetArg(p, offOutAt);
  if (len === 0) return 0;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  const buf = new Uint8Array(Math.min(len, PIPE_BYTES));
  const attempt = (): number | undefined => {
    if (outPipe && out.pipe.readers === 0) {
      sendSignal(p, t, SIG.SIGPIPE);
      throw new SysError(ERRNO.EPIPE);
    }
    const n = src.read(buf, offIn ?? null, { p, t });
    if (n === undefined) {
      if (nonblock) throw new SysError(ERRNO.EAGAIN);
      return undefined;
    }
    if (n === 0) return 0;
    const done = writeOut(p, t, out, buf.subarray(0, n), offOut);
    if (offInAt) p.as.setU64(offInAt, (offIn ?? 0) + n);
    if (offOutAt) p.as.setU64(offOutAt, (offOut ?? 0) + done);
    return done;
  };
  const r = attempt();
  if (r !== undefined) return r;
  return retryWhen(p, t, (fn) => src.onReadable(fn, p), attempt);
}

function tee(p: UserProcess, t: Thread): SysResult {
  const [src, out, len, flags] = [p.fds.get(t.argInt(0)), p.fds.get(t.argInt(1)), t.arg(2), t.argInt(3)];
  if (flags & ~SPLICE_F_ALL) throw new SysError(ERRNO.EINVAL);
  if (!readable(src) || !writable(out)) throw new SysError(ERRNO.EBADF);
  if (!(src instanceof PipeEnd) || !(out instanceof PipeEnd) || src.pipe === out.pipe)
    throw new SysError(ERRNO.EINVAL);
  if (len === 0) return 0;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || (src.flags & O.NONBLOCK) !== 0;
  const attempt = (): number | undefined => {
    if (out.pipe.readers === 0) {
      sendSignal(p, t, SIG.SIGPIPE);
      throw new SysError(ERRNO.EPIPE);
    }
    if (src.pipe.size === 0) {
      if (src.pipe.writers === 0) return 0;
      if (nonblock) throw new SysError(ERRNO.EAGAIN);
      return undefined;
    }
    const buf = new Uint8Array(Math.min(len, src.pipe.size, PIPE_BYTES));
    const n = src.pipe.take(buf, true);
    out.pipe.put(buf.subarray(0, n));
    return n;
  };
  const r = attempt();
  if (r !== undefined) return r;
  return retryWhen(p, t, (fn) => src.onReadable(fn), attempt);
}

function copyFileRange(p: UserProcess, t: Thread): number {
  const [fdIn, offInAt, fdOut, offOutAt, len, flags] = [t.argInt(0), t.arg(1), t.argInt(2), t.arg(3), t.arg(4), t.argInt(5)]; // prettier-ignore
  if (flags !== 0) throw new SysError(ERRNO.EINVAL);
  const src = p.fds.get(fdIn);
  const out = p.fds.get(fdOut);
  if (!readable(src) || !writable(out) || out.flags & O.APPEND) throw new SysError(ERRNO.EBADF);
  if (src.isDir || out.isDir) throw new SysError(ERRNO.EISDIR);
  if (!regular(src) || !regular(out)) throw new SysError(ERRNO.EINVAL);
  let from = offsetArg(p, offInAt) ?? src.pos;
  let to = offsetArg(p, offOutAt) ?? out.pos;
  const a = src.stat();
  const b = out.stat();
  // The same file: the ranges may not overlap (generic_copy_file_checks).
  if (a.dev === b.dev && a.ino === b.ino && from < to + len && to < from + len)
    throw new SysError(ERRNO.EINVAL);
  const size = Number(a.size);
  let done = 0;
  const buf = new Uint8Array(Math.min(len, CHUNK_BYTES));
  while (done < len && from < size) {
    const n = src.read(buf.subarray(0, Math.min(buf.length, len - done)), from);
    if (!n) break;
    out.write(buf.subarray(0, n), to);
    [from, to, done] = [from + n, to + n, done + n];
  }
  if (offInAt) p.as.setU64(offInAt, from);
  else src.pos = from;
  if (offOutAt) p.as.setU64(offOutAt, to);
  else out.pos = to;
  return done;
}

export const SPLICE_SYSCALLS: SyscallDef[] = [
  sys(76, "splice", "ipipux", splice),
  sys(77, "tee", "iiux", tee),
  sys(285, "copy_file_range", "ipipux", copyFileRange),
];
