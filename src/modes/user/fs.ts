// File-system syscalls: paths (with --root translation), open/close, metadata, directories.
// Reads, writes and the other fd operations are in io.ts.
//
// Paths follow qemu-user's -L rule: an absolute guest path names <root>/path when that exists
// on the host, else the host's own path; relative paths resolve against the guest's working
// directory (a host path) or the directory fd. /proc/self/exe and /proc/self/maps are the
// guest's own.
import * as fs from "node:fs";
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, ERRNO, O, PROT_WRITE } from "./abi.js";
import { GuestFile, HostFile, MemFile, S_IFIFO, S_IFREG, type StatInfo } from "./files.js";
import { IO_SYSCALLS } from "./io.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";

/** The host path for an absolute guest path under `root` (qemu -L semantics). */
export function rootPath(root: string | undefined, guestPath: string): string {
  if (!root || !guestPath.startsWith("/")) return guestPath;
  const full = root.replace(/\/+$/, "") + guestPath;
  return fs.existsSync(full) ? full : guestPath;
}

/** The host path that guest `path` names relative to `dirfd`. */
export function hostPath(p: UserProcess, dirfd: number, path: string): string {
  if (path === "") throw new SysError(ERRNO.ENOENT);
  if (path.startsWith("/")) return rootPath(p.root, path);
  let base: string;
  if (dirfd === AT_FDCWD) base = p.cwd;
  else {
    const f = p.fds.get(dirfd);
    if (!f.isDir || !f.hostPath) throw new SysError(ERRNO.ENOTDIR);
    base = f.hostPath;
  }
  return base.endsWith("/") ? base + path : `${base}/${path}`;
}

/** "/proc/self/X" or "/proc/<our pid>/X" -> X, else undefined. */
function procSelf(p: UserProcess, path: string): string | undefined {
  const m = /^\/proc\/(self|\d+)\/(.+)$/.exec(path);
  if (!m || (m[1] !== "self" && Number(m[1]) !== p.pid)) return undefined;
  return m[2];
}

function openVirtual(p: UserProcess, path: string): GuestFile | undefined {
  const what = procSelf(p, path);
  if (what === "maps") return new MemFile(new TextEncoder().encode(p.as.maps()));
  if (what === "exe") return HostFile.open(p.programPath, O.RDONLY, 0);
  return undefined;
}

const pathArg = (p: UserProcess, t: Thread, i: number) => p.as.cstring(t.arg(i));

function openat(p: UserProcess, t: Thread): number {
  const dirfd = t.argInt(0);
  const path = pathArg(p, t, 1);
  const flags = t.argInt(2);
  const mode = t.argInt(3) & 0o7777;
  if ((flags & O.TMPFILE) === O.TMPFILE) throw new SysError(ERRNO.EOPNOTSUPP);
  const file =
    openVirtual(p, path) ??
    HostFile.open(hostPath(p, dirfd, path), flags, flags & O.CREAT ? mode & ~p.umask : 0);
  return p.fds.add(file, (flags & O.CLOEXEC) !== 0);
}

// --- metadata ---
function synthStat(file: GuestFile): StatInfo {
  const mode = BigInt(file instanceof MemFile ? S_IFREG | 0o444 : S_IFIFO | 0o600);
  const size = BigInt(file instanceof MemFile ? file.data.length : 0);
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    dev: 0n, ino: 1n, mode, nlink: 1n, uid: BigInt(process.getuid?.() ?? 0),
    gid: BigInt(process.getgid?.() ?? 0), rdev: 0n, size, blksize: 4096n, blocks: 0n,
    atimeNs: now, mtimeNs: now, ctimeNs: now, birthtimeNs: now,
  }; // prettier-ignore
}

export function fileStat(file: GuestFile): StatInfo {
  return file.stat() ?? synthStat(file);
}

