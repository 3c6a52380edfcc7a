// File-system syscalls: path lookups in the guest's namespace (vfs.ts), open/close,
// metadata, directories. Reads, writes and the other fd operations are in io.ts.
//
// A path names what it names inside the guest's namespace: the root, the binds and the
// synthetic /dev and /proc. Each handler resolves its paths with `lookup`, then checks what
// Linux checks for a chroot with bind mounts, in Linux's order (EEXIST before EROFS for
// creation, EXDEV before EROFS for rename), and only then calls the host. openat2 is in
// openat2.ts, opening a FIFO in fifo.ts.
//
// Differs from Linux: O_TMPFILE is refused (EOPNOTSUPP).
import * as fs from "node:fs";
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, ERRNO, O, PROT_WRITE } from "./abi.js";
import {
  fdPath,
  fileStat,
  HostFile,
  VirtualDir,
  type DirEntry,
  type GuestFile,
  type StatInfo,
} from "./files.js";
import { GuestFault } from "./addrspace.js";
import { FIFO_SYSCALLS, installOpened, openFifo } from "./fifo.js";
import { FLOCK_SYSCALLS } from "./flock.js";
import { MEMFD_SYSCALLS } from "./memfd.js";
import { OPENAT2_SYSCALLS } from "./openat2.js";
import { SPLICE_SYSCALLS } from "./splice.js";
import { IO_SYSCALLS } from "./io.js";
import { openVirtual, virtualStat } from "./procfs.js";
import { SOCKET_SYSCALLS } from "./sockets.js";
import { UNIX_SYSCALLS } from "./unix.js";
import { UNIX_MMSG_SYSCALLS } from "./mmsg.js";
import { withNetwork } from "./netcalls.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { exists, isDir, isLink, type Node, type Resolved, type ResolveLimits } from "./vfs.js";

const AT_SYMLINK_FOLLOW = 0x400;

type Lookup = Resolved<UserProcess>;

/**
 * Resolves guest `path` relative to `dirfd` (AT_FDCWD: the working directory); under openat2's
 * `limits` the directory is the walk's root even for an absolute path.
 */
export function lookup(
  p: UserProcess,
  dirfd: number,
  path: string,
  follow: boolean,
  limits?: ResolveLimits,
): Lookup {
  let base = p.cwd;
  if ((!path.startsWith("/") || limits) && dirfd !== AT_FDCWD) {
    const f = p.fds.get(dirfd);
    if (!f.isDir || f.guestPath === undefined) throw new SysError(ERRNO.ENOTDIR);
    base = f.guestPath;
  }
  return p.kernel.vfs.resolve(p, base, path, follow, limits);
}

/** A mount's own directory or file, whose host path is the descriptor link it is reached by. */
const isAnchor = (n: Node<UserProcess>): boolean => n.kind === "host" && n.host === n.mount.host;

/** The host path of an existing node whose contents or metadata may change. */
function mutableHost(r: Lookup): string {
  const n = r.node;
  if (!exists(n)) throw new SysError(ERRNO.ENOENT);
  if (n.mount.readOnly) throw new SysError(ERRNO.EROFS);
  if (n.kind !== "host" || n.mount.synthetic) throw new SysError(ERRNO.EPERM);
  return n.host;
}

/**
 * The host path of `r` when its name may be added or removed: that changes the directory
 * holding it, so the parent's mount decides (a mount point's own mount does not).
 */
function entryHost(p: UserProcess, r: Lookup): string {
  const m = p.kernel.vfs.parentMount(r.guest);
  if (m.readOnly) throw new SysError(ERRNO.EROFS);
  if (m.synthetic || r.node.kind !== "host") throw new SysError(ERRNO.EACCES);
  return r.node.host;
}

/** A new name to be made at `r`: EEXIST comes before EROFS, as in Linux. */
export function creatable(p: UserProcess, r: Lookup): string {
  if (exists(r.node) || r.last !== "name") throw new SysError(ERRNO.EEXIST);
  return entryHost(p, r);
}

