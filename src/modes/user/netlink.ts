// AF_NETLINK sockets of protocol NETLINK_ROUTE, answering the two dumps that glibc's
// getifaddrs and Go's net.Interfaces ask for: RTM_GETLINK (the interfaces) and RTM_GETADDR
// (their addresses). Without --net the guest sees the loopback interface alone; with
// --net host also the host's other interfaces (from os.networkInterfaces: their MTU is not
// known to Node and reads 1500; their index is their place in Node's list, from 2). Any
// other request is answered NLMSG_ERROR with EOPNOTSUPP. Layouts: include/uapi/linux/
// netlink.h, rtnetlink.h, if_link.h, if_addr.h.
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { ERRNO } from "./abi.js";
import { encodeSockaddr } from "./inetaddr.js";
import { AF_INET, AF_INET6 } from "./inetaddr.js";
import { MSG_PEEK, NetSocket, type Attempt, type Received } from "./inet.js";
import type { UserProcess } from "./process.js";
import { SysError } from "./syscall.js";

export const AF_NETLINK = 16;
const NETLINK_ROUTE = 0;
const SOCK_DGRAM = 2, SOCK_RAW = 3; // prettier-ignore
const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2, NLMSG_DONE = 3; // prettier-ignore
const NLM_F_MULTI = 2, NLM_F_DUMP = 0x300; // prettier-ignore
const RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_GETADDR = 22; // prettier-ignore
const IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4; // prettier-ignore
const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4; // prettier-ignore
const ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772; // prettier-ignore
const IFF_UP = 1, IFF_BROADCAST = 2, IFF_LOOPBACK = 8, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000; // prettier-ignore
const RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254; // prettier-ignore
const IFA_F_PERMANENT = 0x80;
const SOCKADDR_NL_BYTES = 12;

interface Interface {
  index: number;
  name: string;
  loopback: boolean;
  mtu: number;
  mac: number[];
  addrs: NetworkInterfaceInfo[];
}

const LOOPBACK_ADDRS: NetworkInterfaceInfo[] = [
  { address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4", mac: "00:00:00:00:00:00", internal: true, cidr: "127.0.0.1/8" }, // prettier-ignore
];

/** The interfaces the guest sees: loopback (the host's addresses on it), and the host's with `hostNet`. */
function interfaces(hostNet: boolean): Interface[] {
  const host = networkInterfaces();
  const loName = Object.keys(host).find((n) => host[n]?.some((a) => a.internal)) ?? "lo";
  const out: Interface[] = [
    { index: 1, name: loName, loopback: true, mtu: 65536, mac: [0, 0, 0, 0, 0, 0], addrs: host[loName] ?? LOOPBACK_ADDRS }, // prettier-ignore
  ];
  if (!hostNet) return out;
  for (const [name, addrs] of Object.entries(host)) {
    if (name === loName || !addrs?.length) continue;
    const mac = addrs[0].mac.split(":").map((h) => parseInt(h, 16));
    out.push({ index: out.length + 1, name, loopback: false, mtu: 1500, mac, addrs });
  }
  return out;
}

/** Builds netlink messages: a header, a fixed part, then attributes (struct rtattr). */
class Message {
  private bytes: number[] = [];
  constructor(
    private readonly type: number,
    private readonly flags: number,
  ) {}
  u8(...v: number[]): this {
    this.bytes.push(...v);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, (v >> 8) & 0xff);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16((v >>> 16) & 0xffff);
  }
  attr(type: number, data: number[]): this {
    this.u16(4 + data.length)
      .u16(type)
      .u8(...data);
    while (this.bytes.length % 4) this.bytes.push(0);
    return this;
  }
  finish(seq: number, pid: number): Uint8Array {
    const out = new Uint8Array(NLMSG_HDRLEN + this.bytes.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, out.length, true);
    dv.setUint16(4, this.type, true);
    dv.setUint16(6, this.flags, true);
    dv.setUint32(8, seq, true);
    dv.setUint32(12, pid, true);
    out.set(this.bytes, NLMSG_HDRLEN);
    return out;
  }
}

const u32le = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const cstr = (s: string) => [...Buffer.from(s), 0];

function ipBytes(a: NetworkInterfaceInfo): number[] {
  const sa = encodeSockaddr(a.family === "IPv4" ? AF_INET : AF_INET6, { host: a.address, port: 0 });
  return [...(a.family === "IPv4" ? sa.subarray(4, 8) : sa.subarray(8, 24))];
}

function linkMessage(i: Interface): Message {
  const flags =
    IFF_UP | IFF_RUNNING | IFF_LOWER_UP | (i.loopback ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST);
  // struct ifinfomsg: family, pad, type, index, flags, change.
  return new Message(RTM_NEWLINK, NLM_F_MULTI)
    .u8(0, 0)
    .u16(i.loopback ? ARPHRD_LOOPBACK : ARPHRD_ETHER)
    .u32(i.index)
    .u32(flags)
    .u32(0)
    .attr(IFLA_IFNAME, cstr(i.name))
    .attr(IFLA_MTU, u32le(i.mtu))
    .attr(IFLA_ADDRESS, i.mac)
    .attr(IFLA_BROADCAST, i.loopback ? [0, 0, 0, 0, 0, 0] : [255, 255, 255, 255, 255, 255]);
}

