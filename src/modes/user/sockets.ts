// AF_UNIX sockets (unix(7)): socket and socketpair make in-memory endpoints (stream, datagram
// or seqpacket); names, connections and accept are in unix.ts, control messages (SCM_RIGHTS,
// SCM_CREDENTIALS) in scm.ts. Here: the socket itself, send/recv in their msg and address
// forms, shutdown, socket options and names. Like guest pipes, sends never block (the receive
// queue grows) and a receive that would block deschedules its thread alone. Behaviour follows
// Linux's net/unix/af_unix.c.
//
// Differs from Linux: sends never block and never fail with EAGAIN (no buffer limit, no
// backlog limit for connections), so SO_SNDTIMEO is kept but never waited out (SO_RCVTIMEO
// is); SO_SNDBUF and SO_RCVBUF are accepted and ignored; a plain
// write(2) carries the credentials of the process that made the socket; MSG_OOB is refused
// (EOPNOTSUPP); only SOL_SOCKET options exist. Other address families fail with EAFNOSUPPORT.
import { ERRNO, O, SIG } from "./abi.js";
import {
  EDGE_ALL,
  EDGE_IN,
  EDGE_OUT,
  bumpEdges,
  GuestFile,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  S_IFSOCK,
  syntheticStat,
  type StatInfo,
} from "./files.js";
import { gather, iovecs, readInto, type Iov } from "./io.js";
import type { UserProcess } from "./process.js";
import { credOf, dropRights, MSG_CTRUNC, readControl, SOL_SOCKET, writeControl, type Ancillary, type Ucred } from "./scm.js"; // prettier-ignore
import { sendSignal } from "./signals.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { autobind, findPeer } from "./unix.js";

export const AF_UNIX = 1;
const AF_INET = 2, AF_INET6 = 10; // prettier-ignore
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5; // prettier-ignore
const SOCK_RAW = 3, SOCK_MAX = 11, SOCK_TYPE_MASK = 0xf; // prettier-ignore
const SO = { REUSEADDR: 2, TYPE: 3, ERROR: 4, SNDBUF: 7, RCVBUF: 8, PASSCRED: 16, PEERCRED: 17, RCVTIMEO: 20,
  SNDTIMEO: 21, ACCEPTCONN: 30, PROTOCOL: 38, DOMAIN: 39, RCVTIMEO_NEW: 66, SNDTIMEO_NEW: 67 }; // prettier-ignore
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
/** The uid and gid that stand for none (/proc/sys/kernel/overflowuid). */
const OVERFLOW_ID = 65534;
/** getsockname of an unbound AF_UNIX socket: sun_family alone. */
const UNNAMED = Uint8Array.of(AF_UNIX, 0);
/** recvfrom's address of a sender without a name: nothing. */
const NO_NAME = new Uint8Array(0);

export interface Received {
  /** Bytes copied into the buffer. */
  n: number;
  /** The length of the datagram they came from (= n on a stream). */
  full: number;
  /** The sender's name (empty when it has none) and what came with the bytes. */
  from: Uint8Array;
  anc?: Ancillary;
}

/** Bytes in a receive queue: one send of a stream (what is left of it), or one datagram. */
interface Message {
  data: Uint8Array;
  from: Uint8Array;
  anc: Ancillary;
}

let sockets = 0;

