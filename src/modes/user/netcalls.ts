// The socket syscalls for network sockets (inet.ts, netlink.ts): socket() for AF_INET,
// AF_INET6 and AF_NETLINK, and every call on such an fd. withNetwork() merges them into the
// local sockets' table (sockets.ts): a call on another kind of fd goes to that table.
// A guest gets internet sockets only when the user grants the host's network (--net host);
// otherwise socket() fails with EACCES, as under a seccomp sandbox, and the first refusal
// tells the user on stderr which flag grants it.
import { ERRNO, O } from "./abi.js";
import { scatter, gather, readInto, retryWhen, type Iov } from "./io.js";
import { AF_INET, AF_INET6, decodeSockaddr } from "./inetaddr.js";
import { bufferDefault, inetAddr, IPPROTO_TCP, IPPROTO_UDP, NetSocket, optKey, SOCK_DGRAM, SOCK_STREAM, TcpSocket, UdpSocket, type Attempt } from "./inet.js"; // prettier-ignore
import { AF_NETLINK, NetlinkSocket } from "./netlink.js";
import type { UserProcess } from "./process.js";
import { sendSignal } from "./signals.js";
import { addressIn, addressOut, msghdr, MSG_CONTROLLEN, MSG_FLAGS, MSG_NAMELEN, setTimeoutOption, Socket, timeoutOption } from "./sockets.js"; // prettier-ignore
import { SIG } from "./abi.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";

export const NET_REFUSED_HINT =
  "hartwood: the guest was refused a network socket; run with --net host to give it the host's network\n";

const SOCK_RAW = 3, SOCK_TYPE_MASK = 0xf; // prettier-ignore
const MSG = { OOB: 1, TRUNC: 0x20, DONTWAIT: 0x40, NOSIGNAL: 0x4000, WAITFORONE: 0x10000, CMSG_CLOEXEC: 0x40000000 }; // prettier-ignore
const SOL_SOCKET = 1, SOL_IP = 0, SOL_IPV6 = 41, SOL_NETLINK = 270; // prettier-ignore
const SO = { REUSEADDR: 2, TYPE: 3, ERROR: 4, BROADCAST: 6, SNDBUF: 7, RCVBUF: 8, KEEPALIVE: 9,
  LINGER: 13, REUSEPORT: 15, RCVLOWAT: 18, SNDLOWAT: 19, RCVTIMEO: 20, SNDTIMEO: 21,
  ACCEPTCONN: 30, PROTOCOL: 38, DOMAIN: 39, RCVTIMEO_NEW: 66, SNDTIMEO_NEW: 67 }; // prettier-ignore
const TCP = { NODELAY: 1, KEEPIDLE: 4, KEEPINTVL: 5, KEEPCNT: 6 }; // prettier-ignore
const IP_TOS = 1, IP_TTL = 2, IPV6_V6ONLY = 26; // prettier-ignore
/** SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF of Linux on 64-bit hosts (include/net/sock.h). */
const MIN_SNDBUF = 4608, MIN_RCVBUF = 2304; // prettier-ignore
const MMSGHDR_BYTES = 64; // struct msghdr (56) + unsigned msg_len, padded
const MMSG_LEN = 56;
const UIO_MAXIOV = 1024;
const SHUT_RDWR = 2;

function netSocket(p: UserProcess, t: Thread): NetSocket {
  const f = p.fds.get(t.argInt(0));
  if (!(f instanceof NetSocket)) throw new SysError(ERRNO.ENOTSOCK);
  return f;
}

/** The guest has been refused: it gets EACCES, the user one line on stderr (the first time). */
function refuse(p: UserProcess): never {
  const k = p.kernel;
  if (!k.networkRefused) {
    k.networkRefused = true;
    p.fds.writeHost(k.traceFd, NET_REFUSED_HINT);
  }
  throw new SysError(ERRNO.EACCES);
}

