// AF_UNIX names and connections (unix(7)): bind, listen, accept, connect, and the lookup of
// the socket a datagram is sent to. Names live in the guest's namespace:
// - a path names a socket file made in the guest's file namespace (vfs.ts), shown by stat and
//   ls as a socket (S_IFSOCK); connecting finds the guest socket bound to that file's inode;
// - an abstract name (sun_path[0] == 0) lives in a table private to this hartwood run, shared
//   by its processes and never reaching the host's abstract namespace;
// - bind with no name (and a send or connect with SO_PASSCRED on an unbound socket) autobinds
//   an abstract name of five hex digits, as Linux does.
// Behaviour follows Linux's net/unix/af_unix.c (unix_bind, unix_stream_connect, unix_accept).
//
// Differs from Linux: a socket file made by anything but this run's guest (a host server's
// socket in a bound directory) refuses connections (ECONNREFUSED): the guest never reaches
// host sockets. connect never waits for a full backlog (there is no limit). Write permission
// on a socket file is not checked at connect.
import * as fs from "node:fs";
import { basename, dirname } from "node:path";
import { AT_FDCWD, ERRNO, O } from "./abi.js";
import { fdPath } from "./files.js";
import { creatable, lookup } from "./fs.js";
import { retryWhen } from "./io.js";
import type { UserProcess } from "./process.js";
import { credOf } from "./scm.js";
import { addressIn, addressOut, AF_UNIX, SOCK_DGRAM, socketOf, type Socket } from "./sockets.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { exists } from "./vfs.js";

const AF_UNSPEC = 0;
/** sizeof(struct sockaddr_un): sun_family and a 108-byte sun_path. */
const SOCKADDR_UN = 110;
const SUN_PATH = 2;

type UnixAddress =
  | { readonly kind: "auto" }
  | { readonly kind: "path"; readonly path: string; readonly name: Uint8Array }
  | { readonly kind: "abstract"; readonly key: string; readonly name: Uint8Array };

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** unix_validate_addr and unix_mkname_bsd: what a sockaddr_un names. */
function parseAddress(sa: Uint8Array | undefined, autobind: boolean): UnixAddress {
  if (!sa || sa.length < SUN_PATH || sa[0] + 256 * sa[1] !== AF_UNIX) throw new SysError(ERRNO.EINVAL);
  if (sa.length === SUN_PATH) {
    if (autobind) return { kind: "auto" };
    throw new SysError(ERRNO.EINVAL);
  }
  if (sa.length > SOCKADDR_UN) throw new SysError(ERRNO.EINVAL);
  if (sa[SUN_PATH] === 0) return { kind: "abstract", key: hex(sa.subarray(SUN_PATH + 1)), name: sa };
  const end = sa.indexOf(0, SUN_PATH);
  const path = sa.subarray(SUN_PATH, end < 0 ? sa.length : end);
  const name = new Uint8Array(SUN_PATH + path.length + 1); // family, path, NUL: what getsockname reports
  name.set(sa.subarray(0, SUN_PATH));
  name.set(path, SUN_PATH);
  return { kind: "path", path: Buffer.from(path).toString(), name };
}

/** The key of a host inode in the kernel's tables. */
export const inodeKey = (st: { dev: bigint; ino: bigint }): string => `${st.dev}:${st.ino}`;

let binds = 0;

/**
 * Makes a socket file at host path `host`. Node cannot mknod, but binding a host socket makes
 * one: bind it at a temporary name in the same directory (reached by a short descriptor path:
 * sun_path holds 108 bytes), hard-link it to its name (EEXIST if taken), then close the host
 * socket, which removes the temporary name only. Nothing listens on the file that stays.
 */
export function makeSocketFile(host: string, mode: number): fs.BigIntStats {
  const dir = fs.openSync(dirname(host), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const via = fdPath(dir) ?? dirname(host);
    const tmp = `${via}/.hartwood-bind-${process.pid}-${++binds}`;
    const target = `${via}/${basename(host)}`;
    const server = process.getBuiltinModule("node:net").createServer();
    server.on("error", () => {}); // a failed bind shows as the link's ENOENT
    server.listen(tmp);
    try {
      fs.linkSync(tmp, target);
    } finally {
      server.close();
    }
    fs.chmodSync(target, mode);
    return fs.lstatSync(target, { bigint: true });
  } finally {
    fs.closeSync(dir);
  }
}

let nextAuto = 0;

/** Autobind: a free abstract name of five hex digits (unix_autobind). */
export function autobind(p: UserProcess, s: Socket): void {
  if (s.name) return;
  for (let tries = 0; tries < 0x100000; tries++) {
    const digits = (nextAuto++ & 0xfffff).toString(16).padStart(5, "0");
    const name = Uint8Array.from([AF_UNIX, 0, 0, ...Buffer.from(digits)]);
    const key = hex(name.subarray(SUN_PATH + 1));
    if (p.kernel.abstractSockets.has(key)) continue;
    bindAbstract(p, s, key, name);
    return;
  }
  throw new SysError(ERRNO.ENOSPC);
}

function bindAbstract(p: UserProcess, s: Socket, key: string, name: Uint8Array): void {
  const names = p.kernel.abstractSockets;
  if (names.has(key)) throw new SysError(ERRNO.EADDRINUSE);
  names.set(key, s);
  s.name = name;
  s.unbind = () => {
    if (names.get(key) === s) names.delete(key);
  };
}