/** An AF_UNIX socket: what peers send waits in `queue` until this end receives it. */
export class Socket extends GuestFile {
  /** Its number in /proc/self/fd names ("socket:[n]"). */
  readonly id = ++sockets;
  /** Stays set when the peer closes (a datagram socket forgets it at its next send). */
  peer: Socket | undefined;
  /** Its address as getsockname reports it (bind, autobind, or a listener's for accepted ones). */
  name: Uint8Array | undefined;
  /** Where `name` is registered (unix.ts), to forget it at close. */
  unbind: (() => void) | undefined;
  /** listen(): connections waiting for accept (each the server end of a new pair). */
  backlog: Socket[] | undefined;
  /** SO_PEERCRED: who connected, listened or made the pair. */
  peerCred: Ucred | undefined;
  /** SO_PASSCRED: recvmsg reports each message's sender. */
  passcred = false;
  /** A connection its listener closed before accepting it. */
  embryo = false;
  private queue: Message[] = [];
  private queued = 0;
  /** sk_shutdown: RCV_SHUTDOWN | SEND_SHUTDOWN. */
  private shut = 0;
  /** SO_ERROR: ECONNRESET when the peer closed with bytes it never read. */
  private error = 0;
  released = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly type: number,
    flags: number,
    /** The process that made it (credentials of its writes). */
    readonly creator: Ucred,
  ) {
    super(O.RDWR | flags);
    this.sigpipe = type === SOCK_STREAM;
  }

  /** Queues `src` on the peer (or on `to`, a datagram's named target); throws the errno of a failure. */
  send(src: Uint8Array, anc: Ancillary, to?: Socket): number {
    if (this.type === SOCK_SEQPACKET && this.error) throw new SysError(this.takeError());
    const other = to ?? this.peer;
    if (!other) throw new SysError(ERRNO.ENOTCONN);
    if (this.type === SOCK_STREAM) {
      if (this.shut & SEND_SHUTDOWN || other.released || other.shut & RCV_SHUTDOWN)
        throw new SysError(ERRNO.EPIPE);
      // unix_stream_sendmsg sends nothing for no bytes, files included.
      if (src.length) other.deliver(src, anc, this.name);
      else dropRights(anc.rights);
      return src.length;
    }
    if (src.length > SOCK_BUF_BYTES - 32) throw new SysError(ERRNO.EMSGSIZE);
    if (other.released) {
      if (this.type === SOCK_SEQPACKET) throw new SysError(ERRNO.EPIPE);
      if (to) throw new SysError(ERRNO.ECONNREFUSED);
      // A datagram socket drops a peer that is gone, with what it had received from it.
      this.peer = undefined;
      this.drop();
      throw new SysError(ERRNO.ECONNREFUSED);
    }
    // unix_may_send: a connected datagram socket hears only from its peer.
    if (to && other.peer && other.peer !== this) throw new SysError(ERRNO.EPERM);
    if (other.shut & RCV_SHUTDOWN) throw new SysError(ERRNO.EPIPE);
    other.deliver(src, anc, this.name); // a datagram may be empty
    return src.length;
  }

  private deliver(src: Uint8Array, anc: Ancillary, from: Uint8Array | undefined): void {
    this.queue.push({ data: src.slice(), from: from ?? NO_NAME, anc });
    this.queued += src.length;
    this.notify(EDGE_IN);
  }

  /** Receives into `dst`; undefined when it would block (EAGAIN if `nonblock`). */
  recv(dst: Uint8Array, flags: number, nonblock: boolean): Received | undefined {
    const peek = (flags & MSG.PEEK) !== 0;
    if (this.type === SOCK_STREAM) {
      const ended = this.error !== 0 || (this.shut & RCV_SHUTDOWN) !== 0;
      const short = flags & MSG.WAITALL && !nonblock && !ended && this.queued < dst.length;
      if (this.queue.length > 0 && !short) return this.takeStream(dst, peek);
      // A stream reports the peer's reset after the bytes it sent, a datagram socket before.
      if (this.queued === 0 && this.error) throw new SysError(this.takeError());
      if (this.queued === 0 && this.shut & RCV_SHUTDOWN) return { n: 0, full: 0, from: NO_NAME };
      return undefined;
    }
    if (this.error) throw new SysError(this.takeError());
    const msg = this.queue[0];
    if (!msg) {
      // After SHUT_RD, EOF, except that a non-blocking datagram receive still says EAGAIN.
      const eof = this.shut & RCV_SHUTDOWN && !(nonblock && this.type === SOCK_DGRAM);
      return eof ? { n: 0, full: 0, from: NO_NAME } : undefined;
    }
    const n = Math.min(dst.length, msg.data.length);
    dst.set(msg.data.subarray(0, n));
    let anc = msg.anc;
    if (peek && anc.rights) {
      for (const f of anc.rights) f.refs++; // MSG_PEEK passes copies of the files
      anc = { ...anc, rights: [...anc.rights] };
    } else if (!peek) {
      this.queue.shift();
      this.queued -= msg.data.length;
    }
    return { n, full: msg.data.length, from: msg.from, anc };
  }

  /**
   * A stream's bytes, across sends; files sent go to the receive that first reaches their
   * bytes, which ends there (unix_stream_read_generic).
   */
  private takeStream(dst: Uint8Array, peek: boolean): Received {
    let n = 0;
    const first = this.queue[0];
    let rights: Ancillary["rights"];
    for (let i = 0; i < this.queue.length && (n < dst.length || n === 0);) {
      const m = this.queue[i];
      const k = Math.min(m.data.length, dst.length - n);
      dst.set(m.data.subarray(0, k), n);
      n += k;
      if (m.anc.rights && !peek) {
        rights = m.anc.rights;
        m.anc = { cred: m.anc.cred };
      }
      if (peek) i++;
      else if (k === m.data.length) {
        this.queue.shift();
        this.peer?.notify(EDGE_OUT); // the sender's buffer is freed (sock_wfree, unix_write_space)
      } else m.data = m.data.subarray(k);
      if (rights || dst.length === 0) break;
    }
    if (!peek) this.queued -= n;
    return { n, full: n, from: first.from, anc: { cred: first.anc.cred, rights } };
  }

  /** A new connection: the server end of a pair, for accept. */
  connectFrom(client: Socket, cred: Ucred): void {
    const server = new Socket(this.type, 0, this.creator);
    server.name = this.name;
    server.peer = client;
    server.peerCred = cred;
    client.peer = server;
    client.peerCred = this.peerCred;
    this.backlog!.push(server);
    this.notify(EDGE_IN);
  }

  /** The next connection waiting for accept, if any. */
  takeConnection(): Socket | undefined {
    return this.backlog?.shift();
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
    const r = this.recv(dst, 0, (this.flags & O.NONBLOCK) !== 0);
    dropRights(r?.anc?.rights); // read(2) discards files sent along
    return r?.n;
  }
  override write(src: Uint8Array): number {
    return this.send(src, { cred: this.creator }); // write(2) knows no caller: the creator's credentials
  }
  override stat(): StatInfo {
    return syntheticStat(S_IFSOCK | 0o777, 0, BigInt(this.id));
  }
  override anonName(): string {
    return `socket:[${this.id}]`;
  }
  override unread(): number {
    return this.type === SOCK_DGRAM ? (this.queue[0]?.data.length ?? 0) : this.queued;
  }
  override onReadable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  /** unix_poll/unix_dgram_poll; always writable, since sends never block here. */
  override poll(): number {
    if (this.backlog) return this.backlog.length ? POLLIN | POLLRDNORM : 0;
    let mask = POLLOUT | POLLWRNORM | POLLWRBAND;
    if (this.error) mask |= POLLERR;
    if (this.shut === SHUTDOWN_MASK) mask |= POLLHUP;
    if (this.shut & RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.queue.length) mask |= POLLIN | POLLRDNORM;
    // A connection-oriented socket that is not connected (yet) hangs up.
    if (this.type !== SOCK_DGRAM && !this.peer) mask |= POLLHUP;
    return mask;
  }
  protected override close(): void {
    this.released = true;
    this.shut = SHUTDOWN_MASK;
    this.unbind?.();
    for (const s of this.backlog ?? []) {
      s.embryo = true; // connections never accepted are reset
      s.release();
    }
    this.backlog = undefined;
    const other = this.peer;
    this.peer = undefined;
    if (other && this.type !== SOCK_DGRAM) {
      other.shut = SHUTDOWN_MASK;
      if (this.queue.length || this.embryo) other.error = ERRNO.ECONNRESET;
    }
    this.drop();
    other?.notify();
  }
  /** Empties the receive queue, dropping the files in flight in it. */
  private drop(): void {
    const q = this.queue;
    this.queue = [];
    this.queued = 0;
    for (const m of q) dropRights(m.anc.rights);
  }
  notify(kind = EDGE_ALL): void {
    bumpEdges(this.edges, kind);
    for (const w of [...this.waiters]) w();
  }
}