function socket(p: UserProcess, t: Thread): number {
  const [domain, typeArg, protocol] = [t.argInt(0), t.argInt(1), t.argInt(2)];
  if (typeArg & ~(SOCK_TYPE_MASK | O.NONBLOCK | O.CLOEXEC)) throw new SysError(ERRNO.EINVAL);
  const type = typeArg & SOCK_TYPE_MASK;
  const flags = typeArg & O.NONBLOCK;
  let s: NetSocket;
  if (domain === AF_NETLINK) s = new NetlinkSocket(type, protocol, flags, p);
  else {
    if (p.kernel.network !== "host") refuse(p);
    if (type === SOCK_STREAM && (protocol === 0 || protocol === IPPROTO_TCP))
      s = new TcpSocket(domain, flags);
    else if (type === SOCK_DGRAM && (protocol === 0 || protocol === IPPROTO_UDP))
      s = new UdpSocket(domain, flags, bufferDefault("core/rmem_default", 0, 212992));
    else if (type === SOCK_STREAM || type === SOCK_DGRAM) throw new SysError(ERRNO.EPROTONOSUPPORT);
    else throw new SysError(type === SOCK_RAW ? ERRNO.EPROTONOSUPPORT : ERRNO.ESOCKTNOSUPPORT);
  }
  return p.fds.add(s, (typeArg & O.CLOEXEC) !== 0);
}

/**
 * Runs `attempt` now and, while it says "block" (unless `nonblock`: EAGAIN) or "host", again
 * whenever the socket changes; the thread alone waits, up to `timeoutUs` for a "block"
 * (then the result is `expired`).
 */
function waitFor(
  p: UserProcess,
  t: Thread,
  s: NetSocket,
  attempt: () => Attempt,
  nonblock: boolean,
  restartable: boolean,
  timeoutUs = 0,
  expired = -ERRNO.EAGAIN,
): SysResult {
  const first = attempt();
  if (typeof first === "number") return first;
  if (first === "block" && nonblock) return -ERRNO.EAGAIN;
  const host = first === "host";
  return retryWhen(
    p,
    t,
    (fn) => s.onReadable(fn),
    () => {
      const r = attempt();
      return typeof r === "number" ? r : undefined;
    },
    { restartable, uninterruptible: host, timeoutUs: host ? 0 : timeoutUs, expired },
  );
}

function nonblocking(s: NetSocket, flags = 0): boolean {
  return (s.flags & O.NONBLOCK) !== 0 || (flags & MSG.DONTWAIT) !== 0;
}

function bind(p: UserProcess, t: Thread): SysResult {
  const s = netSocket(p, t);
  const sa = addressIn(p, t.arg(1), t.argInt(2));
  if (!sa) throw new SysError(ERRNO.EINVAL);
  s.bind(sa);
  return waitFor(p, t, s, () => s.bindResult(), false, false);
}

function listen(p: UserProcess, t: Thread): SysResult {
  const s = netSocket(p, t);
  if (!(s instanceof TcpSocket)) throw new SysError(ERRNO.EOPNOTSUPP);
  return waitFor(p, t, s, () => s.listen(), false, false);
}

function accept(p: UserProcess, t: Thread, flags: number): SysResult {
  const s = netSocket(p, t);
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) throw new SysError(ERRNO.EINVAL);
  if (!(s instanceof TcpSocket)) throw new SysError(ERRNO.EOPNOTSUPP);
  const [addr, lenPtr] = [t.arg(1), t.arg(2)];
  if (addr) p.as.i32(lenPtr); // EFAULT before a connection is taken
  return waitFor(
    p,
    t,
    s,
    () => {
      const c = s.accept(flags & O.NONBLOCK);
      if (c === "block") return c;
      const fd = p.fds.add(c, (flags & O.CLOEXEC) !== 0);
      if (addr) addressOut(p, addr, lenPtr, c.peerName() ?? c.localName());
      return fd;
    },
    nonblocking(s),
    true,
    s.recvTimeoutUs,
  );
}

