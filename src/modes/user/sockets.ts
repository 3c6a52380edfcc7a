// Local sockets: socketpair(AF_UNIX) makes two connected in-memory endpoints (stream, datagram
// or seqpacket), with shutdown, send/recv in their msg and address forms, socket options and
// names. Like guest pipes, sends never block (the receive queue grows) and a receive that
// would block deschedules its thread alone. Nothing can be bound to a name, so socket()
// fails with EAFNOSUPPORT. Behaviour follows Linux's net/unix/af_unix.c.
import { ERRNO, O, SIG } from "./abi.js";
import {
  GuestFile,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  S_IFSOCK,
  syntheticStat,
  type StatInfo,
} from "./files.js";
import { takeBytes } from "./pipes.js";
import { gather, iovecs, readInto, type Iov } from "./io.js";
import type { UserProcess } from "./process.js";
import { sendSignal } from "./signals.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";

const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10; // prettier-ignore
const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_MAX = 11,
  SOCK_TYPE_MASK = 0xf; // prettier-ignore
const SOL_SOCKET = 1;
const SO = { REUSEADDR: 2, TYPE: 3, ERROR: 4, SNDBUF: 7, RCVBUF: 8, ACCEPTCONN: 30, PROTOCOL: 38,
  DOMAIN: 39 }; // prettier-ignore
const MSG = { OOB: 1, PEEK: 2, TRUNC: 0x20, DONTWAIT: 0x40, WAITALL: 0x100, NOSIGNAL: 0x4000,
  CMSG_CLOEXEC: 0x40000000 }; // prettier-ignore
const SHUT_RD = 0, SHUT_RDWR = 2; // prettier-ignore
/** sk_shutdown bits: shutdown(how) sets how + 1. */
const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3; // prettier-ignore
const POLLRDNORM = 0x40, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLRDHUP = 0x2000; // prettier-ignore
/** Linux's net.core.wmem_default and rmem_default. */
const SOCK_BUF_BYTES = 212992;
const SOCKADDR_STORAGE = 128;
const UIO_MAXIOV = 1024;
/** getsockname of an unbound AF_UNIX socket: sun_family alone. */
const UNNAMED = Uint8Array.of(AF_UNIX, 0);

interface Received {
  /** Bytes copied into the buffer. */
  n: number;
  /** The length of the datagram they came from (= n on a stream). */
  full: number;
}

let sockets = 0;