export function socketOf(p: UserProcess, fd: number): Socket {
  const f = p.fds.get(fd);
  if (!(f instanceof Socket)) throw new SysError(ERRNO.ENOTSOCK);
  return f;
}

/** socket(2)'s type argument: the type (SOCK_RAW is a datagram, as in Linux) and the flags. */
function socketType(typeArg: number): number {
  const type = typeArg & SOCK_TYPE_MASK;
  if (typeArg & ~(SOCK_TYPE_MASK | O.NONBLOCK | O.CLOEXEC) || type >= SOCK_MAX)
    throw new SysError(ERRNO.EINVAL);
  return type === SOCK_RAW ? SOCK_DGRAM : type;
}

function unixSocket(p: UserProcess, typeArg: number, protocol: number): Socket {
  const type = socketType(typeArg);
  if (protocol !== 0 && protocol !== AF_UNIX) throw new SysError(ERRNO.EPROTONOSUPPORT);
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_SEQPACKET)
    throw new SysError(ERRNO.ESOCKTNOSUPPORT);
  return new Socket(type, typeArg & O.NONBLOCK, credOf(p));
}

function socket(p: UserProcess, t: Thread): number {
  const [domain, typeArg, protocol] = [t.argInt(0), t.argInt(1), t.argInt(2)];
  if (domain !== AF_UNIX) throw new SysError(ERRNO.EAFNOSUPPORT);
  return p.fds.add(unixSocket(p, typeArg, protocol), (typeArg & O.CLOEXEC) !== 0);
}