function connect(p: UserProcess, t: Thread): SysResult {
  const s = netSocket(p, t);
  const sa = addressIn(p, t.arg(1), t.argInt(2));
  if (!sa) throw new SysError(ERRNO.EINVAL);
  if (s instanceof TcpSocket) {
    s.connect(inetAddr(s.domain, sa));
    if (nonblocking(s)) return -ERRNO.EINPROGRESS;
    // SO_SNDTIMEO ends the wait with EINPROGRESS, the connection going on (inet_stream_connect).
    return waitFor(p, t, s, () => s.connectResult(), false, false, s.sendTimeoutUs, -ERRNO.EINPROGRESS);
  }
  if (s instanceof UdpSocket) {
    s.connect(decodeSockaddr(s.domain, sa));
    return waitFor(p, t, s, () => s.bindResult(), false, false);
  }
  return 0; // netlink: the kernel is the only peer
}

function sendOn(
  p: UserProcess,
  t: Thread,
  s: NetSocket,
  src: Uint8Array,
  flags: number,
  to?: Uint8Array,
): SysResult {
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  const pipe = (e: unknown) => {
    if (e instanceof SysError && e.errno === ERRNO.EPIPE && s.sigpipe && !(flags & MSG.NOSIGNAL))
      sendSignal(p, t, SIG.SIGPIPE);
    throw e;
  };
  try {
    return waitFor(p, t, s, () => s.send(src.slice(), to), nonblocking(s, flags), true, s.sendTimeoutUs);
  } catch (e) {
    return pipe(e);
  }
}

/** recvfrom/recvmsg; `report` writes the sender's address and the flags. */
function recvOn(
  p: UserProcess,
  t: Thread,
  s: NetSocket,
  iovs: Iov[],
  flags: number,
  report: (truncated: boolean, from: Uint8Array | undefined) => void,
): SysResult {
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  const nonblock = nonblocking(s, flags);
  return readInto(p, t, s, iovs, nonblock, (dst) => {
    const r = s.recv(dst, flags, nonblock);
    if (!r) return undefined;
    report(r.full > r.n, r.from);
    return flags & MSG.TRUNC && s.type !== SOCK_STREAM ? r.full : r.n;
  });
}

function recvmsgReport(p: UserProcess, at: number, name: number, flags: number) {
  return (truncated: boolean, from: Uint8Array | undefined) => {
    if (name) addressOut(p, name, at + MSG_NAMELEN, from ?? new Uint8Array(0));
    p.as.setU64(at + MSG_CONTROLLEN, 0);
    p.as.setU32(at + MSG_FLAGS, (flags & MSG.CMSG_CLOEXEC) | (truncated ? MSG.TRUNC : 0));
  };
}

/** sendmmsg: each message in turn; stops at the first that would block or fails once one is sent. */
function sendmmsg(p: UserProcess, t: Thread): SysResult {
  const s = netSocket(p, t);
  const [vec, vlen, flags] = [t.arg(1), Math.min(t.arg(2), UIO_MAXIOV), t.argInt(3)];
  let sent = 0;
  const attempt = (): Attempt => {
    for (; sent < vlen; sent++) {
      const at = vec + MMSGHDR_BYTES * sent;
      const m = msghdr(p, at);
      let r: Attempt;
      try {
        r = s.send(gather(p, m.iovs).slice(), addressIn(p, m.name, m.namelen));
      } catch (e) {
        if (sent > 0) return sent;
        throw e;
      }
      if (typeof r !== "number") return sent > 0 ? sent : r;
      p.as.setU32(at + MMSG_LEN, r);
    }
    return sent;
  };
  return waitFor(p, t, s, attempt, nonblocking(s, flags), true, s.sendTimeoutUs);
}