/** stat/lstat of a path or of an fd (AT_EMPTY_PATH), honouring /proc/self. */
function statAt(p: UserProcess, dirfd: number, path: string, flags: number): StatInfo {
  if (path === "" && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) return fs.statSync(p.cwd, { bigint: true });
    return fileStat(p.fds.get(dirfd));
  }
  const self = procSelf(p, path);
  if (self === "exe") return fs.statSync(p.programPath, { bigint: true });
  if (self === "maps") return synthStat(new MemFile(new Uint8Array()));
  const host = hostPath(p, dirfd, path);
  return flags & AT_SYMLINK_NOFOLLOW
    ? fs.lstatSync(host, { bigint: true })
    : fs.statSync(host, { bigint: true });
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
const DT = { FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12 };

function direntType(d: fs.Dirent): number {
  if (d.isFile()) return DT.REG;
  if (d.isDirectory()) return DT.DIR;
  if (d.isSymbolicLink()) return DT.LNK;
  if (d.isFIFO()) return DT.FIFO;
  if (d.isCharacterDevice()) return DT.CHR;
  if (d.isBlockDevice()) return DT.BLK;
  if (d.isSocket()) return DT.SOCK;
  return 0;
}

function getdents64(p: UserProcess, t: Thread): number {
  const f = p.fds.get(t.argInt(0));
  if (!(f instanceof HostFile) || !f.isDir || !f.hostPath) throw new SysError(ERRNO.ENOTDIR);
  const addr = t.arg(1);
  const count = p.as.mappedLength(addr, t.arg(2), PROT_WRITE);
  if (count === 0) throw new SysError(ERRNO.EFAULT);
  const dir = f.hostPath;
  if (!f.dirEntries) {
    const ino = (path: string) => {
      try {
        return fs.lstatSync(path, { bigint: true }).ino;
      } catch {
        return 0n;
      }
    };
    f.dirEntries = [
      { name: ".", ino: ino(dir), type: DT.DIR },
      { name: "..", ino: ino(`${dir}/..`), type: DT.DIR },
      ...fs.readdirSync(dir, { withFileTypes: true }).map((d) => ({
        name: d.name,
        ino: ino(`${dir}/${d.name}`),
        type: direntType(d),
      })),
    ];
  }
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
  const path = pathArg(p, t, 1);
  const self = procSelf(p, path);
  let target: string;
  if (self === "exe") target = fs.realpathSync(p.programPath);
  else if (self?.startsWith("fd/")) {
    const f = p.fds.get(Number(self.slice(3)));
    target = f.hostPath ?? (f instanceof HostFile ? `/dev/fd/${f.fd}` : "pipe:[0]");
  } else target = fs.readlinkSync(hostPath(p, t.argInt(0), path));
  const bytes = new TextEncoder().encode(target);
  const n = Math.min(bytes.length, t.arg(3));
  p.as.write(t.arg(2), bytes.subarray(0, n));
  return n;
}

function faccessat(p: UserProcess, t: Thread): number {
  const path = pathArg(p, t, 1);
  if (procSelf(p, path) === "exe") return 0;
  fs.accessSync(hostPath(p, t.argInt(0), path), t.argInt(2) & 7);
  return 0;
}

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

