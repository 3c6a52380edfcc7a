// Named pipes (fifo(7)) and mknodat. mknodat makes a real FIFO (or socket, or empty regular
// file) in the guest's namespace; opening a FIFO gives an end of an in-memory pipe that every
// open of the same host inode in this run shares, so the guest's processes talk through it
// without the host ever blocking. An open waits, as in Linux's fifo_open, until the other
// side has opened: the reader for a writer, the writer for a reader (O_RDWR never waits;
// O_NONBLOCK readers never wait, O_NONBLOCK writers fail with ENXIO); only its thread waits.
//
// Differs from Linux: bytes never pass through the host FIFO, so a host process at the other
// end of a FIFO in a bound directory is not seen; character and block devices cannot be made
// (EPERM, as for a process without CAP_MKNOD, even when the guest's uid is 0).
import * as fs from "node:fs";
import { ERRNO, O } from "./abi.js";
import { S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, type GuestFile } from "./files.js";
import { creatable, lookup, pathArg } from "./fs.js";
import { Pipe, PipeEnd } from "./pipes.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { inodeKey, makeSocketFile } from "./unix.js";

const S_IFBLK = 0o060000;

/** A host path as another process sees it (mount paths go through this process's /proc/self). */
const forChild = (host: string): string => host.replace(/^\/proc\/self\//, `/proc/${process.pid}/`);

function mknodat(p: UserProcess, t: Thread): number {
  const dirfd = t.argInt(0);
  const path = pathArg(p, t, 1);
  const mode = t.argInt(2) >>> 0;
  const type = mode & S_IFMT || S_IFREG;
  // may_mknod, before the path is looked at: no directories, no unknown types.
  if (type === S_IFDIR) throw new SysError(ERRNO.EPERM);
  if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK && type !== S_IFCHR && type !== S_IFBLK)
    throw new SysError(ERRNO.EINVAL);
  const r = lookup(p, dirfd, path, false);
  const host = creatable(p, r);
  if (type === S_IFCHR || type === S_IFBLK) throw new SysError(ERRNO.EPERM);
  const perm = mode & 0o7777 & ~p.umask;
  if (type === S_IFSOCK) makeSocketFile(host, perm);
  else if (type === S_IFREG)
    fs.closeSync(fs.openSync(host, fs.constants.O_CREAT | fs.constants.O_EXCL, perm));
  else {
    // Node cannot mkfifo; coreutils can (through this process's descriptor paths).
    const made = process
      .getBuiltinModule("node:child_process")
      .spawnSync("mkfifo", ["-m", perm.toString(8), forChild(host)], { stdio: "ignore" });
    const st = fs.lstatSync(host, { throwIfNoEntry: false });
    if (made.status !== 0 || !st?.isFIFO()) throw new SysError(ERRNO.EACCES);
  }
  return 0;
}

/** An end of the pipe behind the FIFO whose host stat is `st` (the caller waits for a partner). */
export function openFifo(p: UserProcess, st: fs.BigIntStats, flags: number, guest: string): PipeEnd {
  const fifos = p.kernel.fifos;
  const key = inodeKey(st);
  let pipe = fifos.get(key);
  const access = flags & O.ACCMODE;
  if (access === O.WRONLY && flags & O.NONBLOCK && !pipe?.readers) throw new SysError(ERRNO.ENXIO);
  if (!pipe) {
    const made = new Pipe();
    made.unused = () => fifos.delete(key); // the last close discards what nobody read
    fifos.set(key, made);
    pipe = made;
  }
  const end = new PipeEnd(pipe, flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.NOCTTY | O.CLOEXEC));
  end.inode = st;
  end.guestPath = guest;
  return end;
}

/** openat's end: installs the file, after waiting (its thread alone) for a FIFO's other side. */
export function installOpened(p: UserProcess, t: Thread, file: GuestFile, cloexec: boolean): SysResult {
  if (!(file instanceof PipeEnd) || !file.inode || (file.reads && file.writes))
    return p.fds.add(file, cloexec);
  const pipe = file.pipe;
  const waitFor = (): boolean => (file.reads ? pipe.writers === 0 : pipe.readers === 0);
  if (!waitFor() || (file.reads && file.flags & O.NONBLOCK)) return p.fds.add(file, cloexec);
  // Wait until the other side opens (even if it has closed again since: fifo_open's counters).
  const seen = file.reads ? pipe.writeOpens : pipe.readOpens;
  const stop = pipe.wait(() => {
    if ((file.reads ? pipe.writeOpens : pipe.readOpens) === seen) return;
    stop();
    let r: number;
    try {
      r = p.fds.add(file, cloexec);
    } catch (e) {
      r = e instanceof SysError ? -e.errno : -ERRNO.EFAULT;
    }
    p.complete(t, r);
  });
  const cancel = (): void => {
    stop();
    file.release(); // interrupted: this end was never opened
  };
  return p.block(t, { cancel, restartable: true });
}

export const FIFO_SYSCALLS: SyscallDef[] = [sys(33, "mknodat", "Dsox", mknodat)];