/** recvmmsg: waits for the first message, then for all vlen unless MSG_WAITFORONE (timeout ignored). */
function recvmmsg(p: UserProcess, t: Thread): SysResult {
  const s = netSocket(p, t);
  const [vec, vlen, flags] = [t.arg(1), Math.min(t.arg(2), UIO_MAXIOV), t.argInt(3)];
  if (flags & MSG.OOB) throw new SysError(ERRNO.EOPNOTSUPP);
  const nonblock = nonblocking(s, flags);
  let got = 0;
  const attempt = (): Attempt => {
    for (; got < vlen; got++) {
      const at = vec + MMSGHDR_BYTES * got;
      const m = msghdr(p, at);
      const size = m.iovs.reduce((n, [, len]) => n + len, 0);
      const buf = new Uint8Array(size);
      let r;
      try {
        r = s.recv(buf, flags, true);
      } catch (e) {
        if (got > 0) return got;
        throw e;
      }
      if (!r) break;
      scatter(p, m.iovs, buf.subarray(0, r.n));
      recvmsgReport(p, at, m.name, flags)(r.full > r.n, r.from);
      p.as.setU32(at + MMSG_LEN, flags & MSG.TRUNC ? r.full : r.n);
    }
    if (got === vlen || (got > 0 && (nonblock || flags & MSG.WAITFORONE))) return got;
    return "block";
  };
  return waitFor(p, t, s, attempt, nonblock, true, s.recvTimeoutUs);
}

/** Linux's buffer size from a request (sock_setsockopt): doubled, within the sysctl's maximum. */
function bufferSize(request: number, max: number, min: number): number {
  const v = request < 0 ? max : Math.min(request, max);
  return Math.max(v * 2, min);
}

function bufferDefaults(s: NetSocket): { rcv: number; snd: number } {
  if (s instanceof TcpSocket)
    return { rcv: bufferDefault("ipv4/tcp_rmem", 1, 131072), snd: bufferDefault("ipv4/tcp_wmem", 1, 16384) };
  return {
    rcv: bufferDefault("core/rmem_default", 0, 212992),
    snd: bufferDefault("core/wmem_default", 0, 212992),
  };
}

/**
 * Defaults of the int options Linux keeps per socket; undefined for a name it does not know
 * (ENOPROTOOPT). A level the socket's protocols do not have is EOPNOTSUPP (ip_getsockopt).
 */
function optionDefault(s: NetSocket, level: number, name: number): number | undefined {
  const tcp = s instanceof TcpSocket;
  const inet = tcp || s instanceof UdpSocket;
  const levels = [SOL_SOCKET, ...(inet ? [SOL_IP] : []), ...(tcp ? [IPPROTO_TCP] : []), ...(inet && s.domain === AF_INET6 ? [SOL_IPV6] : [])]; // prettier-ignore
  if (!levels.includes(level)) throw new SysError(inet ? ERRNO.EOPNOTSUPP : ERRNO.ENOPROTOOPT);
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.REUSEADDR: case SO.KEEPALIVE: case SO.BROADCAST: case SO.REUSEPORT: return 0;
      case SO.RCVLOWAT: case SO.SNDLOWAT: return 1;
      case SO.RCVBUF: return bufferDefaults(s).rcv;
      case SO.SNDBUF: return bufferDefaults(s).snd;
    } // prettier-ignore
    return undefined;
  }
  if (level === IPPROTO_TCP && tcp) {
    const defaults: Record<number, number> = { [TCP.NODELAY]: 0, [TCP.KEEPIDLE]: 7200, [TCP.KEEPINTVL]: 75, [TCP.KEEPCNT]: 9 }; // prettier-ignore
    return defaults[name];
  }
  if (level === SOL_IP && inet) return name === IP_TOS ? 0 : name === IP_TTL ? 64 : undefined;
  if (level === SOL_IPV6 && inet && s.domain === AF_INET6 && name === IPV6_V6ONLY) return 0;
  return undefined;
}