/** The host path of an existing node that is read, not changed. */
function existingHost(r: Lookup): string {
  const n = r.node;
  if (!exists(n)) throw new SysError(ERRNO.ENOENT);
  if (n.kind !== "host") throw new SysError(ERRNO.EACCES);
  return n.host;
}

const PATH_MAX = 4096;

/** A path argument: ENAMETOOLONG when PATH_MAX mapped bytes hold no NUL (Linux's getname). */
export function pathArg(p: UserProcess, t: Thread, i: number): string {
  const addr = t.arg(i);
  try {
    return p.as.cstring(addr, PATH_MAX);
  } catch (e) {
    if (e instanceof GuestFault && e.addr === addr && p.as.isMapped(addr, PATH_MAX)) throw new SysError(ERRNO.ENAMETOOLONG); // prettier-ignore
    throw e;
  }
}

export function openPath(
  p: UserProcess,
  dirfd: number,
  path: string,
  flags: number,
  mode: number,
  limits?: ResolveLimits,
): GuestFile {
  if ((flags & O.TMPFILE) === O.TMPFILE) throw new SysError(ERRNO.EOPNOTSUPP);
  const create = (flags & O.CREAT) !== 0;
  const excl = create && (flags & O.EXCL) !== 0;
  if (create && path.endsWith("/")) {
    lookup(p, dirfd, path.replace(/\/+$/, "") || "/", false, limits); // the directories on the way must exist
    throw new SysError(ERRNO.EISDIR); // O_CREAT never makes a directory, whatever is there
  }
  const r = lookup(p, dirfd, path, !(flags & O.NOFOLLOW) && !excl, limits); // O_EXCL: a link there exists
  const n = r.node;
  if (n.kind === "virtual") {
    if (excl) throw new SysError(ERRNO.EEXIST);
    return openVirtual(n.v, r.guest, flags);
  }
  const write = (flags & O.ACCMODE) !== O.RDONLY || (flags & O.TRUNC) !== 0;
  if (create && r.last !== "name") throw new SysError(ERRNO.EISDIR);
  if (n.st) {
    if (excl) throw new SysError(ERRNO.EEXIST);
    if (n.st.isFIFO()) return openFifo(p, n.st, flags, r.guest);
    if (n.st.isDirectory() && (flags & O.ACCMODE) !== O.RDONLY) throw new SysError(ERRNO.EISDIR);
    if (write && n.mount.readOnly) throw new SysError(ERRNO.EROFS);
  } else if (!create) throw new SysError(ERRNO.ENOENT);
  else creatable(p, r);
  const f = HostFile.open(n.host, flags, create ? mode & ~p.umask : 0, isAnchor(n));
  f.guestPath = r.guest;
  f.readOnlyMount = n.mount.readOnly || n.mount.synthetic !== undefined;
  return f;
}

function openat(p: UserProcess, t: Thread): SysResult {
  const flags = t.argInt(2);
  const file = openPath(p, t.argInt(0), pathArg(p, t, 1), flags, t.argInt(3) & 0o7777);
  return installOpened(p, t, file, (flags & O.CLOEXEC) !== 0);
}

/** stat of the node at guest path `guest`; a magic link that was followed gives the file behind it. */
function nodeStat(n: Node<UserProcess>, guest: string, followed = false): StatInfo {
  if (n.kind === "virtual") return virtualStat(n.v, guest, followed);
  if (!n.st) throw new SysError(ERRNO.ENOENT);
  return n.st;
}

/** stat/lstat of a path or of an fd (AT_EMPTY_PATH). */
function statAt(p: UserProcess, dirfd: number, path: string, flags: number): StatInfo {
  if (path === "" && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) return nodeStat(p.kernel.vfs.resolve(p, "/", p.cwd, true).node, p.cwd, true);
    return fileStat(p.fds.get(dirfd));
  }
  const follow = !(flags & AT_SYMLINK_NOFOLLOW);
  const r = lookup(p, dirfd, path, follow);
  return nodeStat(r.node, r.guest, follow);
}

const NS = 1_000_000_000n;

