// Extended attributes, which the guest's namespace cannot provide exactly: Node has no call
// for a host file's extended attributes. The xattr calls check their path or fd as Linux
// does, then fail with EOPNOTSUPP ("not supported by this file system", which programs
// already expect of some file systems). inotify is not offered either (coverage.ts): fs.watch
// reports changes too coarsely for inotify's events (no cookies, no IN_CLOSE_WRITE, no mask),
// so inotify_init1 gets ENOSYS and programs fall back to polling.
//
// Differs from Linux: no extended attributes anywhere (getfattr, ACLs, capabilities in
// security.capability).
import { AT_FDCWD, ERRNO } from "./abi.js";
import { lookup, pathArg } from "./fs.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";
import { exists } from "./vfs.js";

/** The path (followed unless `nofollow`) must name something: ENOENT and the like first. */
function onPath(p: UserProcess, t: Thread, nofollow: boolean): number {
  if (!exists(lookup(p, AT_FDCWD, pathArg(p, t, 0), !nofollow).node)) throw new SysError(ERRNO.ENOENT);
  throw new SysError(ERRNO.EOPNOTSUPP);
}

function onFd(p: UserProcess, t: Thread): number {
  p.fds.get(t.argInt(0));
  throw new SysError(ERRNO.EOPNOTSUPP);
}

/** One xattr call in its three forms: path, lpath (no link followed), fd. */
function family(first: number, name: string, args: string): SyscallDef[] {
  return [
    sys(first, name, `s${args}`, (p, t) => onPath(p, t, false)),
    sys(first + 1, `l${name}`, `s${args}`, (p, t) => onPath(p, t, true)),
    sys(first + 2, `f${name}`, `i${args}`, onFd),
  ];
}

export const XATTR_SYSCALLS: SyscallDef[] = [
  ...family(5, "setxattr", "spux"),
  ...family(8, "getxattr", "spu"),
  ...family(11, "listxattr", "pu"),
  ...family(14, "removexattr", "s"),
];