function writeOpt(p: UserProcess, val: number, lenPtr: number, bytes: Uint8Array): void {
  const len = p.as.i32(lenPtr);
  if (len < 0) throw new SysError(ERRNO.EINVAL);
  const n = Math.min(len, bytes.length);
  p.as.write(val, bytes.subarray(0, n));
  p.as.setU32(lenPtr, n);
}

function ints(...v: number[]): Uint8Array {
  const out = new Uint8Array(4 * v.length);
  v.forEach((x, i) => new DataView(out.buffer).setInt32(4 * i, x, true));
  return out;
}

function getsockopt(p: UserProcess, t: Thread): number {
  const s = netSocket(p, t);
  const [level, name, val, lenPtr] = [t.argInt(1), t.argInt(2), t.arg(3), t.arg(4)];
  let v: number | undefined;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.TYPE: v = s.type; break;
      case SO.DOMAIN: v = s.domain; break;
      case SO.PROTOCOL: v = s.protocol; break;
      case SO.ACCEPTCONN: v = s.listening ? 1 : 0; break;
      case SO.ERROR: v = s.takeError(); break;
      case SO.LINGER: writeOpt(p, val, lenPtr, ints(...s.linger)); return 0;
      case SO.RCVTIMEO: case SO.SNDTIMEO: case SO.RCVTIMEO_NEW: case SO.SNDTIMEO_NEW:
        writeOpt(p, val, lenPtr, timeoutOption(s, name));
        return 0;
    } // prettier-ignore
  }
  if (v === undefined) {
    const def = optionDefault(s, level, name);
    if (def === undefined) throw new SysError(ERRNO.ENOPROTOOPT);
    v = s.options.get(optKey(level, name)) ?? def;
  }
  writeOpt(p, val, lenPtr, ints(v));
  return 0;
}

function setsockopt(p: UserProcess, t: Thread): number {
  const s = netSocket(p, t);
  const [level, name, val, len] = [t.argInt(1), t.argInt(2), t.arg(3), t.argInt(4)];
  if (level === SOL_NETLINK && s instanceof NetlinkSocket) return 0; // NETLINK_EXT_ACK and the like
  if (level === SOL_SOCKET && name === SO.LINGER) {
    if (len < 8) throw new SysError(ERRNO.EINVAL);
    s.linger = [p.as.i32(val), p.as.i32(val + 4)];
    return 0;
  }
  if (level === SOL_SOCKET && setTimeoutOption(p, s, name, val, len)) return 0;
  const def = optionDefault(s, level, name);
  if (def === undefined) throw new SysError(ERRNO.ENOPROTOOPT);
  if (len < 4) throw new SysError(ERRNO.EINVAL);
  let v = p.as.i32(val);
  if (level === SOL_SOCKET && (name === SO.RCVBUF || name === SO.SNDBUF)) {
    const rcv = name === SO.RCVBUF;
    v = bufferSize(v, bufferDefault(rcv ? "core/rmem_max" : "core/wmem_max", 0, 212992), rcv ? MIN_RCVBUF : MIN_SNDBUF); // prettier-ignore
    if (s instanceof UdpSocket && rcv) s.rcvLimit = v;
    if (s instanceof TcpSocket && !rcv) s.sendLimit = Math.max(v, s.sendLimit);
  } else if (level === IPPROTO_TCP && name !== TCP.NODELAY) {
    if (v < 1 || v > (name === TCP.KEEPCNT ? 127 : 32767)) throw new SysError(ERRNO.EINVAL);
  } else if (level === SOL_IP && name === IP_TTL) {
    if (v < -1 || v === 0 || v > 255) throw new SysError(ERRNO.EINVAL);
    if (v === -1) v = 64;
  } else if (level === SOL_IP && name === IP_TOS) v &= 0xff;
  else v = v ? 1 : 0;
  s.options.set(optKey(level, name), v);
  s.optionChanged();
  return 0;
}

type NetHandler = (p: UserProcess, t: Thread) => SysResult;

