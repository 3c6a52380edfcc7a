// Scheduling attributes and memory barriers. Guest threads run one at a time on the JS thread
// under SCHED_OTHER at nice 0: sched_getattr says so, sched_setattr accepts the normal
// policies (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE) and changes nothing. membarrier's barriers
// hold trivially (no two guest threads ever run at once); its registrations are kept, so
// the private expedited commands fail with EPERM before one, as in Linux's
// kernel/sched/membarrier.c.
//
// Differs from Linux: nice values and policies are accepted but have no effect (getattr still
// says nice 0); real-time and deadline policies fail with EPERM; uclamp values read 0 and
// 1024; membarrier registrations are not inherited by fork, nor cleared by execve; the rseq
// commands are not offered (rseq itself is ENOSYS).
import { ERRNO, PAGE } from "./abi.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";

const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6; // prettier-ignore
/** struct sched_attr: VER0 (48 bytes) and VER1 (56, with the uclamp values). */
const SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE_VER1 = 56; // prettier-ignore
const SCHED_FLAG_ALL = 0x7f;
const UCLAMP_MAX = 1024;

/** The thread or process `pid` names (0: the caller); ESRCH for none. */
function checkPid(p: UserProcess, pid: number): void {
  if (pid < 0) throw new SysError(ERRNO.EINVAL);
  if (pid !== 0 && !p.threads.some((t) => t.tid === pid) && !p.kernel.processes.has(pid))
    throw new SysError(ERRNO.ESRCH);
}

function schedGetattr(p: UserProcess, t: Thread): number {
  const [pid, attr, size, flags] = [t.argInt(0), t.arg(1), t.argInt(2), t.argInt(3)];
  if (!attr || pid < 0 || size > PAGE || size < SCHED_ATTR_SIZE_VER0 || flags)
    throw new SysError(ERRNO.EINVAL);
  checkPid(p, pid);
  const n = Math.min(size, SCHED_ATTR_SIZE_VER1);
  const out = new DataView(new ArrayBuffer(SCHED_ATTR_SIZE_VER1));
  out.setUint32(0, n, true); // size: what was written
  out.setUint32(4, SCHED_OTHER, true); // policy; flags, nice, priority, runtime, deadline, period: 0
  out.setUint32(52, UCLAMP_MAX, true); // sched_util_max
  p.as.write(attr, new Uint8Array(out.buffer, 0, n));
  return 0;
}

function schedSetattr(p: UserProcess, t: Thread): number {
  const [pid, attr, flags] = [t.argInt(0), t.arg(1), t.argInt(2)];
  if (!attr || pid < 0 || flags) throw new SysError(ERRNO.EINVAL);
  let size = p.as.u32(attr) || SCHED_ATTR_SIZE_VER0;
  // A struct of another size: E2BIG with the size this kernel knows written back, as sched_copy_attr.
  const unknown = size > SCHED_ATTR_SIZE_VER1 && p.as.bytes(attr + SCHED_ATTR_SIZE_VER1, Math.min(size, PAGE) - SCHED_ATTR_SIZE_VER1).some((b) => b !== 0); // prettier-ignore
  if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE || unknown) {
    p.as.setU32(attr, SCHED_ATTR_SIZE_VER1);
    throw new SysError(ERRNO.E2BIG);
  }
  size = Math.min(size, SCHED_ATTR_SIZE_VER1);
  const policy = p.as.u32(attr + 4);
  const schedFlags = p.as.big64(attr + 8);
  checkPid(p, pid);
  if (schedFlags & ~BigInt(SCHED_FLAG_ALL)) throw new SysError(ERRNO.EINVAL);
  if (policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE) return 0;
  if (policy === SCHED_FIFO || policy === SCHED_RR || policy === SCHED_DEADLINE)
    throw new SysError(ERRNO.EPERM);
  throw new SysError(ERRNO.EINVAL);
}

const MEMBARRIER = {
  QUERY: 0, GLOBAL: 1, GLOBAL_EXPEDITED: 2, REGISTER_GLOBAL_EXPEDITED: 4, PRIVATE_EXPEDITED: 8,
  REGISTER_PRIVATE_EXPEDITED: 16, PRIVATE_EXPEDITED_SYNC_CORE: 32, REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: 64,
  GET_REGISTRATIONS: 512,
} as const; // prettier-ignore
const MEMBARRIER_SUPPORTED = Object.values(MEMBARRIER).reduce<number>((a, b) => a | b, 0);
/** Each process's registrations (MEMBARRIER_CMD_REGISTER_*). */
const registered = new WeakMap<UserProcess, number>();

function membarrier(p: UserProcess, t: Thread): number {
  const [cmd, flags] = [t.argInt(0), t.argInt(1)];
  if (flags) throw new SysError(ERRNO.EINVAL);
  const mine = registered.get(p) ?? 0;
  const M = MEMBARRIER;
  switch (cmd) {
    case M.QUERY:
      return MEMBARRIER_SUPPORTED;
    case M.GLOBAL:
    case M.GLOBAL_EXPEDITED:
      return 0;
    case M.REGISTER_GLOBAL_EXPEDITED:
    case M.REGISTER_PRIVATE_EXPEDITED:
    case M.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      registered.set(p, mine | cmd);
      return 0;
    case M.PRIVATE_EXPEDITED:
    case M.PRIVATE_EXPEDITED_SYNC_CORE:
      // Each command needs its registration (the REGISTER_ bit is the command's, doubled).
      if (!(mine & (cmd << 1))) throw new SysError(ERRNO.EPERM);
      return 0;
    case M.GET_REGISTRATIONS:
      return mine;
    default:
      throw new SysError(ERRNO.EINVAL);
  }
}

export const SCHED_SYSCALLS: SyscallDef[] = [
  sys(274, "sched_setattr", "ipx", schedSetattr),
  sys(275, "sched_getattr", "ipux", schedGetattr),
  sys(283, "membarrier", "iii", membarrier),
];