/** struct stat of asm-generic (riscv64), 128 bytes. */
function writeStat(p: UserProcess, addr: number, st: StatInfo): void {
  const out = p.as.out(addr, 128);
  out.fill(0);
  const dv = p.as.dv;
  const b = (o: number, v: bigint) => dv.setBigUint64(addr + o, BigInt.asUintN(64, v), true);
  b(0, st.dev);
  b(8, st.ino);
  dv.setUint32(addr + 16, Number(st.mode), true);
  dv.setUint32(addr + 20, Number(st.nlink), true);
  dv.setUint32(addr + 24, Number(st.uid), true);
  dv.setUint32(addr + 28, Number(st.gid), true);
  b(32, st.rdev);
  b(48, st.size);
  dv.setInt32(addr + 56, Number(st.blksize), true);
  b(64, st.blocks);
  const times = [st.atimeNs, st.mtimeNs, st.ctimeNs];
  times.forEach((ns, i) => {
    b(72 + 16 * i, ns / NS);
    b(80 + 16 * i, ns % NS);
  });
}

const devMajor = (d: bigint) => Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
const devMinor = (d: bigint) => Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
const STATX_BASIC_STATS = 0x7ff;
const STATX_BTIME = 0x800;

/** struct statx (include/uapi/linux/stat.h), 256 bytes. */
function writeStatx(p: UserProcess, addr: number, st: StatInfo): void {
  const out = p.as.out(addr, 256);
  out.fill(0);
  const dv = p.as.dv;
  const b = (o: number, v: bigint) => dv.setBigUint64(addr + o, BigInt.asUintN(64, v), true);
  const u32 = (o: number, v: number) => dv.setUint32(addr + o, v >>> 0, true);
  u32(0, STATX_BASIC_STATS | STATX_BTIME);
  u32(4, Number(st.blksize));
  u32(16, Number(st.nlink));
  u32(20, Number(st.uid));
  u32(24, Number(st.gid));
  dv.setUint16(addr + 28, Number(st.mode), true);
  b(32, st.ino);
  b(40, st.size);
  b(48, st.blocks);
  const ts = (o: number, ns: bigint) => {
    b(o, ns / NS);
    u32(o + 8, Number(ns % NS));
  };
  ts(64, st.atimeNs);
  ts(80, st.birthtimeNs);
  ts(96, st.ctimeNs);
  ts(112, st.mtimeNs);
  u32(128, devMajor(st.rdev));
  u32(132, devMinor(st.rdev));
  u32(136, devMajor(st.dev));
  u32(140, devMinor(st.dev));
}

// --- directories ---
const DT_DIR = 4;

/** A directory's entries: the host's (or the synthetic tree's) and the mount points in it. */
function listDir(p: UserProcess, f: GuestFile): DirEntry[] {
  const vfs = p.kernel.vfs;
  const dir = f.guestPath!.split("/").filter((c) => c !== ""); // canonical: no links, no "..", no "."
  const statOf = (parts: string[]): StatInfo | undefined => {
    try {
      const n = vfs.nodeAt(p, parts);
      return exists(n) ? nodeStat(n, "/" + parts.join("/")) : undefined;
    } catch {
      return undefined;
    }
  };
  const entries: DirEntry[] = [
    { name: ".", ino: statOf(dir)?.ino ?? 0n, type: DT_DIR },
    { name: "..", ino: statOf(dir.slice(0, -1))?.ino ?? 0n, type: DT_DIR },
  ];
  const seen = new Set<string>();
  // A host directory is read through its descriptor: what it holds, whatever was renamed since.
  const hostDir =
    f instanceof HostFile && f.hostPath !== undefined ? (fdPath(f.fd) ?? f.hostPath) : undefined;
  const names = hostDir !== undefined ? fs.readdirSync(hostDir) : [];
  if (f instanceof VirtualDir) names.push(...f.names());
  const mounted = new Set(vfs.mountChildren(f.guestPath!));
  const hostStat = (name: string): StatInfo | undefined => {
    try {
      return fs.lstatSync(`${hostDir}/${name}`, { bigint: true });
    } catch {
      return undefined;
    }
  };
  for (const name of [...names, ...mounted]) {
    if (seen.has(name)) continue;
    seen.add(name);
    const st = hostDir !== undefined && !mounted.has(name) ? hostStat(name) : statOf([...dir, name]);
    if (!st) continue; // gone since readdir
    entries.push({ name, ino: st.ino, type: Number((st.mode >> 12n) & 0xfn) }); // DT_* = S_IFMT >> 12
  }
  return entries;
}