function utimensat(p: UserProcess, t: Thread): number {
  const dirfd = t.argInt(0);
  const pathPtr = t.arg(1);
  const timesPtr = t.arg(2);
  const flags = t.argInt(3);
  const target = pathPtr === 0 ? undefined : hostPath(p, dirfd, p.as.cstring(pathPtr));
  const fd = pathPtr === 0 ? p.fds.get(dirfd).hostFd() : undefined;
  if (!target && fd === undefined) throw new SysError(ERRNO.EBADF);
  const cur = target ? fs.lstatSync(target) : fs.fstatSync(fd!);
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

function renameat2(p: UserProcess, t: Thread): number {
  const from = hostPath(p, t.argInt(0), pathArg(p, t, 1));
  const to = hostPath(p, t.argInt(2), pathArg(p, t, 3));
  const flags = t.syscallNr === 38 ? 0 : t.argInt(4);
  if (flags & ~1) throw new SysError(ERRNO.EINVAL); // only RENAME_NOREPLACE
  if (flags & 1 && fs.existsSync(to)) throw new SysError(ERRNO.EEXIST);
  fs.renameSync(from, to);
  return 0;
}

function statfsAt(p: UserProcess, addr: number, host: string): number {
  const st = fs.statfsSync(host, { bigint: true });
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
    fs.mkdirSync(hostPath(p, t.argInt(0), pathArg(p, t, 1)), t.argInt(2) & 0o7777 & ~p.umask);
    return 0;
  }),
  sys(35, "unlinkat", "Dsx", (p, t) => {
    const host = hostPath(p, t.argInt(0), pathArg(p, t, 1));
    if (t.argInt(2) & AT_REMOVEDIR) fs.rmdirSync(host);
    else if (fs.lstatSync(host).isDirectory()) throw new SysError(ERRNO.EISDIR);
    else fs.unlinkSync(host);
    return 0;
  }),
  sys(36, "symlinkat", "sDs", (p, t) => {
    fs.symlinkSync(pathArg(p, t, 0), hostPath(p, t.argInt(1), pathArg(p, t, 2)));
    return 0;
  }),
  sys(37, "linkat", "DsDsx", (p, t) => {
    fs.linkSync(hostPath(p, t.argInt(0), pathArg(p, t, 1)), hostPath(p, t.argInt(2), pathArg(p, t, 3)));
    return 0;
  }),
  sys(38, "renameat", "DsDs", renameat2),
  sys(276, "renameat2", "DsDsx", renameat2),
  sys(88, "utimensat", "Dspx", utimensat),
  sys(49, "chdir", "s", (p, t) => {
    const host = hostPath(p, AT_FDCWD, pathArg(p, t, 0));
    if (!fs.statSync(host).isDirectory()) throw new SysError(ERRNO.ENOTDIR);
    p.cwd = host;
    return 0;
  }),
  sys(50, "fchdir", "i", (p, t) => {
    const f = p.fds.get(t.argInt(0));
    if (!f.isDir || !f.hostPath) throw new SysError(ERRNO.ENOTDIR);
    p.cwd = f.hostPath;
    return 0;
  }),
  sys(17, "getcwd", "pu", (p, t) => {
    const bytes = new TextEncoder().encode(p.cwd + "\0");
    if (bytes.length > t.arg(1)) throw new SysError(ERRNO.ERANGE);
    p.as.write(t.arg(0), bytes);
    return bytes.length;
  }),
  sys(52, "fchmod", "io", (p, t) => {
    const fd = p.fds.get(t.argInt(0)).hostFd();
    if (fd === undefined) throw new SysError(ERRNO.EINVAL);
    fs.fchmodSync(fd, t.argInt(1) & 0o7777);
    return 0;
  }),
  sys(53, "fchmodat", "Dsox", (p, t) => {
    fs.chmodSync(hostPath(p, t.argInt(0), pathArg(p, t, 1)), t.argInt(2) & 0o7777);
    return 0;
  }),
  sys(54, "fchownat", "Dsiix", (p, t) => {
    const host = hostPath(p, t.argInt(0), pathArg(p, t, 1));
    if (t.argInt(4) & AT_SYMLINK_NOFOLLOW) fs.lchownSync(host, t.argInt(2), t.argInt(3));
    else fs.chownSync(host, t.argInt(2), t.argInt(3));
    return 0;
  }),
  sys(55, "fchown", "iii", (p, t) => {
    const fd = p.fds.get(t.argInt(0)).hostFd();
    if (fd === undefined) throw new SysError(ERRNO.EINVAL);
    fs.fchownSync(fd, t.argInt(1), t.argInt(2));
    return 0;
  }),
  sys(43, "statfs", "sp", (p, t) => statfsAt(p, t.arg(1), hostPath(p, AT_FDCWD, pathArg(p, t, 0)))),
  sys(44, "fstatfs", "ip", (p, t) => statfsAt(p, t.arg(1), p.fds.get(t.argInt(0)).hostPath ?? "/")),
  sys(166, "umask", "o", (p, t) => {
    const old = p.umask;
    p.umask = t.argInt(0) & 0o777;
    return old;
  }),
  ...IO_SYSCALLS,
];
