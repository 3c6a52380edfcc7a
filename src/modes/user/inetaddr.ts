// Internet socket addresses between the guest's struct sockaddr_in / sockaddr_in6
// (include/uapi/linux/in.h, in6.h) and the strings Node's net and dgram modules take.
import { ERRNO } from "./abi.js";
import { SysError } from "./syscall.js";

// node:net is loaded when a socket needs it, not at every start (README "Start-up").
const isIPv4 = (host: string): boolean => process.getBuiltinModule("node:net").isIPv4(host);

export const AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10; // prettier-ignore
export const SOCKADDR_IN_BYTES = 16;
export const SOCKADDR_IN6_BYTES = 28;

/** An address and port as Node names them ("127.0.0.1", "::1"). */
export interface InetAddr {
  host: string;
  port: number;
}

/** The wildcard address of a family (INADDR_ANY, in6addr_any). */
export function anyAddr(domain: number): InetAddr {
  return { host: domain === AF_INET6 ? "::" : "0.0.0.0", port: 0 };
}

/**
 * A guest sockaddr for a socket of `domain` (inet_bind / inet6_bind's checks): too short is
 * EINVAL, another family EAFNOSUPPORT. AF_UNSPEC is given back as undefined (connect's
 * "dissolve the association").
 */
export function decodeSockaddr(domain: number, sa: Uint8Array): InetAddr | undefined {
  if (sa.length < 2) throw new SysError(ERRNO.EINVAL);
  const dv = new DataView(sa.buffer, sa.byteOffset, sa.length);
  const family = dv.getUint16(0, true);
  if (family === AF_UNSPEC) return undefined;
  const need = domain === AF_INET6 ? SOCKADDR_IN6_BYTES - 4 : SOCKADDR_IN_BYTES; // sin6_scope_id is optional
  if (sa.length < need) throw new SysError(ERRNO.EINVAL);
  if (family !== domain) throw new SysError(ERRNO.EAFNOSUPPORT);
  const port = dv.getUint16(2, false);
  if (domain === AF_INET) return { host: sa.subarray(4, 8).join("."), port };
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(dv.getUint16(8 + 2 * i, false).toString(16));
  return { host: words.join(":"), port };
}

/** The sockaddr a socket of `domain` reports for `a` (IPv4 peers of an IPv6 socket are v4-mapped). */
export function encodeSockaddr(domain: number, a: InetAddr): Uint8Array {
  const out = new Uint8Array(domain === AF_INET6 ? SOCKADDR_IN6_BYTES : SOCKADDR_IN_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, domain, true);
  dv.setUint16(2, a.port, false);
  if (domain === AF_INET) out.set(ipv4Bytes(a.host.replace(/^::ffff:/i, "")), 4);
  else out.set(ipv6Bytes(a.host), 8);
  return out;
}

function ipv4Bytes(host: string): number[] {
  if (!isIPv4(host)) return [0, 0, 0, 0];
  return host.split(".").map(Number);
}

/** The 16 bytes of an IPv6 address in text ("::1", "::ffff:127.0.0.1", "fe80::1%eth0"). */
function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let host = text.replace(/%.*$/, "");
  if (isIPv4(host)) host = `::ffff:${host}`;
  const words: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    host = `${host.slice(0, v4.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = host.includes("::") ? host.split("::") : [host, undefined];
  const parse = (s: string) => (s ? s.split(":").map((w) => parseInt(w, 16) || 0) : []);
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  words.push(...front, ...new Array<number>(Math.max(0, 8 - front.length - back.length)).fill(0), ...back);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = (words[i] >> 8) & 0xff;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}