/** One end of a socketpair: what the peer sends waits in `queue` until this end receives it. */
export class Socket extends GuestFile {
  /** Its number in /proc/self/fd names ("socket:[n]"). */
  readonly id = ++sockets;
  /** Stays set when the peer closes (a datagram socket forgets it at its next send). */
  peer: Socket | undefined;
  /** Streams: chunks read across; datagrams and seqpackets: one message each. */
  private queue: Uint8Array[] = [];
  private queued = 0;
  /** sk_shutdown: RCV_SHUTDOWN | SEND_SHUTDOWN. */
  private shut = 0;
  /** SO_ERROR: ECONNRESET when the peer closed with bytes it never read. */
  private error = 0;
  private released = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly type: number,
    flags: number,
  ) {
    super(O.RDWR | flags);
    this.sigpipe = type === SOCK_STREAM;
  }

  /** Queues `src` on the peer (sendmsg without an address); throws the errno of a failure. */
  send(src: Uint8Array): number {
    if (this.type === SOCK_SEQPACKET && this.error) throw new SysError(this.takeError());
    const other = this.peer;
    if (!other) throw new SysError(ERRNO.ENOTCONN);
    if (this.type === SOCK_STREAM) {
      if (this.shut & SEND_SHUTDOWN || other.released || other.shut & RCV_SHUTDOWN)
        throw new SysError(ERRNO.EPIPE);
      if (src.length) other.deliver(src);
      return src.length;
    }
    if (src.length > SOCK_BUF_BYTES - 32) throw new SysError(ERRNO.EMSGSIZE);
    if (other.released) {
      if (this.type === SOCK_SEQPACKET) throw new SysError(ERRNO.EPIPE);
      // A datagram socket drops a peer that is gone, with what it had received from it.
      this.peer = undefined;
      this.queue = [];
      this.queued = 0;
      throw new SysError(ERRNO.ECONNREFUSED);
    }
    if (other.shut & RCV_SHUTDOWN) throw new SysError(ERRNO.EPIPE);
    other.deliver(src); // a datagram may be empty
    return src.length;
  }

  private deliver(src: Uint8Array): void {
    this.queue.push(src.slice());
    this.queued += src.length;
    this.notify();
  }

  /** Receives into `dst`; undefined when it would block (EAGAIN if `nonblock`). */
  recv(dst: Uint8Array, flags: number, nonblock: boolean): Received | undefined {
    const peek = (flags & MSG.PEEK) !== 0;
    if (this.type === SOCK_STREAM) {
      const ended = this.error !== 0 || (this.shut & RCV_SHUTDOWN) !== 0;
      const short = flags & MSG.WAITALL && !nonblock && !ended && this.queued < dst.length;
      if (this.queued > 0 && !short) {
        const n = takeBytes(this.queue, dst, peek);
        if (!peek) this.queued -= n;
        return { n, full: n };
      }
      // A stream reports the peer's reset after the bytes it sent, a datagram socket before.
      if (this.queued === 0 && this.error) throw new SysError(this.takeError());
      if (this.queued === 0 && this.shut & RCV_SHUTDOWN) return { n: 0, full: 0 };
      return undefined;
    }
    if (this.error) throw new SysError(this.takeError());
    const msg = this.queue[0];
    if (!msg) {
      // After SHUT_RD, EOF, except that a non-blocking datagram receive still says EAGAIN.
      const eof = this.shut & RCV_SHUTDOWN && !(nonblock && this.type === SOCK_DGRAM);
      return eof ? { n: 0, full: 0 } : undefined;
    }
    const n = Math.min(dst.length, msg.length);
    dst.set(msg.subarray(0, n));
    if (!peek) {
      this.queue.shift();
      this.queued -= msg.length;
    }
    return { n, full: msg.length };
  }

  shutdown(how: number): void {
    const mode = how + 1;
    this.shut |= mode;
    this.notify();
    const other = this.peer;
    if (!other || this.type === SOCK_DGRAM) return;
    // A connection: the peer cannot send what we will not read, nor read what we will not send.
    other.shut |= (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) | (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
    other.notify();
  }

  takeError(): number {
    const e = this.error;
    this.error = 0;
    return e;
  }

  override read(dst: Uint8Array): number | undefined {
    if (dst.length === 0) return 0;
    return this.recv(dst, 0, (this.flags & O.NONBLOCK) !== 0)?.n;
  }
  override write(src: Uint8Array): number {
    return this.send(src);
  }
  override stat(): StatInfo {
    return syntheticStat(S_IFSOCK | 0o777, 0, BigInt(this.id));
  }
  override anonName(): string {
    return `socket:[${this.id}]`;
  }
  override unread(): number {
    return this.type === SOCK_DGRAM ? (this.queue[0]?.length ?? 0) : this.queued;
  }
  override onReadable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  /** unix_poll/unix_dgram_poll; always writable, since sends never block here. */
  override poll(): number {
    let mask = POLLOUT | POLLWRNORM | POLLWRBAND;
    if (this.error) mask |= POLLERR;
    if (this.shut === SHUTDOWN_MASK) mask |= POLLHUP;
    if (this.shut & RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.queue.length) mask |= POLLIN | POLLRDNORM;
    return mask;
  }
  protected override close(): void {
    this.released = true;
    this.shut = SHUTDOWN_MASK;
    const other = this.peer;
    this.peer = undefined;
    if (other && this.type !== SOCK_DGRAM) {
      other.shut = SHUTDOWN_MASK;
      if (this.queue.length) other.error = ERRNO.ECONNRESET;
    }
    this.queue = [];
    this.queued = 0;
    other?.notify();
  }
  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

function socketOf(p: UserProcess, fd: number): Socket {
  const f = p.fds.get(fd);
  if (!(f instanceof Socket)) throw new SysError(ERRNO.ENOTSOCK);
  return f;
}

function socketpair(p: UserProcess, t: Thread): number {
  const [domain, typeArg, protocol, sv] = [t.argInt(0), t.argInt(1), t.argInt(2), t.arg(3)];
  let type = typeArg & SOCK_TYPE_MASK;
  if (typeArg & ~(SOCK_TYPE_MASK | O.NONBLOCK | O.CLOEXEC) || type >= SOCK_MAX)
    throw new SysError(ERRNO.EINVAL);
  // Other families would make a socket, then refuse to pair it.
  if (domain !== AF_UNIX)
    throw new SysError(domain === AF_INET || domain === AF_INET6 ? ERRNO.EOPNOTSUPP : ERRNO.EAFNOSUPPORT);
  if (protocol !== 0 && protocol !== AF_UNIX) throw new SysError(ERRNO.EPROTONOSUPPORT);
  if (type === SOCK_RAW) type = SOCK_DGRAM; // as in Linux (and BSD)
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_SEQPACKET)
    throw new SysError(ERRNO.ESOCKTNOSUPPORT);
  const a = new Socket(type, typeArg & O.NONBLOCK);
  const b = new Socket(type, typeArg & O.NONBLOCK);
  a.peer = b;
  b.peer = a;
  const fds: number[] = [];
  try {
    for (const s of [a, b]) fds.push(p.fds.add(s, (typeArg & O.CLOEXEC) !== 0));
    p.as.setU32(sv, fds[0]);
    p.as.setU32(sv + 4, fds[1]);
  } catch (e) {
    for (const fd of fds) p.fds.close(fd);
    throw e;
  }
  return 0;
}

