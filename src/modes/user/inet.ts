// Internet sockets (AF_INET, AF_INET6; TCP and UDP) over the host's network through Node's
// net and dgram modules. Node works asynchronously: a socket keeps what the host delivered
// (bytes, datagrams, connections, the outcome of a bind or connect) and wakes its waiters, and
// a guest call that must wait deschedules its own thread only (netcalls.ts). Only with
// `--net host` can a guest make one (netcalls.ts refuses socket() otherwise).
//
// Where Linux and this differ (Node exposes no lower layer), each difference:
// - bind() of a TCP socket already listens on the host (Node binds and listens in one step):
//   a connection made between bind() and listen() is queued for accept() where Linux would
//   refuse it; the host backlog is Node's (511), listen()'s backlog argument is not used.
// - SO_REUSEADDR is always in effect for TCP (libuv sets it on every TCP socket); the option
//   still reads back as the guest set it. SO_REUSEPORT is recorded, not applied.
// - Loopback data, datagrams and connections arrive through the host's event loop, so a
//   non-blocking receive or accept right after the peer's send or connect can say EAGAIN
//   where Linux already has the data; blocking calls, poll and epoll wait for it as usual.
// - A non-blocking connect() always says EINPROGRESS (as Linux does for TCP); a refused or
//   failed connect is reported when the host reports it (SO_ERROR, poll's POLLERR).
// - Sends never block on the host's buffer: a send is accepted whole while less than the
//   socket's SO_SNDBUF (at least 256 KiB) waits in Node, else it blocks (EAGAIN when
//   non-blocking). write(2) on a socket always accepts (the buffer grows, as for pipes).
// - SO_RCVBUF and SO_SNDBUF read back as Linux computes them (twice the value set, within
//   net.core.[rw]mem_max) with the host's defaults (tcp_rmem/tcp_wmem, [rw]mem_default), but
//   Linux's later autotuning of a connected socket's sizes is not mirrored.
// - SO_LINGER: l_onoff with l_linger 0 closes with a reset (as Linux); another linger time
//   closes gracefully without waiting. close() with unread bytes resets, as Linux does.
// - TCP_KEEPIDLE sets Node's keep-alive delay; TCP_KEEPINTVL and TCP_KEEPCNT are recorded
//   and read back but the host uses its own interval and count. SO_RCVTIMEO and SO_SNDTIMEO
//   are recorded and read back, not applied. IP_TOS, IP_TTL: recorded, not applied.
// - A connected UDP socket's sendto() to another address fails with EISCONN (Linux sends it).
// - ICMP errors on UDP (ECONNREFUSED from a closed port) are not reported; MSG_OOB is
//   EOPNOTSUPP; no control messages (IP_PKTINFO, timestamps) are returned.
// - UDP receive queues drop datagrams beyond SO_RCVBUF counted in payload bytes (Linux counts
//   buffer overhead too, so it drops sooner).
// - Raw and ICMP sockets are not available (socket() says ESOCKTNOSUPPORT / EPROTONOSUPPORT).
import type * as dgram from "node:dgram";
import { readFileSync } from "node:fs";
import type * as net from "node:net";
import { ERRNO, hostErrno, O } from "./abi.js";
import { bumpEdges, EDGE_ALL, EDGE_IN, EDGE_OUT, GuestFile, POLLERR, POLLHUP, POLLIN, POLLOUT, S_IFSOCK, syntheticStat, type StatInfo } from "./files.js"; // prettier-ignore
import { anyAddr, AF_INET6, decodeSockaddr, encodeSockaddr, type InetAddr } from "./inetaddr.js";
import { takeBytes } from "./pipes.js";
import { SysError } from "./syscall.js";

export const SOCK_STREAM = 1, SOCK_DGRAM = 2; // prettier-ignore
export const IPPROTO_TCP = 6, IPPROTO_UDP = 17; // prettier-ignore
export const MSG_PEEK = 2, MSG_WAITALL = 0x100; // prettier-ignore
const POLLRDNORM = 0x40, POLLWRNORM = 0x100, POLLRDHUP = 0x2000; // prettier-ignore
/** sk_shutdown bits: shutdown(how) sets how + 1. */
export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3; // prettier-ignore
/** Bytes Node may hold for a send before the guest's sends wait. */
const SEND_QUEUE_MIN = 256 << 10;
/** Received bytes held before the host stream is paused. */
const RECV_QUEUE_HIGH = 1 << 20;

