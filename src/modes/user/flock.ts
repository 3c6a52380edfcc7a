// flock(2): advisory whole-file locks between the guest's processes and threads. A lock
// belongs to an open file (shared by dup and fork, dropped at its last close) and is on the
// file's host inode, so two opens of one file contend. LOCK_NB fails with EWOULDBLOCK; a
// blocked flock waits (its thread alone) until the lock can be taken or a signal comes.
// Converting a lock first drops the old one, as Linux does (the conversion is not atomic).
//
// Differs from Linux: the locks exist only inside this hartwood run, so host processes do
// not see them (nor the guest theirs); files without a host inode (pipes, sockets, memfds
// reached another way) lock per open file.
import { ERRNO } from "./abi.js";
import { fileStat, HostFile, type GuestFile } from "./files.js";
import { retryWhen } from "./io.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { inodeKey } from "./unix.js";

const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, LOCK_MAND = 32; // prettier-ignore

/** The flock state of one inode: who holds it (and whether exclusively), who waits. */
export interface FileLock {
  readonly holders: Map<GuestFile, boolean>;
  readonly waiters: Set<() => void>;
}

function lockOf(p: UserProcess, f: GuestFile): { key: unknown; lock: FileLock } {
  const key = f instanceof HostFile ? inodeKey(fileStat(f)) : f;
  let lock = p.kernel.flocks.get(key);
  if (!lock) {
    lock = { holders: new Map(), waiters: new Set() };
    p.kernel.flocks.set(key, lock);
  }
  return { key, lock };
}

function unlock(p: UserProcess, f: GuestFile, key: unknown, lock: FileLock): void {
  if (!lock.holders.delete(f)) return;
  f.unlock = undefined;
  if (lock.holders.size === 0 && lock.waiters.size === 0) p.kernel.flocks.delete(key);
  for (const w of [...lock.waiters]) w();
}

function flock(p: UserProcess, t: Thread): SysResult {
  const f = p.fds.get(t.argInt(0));
  const op = t.argInt(1);
  const cmd = op & ~LOCK_NB;
  if (op & LOCK_MAND) return 0; // Linux ignores the long-broken mandatory locks
  if (cmd !== LOCK_SH && cmd !== LOCK_EX && cmd !== LOCK_UN) throw new SysError(ERRNO.EINVAL);
  const { key, lock } = lockOf(p, f);
  const exclusive = cmd === LOCK_EX;
  const held = lock.holders.get(f);
  if (cmd === LOCK_UN || (held !== undefined && held !== exclusive)) unlock(p, f, key, lock);
  if (cmd === LOCK_UN || held === exclusive) return 0;
  const attempt = (): number | undefined => {
    for (const [other, ex] of lock.holders) if (other !== f && (ex || exclusive)) return undefined;
    lock.holders.set(f, exclusive);
    f.unlock = () => unlock(p, f, key, lock);
    return 0;
  };
  const r = attempt();
  if (r !== undefined) return r;
  if (op & LOCK_NB) {
    if (lock.holders.size === 0 && lock.waiters.size === 0) p.kernel.flocks.delete(key);
    throw new SysError(ERRNO.EAGAIN);
  }
  return retryWhen(
    p,
    t,
    (fn) => {
      lock.waiters.add(fn);
      return () => {
        lock.waiters.delete(fn);
        if (lock.holders.size === 0 && lock.waiters.size === 0) p.kernel.flocks.delete(key);
      };
    },
    attempt,
  );
}

export const FLOCK_SYSCALLS: SyscallDef[] = [sys(32, "flock", "ii", flock)];