/** A sockaddr from the guest (move_addr_to_kernel); undefined without one. */
export function addressIn(p: UserProcess, addr: number, len: number): Uint8Array | undefined {
  if (!addr || len === 0) return undefined;
  if (len < 0 || len > SOCKADDR_STORAGE) throw new SysError(ERRNO.EINVAL);
  return p.as.bytes(addr, len);
}

/** A sockaddr to the guest (move_addr_to_user): what fits in *lenPtr, then its full length there. */
export function addressOut(p: UserProcess, addr: number, lenPtr: number, sa: Uint8Array): void {
  const len = p.as.i32(lenPtr);
  if (len < 0) throw new SysError(ERRNO.EINVAL);
  p.as.write(addr, sa.subarray(0, Math.min(len, sa.length)));
  p.as.setU32(lenPtr, sa.length);
}

function sendOn(
  p: UserProcess,
  t: Thread,
  s: Socket,
  src: Uint8Array,
  flags: number,
  to?: Uint8Array,
): number {
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  if (to) {
    // A stream is connected already and a seqpacket ignores the address; a datagram would go
    // to the named socket, but no socket has a name here.
    if (s.type === SOCK_STREAM) throw new SysError(ERRNO.EISCONN);
    if (s.type === SOCK_DGRAM) {
      const valid = to.length > 2 && to.length <= 110 && to[0] === AF_UNIX && to[1] === 0;
      throw new SysError(valid ? ERRNO.ECONNREFUSED : ERRNO.EINVAL);
    }
  }
  try {
    return s.send(src);
  } catch (e) {
    if (e instanceof SysError && e.errno === ERRNO.EPIPE && s.sigpipe && !(flags & MSG.NOSIGNAL))
      sendSignal(p, t, SIG.SIGPIPE);
    throw e;
  }
}

/** recvfrom/recvmsg; `report` writes what the call returns besides the data. */
function recvOn(
  p: UserProcess,
  t: Thread,
  s: Socket,
  iovs: Iov[],
  flags: number,
  report: (truncated: boolean) => void,
): SysResult {
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  const nonblock = (flags & MSG.DONTWAIT) !== 0 || (s.flags & O.NONBLOCK) !== 0;
  return readInto(p, t, s, iovs, nonblock, (dst) => {
    const r = s.recv(dst, flags, nonblock);
    if (!r) return undefined;
    report(r.full > r.n);
    return flags & MSG.TRUNC ? r.full : r.n;
  });
}

// struct msghdr on riscv64: name, namelen (int), iov, iovlen, control, controllen, flags (int).
export const MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROLLEN = 40, MSG_FLAGS = 48; // prettier-ignore

export function msghdr(p: UserProcess, at: number): { name: number; namelen: number; iovs: Iov[] } {
  const name = p.as.u64(at + MSG_NAME);
  const namelen = name ? p.as.i32(at + MSG_NAMELEN) : 0;
  if (namelen < 0) throw new SysError(ERRNO.EINVAL);
  const iovlen = p.as.u64(at + MSG_IOVLEN);
  if (iovlen > UIO_MAXIOV) throw new SysError(ERRNO.EMSGSIZE);
  return {
    name,
    namelen: Math.min(namelen, SOCKADDR_STORAGE),
    iovs: iovecs(p, p.as.u64(at + MSG_IOV), iovlen),
  };
}

function sendto(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const src = p.as.bytes(t.arg(1), t.arg(2));
  return sendOn(p, t, s, src, t.argInt(3), addressIn(p, t.arg(4), t.argInt(5)));
}

