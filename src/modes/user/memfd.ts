// memfd_create(2): an anonymous regular file. It is a host file made in the host's temporary
// directory and unlinked at once, so reads, writes, mmap (shared mappings too), ftruncate and
// fstat are those of any host file. File seals (fcntl F_ADD_SEALS, F_GET_SEALS) are kept here
// and checked on write and ftruncate, as in Linux's mm/memfd.c.
//
// Differs from Linux: fstat shows the host file (mode 0600, not 0777); MFD_HUGETLB is refused
// (EINVAL); F_SEAL_WRITE does not check for writable shared mappings (no EBUSY), nor does it
// stop stores through a mapping made before it; F_SEAL_EXEC is kept but not enforced.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ERRNO, O, PAGE } from "./abi.js";
import { fdPath, HostFile } from "./files.js";
import { pathArg } from "./fs.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";

const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10; // prettier-ignore
export const F_SEAL = { SEAL: 1, SHRINK: 2, GROW: 4, WRITE: 8, FUTURE_WRITE: 0x10, EXEC: 0x20 } as const;
const ALL_SEALS = 0x3f;
/** NAME_MAX less the "memfd:" prefix. */
const MFD_NAME_MAX = 249;

let made = 0;

export class MemFd extends HostFile {
  seals: number;

  constructor(
    fd: number,
    readonly name: string,
    sealing: boolean,
  ) {
    super(fd, O.RDWR, fdPath(fd), true, false);
    this.seals = sealing ? 0 : F_SEAL.SEAL;
  }

  addSeals(add: number): void {
    if (add & ~ALL_SEALS) throw new SysError(ERRNO.EINVAL);
    if ((this.flags & O.ACCMODE) === O.RDONLY) throw new SysError(ERRNO.EPERM);
    if (this.seals & F_SEAL.SEAL) throw new SysError(ERRNO.EPERM);
    this.seals |= add;
  }

  /** ftruncate to `size`: refused by F_SEAL_SHRINK or F_SEAL_GROW. */
  resize(size: number): void {
    const now = Number(this.stat().size);
    if ((size < now && this.seals & F_SEAL.SHRINK) || (size > now && this.seals & F_SEAL.GROW))
      throw new SysError(ERRNO.EPERM);
  }

  override write(src: Uint8Array, pos: number | null): number {
    if (this.seals & (F_SEAL.WRITE | F_SEAL.FUTURE_WRITE)) throw new SysError(ERRNO.EPERM);
    if (this.seals & F_SEAL.GROW) {
      // Written page by page, each refused if it would grow the file: what lies in whole
      // pages below the size is written, the rest is EPERM (shmem_write_begin).
      const size = Number(this.stat().size);
      const start = this.flags & O.APPEND ? size : (pos ?? this.pos);
      if (start + src.length > size) {
        const room = Math.floor(size / PAGE) * PAGE - start;
        if (room <= 0) throw new SysError(ERRNO.EPERM);
        return super.write(src.subarray(0, room), pos);
      }
    }
    return super.write(src, pos);
  }

  override anonName(): string {
    return `/memfd:${this.name} (deleted)`;
  }
}

function memfdCreate(p: UserProcess, t: Thread): number {
  const name = pathArg(p, t, 0);
  const flags = t.argInt(1) >>> 0;
  if (Buffer.byteLength(name) > MFD_NAME_MAX) throw new SysError(ERRNO.EINVAL);
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC) || flags & MFD_HUGETLB)
    throw new SysError(ERRNO.EINVAL);
  if (flags & MFD_NOEXEC_SEAL && flags & MFD_EXEC) throw new SysError(ERRNO.EINVAL);
  const c = fs.constants;
  const path = join(tmpdir(), `hartwood-memfd-${process.pid}-${++made}`);
  const fd = fs.openSync(path, c.O_RDWR | c.O_CREAT | c.O_EXCL, 0o600);
  fs.unlinkSync(path);
  const file = new MemFd(fd, name, (flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL)) !== 0);
  if (flags & MFD_NOEXEC_SEAL) file.seals |= F_SEAL.EXEC; // and sealing stays allowed
  return p.fds.add(file, (flags & MFD_CLOEXEC) !== 0);
}

export const MEMFD_SYSCALLS: SyscallDef[] = [sys(279, "memfd_create", "sx", memfdCreate)];
