// Control messages of AF_UNIX sockets (cmsg(3), unix(7)): SCM_RIGHTS passes open files between
// the guest's processes and threads, SCM_CREDENTIALS the sender's pid, uid and gid. What
// sendmsg attaches travels with the bytes it sent; recvmsg installs the files as new fds.
// Follows Linux's net/core/scm.c (__scm_send, put_cmsg, scm_detach_fds).
//
// Differs from Linux: files in flight are not garbage-collected, so a socket sent over itself
// (a cycle nothing else refers to) stays open until the run ends; a credential may name only
// the sender's own pid, uid and gid (the guest has no CAP_SYS_ADMIN, CAP_SETUID here).
import { ERRNO } from "./abi.js";
import type { GuestFile } from "./files.js";
import type { UserProcess } from "./process.js";
import { SysError } from "./syscall.js";

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const SCM_CREDENTIALS = 2;
export const MSG_CTRUNC = 8;
/** Linux's SCM_MAX_FD: descriptors one SCM_RIGHTS message may carry. */
const SCM_MAX_FD = 253;
/** net.core.optmem_max: the largest control buffer sendmsg takes. */
const OPTMEM_MAX = 131072;
/** struct cmsghdr on riscv64: cmsg_len (size_t), cmsg_level, cmsg_type (int); data 8-aligned. */
const CMSG_HDR = 16;
const UCRED_BYTES = 12;

const align = (n: number): number => (n + 7) & ~7;

/** struct ucred: who sent a message, or who is at the other end of a connection. */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

/** What a message carries besides its bytes. */
export interface Ancillary {
  /** Open files in flight: each holds one reference until it is installed or dropped. */
  rights?: GuestFile[];
  cred: Ucred;
}

export function credOf(p: UserProcess): Ucred {
  return { pid: p.pid, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/** Drops the references of files that were never received. */
export function dropRights(rights: GuestFile[] | undefined): void {
  for (const f of rights ?? []) f.release();
}

/** sendmsg's control buffer: the files to pass (referenced) and the credentials to claim. */
export function readControl(p: UserProcess, addr: number, len: number): Ancillary {
  const out: Ancillary = { cred: credOf(p) };
  if (len === 0) return out;
  if (len > OPTMEM_MAX) throw new SysError(ERRNO.ENOBUFS);
  const fds: number[] = [];
  for (let at = 0; at + CMSG_HDR <= len;) {
    const cmsgLen = p.as.u64(addr + at);
    if (cmsgLen < CMSG_HDR || cmsgLen > len - at) throw new SysError(ERRNO.EINVAL);
    const level = p.as.i32(addr + at + 8);
    const type = p.as.i32(addr + at + 12);
    const data = addr + at + CMSG_HDR;
    if (level === SOL_SOCKET) {
      if (type === SCM_RIGHTS) {
        const n = Math.floor((cmsgLen - CMSG_HDR) / 4);
        if (fds.length + n > SCM_MAX_FD) throw new SysError(ERRNO.EINVAL);
        for (let i = 0; i < n; i++) fds.push(p.as.i32(data + 4 * i));
      } else if (type === SCM_CREDENTIALS) {
        if (cmsgLen !== CMSG_HDR + UCRED_BYTES) throw new SysError(ERRNO.EINVAL);
        const claim = { pid: p.as.i32(data), uid: p.as.u32(data + 4), gid: p.as.u32(data + 8) };
        const own = out.cred;
        if (claim.pid !== own.pid || claim.uid !== own.uid || claim.gid !== own.gid)
          throw new SysError(ERRNO.EPERM);
      } else throw new SysError(ERRNO.EINVAL);
    }
    at += align(cmsgLen);
  }
  const files = fds.map((fd) => p.fds.get(fd)); // EBADF before any reference is taken
  if (files.length) {
    for (const f of files) f.refs++;
    out.rights = files;
  }
  return out;
}

/**
 * Writes recvmsg's control messages (credentials when SO_PASSCRED is on, then the files as
 * new fds) into the buffer at `addr` of `len` bytes; returns the bytes used and whether
 * something did not fit (MSG_CTRUNC). Files that find no place or no fd are dropped.
 */
export function writeControl(
  p: UserProcess,
  addr: number,
  len: number,
  anc: Ancillary | undefined,
  passcred: boolean,
  cloexec: boolean,
): { used: number; truncated: boolean } {
  let used = 0;
  let truncated = false;
  const put = (type: number, data: Uint8Array): void => {
    const room = len - used;
    if (room < CMSG_HDR) {
      truncated = true;
      return;
    }
    const full = CMSG_HDR + data.length;
    const cmlen = Math.min(full, room);
    if (cmlen < full) truncated = true;
    const hdr = new Uint8Array(CMSG_HDR);
    const dv = new DataView(hdr.buffer);
    dv.setBigUint64(0, BigInt(full), true);
    dv.setInt32(8, SOL_SOCKET, true);
    dv.setInt32(12, type, true);
    p.as.write(addr + used, hdr.subarray(0, Math.min(CMSG_HDR, cmlen)));
    p.as.write(addr + used + CMSG_HDR, data.subarray(0, cmlen - CMSG_HDR));
    used += Math.min(align(full), room);
  };
  if (passcred && anc) {
    const c = new DataView(new ArrayBuffer(UCRED_BYTES));
    c.setInt32(0, anc.cred.pid, true);
    c.setUint32(4, anc.cred.uid, true);
    c.setUint32(8, anc.cred.gid, true);
    put(SCM_CREDENTIALS, new Uint8Array(c.buffer));
  }
  const rights = anc?.rights ?? [];
  if (rights.length) {
    const fit = Math.max(0, Math.min(rights.length, Math.floor((len - used - CMSG_HDR) / 4)));
    const fds: number[] = [];
    for (const f of rights.slice(0, fit)) {
      try {
        fds.push(p.fds.add(f, cloexec)); // the reference in flight becomes the fd's
      } catch {
        break; // EMFILE: add dropped it; the rest are dropped below
      }
    }
    dropRights(rights.slice(fds.length + (fds.length < fit ? 1 : 0)));
    if (fds.length < rights.length) truncated = true;
    if (fds.length) {
      const data = new DataView(new ArrayBuffer(4 * fds.length));
      fds.forEach((fd, i) => data.setInt32(4 * i, fd, true));
      put(SCM_RIGHTS, new Uint8Array(data.buffer));
    }
  }
  return { used, truncated };
}