function sendmsg(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const m = msghdr(p, t.arg(1));
  // Control messages (SCM_RIGHTS, SCM_CREDENTIALS) are not passed on.
  return sendOn(p, t, s, gather(p, m.iovs), t.argInt(2), addressIn(p, m.name, m.namelen));
}

function recvmsg(p: UserProcess, t: Thread): SysResult {
  const s = socketOf(p, t.argInt(0));
  const at = t.arg(1);
  const flags = t.argInt(2);
  const m = msghdr(p, at);
  return recvOn(p, t, s, m.iovs, flags, (truncated) => {
    if (m.name) addressOut(p, m.name, at + MSG_NAMELEN, new Uint8Array(0)); // the sender has no name
    p.as.setU64(at + MSG_CONTROLLEN, 0);
    p.as.setU32(at + MSG_FLAGS, (flags & MSG.CMSG_CLOEXEC) | (truncated ? MSG.TRUNC : 0));
  });
}

function recvfrom(p: UserProcess, t: Thread): SysResult {
  const s = socketOf(p, t.argInt(0));
  const [from, fromLen] = [t.arg(4), t.arg(5)];
  return recvOn(p, t, s, [[t.arg(1), t.arg(2)]], t.argInt(3), () => {
    if (from) addressOut(p, from, fromLen, new Uint8Array(0));
  });
}

function getsockopt(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const [level, name, val, lenPtr] = [t.argInt(1), t.argInt(2), t.arg(3), t.arg(4)];
  if (level !== SOL_SOCKET) throw new SysError(ERRNO.EOPNOTSUPP);
  const len = p.as.i32(lenPtr);
  if (len < 0) throw new SysError(ERRNO.EINVAL);
  let v: number;
  switch (name) {
    case SO.TYPE: v = s.type; break;
    case SO.DOMAIN: v = AF_UNIX; break;
    case SO.PROTOCOL: case SO.ACCEPTCONN: v = 0; break;
    case SO.ERROR: v = s.takeError(); break;
    case SO.SNDBUF: case SO.RCVBUF: v = SOCK_BUF_BYTES; break;
    default: throw new SysError(ERRNO.ENOPROTOOPT);
  } // prettier-ignore
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, v, true);
  const n = Math.min(len, 4);
  p.as.write(val, bytes.subarray(0, n));
  p.as.setU32(lenPtr, n);
  return 0;
}

function setsockopt(p: UserProcess, t: Thread): number {
  socketOf(p, t.argInt(0));
  const [level, name, val, len] = [t.argInt(1), t.argInt(2), t.arg(3), t.argInt(4)];
  if (level !== SOL_SOCKET) throw new SysError(ERRNO.EOPNOTSUPP);
  if (len < 4) throw new SysError(ERRNO.EINVAL);
  p.as.i32(val);
  // Buffer sizes change nothing here (sends never block); no address is ever bound to reuse.
  if (name === SO.REUSEADDR || name === SO.SNDBUF || name === SO.RCVBUF) return 0;
  throw new SysError(ERRNO.ENOPROTOOPT);
}

export const SOCKET_SYSCALLS: SyscallDef[] = [
  sys(198, "socket", "ixi", () => -ERRNO.EAFNOSUPPORT),
  sys(199, "socketpair", "ixip", socketpair),
  sys(204, "getsockname", "ipp", (p, t) => {
    socketOf(p, t.argInt(0));
    addressOut(p, t.arg(1), t.arg(2), UNNAMED);
    return 0;
  }),
  sys(205, "getpeername", "ipp", (p, t) => {
    if (!socketOf(p, t.argInt(0)).peer) throw new SysError(ERRNO.ENOTCONN);
    addressOut(p, t.arg(1), t.arg(2), UNNAMED);
    return 0;
  }),
  sys(206, "sendto", "ibuxpi", sendto),
  sys(207, "recvfrom", "ipuxpp", recvfrom),
  sys(208, "setsockopt", "iiipi", setsockopt),
  sys(209, "getsockopt", "iiipp", getsockopt),
  sys(210, "shutdown", "ii", (p, t) => {
    const s = socketOf(p, t.argInt(0));
    const how = t.argInt(1);
    if (how < SHUT_RD || how > SHUT_RDWR) throw new SysError(ERRNO.EINVAL);
    s.shutdown(how);
    return 0;
  }),
  sys(211, "sendmsg", "ipx", sendmsg),
  sys(212, "recvmsg", "ipx", recvmsg),
];