const NET_CALLS: SyscallDef[] = [
  sys(198, "socket", "ixi", socket),
  sys(200, "bind", "ipi", bind),
  sys(201, "listen", "ii", listen),
  sys(202, "accept", "ipp", (p, t) => accept(p, t, 0)),
  sys(242, "accept4", "ippx", (p, t) => accept(p, t, t.argInt(3))),
  sys(203, "connect", "ipi", connect),
  sys(204, "getsockname", "ipp", (p, t) => {
    addressOut(p, t.arg(1), t.arg(2), netSocket(p, t).localName());
    return 0;
  }),
  sys(205, "getpeername", "ipp", (p, t) => {
    const sa = netSocket(p, t).peerName();
    if (!sa) throw new SysError(ERRNO.ENOTCONN);
    addressOut(p, t.arg(1), t.arg(2), sa);
    return 0;
  }),
  sys(206, "sendto", "ibuxpi", (p, t) => {
    const s = netSocket(p, t);
    const src = p.as.bytes(t.arg(1), t.arg(2));
    return sendOn(p, t, s, src, t.argInt(3), addressIn(p, t.arg(4), t.argInt(5)));
  }),
  sys(207, "recvfrom", "ipuxpp", (p, t) => {
    const s = netSocket(p, t);
    const [from, fromLen] = [t.arg(4), t.arg(5)];
    return recvOn(p, t, s, [[t.arg(1), t.arg(2)]], t.argInt(3), (_, sa) => {
      if (from && sa) addressOut(p, from, fromLen, sa);
    });
  }),
  sys(208, "setsockopt", "iiipi", setsockopt),
  sys(209, "getsockopt", "iiipp", getsockopt),
  sys(210, "shutdown", "ii", (p, t) => {
    const s = netSocket(p, t);
    const how = t.argInt(1);
    if (how < 0 || how > SHUT_RDWR) throw new SysError(ERRNO.EINVAL);
    s.shutdown(how);
    return 0;
  }),
  sys(211, "sendmsg", "ipx", (p, t) => {
    const s = netSocket(p, t);
    const m = msghdr(p, t.arg(1));
    return sendOn(p, t, s, gather(p, m.iovs), t.argInt(2), addressIn(p, m.name, m.namelen));
  }),
  sys(212, "recvmsg", "ipx", (p, t) => {
    const s = netSocket(p, t);
    const [at, flags] = [t.arg(1), t.argInt(2)];
    const m = msghdr(p, at);
    return recvOn(p, t, s, m.iovs, flags, recvmsgReport(p, at, m.name, flags));
  }),
  sys(269, "sendmmsg", "ipux", sendmmsg),
  sys(243, "recvmmsg", "ipuxp", recvmmsg),
];

/** Network sockets' calls merged into the local sockets' `local` table (by syscall number). */
export function withNetwork(local: readonly SyscallDef[]): SyscallDef[] {
  const others = new Map(local.map((d) => [d.nr, d.fn]));
  const mine = new Set(NET_CALLS.map((d) => d.nr));
  const routed = NET_CALLS.map((d) => {
    const other = others.get(d.nr);
    const fn: NetHandler = (p, t) => {
      if (d.nr === 198) {
        const domain = t.argInt(0);
        const net = domain === AF_INET || domain === AF_INET6 || domain === AF_NETLINK;
        return net || !other ? d.fn(p, t) : other(p, t);
      }
      const f = p.fds.get(t.argInt(0));
      if (f instanceof NetSocket) return d.fn(p, t);
      return other ? other(p, t) : notNetwork(f);
    };
    return sys(d.nr, d.name, d.args, fn);
  });
  return [...local.filter((d) => !mine.has(d.nr)), ...routed];
}

/** A local socket given a call only network sockets have: EOPNOTSUPP (else ENOTSOCK). */
function notNetwork(f: unknown): number {
  return f instanceof Socket ? -ERRNO.EOPNOTSUPP : -ERRNO.ENOTSOCK;
}