function socketpair(p: UserProcess, t: Thread): number {
  const [domain, typeArg, protocol, sv] = [t.argInt(0), t.argInt(1), t.argInt(2), t.arg(3)];
  socketType(typeArg);
  // Other families would make a socket, then refuse to pair it.
  if (domain !== AF_UNIX)
    throw new SysError(domain === AF_INET || domain === AF_INET6 ? ERRNO.EOPNOTSUPP : ERRNO.EAFNOSUPPORT);
  const a = unixSocket(p, typeArg, protocol);
  const b = unixSocket(p, typeArg, protocol);
  a.peer = b;
  b.peer = a;
  a.peerCred = b.peerCred = credOf(p);
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
  return p.as.bytes(addr, len).slice();
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
  to: Uint8Array | undefined,
  anc: Ancillary,
): number {
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  let target: Socket | undefined;
  // A stream is connected already and a seqpacket ignores the address; a datagram goes to the named socket.
  if (to && s.type === SOCK_STREAM) throw new SysError(s.peer ? ERRNO.EISCONN : ERRNO.EOPNOTSUPP);
  if (to && s.type === SOCK_DGRAM) {
    if (s.passcred) autobind(p, s);
    target = findPeer(p, to, s.type);
  }
  try {
    return s.send(src, anc, target);
  } catch (e) {
    if (e instanceof SysError && e.errno === ERRNO.EPIPE && s.sigpipe && !(flags & MSG.NOSIGNAL))
      sendSignal(p, t, SIG.SIGPIPE);
    throw e;
  }
}

/** Throws what a receive on `s` fails with before it looks for data; returns whether it must not block. */
export function checkReceive(s: Socket, flags: number): boolean {
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  // A listener or a socket never connected: unix_stream_read_generic, unix_seqpacket_recvmsg.
  if (s.backlog || (s.type !== SOCK_DGRAM && !s.peer))
    throw new SysError(s.type === SOCK_SEQPACKET ? ERRNO.ENOTCONN : ERRNO.EINVAL);
  return (flags & MSG.DONTWAIT) !== 0 || (s.flags & O.NONBLOCK) !== 0;
}

/** recvfrom/recvmsg; `report` writes what the call returns besides the data. */
function recvOn(
  p: UserProcess,
  t: Thread,
  s: Socket,
  iovs: Iov[],
  flags: number,
  report: (r: Received) => void,
): SysResult {
  const nonblock = checkReceive(s, flags);
  return readInto(p, t, s, iovs, nonblock, (dst) => {
    const r = s.recv(dst, flags, nonblock);
    if (!r) return undefined;
    report(r);
    return flags & MSG.TRUNC ? r.full : r.n;
  });
}

// struct msghdr on riscv64: name, namelen (int), iov, iovlen, control, controllen, flags (int).
export const MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32, MSG_CONTROLLEN = 40,
  MSG_FLAGS = 48; // prettier-ignore

export interface MsgHdr {
  name: number;
  namelen: number;
  iovs: Iov[];
  control: number;
  controllen: number;
}