function bind(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const a = parseAddress(addressIn(p, t.arg(1), t.argInt(2)), true);
  if (a.kind === "auto") {
    autobind(p, s);
    return 0;
  }
  if (a.kind === "abstract") {
    if (s.name) throw new SysError(ERRNO.EINVAL);
    bindAbstract(p, s, a.key, a.name);
    return 0;
  }
  // The socket file is made like any new name (a link at the last component is not followed).
  const r = lookup(p, AT_FDCWD, a.path, false);
  if (exists(r.node)) throw new SysError(ERRNO.EADDRINUSE);
  const host = creatable(p, r);
  if (s.name) throw new SysError(ERRNO.EINVAL);
  let st: fs.BigIntStats;
  try {
    st = makeSocketFile(host, 0o777 & ~p.umask);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new SysError(ERRNO.EADDRINUSE);
    throw e;
  }
  const key = inodeKey(st);
  const byInode = p.kernel.boundSockets;
  byInode.set(key, s);
  s.name = a.name;
  s.unbind = () => {
    if (byInode.get(key) === s) byInode.delete(key);
  };
  return 0;
}

/** The socket a connect or a datagram's address names (unix_find_other). */
export function findPeer(p: UserProcess, sa: Uint8Array, type: number): Socket {
  const a = parseAddress(sa, false);
  let s: Socket | undefined;
  if (a.kind === "abstract") s = p.kernel.abstractSockets.get(a.key);
  else if (a.kind === "path") {
    const n = lookup(p, AT_FDCWD, a.path, true).node;
    if (!exists(n)) throw new SysError(ERRNO.ENOENT);
    if (n.kind !== "host" || !n.st?.isSocket()) throw new SysError(ERRNO.ECONNREFUSED);
    s = p.kernel.boundSockets.get(inodeKey(n.st));
  }
  if (!s || s.released) throw new SysError(ERRNO.ECONNREFUSED);
  if (s.type !== type) throw new SysError(ERRNO.EPROTOTYPE);
  return s;
}

function connect(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const sa = addressIn(p, t.arg(1), t.argInt(2));
  if (s.type === SOCK_DGRAM) {
    if (sa && sa.length >= SUN_PATH && sa[0] + 256 * sa[1] === AF_UNSPEC) {
      s.peer = undefined; // AF_UNSPEC dissolves the association
      return 0;
    }
    const target = findPeer(p, sa ?? new Uint8Array(0), s.type);
    if (s.passcred) autobind(p, s);
    s.peer = target;
    return 0;
  }
  if (s.backlog) throw new SysError(ERRNO.EINVAL);
  if (s.peer) throw new SysError(ERRNO.EISCONN);
  const listener = findPeer(p, sa ?? new Uint8Array(0), s.type);
  if (!listener.backlog) throw new SysError(ERRNO.ECONNREFUSED);
  if (s.passcred) autobind(p, s);
  listener.connectFrom(s, credOf(p));
  return 0;
}

function listen(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  if (s.type === SOCK_DGRAM) throw new SysError(ERRNO.EOPNOTSUPP);
  if (!s.name || s.peer) throw new SysError(ERRNO.EINVAL); // no listens on an unbound socket
  if (!s.backlog) {
    s.backlog = [];
    s.peerCred = credOf(p); // what the sockets that connect see as their peer
  }
  return 0;
}

function accept(p: UserProcess, t: Thread, flags: number): SysResult {
  if (flags & ~(O.CLOEXEC | O.NONBLOCK)) throw new SysError(ERRNO.EINVAL);
  const s = socketOf(p, t.argInt(0));
  const [addr, lenPtr] = [t.arg(1), t.arg(2)];
  if (s.type === SOCK_DGRAM) throw new SysError(ERRNO.EOPNOTSUPP);
  if (!s.backlog) throw new SysError(ERRNO.EINVAL);
  const attempt = (): number | undefined => {
    const c = s.backlog ? s.takeConnection() : undefined;
    if (!s.backlog) throw new SysError(ERRNO.EINVAL); // closed meanwhile
    if (!c) return undefined;
    c.flags |= flags & O.NONBLOCK;
    try {
      if (addr) addressOut(p, addr, lenPtr, c.peer?.name ?? Uint8Array.of(AF_UNIX, 0));
    } catch (e) {
      c.release(); // EFAULT: the connection is dropped, as when Linux cannot copy the address out
      throw e;
    }
    return p.fds.add(c, (flags & O.CLOEXEC) !== 0);
  };
  const r = attempt();
  if (r !== undefined) return r;
  if (s.flags & O.NONBLOCK) throw new SysError(ERRNO.EAGAIN);
  return retryWhen(p, t, (fn) => s.onReadable(fn), attempt, { timeoutUs: s.recvTimeoutUs });
}

export const UNIX_SYSCALLS: SyscallDef[] = [
  sys(200, "bind", "ipi", bind),
  sys(201, "listen", "ii", listen),
  sys(202, "accept", "ipp", (p, t) => accept(p, t, 0)),
  sys(242, "accept4", "ippx", (p, t) => accept(p, t, t.argInt(3))),
  sys(203, "connect", "ipi", connect),
];