/**
 * The outcome of one try of a socket operation: a result, "block" (the guest waits, or gets
 * EAGAIN when non-blocking) or "host" (a host operation is under way: even a non-blocking
 * caller waits, briefly). Failures throw SysError.
 */
export type Attempt = number | "block" | "host";

export interface Received {
  /** Bytes copied into the buffer. */
  n: number;
  /** The length of the datagram they came from (= n on a stream). */
  full: number;
  /** The sender's sockaddr (datagram sockets). */
  from?: Uint8Array;
}

let sockets = 0;

/** Socket options as the guest set them: key level * 0x10000 + name. */
export const optKey = (level: number, name: number): number => level * 0x10000 + name;

/** What every network socket (inet and netlink) offers the socket syscalls. */
export abstract class NetSocket extends GuestFile {
  readonly id = ++sockets;
  readonly options = new Map<number, number>();
  /** SO_LINGER as set: [l_onoff, l_linger]. */
  linger: [number, number] = [0, 0];
  protected soError = 0;
  protected shut = 0;
  protected released = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly domain: number,
    readonly type: number,
    readonly protocol: number,
    flags: number,
  ) {
    super(O.RDWR | flags);
    this.sigpipe = type === SOCK_STREAM;
  }

  /** Starts binding to the guest's sockaddr `sa`; then bindResult(). */
  abstract bind(sa: Uint8Array): void;
  /** After bind(): 0 once bound, "host" while the host binds; throws its error. */
  abstract bindResult(): Attempt;
  abstract recv(dst: Uint8Array, flags: number, nonblock: boolean): Received | undefined;
  abstract send(src: Uint8Array, to: Uint8Array | undefined): Attempt;
  abstract localName(): Uint8Array;
  abstract peerName(): Uint8Array | undefined;
  get listening(): boolean {
    return false;
  }
  shutdown(how: number): void {
    this.shut |= how + 1;
    this.notify();
  }
  /** A socket option changed: apply it to the host socket where Node can. */
  optionChanged(): void {}

  takeError(): number {
    const e = this.soError;
    this.soError = 0;
    return e;
  }
  protected fail(e: unknown): void {
    this.soError = hostErrno(e);
    this.notify();
  }
  protected notify(kind = EDGE_ALL): void {
    bumpEdges(this.edges, kind);
    for (const w of [...this.waiters]) w();
  }
  override onReadable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  override read(dst: Uint8Array): number | undefined {
    if (dst.length === 0) return 0;
    return this.recv(dst, 0, (this.flags & O.NONBLOCK) !== 0)?.n;
  }
  override write(src: Uint8Array): number {
    const r = this.send(src, undefined);
    if (typeof r === "number") return r;
    if (this.flags & O.NONBLOCK) throw new SysError(ERRNO.EAGAIN);
    return this.sendAnyway(src);
  }
  /** write(2) cannot wait here: queue beyond the send limit. */
  protected sendAnyway(_src: Uint8Array): number {
    throw new SysError(ERRNO.EAGAIN);
  }
  override stat(): StatInfo {
    return syntheticStat(S_IFSOCK | 0o777, 0, BigInt(0x10000000 + this.id));
  }
  override anonName(): string {
    return `socket:[${0x10000000 + this.id}]`;
  }
  protected override close(): void {
    this.released = true;
    this.notify();
  }
}