export function msghdr(p: UserProcess, at: number): MsgHdr {
  const name = p.as.u64(at + MSG_NAME);
  const namelen = name ? p.as.i32(at + MSG_NAMELEN) : 0;
  if (namelen < 0) throw new SysError(ERRNO.EINVAL);
  const iovlen = p.as.u64(at + MSG_IOVLEN);
  if (iovlen > UIO_MAXIOV) throw new SysError(ERRNO.EMSGSIZE);
  const controllen = p.as.u64(at + MSG_CONTROLLEN);
  if (controllen > 0x7fffffff) throw new SysError(ERRNO.ENOBUFS);
  return {
    name,
    namelen: Math.min(namelen, SOCKADDR_STORAGE),
    iovs: iovecs(p, p.as.u64(at + MSG_IOV), iovlen),
    control: p.as.u64(at + MSG_CONTROL),
    controllen,
  };
}

function sendto(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const src = p.as.bytes(t.arg(1), t.arg(2));
  return sendOn(p, t, s, src, t.argInt(3), addressIn(p, t.arg(4), t.argInt(5)), { cred: credOf(p) });
}

function sendmsg(p: UserProcess, t: Thread): number {
  return sendMessage(p, t, socketOf(p, t.argInt(0)), t.arg(1), t.argInt(2));
}

/** Sends the struct msghdr at `at` (sendmsg, and each of sendmmsg's). */
export function sendMessage(p: UserProcess, t: Thread, s: Socket, at: number, flags: number): number {
  const m = msghdr(p, at);
  const src = gather(p, m.iovs);
  const to = addressIn(p, m.name, m.namelen);
  const anc = readControl(p, m.control, m.controllen);
  try {
    return sendOn(p, t, s, src, flags, to, anc);
  } catch (e) {
    dropRights(anc.rights);
    throw e;
  }
}

function recvmsg(p: UserProcess, t: Thread): SysResult {
  const s = socketOf(p, t.argInt(0));
  const at = t.arg(1);
  const flags = t.argInt(2);
  const m = msghdr(p, at);
  return recvOn(p, t, s, m.iovs, flags, (r) => reportMessage(p, s, at, m, flags, r));
}

/** What recvmsg writes into the struct msghdr at `at` besides the data: name, control, flags. */
export function reportMessage(
  p: UserProcess,
  s: Socket,
  at: number,
  m: MsgHdr,
  flags: number,
  r: Received,
): void {
  if (m.name) addressOut(p, m.name, at + MSG_NAMELEN, r.from);
  const cloexec = (flags & MSG.CMSG_CLOEXEC) !== 0;
  const c = writeControl(p, m.control, m.control ? m.controllen : 0, r.anc, s.passcred, cloexec);
  p.as.setU64(at + MSG_CONTROLLEN, c.used);
  const out = (flags & MSG.CMSG_CLOEXEC) | (r.full > r.n ? MSG.TRUNC : 0) | (c.truncated ? MSG_CTRUNC : 0);
  p.as.setU32(at + MSG_FLAGS, out);
}

function recvfrom(p: UserProcess, t: Thread): SysResult {
  const s = socketOf(p, t.argInt(0));
  const [from, fromLen] = [t.arg(4), t.arg(5)];
  return recvOn(p, t, s, [[t.arg(1), t.arg(2)]], t.argInt(3), (r) => {
    dropRights(r.anc?.rights);
    if (from) addressOut(p, from, fromLen, r.from);
  });
}

/**
 * setsockopt of SO_RCVTIMEO or SO_SNDTIMEO (either form: on riscv64 both take a 16-byte
 * timeval) on any socket, as sock_set_timeout checks it; false for another option. Differs
 * from Linux: the time is kept to the microsecond, not rounded up to the host's clock tick.
 */
export function setTimeoutOption(
  p: UserProcess,
  s: GuestFile,
  name: number,
  val: number,
  len: number,
): boolean {
  const recv = name === SO.RCVTIMEO || name === SO.RCVTIMEO_NEW;
  if (!recv && name !== SO.SNDTIMEO && name !== SO.SNDTIMEO_NEW) return false;
  if (len < 16) throw new SysError(ERRNO.EINVAL);
  const [sec, usec] = [p.as.i64(val), p.as.i64(val + 8)];
  if (usec < 0 || usec >= 1e6) throw new SysError(ERRNO.EDOM);
  const us = sec < 0 ? 0 : sec * 1e6 + usec; // a negative time means none
  if (recv) s.recvTimeoutUs = us;
  else s.sendTimeoutUs = us;
  return true;
}