function addrMessage(i: Interface, a: NetworkInterfaceInfo): Message {
  const v4 = a.family === "IPv4";
  const prefix = Number(a.cidr?.split("/")[1] ?? (v4 ? 32 : 128));
  const scope = i.loopback ? RT_SCOPE_HOST : a.address.startsWith("fe80") ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  // struct ifaddrmsg: family, prefixlen, flags, scope, index.
  const m = new Message(RTM_NEWADDR, NLM_F_MULTI)
    .u8(v4 ? AF_INET : AF_INET6, prefix, IFA_F_PERMANENT, scope)
    .u32(i.index)
    .attr(IFA_ADDRESS, ipBytes(a));
  if (!v4) return m;
  m.attr(IFA_LOCAL, ipBytes(a));
  if (!i.loopback) {
    const ip = ipBytes(a);
    const mask = a.netmask.split(".").map(Number);
    m.attr(
      IFA_BROADCAST,
      ip.map((b, k) => b | (~mask[k] & 0xff)),
    );
  }
  return m.attr(IFA_LABEL, cstr(i.name));
}

/** A NETLINK_ROUTE socket: each request queues its answer, one message a datagram. */
export class NetlinkSocket extends NetSocket {
  private portId = 0;
  private replies: Uint8Array[] = [];

  constructor(
    type: number,
    protocol: number,
    flags: number,
    private readonly p: UserProcess,
  ) {
    super(AF_NETLINK, type === SOCK_DGRAM ? SOCK_DGRAM : SOCK_RAW, protocol, flags);
    if (type !== SOCK_RAW && type !== SOCK_DGRAM) throw new SysError(ERRNO.ESOCKTNOSUPPORT);
    if (protocol !== NETLINK_ROUTE) throw new SysError(ERRNO.EPROTONOSUPPORT);
    this.sigpipe = false;
  }

  override bind(sa: Uint8Array): void {
    if (sa.length < SOCKADDR_NL_BYTES) throw new SysError(ERRNO.EINVAL);
    const dv = new DataView(sa.buffer, sa.byteOffset, sa.length);
    if (dv.getUint16(0, true) !== AF_NETLINK) throw new SysError(ERRNO.EINVAL);
    this.portId = dv.getUint32(4, true) || this.portId || this.p.pid;
  }
  override bindResult(): Attempt {
    return 0;
  }

  override send(src: Uint8Array): Attempt {
    if (!this.portId) this.portId = this.p.pid; // autobind
    for (let at = 0; at + NLMSG_HDRLEN <= src.length;) {
      const dv = new DataView(src.buffer, src.byteOffset + at, src.length - at);
      const len = dv.getUint32(0, true);
      if (len < NLMSG_HDRLEN || len > src.length - at) break;
      this.answer(src.subarray(at, at + len));
      at += (len + 3) & ~3;
    }
    this.notify();
    return src.length;
  }

  private answer(req: Uint8Array): void {
    const dv = new DataView(req.buffer, req.byteOffset, req.length);
    const [type, flags, seq] = [dv.getUint16(4, true), dv.getUint16(6, true), dv.getUint32(8, true)];
    const family = req.length > NLMSG_HDRLEN ? req[NLMSG_HDRLEN] : 0;
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const all = interfaces(this.p.kernel.network === "host");
    const msgs: Message[] = [];
    if (dump && type === RTM_GETLINK) for (const i of all) msgs.push(linkMessage(i));
    else if (dump && type === RTM_GETADDR) {
      for (const i of all)
        for (const a of i.addrs) {
          const f = a.family === "IPv4" ? AF_INET : AF_INET6;
          if (family === 0 || family === f) msgs.push(addrMessage(i, a));
        }
    } else {
      // struct nlmsgerr: the error, then the request's header.
      const err = new Message(NLMSG_ERROR, 0)
        .u32(-ERRNO.EOPNOTSUPP >>> 0)
        .u8(...req.subarray(0, NLMSG_HDRLEN));
      this.replies.push(err.finish(seq, this.portId));
      return;
    }
    msgs.push(new Message(NLMSG_DONE, NLM_F_MULTI).u32(0));
    for (const m of msgs) this.replies.push(m.finish(seq, this.portId));
  }

  override recv(dst: Uint8Array, flags: number): Received | undefined {
    const d = this.replies[0];
    if (!d) return undefined;
    const n = Math.min(dst.length, d.length);
    dst.set(d.subarray(0, n));
    if (!(flags & MSG_PEEK)) this.replies.shift();
    return { n, full: d.length, from: sockaddrNl(0) };
  }

  override localName(): Uint8Array {
    return sockaddrNl(this.portId);
  }
  override peerName(): Uint8Array {
    return sockaddrNl(0);
  }
  override unread(): number {
    return this.replies[0]?.length ?? 0;
  }
  override poll(): number {
    return 4 | (this.replies.length ? 1 : 0); // POLLOUT, POLLIN
  }
}

function sockaddrNl(pid: number): Uint8Array {
  const out = new Uint8Array(SOCKADDR_NL_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, AF_NETLINK, true);
  dv.setUint32(4, pid, true);
  return out;
}