function getdents64(p: UserProcess, t: Thread): number {
  const f = p.fds.get(t.argInt(0));
  if (!f.isDir || f.guestPath === undefined) throw new SysError(ERRNO.ENOTDIR);
  const addr = t.arg(1);
  const count = p.as.mappedLength(addr, t.arg(2), PROT_WRITE);
  if (count === 0) throw new SysError(ERRNO.EFAULT);
  f.dirEntries ??= listDir(p, f);
  const out = p.as.out(addr, count);
  const dv = p.as.dv;
  const enc = new TextEncoder();
  let used = 0;
  while (f.dirPos < f.dirEntries.length) {
    const e = f.dirEntries[f.dirPos];
    const name = enc.encode(e.name);
    const reclen = Math.ceil((19 + name.length + 1) / 8) * 8;
    if (used + reclen > count) {
      if (used === 0) throw new SysError(ERRNO.EINVAL);
      break;
    }
    const at = addr + used;
    out.fill(0, used, used + reclen);
    dv.setBigUint64(at, e.ino, true);
    dv.setBigInt64(at + 8, BigInt(f.dirPos + 1), true);
    dv.setUint16(at + 16, reclen, true);
    out[used + 18] = e.type;
    out.set(name, used + 19);
    used += reclen;
    f.dirPos++;
  }
  return used;
}

function readlinkat(p: UserProcess, t: Thread): number {
  const size = t.argInt(3);
  if (size <= 0) throw new SysError(ERRNO.EINVAL);
  const r = lookup(p, t.argInt(0), pathArg(p, t, 1), false);
  const bytes = new TextEncoder().encode(p.kernel.vfs.readlink(r.node));
  const n = Math.min(bytes.length, size);
  p.as.write(t.arg(2), bytes.subarray(0, n));
  return n;
}

const W_OK = 2;