/** getsockopt's timeval for SO_RCVTIMEO or SO_SNDTIMEO (either form). */
export function timeoutOption(s: GuestFile, name: number): Uint8Array {
  const us = name === SO.RCVTIMEO || name === SO.RCVTIMEO_NEW ? s.recvTimeoutUs : s.sendTimeoutUs;
  const tv = new Uint8Array(16);
  new DataView(tv.buffer).setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
  new DataView(tv.buffer).setBigInt64(8, BigInt(us % 1e6), true);
  return tv;
}

function getsockopt(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const [level, name, val, lenPtr] = [t.argInt(1), t.argInt(2), t.arg(3), t.arg(4)];
  if (level !== SOL_SOCKET) throw new SysError(ERRNO.EOPNOTSUPP);
  const len = p.as.i32(lenPtr);
  if (len < 0) throw new SysError(ERRNO.EINVAL);
  let v: number[] = [];
  let bytes: Uint8Array | undefined;
  switch (name) {
    case SO.RCVTIMEO: case SO.SNDTIMEO: case SO.RCVTIMEO_NEW: case SO.SNDTIMEO_NEW:
      bytes = timeoutOption(s, name); break;
    case SO.TYPE: v = [s.type]; break;
    case SO.DOMAIN: v = [AF_UNIX]; break;
    case SO.PROTOCOL: v = [0]; break;
    case SO.ACCEPTCONN: v = [s.backlog ? 1 : 0]; break;
    case SO.ERROR: v = [s.takeError()]; break;
    case SO.SNDBUF: case SO.RCVBUF: v = [SOCK_BUF_BYTES]; break;
    case SO.PASSCRED: v = [s.passcred ? 1 : 0]; break;
    case SO.PEERCRED: {
      // Unconnected: no pid, and the overflow ids (cred_to_ucred of nothing).
      const c = s.peerCred ?? { pid: 0, uid: OVERFLOW_ID, gid: OVERFLOW_ID };
      v = [c.pid, c.uid, c.gid];
      break;
    }
    default: throw new SysError(ERRNO.ENOPROTOOPT);
  } // prettier-ignore
  if (!bytes) {
    const out = (bytes = new Uint8Array(4 * v.length));
    v.forEach((x, i) => new DataView(out.buffer).setInt32(4 * i, x, true));
  }
  const n = Math.min(len, bytes.length);
  p.as.write(val, bytes.subarray(0, n));
  p.as.setU32(lenPtr, n);
  return 0;
}

function setsockopt(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const [level, name, val, len] = [t.argInt(1), t.argInt(2), t.arg(3), t.argInt(4)];
  if (level !== SOL_SOCKET) throw new SysError(ERRNO.EOPNOTSUPP);
  if (setTimeoutOption(p, s, name, val, len)) return 0;
  if (len < 4) throw new SysError(ERRNO.EINVAL);
  const on = p.as.i32(val) !== 0;
  if (name === SO.PASSCRED) {
    s.passcred = on;
    return 0;
  }
  // Buffer sizes change nothing here (sends never block); AF_UNIX names are never reused anyway.
  if (name === SO.REUSEADDR || name === SO.SNDBUF || name === SO.RCVBUF) return 0;
  throw new SysError(ERRNO.ENOPROTOOPT);
}

export const SOCKET_SYSCALLS: SyscallDef[] = [
  sys(198, "socket", "ixi", socket),
  sys(199, "socketpair", "ixip", socketpair),
  sys(204, "getsockname", "ipp", (p, t) => {
    addressOut(p, t.arg(1), t.arg(2), socketOf(p, t.argInt(0)).name ?? UNNAMED);
    return 0;
  }),
  sys(205, "getpeername", "ipp", (p, t) => {
    const s = socketOf(p, t.argInt(0));
    if (!s.peer || (s.type !== SOCK_DGRAM && s.released)) throw new SysError(ERRNO.ENOTCONN);
    addressOut(p, t.arg(1), t.arg(2), s.peer.name ?? UNNAMED);
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
