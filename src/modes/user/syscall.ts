// The shape of a syscall handler and the errors handlers raise. Handlers return the result
// (negative errno on failure), or say that they blocked the thread or redirected it.
import type { UserProcess } from "./process.js";
import type { Thread } from "./thread.js";

/** The thread is descheduled; the syscall completes later (UserProcess.complete). */
export const BLOCKED = Symbol("blocked");
/** The handler set pc and registers itself (rt_sigreturn, exit): no result, no pc advance. */
export const REDIRECTED = Symbol("redirected");
export type SysResult = number | typeof BLOCKED | typeof REDIRECTED;

/**
 * Argument formats for --strace, one letter per argument: i int, u unsigned, x hex,
 * p pointer, s string, D dirfd, o octal mode, f open flags, b buffer (length in the next
 * argument), S signal, c clock id, F futex op, m mmap prot, M mmap flags, T timerfd_create
 * flags, Q signalfd4 flags.
 */
export interface SyscallDef {
  readonly nr: number;
  readonly name: string;
  readonly args: string;
  readonly fn: (p: UserProcess, t: Thread) => SysResult;
}

/** A syscall failure with a Linux errno; the dispatcher turns it into -errno. */
export class SysError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

export function sys(nr: number, name: string, args: string, fn: SyscallDef["fn"]): SyscallDef {
  return { nr, name, args, fn };
}