function faccessat(p: UserProcess, t: Thread): number {
  const flags = t.syscallNr === 439 ? t.argInt(3) : 0;
  // do_faccessat checks: rwx bits only, and the flags it knows (AT_EACCESS = 0x200 and the two named).
  if (t.argInt(2) & ~7 || flags & ~(0x200 | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
    throw new SysError(ERRNO.EINVAL);
  const mode = t.argInt(2);
  const r = lookup(p, t.argInt(0), pathArg(p, t, 1), !(flags & AT_SYMLINK_NOFOLLOW));
  const n = r.node;
  if (!exists(n)) throw new SysError(ERRNO.ENOENT);
  if (mode & W_OK && n.mount.readOnly) throw new SysError(ERRNO.EROFS);
  if (n.kind === "virtual") {
    if (mode & W_OK) throw new SysError(ERRNO.EACCES);
    return 0;
  }
  if (isLink(n)) return 0; // AT_SYMLINK_NOFOLLOW: the link itself (0777), never the host's idea of its target
  fs.accessSync(n.host, mode);
  return 0;
}

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

function utimensat(p: UserProcess, t: Thread): number {
  const dirfd = t.argInt(0);
  const pathPtr = t.arg(1);
  const timesPtr = t.arg(2);
  let flags = t.argInt(3);
  let target: string | undefined;
  let fd: number | undefined;
  if (pathPtr === 0) {
    const f = p.fds.get(dirfd);
    if (f.readOnlyMount) throw new SysError(ERRNO.EROFS);
    fd = f.hostFd();
    if (fd === undefined) throw new SysError(ERRNO.EBADF);
  } else {
    const r = lookup(p, dirfd, p.as.cstring(pathPtr), !(flags & AT_SYMLINK_NOFOLLOW));
    target = mutableHost(r);
    if (isAnchor(r.node)) flags &= ~AT_SYMLINK_NOFOLLOW; // a mount's root is no link to the guest
  }
  const cur = target !== undefined ? fs.lstatSync(target) : fs.fstatSync(fd!);
  const now = Date.now() / 1000;
  const pick = (i: number, old: number): number => {
    if (timesPtr === 0) return now;
    const sec = p.as.i64(timesPtr + 16 * i);
    const nsec = p.as.i64(timesPtr + 16 * i + 8);
    if (nsec === UTIME_NOW) return now;
    if (nsec === UTIME_OMIT) return old / 1000;
    if (nsec < 0 || nsec >= 1e9) throw new SysError(ERRNO.EINVAL);
    return sec + nsec / 1e9;
  };
  const atime = pick(0, cur.atimeMs);
  const mtime = pick(1, cur.mtimeMs);
  if (target === undefined) fs.futimesSync(fd!, atime, mtime);
  else if (flags & AT_SYMLINK_NOFOLLOW) fs.lutimesSync(target, atime, mtime);
  else fs.utimesSync(target, atime, mtime);
  return 0;
}

const RENAME_NOREPLACE = 1;

function renameat2(p: UserProcess, t: Thread): number {
  const flags = t.syscallNr === 38 ? 0 : t.argInt(4);
  if (flags & ~RENAME_NOREPLACE) throw new SysError(ERRNO.EINVAL); // no RENAME_EXCHANGE or WHITEOUT
  const from = lookup(p, t.argInt(0), pathArg(p, t, 1), false);
  const to = lookup(p, t.argInt(2), pathArg(p, t, 3), false);
  // Linux's order: the mounts, then write access, then the names.
  const vfs = p.kernel.vfs;
  if (vfs.parentMount(from.guest) !== vfs.parentMount(to.guest)) throw new SysError(ERRNO.EXDEV);
  if (from.last !== "name" || to.last !== "name") throw new SysError(ERRNO.EBUSY);
  const fromHost = entryHost(p, from);
  const toHost = entryHost(p, to);
  if (!exists(from.node)) throw new SysError(ERRNO.ENOENT);
  if (!isDir(from.node) && (from.trailingSlash || to.trailingSlash)) throw new SysError(ERRNO.ENOTDIR);
  if (vfs.isBusy(from.guest) || vfs.isBusy(to.guest)) throw new SysError(ERRNO.EBUSY);
  if (flags & RENAME_NOREPLACE && exists(to.node)) throw new SysError(ERRNO.EEXIST);
  fs.renameSync(fromHost, toHost);
  return 0;
}

function linkat(p: UserProcess, t: Thread): number {
  const flags = t.argInt(4);
  if (flags & ~AT_SYMLINK_FOLLOW) throw new SysError(ERRNO.EINVAL);
  const from = lookup(p, t.argInt(0), pathArg(p, t, 1), (flags & AT_SYMLINK_FOLLOW) !== 0);
  if (!exists(from.node)) throw new SysError(ERRNO.ENOENT);
  const to = lookup(p, t.argInt(2), pathArg(p, t, 3), false);
  const host = creatable(p, to);
  if (from.node.mount !== p.kernel.vfs.parentMount(to.guest)) throw new SysError(ERRNO.EXDEV);
  if (isDir(from.node)) throw new SysError(ERRNO.EPERM);
  fs.linkSync(existingHost(from), host);
  return 0;
}

function unlinkat(p: UserProcess, t: Thread): number {
  const r = lookup(p, t.argInt(0), pathArg(p, t, 1), false);
  const rmdir = (t.argInt(2) & AT_REMOVEDIR) !== 0;
  if (r.last !== "name") {
    if (!rmdir) throw new SysError(ERRNO.EISDIR);
    throw new SysError(r.last === "." ? ERRNO.EINVAL : r.last === ".." ? ERRNO.ENOTEMPTY : ERRNO.EBUSY);
  }
  const host = entryHost(p, r); // Linux asks for write access to the mount before it looks the name up
  if (!exists(r.node)) throw new SysError(ERRNO.ENOENT);
  const dir = isDir(r.node);
  if (rmdir) {
    if (!dir) throw new SysError(ERRNO.ENOTDIR);
    if (p.kernel.vfs.isBusy(r.guest)) throw new SysError(ERRNO.EBUSY);
    fs.rmdirSync(host);
  } else {
    if (dir) throw new SysError(ERRNO.EISDIR);
    if (p.kernel.vfs.isBusy(r.guest)) throw new SysError(ERRNO.EBUSY);
    fs.unlinkSync(host);
  }
  return 0;
}

const PROC_SUPER_MAGIC = 0x9fa0n;

function statfsAt(p: UserProcess, addr: number, host: string | undefined): number {
  const st = host === undefined
    ? { type: PROC_SUPER_MAGIC, bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n }
    : fs.statfsSync(host, { bigint: true }); // prettier-ignore
  const out = p.as.out(addr, 120);
  out.fill(0);
  const dv = p.as.dv;
  [st.type, st.bsize, st.blocks, st.bfree, st.bavail, st.files, st.ffree].forEach((v, i) =>
    dv.setBigInt64(addr + 8 * i, v, true),
  );
  dv.setBigInt64(addr + 64, 255n, true); // f_namelen
  dv.setBigInt64(addr + 72, st.bsize, true); // f_frsize
  return 0;
}

/** fchmod, fchown: a host file not opened from a read-only mount. */
function changeableFd(p: UserProcess, fd: number): number {
  const f = p.fds.get(fd);
  if (f.readOnlyMount) throw new SysError(ERRNO.EROFS);
  const host = f.hostFd();
  if (host === undefined) throw new SysError(ERRNO.EINVAL);
  return host;
}

function chdir(p: UserProcess, r: Lookup): number {
  const n = r.node;
  if (n.kind === "virtual" && n.v.type === "link" && n.v.magic) {
    // /proc/self/fd/N of a directory: go where that directory is
    const f = n.v.magic.open(O.RDONLY);
    const guest = f.isDir ? f.guestPath : undefined;
    f.release();
    if (guest === undefined) throw new SysError(ERRNO.ENOTDIR);
    return chdir(p, p.kernel.vfs.resolve(p, "/", guest, true));
  }
  if (!exists(r.node)) throw new SysError(ERRNO.ENOENT);
  if (!isDir(r.node)) throw new SysError(ERRNO.ENOTDIR);
  if (r.node.kind === "host") fs.accessSync(r.node.host, fs.constants.X_OK);
  p.cwd = r.guest;
  return 0;
}

export const FS_SYSCALLS: SyscallDef[] = [
  sys(56, "openat", "Dsfo", openat),
  sys(57, "close", "i", (p, t) => (p.fds.close(t.argInt(0)), 0)),
  sys(61, "getdents64", "ipu", getdents64),
  sys(78, "readlinkat", "Dspu", readlinkat),
  sys(79, "newfstatat", "Dspx", (p, t) => {
    writeStat(p, t.arg(2), statAt(p, t.argInt(0), pathArg(p, t, 1), t.argInt(3)));
    return 0;
  }),
  sys(80, "fstat", "ip", (p, t) => (writeStat(p, t.arg(1), fileStat(p.fds.get(t.argInt(0)))), 0)),
  sys(291, "statx", "Dsxxp", (p, t) => {
    writeStatx(p, t.arg(4), statAt(p, t.argInt(0), pathArg(p, t, 1), t.argInt(2)));
    return 0;
  }),
  sys(48, "faccessat", "Dso", faccessat),
  sys(439, "faccessat2", "Dsox", faccessat),
  sys(34, "mkdirat", "Dso", (p, t) => {
    const host = creatable(p, lookup(p, t.argInt(0), pathArg(p, t, 1), false));
    fs.mkdirSync(host, t.argInt(2) & 0o7777 & ~p.umask);
    return 0;
  }),
  sys(35, "unlinkat", "Dsx", unlinkat),
  sys(36, "symlinkat", "sDs", (p, t) => {
    const target = pathArg(p, t, 0);
    if (target === "") throw new SysError(ERRNO.ENOENT);
    // The target is stored as given: the guest's walk interprets it, inside the namespace.
    fs.symlinkSync(target, creatable(p, lookup(p, t.argInt(1), pathArg(p, t, 2), false)));
    return 0;
  }),
  sys(37, "linkat", "DsDsx", linkat),
  sys(276, "renameat2", "DsDsx", renameat2),
  sys(88, "utimensat", "Dspx", utimensat),
  sys(49, "chdir", "s", (p, t) => chdir(p, lookup(p, AT_FDCWD, pathArg(p, t, 0), true))),
  sys(50, "fchdir", "i", (p, t) => {
    const f = p.fds.get(t.argInt(0));
    if (!f.isDir || f.guestPath === undefined) throw new SysError(ERRNO.ENOTDIR);
    p.cwd = f.guestPath;
    return 0;
  }),
  sys(17, "getcwd", "pu", (p, t) => {
    const bytes = new TextEncoder().encode(p.cwd + "\0");
    if (bytes.length > t.arg(1)) throw new SysError(ERRNO.ERANGE);
    p.as.write(t.arg(0), bytes);
    return bytes.length;
  }),
  sys(52, "fchmod", "io", (p, t) => (fs.fchmodSync(changeableFd(p, t.argInt(0)), t.argInt(1) & 0o7777), 0)),
  sys(53, "fchmodat", "Dsox", (p, t) => {
    fs.chmodSync(mutableHost(lookup(p, t.argInt(0), pathArg(p, t, 1), true)), t.argInt(2) & 0o7777);
    return 0;
  }),
  sys(54, "fchownat", "Dsiix", (p, t) => {
    const r = lookup(p, t.argInt(0), pathArg(p, t, 1), (t.argInt(4) & AT_SYMLINK_NOFOLLOW) === 0);
    const host = mutableHost(r);
    if (t.argInt(4) & AT_SYMLINK_NOFOLLOW && !isAnchor(r.node)) fs.lchownSync(host, t.argInt(2), t.argInt(3));
    else fs.chownSync(host, t.argInt(2), t.argInt(3));
    return 0;
  }),
  sys(
    55,
    "fchown",
    "iii",
    (p, t) => (fs.fchownSync(changeableFd(p, t.argInt(0)), t.argInt(1), t.argInt(2)), 0),
  ),
  sys(45, "truncate", "su", (p, t) => {
    const r = lookup(p, AT_FDCWD, pathArg(p, t, 0), true);
    if (isDir(r.node)) throw new SysError(ERRNO.EISDIR);
    fs.truncateSync(mutableHost(r), t.argI64(1));
    return 0;
  }),
  sys(43, "statfs", "sp", (p, t) => {
    const n = lookup(p, AT_FDCWD, pathArg(p, t, 0), true).node;
    if (!exists(n)) throw new SysError(ERRNO.ENOENT);
    return statfsAt(p, t.arg(1), n.kind === "host" ? n.host : undefined);
  }),
  sys(44, "fstatfs", "ip", (p, t) => {
    const f = p.fds.get(t.argInt(0));
    const fd = f.hostFd();
    return statfsAt(p, t.arg(1), f.hostPath === undefined || fd === undefined ? f.hostPath : (fdPath(fd) ?? f.hostPath)); // prettier-ignore
  }),
  sys(166, "umask", "o", (p, t) => {
    const old = p.umask;
    p.umask = t.argInt(0) & 0o777;
    return old;
  }),
  ...IO_SYSCALLS,
  ...withNetwork([...SOCKET_SYSCALLS, ...UNIX_SYSCALLS, ...UNIX_MMSG_SYSCALLS]),
  ...FIFO_SYSCALLS,
  ...FLOCK_SYSCALLS,
  ...MEMFD_SYSCALLS,
  ...SPLICE_SYSCALLS,
  ...OPENAT2_SYSCALLS,
];