/** The host's default buffer sizes (Linux sysctls; Linux's defaults elsewhere). */
export function bufferDefault(file: string, field: number, fallback: number): number {
  try {
    const text = readFileSync(`/proc/sys/net/${file}`, "utf8");
    const v = Number(text.trim().split(/\s+/)[field]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

type TcpState = "fresh" | "bound" | "listening" | "connecting" | "connected" | "closed";

/** A TCP socket: fresh, bound (a Node server), listening, or connected (a Node socket). */
export class TcpSocket extends NetSocket {
  private state: TcpState = "fresh";
  private binding = false;
  private bindError = 0;
  private server: net.Server | undefined;
  private conn: net.Socket | undefined;
  private local: InetAddr | undefined;
  private remote: InetAddr | undefined;
  private readonly backlog: net.Socket[] = [];
  private rx: Uint8Array[] = [];
  private rxBytes = 0;
  private finReceived = false;
  sendLimit = SEND_QUEUE_MIN;

  constructor(domain: number, flags: number, accepted?: net.Socket) {
    super(domain, SOCK_STREAM, IPPROTO_TCP, flags);
    if (accepted) {
      this.attach(accepted);
      this.connected(accepted);
      accepted.resume();
    }
  }

  override get listening(): boolean {
    return this.state === "listening";
  }

  override bind(sa: Uint8Array): void {
    this.bindTo(inetAddr(this.domain, sa));
  }

  private bindTo(a: InetAddr): void {
    if (this.state !== "fresh" || this.binding) throw new SysError(ERRNO.EINVAL);
    this.binding = true;
    const server = process
      .getBuiltinModule("node:net")
      .createServer({ pauseOnConnect: true, allowHalfOpen: true });
    server.on("connection", (c) => {
      c.on("error", () => {});
      this.backlog.push(c);
      this.notify(EDGE_IN);
    });
    server.on("error", (e) => {
      if (!this.binding) return;
      this.binding = false;
      this.bindError = hostErrno(e);
      this.server = undefined;
      server.close();
      this.notify();
    });
    const v6only = this.domain === AF_INET6 && (this.options.get(optKey(41, 26)) ?? 0) !== 0;
    server.listen({ host: a.host, port: a.port, ipv6Only: v6only }, () => {
      this.binding = false;
      const addr = server.address() as net.AddressInfo;
      this.local = { host: addr.address, port: addr.port };
      this.state = "bound";
      if (this.released) server.close();
      this.notify();
    });
    this.server = server;
  }

  override bindResult(): Attempt {
    if (this.binding) return "host";
    if (this.bindError) {
      const e = this.bindError;
      this.bindError = 0;
      throw new SysError(e);
    }
    return 0;
  }

  /** listen(2): an unbound socket is bound to the wildcard address first. */
  listen(): Attempt {
    if (this.state === "fresh" && !this.binding) this.bindTo(anyAddr(this.domain));
    const r = this.bindResult();
    if (r !== 0) return r;
    if (this.state !== "bound" && this.state !== "listening") throw new SysError(ERRNO.EINVAL);
    this.state = "listening";
    this.notify();
    return 0;
  }

  /** A connection from the queue, as a new socket (accept4's flags); "block" when none. */
  accept(flags: number): TcpSocket | "block" {
    if (this.state !== "listening") throw new SysError(ERRNO.EINVAL);
    const c = this.backlog.shift();
    if (!c) return "block";
    const s = new TcpSocket(this.domain, flags, c);
    for (const [k, v] of this.options) s.options.set(k, v); // as Linux, accepted sockets inherit them
    s.sendLimit = this.sendLimit;
    [s.recvTimeoutUs, s.sendTimeoutUs] = [this.recvTimeoutUs, this.sendTimeoutUs];
    s.optionChanged();
    return s;
  }

  /** Starts connecting to `a`; an error when the state does not allow it. */
  connect(a: InetAddr): void {
    if (this.state === "connecting") throw new SysError(ERRNO.EALREADY);
    if (this.state === "connected" || this.state === "listening") throw new SysError(ERRNO.EISCONN);
    if (this.binding) throw new SysError(ERRNO.EINVAL);
    const local = this.state === "bound" ? this.local : undefined;
    this.server?.close();
    this.server = undefined;
    this.state = "connecting";
    this.soError = 0;
    const opts: net.NetConnectOpts = { host: a.host, port: a.port, allowHalfOpen: true };
    if (local) Object.assign(opts, { localAddress: local.host, localPort: local.port });
    const c = process.getBuiltinModule("node:net").connect(opts);
    this.attach(c);
    c.once("connect", () => this.connected(c));
    this.optionChanged();
  }

  /** After connect(): 0 once connected, "block" while connecting; throws the failure. */
  connectResult(): Attempt {
    if (this.state === "connecting") return "block";
    if (this.state === "connected") return 0;
    throw new SysError(this.takeError() || ERRNO.ECONNREFUSED);
  }

  private connected(c: net.Socket): void {
    this.state = "connected";
    this.local = { host: c.localAddress ?? "", port: c.localPort ?? 0 };
    this.remote = { host: c.remoteAddress ?? "", port: c.remotePort ?? 0 };
    this.notify();
  }

  private attach(c: net.Socket): void {
    this.conn = c;
    c.on("data", (chunk: Buffer) => {
      this.rx.push(new Uint8Array(chunk));
      this.rxBytes += chunk.length;
      if (this.rxBytes > RECV_QUEUE_HIGH) c.pause();
      this.notify(EDGE_IN);
    });
    c.on("end", () => {
      this.finReceived = true;
      this.notify();
    });
    c.on("drain", () => this.notify(EDGE_OUT));
    c.on("error", (e) => {
      if (this.state === "connecting") this.state = "closed";
      this.fail(e);
    });
    c.on("close", () => {
      if (this.state === "connecting") this.state = "closed";
      this.notify();
    });
  }

  override optionChanged(): void {
    const c = this.conn;
    if (!c) return;
    c.setNoDelay((this.options.get(optKey(IPPROTO_TCP, 1)) ?? 0) !== 0);
    const idle = this.options.get(optKey(IPPROTO_TCP, 4)) ?? 7200;
    c.setKeepAlive((this.options.get(optKey(1, 9)) ?? 0) !== 0, idle * 1000);
  }

  override recv(dst: Uint8Array, flags: number, nonblock: boolean): Received | undefined {
    if (this.state === "listening" || this.state === "fresh" || this.state === "bound")
      throw new SysError(ERRNO.ENOTCONN);
    const ended = this.finReceived || (this.shut & RCV_SHUTDOWN) !== 0 || this.state === "closed";
    const short = flags & MSG_WAITALL && !nonblock && !ended && !this.soError && this.rxBytes < dst.length;
    if (this.rxBytes > 0 && !short) {
      const peek = (flags & MSG_PEEK) !== 0;
      const n = takeBytes(this.rx, dst, peek);
      if (!peek) this.rxBytes -= n;
      if (this.conn?.isPaused() && this.rxBytes < RECV_QUEUE_HIGH / 2 && this.state === "connected")
        this.conn.resume();
      return { n, full: n };
    }
    if (this.rxBytes === 0 && this.soError) throw new SysError(this.takeError());
    if (this.rxBytes === 0 && ended) return { n: 0, full: 0 };
    return undefined;
  }

  override send(src: Uint8Array, to: Uint8Array | undefined): Attempt {
    if (to && this.state === "connected") throw new SysError(ERRNO.EISCONN);
    if (this.soError) throw new SysError(this.takeError());
    if (this.state === "connecting") return "block";
    const c = this.conn;
    if (this.state !== "connected" || !c || this.shut & SEND_SHUTDOWN || c.writableEnded || c.destroyed)
      throw new SysError(ERRNO.EPIPE);
    if (c.writableLength >= this.sendLimit) return "block";
    return this.sendAnyway(src);
  }

  protected override sendAnyway(src: Uint8Array): number {
    if (this.state !== "connected" || !this.conn || this.shut & SEND_SHUTDOWN)
      throw new SysError(ERRNO.EPIPE);
    if (src.length) this.conn.write(Buffer.from(src));
    return src.length;
  }

  override shutdown(how: number): void {
    if (this.state !== "connected" && this.state !== "listening") throw new SysError(ERRNO.ENOTCONN);
    const mode = how + 1;
    if (mode & SEND_SHUTDOWN && !(this.shut & SEND_SHUTDOWN)) this.conn?.end();
    super.shutdown(how);
  }

  override localName(): Uint8Array {
    return encodeSockaddr(this.domain, this.local ?? anyAddr(this.domain));
  }
  override peerName(): Uint8Array | undefined {
    return this.state === "connected" && this.remote ? encodeSockaddr(this.domain, this.remote) : undefined;
  }
  override unread(): number {
    return this.rxBytes;
  }

  /** tcp_poll's mask. */
  override poll(): number {
    switch (this.state) {
      case "listening":
        return this.backlog.length ? POLLIN | POLLRDNORM : 0;
      case "connecting":
        return 0;
      case "fresh":
      case "bound":
        return POLLOUT | POLLWRNORM | POLLHUP;
      case "closed":
        return (this.soError ? POLLERR : 0) | POLLHUP | POLLIN | POLLRDNORM | POLLRDHUP;
    }
    const c = this.conn;
    let mask = 0;
    const rcvShut = this.finReceived || (this.shut & RCV_SHUTDOWN) !== 0;
    if (this.soError) mask |= POLLERR;
    if (rcvShut) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (rcvShut && this.shut & SEND_SHUTDOWN) mask |= POLLHUP;
    if (this.rxBytes) mask |= POLLIN | POLLRDNORM;
    if (this.shut & SEND_SHUTDOWN || (c && c.writableLength < this.sendLimit)) mask |= POLLOUT | POLLWRNORM;
    return mask;
  }

  protected override close(): void {
    const server = this.server;
    this.server = undefined;
    if (server?.listening) server.close();
    for (const c of this.backlog.splice(0)) c.destroy();
    const c = this.conn;
    if (c) {
      c.removeAllListeners("data");
      c.on("error", () => {});
      const reset = this.rxBytes > 0 || (this.linger[0] !== 0 && this.linger[1] === 0);
      if (this.state !== "connected") c.destroy();
      else if (reset) c.resetAndDestroy();
      else {
        c.end(() => c.destroy());
        c.resume(); // what the peer still sends is dropped
        c.unref();
      }
    }
    this.rx = [];
    this.rxBytes = 0;
    this.state = "closed";
    super.close();
  }
}

interface Datagram {
  data: Uint8Array;
  from: InetAddr;
}

/** The largest UDP payload: 65535 less the IP (20, or none counted for IPv6) and UDP headers. */
const UDP_MAX = { 4: 65507, 6: 65527 };

/** A UDP socket: a Node dgram socket made at bind (explicit or implied by a send or connect). */
export class UdpSocket extends NetSocket {
  private sock: dgram.Socket | undefined;
  private bound = false;
  private binding = false;
  private bindError = 0;
  private connecting = false;
  private local: InetAddr | undefined;
  private remote: InetAddr | undefined;
  private rx: Datagram[] = [];
  private rxBytes = 0;
  rcvLimit: number;

  constructor(domain: number, flags: number, rcvLimit: number) {
    super(domain, SOCK_DGRAM, IPPROTO_UDP, flags);
    this.rcvLimit = rcvLimit;
  }

  private make(): dgram.Socket {
    const v6only = this.domain === AF_INET6 && (this.options.get(optKey(41, 26)) ?? 0) !== 0;
    const reuseAddr = (this.options.get(optKey(1, 2)) ?? 0) !== 0;
    const s = process.getBuiltinModule("node:dgram").createSocket({
      type: this.domain === AF_INET6 ? "udp6" : "udp4",
      ipv6Only: v6only,
      reuseAddr,
    });
    s.on("message", (msg, rinfo) => {
      if (this.rxBytes + msg.length > this.rcvLimit) return; // a full queue drops, as Linux does
      this.rx.push({ data: new Uint8Array(msg), from: { host: rinfo.address, port: rinfo.port } });
      this.rxBytes += msg.length;
      this.notify(EDGE_IN);
    });
    s.on("error", (e) => {
      if (this.binding || this.connecting) {
        this.binding = this.connecting = false;
        this.bindError = hostErrno(e);
        this.sock = undefined;
        s.close();
        this.notify();
      } else this.fail(e);
    });
    this.sock = s;
    return s;
  }

  private boundNow(s: dgram.Socket): void {
    this.bound = true;
    const a = s.address();
    this.local = { host: a.address, port: a.port };
  }

  override bind(sa: Uint8Array): void {
    this.bindTo(inetAddr(this.domain, sa));
  }

  private bindTo(a: InetAddr): void {
    if (this.bound || this.binding) throw new SysError(ERRNO.EINVAL);
    this.binding = true;
    const s = this.make();
    s.bind({ address: a.host, port: a.port }, () => {
      this.binding = false;
      this.boundNow(s);
      if (this.released) s.close();
      this.optionChanged();
      this.notify();
    });
  }

  override bindResult(): Attempt {
    if (this.binding || this.connecting) return "host";
    if (this.bindError) {
      const e = this.bindError;
      this.bindError = 0;
      throw new SysError(e);
    }
    return 0;
  }

  /** Starts connect(2) to `a` (undefined: AF_UNSPEC dissolves the association); then bindResult. */
  connect(a: InetAddr | undefined): void {
    if (this.binding || this.connecting) throw new SysError(ERRNO.EALREADY);
    if (this.remote) this.sock?.disconnect();
    this.remote = undefined;
    if (!a) return;
    const s = this.sock ?? this.make();
    this.connecting = true;
    s.connect(a.port, a.host, () => {
      this.connecting = false;
      this.boundNow(s);
      this.remote = a;
      this.optionChanged();
      this.notify();
    });
  }

  override optionChanged(): void {
    if (this.bound) this.sock?.setBroadcast((this.options.get(optKey(1, 6)) ?? 0) !== 0);
  }

  override send(src: Uint8Array, to: Uint8Array | undefined): Attempt {
    if (this.shut & SEND_SHUTDOWN) throw new SysError(ERRNO.EPIPE);
    const dest = to ? inetAddr(this.domain, to) : this.remote;
    if (!dest) throw new SysError(to ? ERRNO.EINVAL : ERRNO.EDESTADDRREQ);
    if (to && this.remote && (dest.port !== this.remote.port || !sameHost(dest.host, this.remote.host)))
      throw new SysError(ERRNO.EISCONN);
    if (src.length > UDP_MAX[this.domain === AF_INET6 ? 6 : 4]) throw new SysError(ERRNO.EMSGSIZE);
    if (!this.bound && !this.binding) this.bindTo(anyAddr(this.domain));
    const r = this.bindResult();
    if (r !== 0) return r;
    const s = this.sock;
    if (!s) throw new SysError(ERRNO.EBADF);
    const done = (e: Error | null) => e && this.fail(e);
    const data = Buffer.from(src);
    if (this.remote) s.send(data, done);
    else s.send(data, dest.port, dest.host, done);
    return src.length;
  }

  override recv(dst: Uint8Array, flags: number, nonblock: boolean): Received | undefined {
    if (this.soError) throw new SysError(this.takeError());
    const d = this.rx[0];
    if (!d) return this.shut & RCV_SHUTDOWN && !nonblock ? { n: 0, full: 0 } : undefined;
    const n = Math.min(dst.length, d.data.length);
    dst.set(d.data.subarray(0, n));
    if (!(flags & MSG_PEEK)) {
      this.rx.shift();
      this.rxBytes -= d.data.length;
    }
    return { n, full: d.data.length, from: encodeSockaddr(this.domain, d.from) };
  }

  override localName(): Uint8Array {
    return encodeSockaddr(this.domain, this.local ?? anyAddr(this.domain));
  }
  override peerName(): Uint8Array | undefined {
    return this.remote ? encodeSockaddr(this.domain, this.remote) : undefined;
  }
  override unread(): number {
    return this.rx[0]?.data.length ?? 0;
  }
  /** udp_poll: always writable. */
  override poll(): number {
    let mask = POLLOUT | POLLWRNORM;
    if (this.soError) mask |= POLLERR;
    if (this.rx.length) mask |= POLLIN | POLLRDNORM;
    if (this.shut & RCV_SHUTDOWN) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (this.shut === SHUTDOWN_MASK) mask |= POLLHUP;
    return mask;
  }
  protected override close(): void {
    try {
      this.sock?.close();
    } catch {
      // not running yet: nothing to close
    }
    this.sock = undefined;
    this.rx = [];
    super.close();
  }
}

/** A sockaddr that must name an address of `domain` (AF_UNSPEC is not one here). */
export function inetAddr(domain: number, sa: Uint8Array): InetAddr {
  const a = decodeSockaddr(domain, sa);
  if (!a) throw new SysError(ERRNO.EAFNOSUPPORT);
  return a;
}

function sameHost(a: string, b: string): boolean {
  return (
    encodeSockaddr(AF_INET6, { host: a, port: 0 }).join() ===
    encodeSockaddr(AF_INET6, { host: b, port: 0 }).join()
  );
}
