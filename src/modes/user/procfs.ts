// The synthetic trees of a user-mode guest's namespace (see vfs.ts): /proc, seen by the
// asking process, and /dev, a few host character devices and the stdio links. Nothing here
// reaches the host beyond those devices and the files the guest already has open.
import * as fs from "node:fs";
import { ERRNO, O } from "./abi.js";
import { fdPath, fileStat, HostFile, MemFile, S_IFDIR, S_IFLNK, S_IFREG, syntheticStat, VirtualDir } from "./files.js"; // prettier-ignore
import type { GuestFile, StatInfo } from "./files.js";
import type { UserProcess } from "./process.js";
import { SysError } from "./syscall.js";
import type { MagicLink, VNode } from "./vfs.js";

const enc = new TextEncoder();

/** A directory of named children, made when they are looked up. */
function dir(entries: () => Record<string, () => VNode>): VNode {
  return { type: "dir", names: () => Object.keys(entries()), child: (name) => entries()[name]?.() };
}
const file = (text: () => string): VNode => ({ type: "file", data: () => enc.encode(text()) });
const link = (target: () => string, magic?: MagicLink): VNode => ({ type: "link", target, magic });

/** /proc/<pid>/fd/<n>: opens the open file itself (a new open of its host file, or the same pipe). */
function fdLink(f: GuestFile): VNode {
  const magic: MagicLink = {
    open(flags) {
      const write = (flags & O.ACCMODE) !== O.RDONLY || flags & O.TRUNC;
      if (f instanceof HostFile && f.hostPath && !f.isDir) {
        if (write && f.readOnlyMount) throw new SysError(ERRNO.EROFS);
        // Through the descriptor, not the path: the file it holds, whatever was renamed since.
        const via = fdPath(f.fd);
        const reopened = HostFile.open(via ?? f.hostPath, flags & ~(O.CREAT | O.EXCL), 0, via !== undefined);
        reopened.guestPath = f.guestPath;
        reopened.readOnlyMount = f.readOnlyMount;
        return reopened;
      }
      f.refs++;
      return f;
    },
    stat: () => fileStat(f),
    host: () => (f instanceof HostFile && f.hostPath ? (fdPath(f.fd) ?? f.hostPath) : undefined),
  };
  return link(() => f.guestPath ?? f.anonName(), magic);
}

function pidDir(q: UserProcess): VNode {
  const exe: MagicLink = {
    open(flags) {
      if ((flags & O.ACCMODE) !== O.RDONLY) throw new SysError(ERRNO.ETXTBSY);
      const via = fdPath(q.programFd);
      const f = HostFile.open(via ?? q.programPath, O.RDONLY, 0, via !== undefined);
      f.guestPath = q.programGuestPath;
      f.readOnlyMount = true;
      return f;
    },
    stat: () => fs.fstatSync(q.programFd, { bigint: true }),
    host: () => fdPath(q.programFd) ?? q.programPath,
  };
  const comm = () => (q.argv[0] ?? "").split("/").pop()!.slice(0, 15);
  return dir(() => ({
    exe: () => link(() => q.programGuestPath, exe),
    cwd: () => link(() => q.cwd),
    root: () => link(() => "/"),
    fd: () => dir(() => Object.fromEntries(q.fds.list().map((n) => [String(n), () => fdLink(q.fds.get(n))]))),
    maps: () => file(() => q.as.maps()),
    cmdline: () => file(() => q.argv.map((a) => a + "\0").join("")),
    environ: () => file(() => q.env.map((a) => a + "\0").join("")),
    comm: () => file(() => comm() + "\n"),
    stat: () =>
      file(() => `${q.pid} (${comm()}) R ${q.parent?.pid ?? 0} ${q.pid} ${q.pid}` + " 0".repeat(46) + "\n"),
  }));
}

const CPUINFO = "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc_zicsr_zifencei\nmmu\t\t: sv39\n\n";

/** /proc as process `p` sees it: itself as "self", every process of the run by pid. */
export function procTree(p: UserProcess): VNode {
  return dir(() => {
    const out: Record<string, () => VNode> = { self: () => link(() => String(p.pid)) };
    for (const [pid, q] of p.kernel.processes) if (!q.result) out[String(pid)] = () => pidDir(q);
    out.cpuinfo = () => file(() => CPUINFO);
    out.mounts = () => file(() => p.kernel.vfs.describeMounts());
    return out;
  });
}

/** The host devices /dev offers (those this host has). */
const DEVICES = ["null", "zero", "full", "random", "urandom", "tty"].filter((d) =>
  fs.existsSync(`/dev/${d}`),
);

/** /dev: host character devices, and links to the process's own stdio. */
export function devTree(): VNode {
  const entries: Record<string, () => VNode> = {};
  for (const d of DEVICES) entries[d] = () => ({ type: "host", host: `/dev/${d}` });
  ["stdin", "stdout", "stderr"].forEach(
    (name, i) => (entries[name] = () => link(() => `/proc/self/fd/${i}`)),
  );
  entries.fd = () => link(() => "/proc/self/fd");
  return dir(() => entries);
}

/** A stable inode number for a synthetic node (the FNV-1a hash of its guest path). */
function syntheticIno(guest: string): bigint {
  let h = 0x811c9dc5;
  for (let i = 0; i < guest.length; i++) h = Math.imul(h ^ guest.charCodeAt(i), 0x01000193) >>> 0;
  return BigInt(h) + 0x1_0000_0000n;
}

/** stat of a synthetic node; `followed`: of the file behind a magic link rather than the link. */
export function virtualStat(v: VNode, guest: string, followed = false): StatInfo {
  if (v.type === "link" && v.magic && followed) return v.magic.stat();
  const ino = syntheticIno(guest);
  if (v.type === "dir") return syntheticStat(S_IFDIR | 0o555, 0, ino);
  if (v.type === "link") return syntheticStat(S_IFLNK | 0o777, v.target().length, ino);
  if (v.type === "file") return syntheticStat(S_IFREG | 0o444, 0, ino); // like /proc: size 0
  return fs.lstatSync(v.host, { bigint: true });
}

/** Opens a synthetic node (never for writing). */
export function openVirtual(v: VNode, guest: string, flags: number): GuestFile {
  if (v.type === "link" && v.magic) return v.magic.open(flags);
  const write = (flags & O.ACCMODE) !== O.RDONLY || flags & O.TRUNC;
  if (v.type === "dir") {
    if (write) throw new SysError(ERRNO.EISDIR);
    return new VirtualDir(guest, v.names, virtualStat(v, guest));
  }
  if (flags & O.DIRECTORY) throw new SysError(ERRNO.ENOTDIR);
  if (v.type === "link") throw new SysError(ERRNO.ELOOP); // opened with O_NOFOLLOW
  if (write) throw new SysError(ERRNO.EACCES);
  if (v.type === "host") throw new SysError(ERRNO.EINVAL); // vfs turns these into host nodes
  const f = new MemFile(v.data(), virtualStat(v, guest));
  f.guestPath = guest;
  f.readOnlyMount = true;
  return f;
}
