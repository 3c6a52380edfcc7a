// Memory syscalls: brk, mmap and friends. Mappings are bookkeeping over the flat window
// (the bytes are always there); see AddressSpace. Protection is recorded, not enforced.
import * as fs from "node:fs";
import {
  ERRNO,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PAGE,
  pageUp,
  PROT_WRITE,
} from "./abi.js";
import type { SharedFile } from "./addrspace.js";
import { HostFile, MemFile } from "./files.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";

function mmap(p: UserProcess, t: Thread): number {
  const addr = t.arg(0);
  const len = t.arg(1);
  const prot = t.argInt(2);
  const flags = t.argInt(3);
  const fd = t.argInt(4);
  const offset = t.argI64(5);
  const as = p.as;
  if (len === 0 || addr % PAGE || offset % PAGE || offset < 0) throw new SysError(ERRNO.EINVAL);
  const type = flags & 3;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== 3) throw new SysError(ERRNO.EINVAL);
  const size = pageUp(len);
  if (size > as.hi) throw new SysError(ERRNO.ENOMEM);
  const file = flags & MAP_ANONYMOUS ? undefined : p.fds.get(fd);
  if (file && !(file instanceof HostFile && file.seekable) && !(file instanceof MemFile))
    throw new SysError(ERRNO.ENODEV);
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr < as.lo || addr + size > as.hi) throw new SysError(ERRNO.ENOMEM);
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && !as.isFree(addr, addr + size))
      throw new SysError(ERRNO.EEXIST);
    start = addr;
  } else {
    start = as.findFree(size, addr);
    if (start < 0) throw new SysError(ERRNO.ENOMEM);
  }
  const name = file ? (file.guestPath ?? "") : "";
  // A shared, writable file mapping writes its bytes back at msync, munmap and exit.
  const shared =
    file instanceof HostFile && type !== MAP_PRIVATE && prot & PROT_WRITE ? sharedFile(file) : undefined;
  as.map(start, size, prot, flags, name, offset, shared);
  if (file instanceof HostFile) {
    // MAP_PRIVATE semantics for every file mapping: a copy of the file's bytes.
    as.readFile(file.fd, start, len, offset);
  } else if (file instanceof MemFile) {
    as.u8.set(file.data.subarray(offset, offset + len), start);
  } else {
    as.markZero(start, start + size);
  }
  return start;
}

function sharedFile(file: HostFile): SharedFile {
  file.refs++; // the mapping keeps the file open, as in Linux
  return {
    writeBack(data, fileOffset) {
      // Only bytes inside the file go back; the tail of the last page is not file data.
      const size = Number(file.stat().size);
      const n = Math.max(0, Math.min(data.length, size - fileOffset));
      if (n > 0) fs.writeSync(file.fd, data, 0, n, fileOffset);
    },
  };
}

function munmap(p: UserProcess, t: Thread): number {
  const addr = t.arg(0);
  const len = pageUp(t.arg(1));
  if (addr % PAGE || len === 0) throw new SysError(ERRNO.EINVAL);
  if (addr < p.as.lo || addr + len > p.as.hi) return 0;
  p.as.unmap(addr, len);
  return 0;
}

function mremap(p: UserProcess, t: Thread): number {
  const as = p.as;
  const old = t.arg(0);
  const oldLen = pageUp(t.arg(1));
  const newLen = pageUp(t.arg(2));
  const flags = t.argInt(3);
  const want = t.arg(4);
  if (old % PAGE || newLen === 0 || flags & ~3 || (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)))
    throw new SysError(ERRNO.EINVAL);
  const vma = as.find(old);
  if (!vma || !as.isMapped(old, Math.max(oldLen, PAGE))) throw new SysError(ERRNO.EFAULT);
  if (!(flags & MREMAP_FIXED)) {
    if (newLen <= oldLen) {
      if (newLen < oldLen) as.unmap(old + newLen, oldLen - newLen);
      return old;
    }
    if (as.isFree(old + oldLen, old + newLen)) {
      as.map(old + oldLen, newLen - oldLen, vma.prot, vma.flags, vma.name);
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) throw new SysError(ERRNO.ENOMEM);
  }
  let to: number;
  if (flags & MREMAP_FIXED) {
    if (want % PAGE || want < as.lo || want + newLen > as.hi) throw new SysError(ERRNO.EINVAL);
    to = want;
  } else {
    to = as.findFree(newLen);
    if (to < 0) throw new SysError(ERRNO.ENOMEM);
  }
  const keep = as.u8.slice(old, old + Math.min(oldLen, newLen));
  as.unmap(old, oldLen);
  as.map(to, newLen, vma.prot, vma.flags, vma.name);
  as.u8.set(keep, to);
  return to;
}

const MADV_DONTNEED = 4;

function madvise(p: UserProcess, t: Thread): number {
  const addr = t.arg(0);
  const len = pageUp(t.arg(1));
  if (addr % PAGE) throw new SysError(ERRNO.EINVAL);
  // MADV_DONTNEED on private anonymous memory: the pages read as zero afterwards.
  if (t.argInt(2) === MADV_DONTNEED && p.as.isMapped(addr, len)) {
    const v = p.as.find(addr);
    if (v && (v.name === "" || v.name === "[heap]" || v.name === "[stack]") && !(v.flags & MAP_SHARED))
      p.as.dontNeed(addr, addr + len);
  }
  return 0;
}

export const MEM_SYSCALLS: SyscallDef[] = [
  sys(214, "brk", "p", (p, t) => p.as.setBrk(t.arg(0))),
  sys(222, "mmap", "pumMix", mmap),
  sys(215, "munmap", "pu", munmap),
  sys(226, "mprotect", "pum", (p, t) => {
    const addr = t.arg(0);
    if (addr % PAGE) throw new SysError(ERRNO.EINVAL);
    return p.as.protect(addr, pageUp(t.arg(1)), t.argInt(2)) ? 0 : -ERRNO.ENOMEM;
  }),
  sys(216, "mremap", "puuxp", mremap),
  sys(233, "madvise", "pui", madvise),
  sys(227, "msync", "pux", (p, t) => {
    const addr = t.arg(0);
    if (addr % PAGE) throw new SysError(ERRNO.EINVAL);
    if (!p.as.isMapped(addr, pageUp(t.arg(1)))) throw new SysError(ERRNO.ENOMEM);
    p.as.writeBack(addr, addr + pageUp(t.arg(1)));
    return 0;
  }),
  sys(228, "mlock", "pu", () => 0),
  sys(229, "munlock", "pu", () => 0),
  sys(230, "mlockall", "x", () => 0),
  sys(231, "munlockall", "", () => 0),
];
