// Process and thread syscalls: identity, limits, uname, threads (clone/clone3 with the
// pthread flags, exit with CLONE_CHILD_CLEARTID), exit_group, randomness, scheduling.
import { closeSync, openSync, readSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import * as S from "../../arch/riscv/state.js";
import { CLONE, ERRNO } from "./abi.js";
import { MAX_FDS } from "./files.js";
import type { UserProcess } from "./process.js";
import { REDIRECTED, sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { forkProcess } from "./exec.js";
import { CLOCK, clockNs } from "./time.js";

export const UNAME = {
  sysname: "Linux",
  release: "6.1.0",
  version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0 (hartwood)",
  machine: "riscv64",
};

/** The flags a thread-creating clone must have; anything else would be fork or vfork. */
const THREAD_FLAGS = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD;

function clone(
  p: UserProcess,
  t: Thread,
  flags: number,
  stack: number,
  ptid: number,
  tls: number,
  ctid: number,
): SysResult {
  if (!(flags & CLONE.VM) || flags & CLONE.VFORK) return forkProcess(p, t, flags, stack, ctid);
  if ((flags & THREAD_FLAGS) !== THREAD_FLAGS) return -ERRNO.EINVAL; // CLONE_VM alone: a process sharing memory
  const c = p.newThread();
  if (!c) return -ERRNO.EAGAIN;
  const u8 = t.hart.u8;
  // x0..x31 and f0..f31 are contiguous in the hart state; the child continues after the ecall.
  u8.copyWithin(c.hart.base + S.X, t.hart.base + S.X, t.hart.base + S.F + 256);
  c.hart.setI32(S.FFLAGS, t.hart.getI32(S.FFLAGS));
  c.hart.setI32(S.FRM, t.hart.getI32(S.FRM));
  c.pc = t.pc + 4;
  c.setX(10, 0);
  if (stack) c.setX(2, stack);
  if (flags & CLONE.SETTLS) c.setX(4, tls);
  if (flags & CLONE.PARENT_SETTID) p.as.setU32(ptid, c.tid);
  if (flags & CLONE.CHILD_SETTID) p.as.setU32(ctid, c.tid);
  if (flags & CLONE.CHILD_CLEARTID) c.clearChildTid = ctid;
  c.sigmask = t.sigmask;
  return c.tid;
}

/** struct clone_args (include/uapi/linux/sched.h), at least the first 64 bytes. */
function clone3(p: UserProcess, t: Thread): SysResult {
  const a = t.arg(0);
  const size = t.arg(1);
  if (size < 64) throw new SysError(ERRNO.EINVAL);
  const as = p.as;
  const flags = as.u64(a);
  const stack = as.u64(a + 40);
  const stackSize = as.u64(a + 48);
  if (flags >= 0x100000000 || (stack === 0) !== (stackSize === 0)) throw new SysError(ERRNO.EINVAL);
  return clone(p, t, flags, stack ? stack + stackSize : 0, as.u64(a + 24), as.u64(a + 56), as.u64(a + 16));
}

/** A thread ends (exit): CLONE_CHILD_CLEARTID clears the tid word and wakes one futex waiter. */
function exitThread(p: UserProcess, t: Thread): SysResult {
  const status = t.argInt(0) & 0xff;
  if (t.clearChildTid) {
    try {
      p.as.setU32(t.clearChildTid, 0);
      p.futexes.wake(t.clearChildTid, 1);
    } catch {
      // an unmapped tid word is ignored, as in Linux
    }
  }
  p.endThread(t, status);
  return REDIRECTED;
}

// --- resource limits ---
const RLIM_INFINITY = (1n << 64n) - 1n;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;
const limits = new Map<number, [bigint, bigint]>([
  [RLIMIT_STACK, [8n << 20n, RLIM_INFINITY]],
  [4, [0n, RLIM_INFINITY]], // RLIMIT_CORE
  [RLIMIT_NOFILE, [BigInt(MAX_FDS), BigInt(MAX_FDS)]],
  [8, [8n << 20n, 8n << 20n]], // RLIMIT_MEMLOCK
]);

function prlimit(p: UserProcess, pid: number, resource: number, next: number, old: number): number {
  if (pid !== 0 && pid !== p.pid) throw new SysError(ERRNO.ESRCH);
  if (resource < 0 || resource > 15) throw new SysError(ERRNO.EINVAL);
  const cur = limits.get(resource) ?? [RLIM_INFINITY, RLIM_INFINITY];
  if (old) {
    p.as.setBig64(old, cur[0]);
    p.as.setBig64(old + 8, cur[1]);
  }
  if (next) {
    const v: [bigint, bigint] = [p.as.big64(next), p.as.big64(next + 8)];
    if (v[0] > v[1]) throw new SysError(ERRNO.EINVAL);
    limits.set(resource, v);
  }
  return 0;
}

function uname(p: UserProcess, t: Thread): number {
  const addr = t.arg(0);
  const out = p.as.out(addr, 6 * 65);
  out.fill(0);
  const fields = [UNAME.sysname, hostname(), UNAME.release, UNAME.version, UNAME.machine, "(none)"];
  const enc = new TextEncoder();
  fields.forEach((f, i) => out.set(enc.encode(f).subarray(0, 64), 65 * i));
  return 0;
}

function sysinfo(p: UserProcess, t: Thread): number {
  const a = t.arg(0);
  p.as.out(a, 112).fill(0);
  p.as.setU64(a, Math.floor(clockNs(CLOCK.BOOTTIME) / 1e9));
  p.as.setU64(a + 32, p.as.hi); // totalram
  p.as.setU64(a + 40, p.as.hi - p.as.brk); // freeram (an estimate)
  p.as.dv.setUint16(a + 80, p.threads.length, true);
  p.as.setU32(a + 104, 1); // mem_unit
  return 0;
}

const PR_SET_PDEATHSIG = 1, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15, PR_GET_NAME = 16; // prettier-ignore
const threadNames = new WeakMap<Thread, Uint8Array>();

function prctl(p: UserProcess, t: Thread): number {
  switch (t.argInt(0)) {
    case PR_SET_NAME:
      threadNames.set(t, p.as.bytes(t.arg(1), 16).slice());
      return 0;
    case PR_GET_NAME: {
      const name = threadNames.get(t) ?? new TextEncoder().encode("hartwood\0");
      p.as.out(t.arg(1), 16).fill(0);
      p.as.write(t.arg(1), name.subarray(0, 15));
      return 0;
    }
    case PR_GET_DUMPABLE:
      return 1;
    case PR_SET_DUMPABLE:
    case PR_SET_PDEATHSIG:
      return 0;
    default:
      return -ERRNO.EINVAL;
  }
}

function getaffinity(p: UserProcess, t: Thread): number {
  const size = t.arg(1);
  const cpus = availableParallelism();
  const bytes = Math.ceil(cpus / 64) * 8;
  if (size < bytes) throw new SysError(ERRNO.EINVAL);
  const out = p.as.out(t.arg(2), bytes);
  out.fill(0);
  for (let i = 0; i < cpus; i++) out[i >> 3] |= 1 << (i & 7);
  return bytes;
}

const uid = () => process.getuid?.() ?? 0;
const gid = () => process.getgid?.() ?? 0;

/**
 * Fills `buf` from the host's /dev/urandom (the kernel's generator, which getrandom(2) reads
 * too), or node:crypto where that fails. glibc asks for randomness in every process (AT_RANDOM,
 * malloc's tcache key), and loading node:crypto for it cost a few ms of a short run's start-up.
 */
export function hostRandom(buf: Uint8Array): void {
  try {
    const fd = openSync("/dev/urandom", "r");
    try {
      for (let at = 0, n = 1; at < buf.length; at += n) {
        n = readSync(fd, buf, at, buf.length - at, null);
        if (n <= 0) throw new Error("/dev/urandom: short read");
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    process.getBuiltinModule("node:crypto").randomFillSync(buf);
  }
}

export const PROC_SYSCALLS: SyscallDef[] = [
  sys(93, "exit", "i", exitThread),
  sys(94, "exit_group", "i", (p, t) => (p.exit(t.argInt(0) & 0xff), REDIRECTED)),
  sys(220, "clone", "xppxp", (p, t) =>
    clone(p, t, t.argInt(0) >>> 0, t.arg(1), t.arg(2), t.arg(3), t.arg(4)),
  ),
  sys(435, "clone3", "pu", clone3),
  sys(96, "set_tid_address", "p", (_p, t) => ((t.clearChildTid = t.arg(0)), t.tid)),
  sys(99, "set_robust_list", "pu", (_p, t) => {
    if (t.arg(1) !== 24) throw new SysError(ERRNO.EINVAL);
    t.robustList = t.arg(0);
    return 0;
  }),
  sys(100, "get_robust_list", "ipp", (p, t) => {
    p.as.setU64(t.arg(1), t.robustList);
    p.as.setU64(t.arg(2), 24);
    return 0;
  }),
  sys(172, "getpid", "", (p) => p.pid),
  sys(178, "gettid", "", (_p, t) => t.tid),
  sys(173, "getppid", "", (p) => p.parent?.pid ?? process.ppid),
  sys(174, "getuid", "", uid),
  sys(175, "geteuid", "", uid),
  sys(176, "getgid", "", gid),
  sys(177, "getegid", "", gid),
  sys(148, "getresuid", "ppp", (p, t) => ([0, 1, 2].forEach((i) => p.as.setU32(t.arg(i), uid())), 0)),
  sys(150, "getresgid", "ppp", (p, t) => ([0, 1, 2].forEach((i) => p.as.setU32(t.arg(i), gid())), 0)),
  sys(158, "getgroups", "ip", () => 0),
  sys(154, "setpgid", "ii", () => 0),
  sys(155, "getpgid", "i", (p) => p.pid),
  sys(156, "getsid", "i", (p) => p.pid),
  sys(157, "setsid", "", (p) => p.pid),
  sys(160, "uname", "p", uname),
  sys(261, "prlimit64", "iipp", (p, t) => prlimit(p, t.argInt(0), t.argInt(1), t.arg(2), t.arg(3))),
  sys(163, "getrlimit", "ip", (p, t) => prlimit(p, 0, t.argInt(0), 0, t.arg(1))),
  sys(164, "setrlimit", "ip", (p, t) => prlimit(p, 0, t.argInt(0), t.arg(1), 0)),
  sys(165, "getrusage", "ip", (p, t) => {
    const a = t.arg(1);
    p.as.out(a, 144).fill(0);
    const us = Math.floor(clockNs(CLOCK.PROCESS_CPUTIME_ID) / 1000);
    p.as.setU64(a, Math.floor(us / 1e6));
    p.as.setU64(a + 8, us % 1e6);
    return 0;
  }),
  sys(179, "sysinfo", "p", sysinfo),
  sys(167, "prctl", "ixxxx", prctl),
  sys(92, "personality", "x", () => 0),
  sys(124, "sched_yield", "", (_p, t) => (t.stop(), 0)),
  sys(123, "sched_getaffinity", "iup", getaffinity),
  sys(122, "sched_setaffinity", "iup", () => 0),
  sys(120, "sched_getscheduler", "i", () => 0),
  sys(121, "sched_getparam", "ip", (p, t) => (p.as.setU32(t.arg(1), 0), 0)),
  sys(125, "sched_get_priority_max", "i", () => 0),
  sys(126, "sched_get_priority_min", "i", () => 0),
  sys(141, "getpriority", "ii", () => 20),
  sys(140, "setpriority", "iii", () => 0),
  sys(168, "getcpu", "ppp", (p, t) => {
    if (t.arg(0)) p.as.setU32(t.arg(0), 0);
    if (t.arg(1)) p.as.setU32(t.arg(1), 0);
    return 0;
  }),
  sys(278, "getrandom", "pux", (p, t) => {
    const n = Math.min(t.arg(1), 1 << 25);
    hostRandom(p.as.out(t.arg(0), n));
    return n;
  }),
  sys(259, "riscv_flush_icache", "ppx", (p) => (p.cpu.jit?.flush(), 0)),
];
