// A guest thread: one hart of the CPU, its Linux task state (tid, signal mask, pending
// signals, alternate stack, clear_child_tid) and what it waits for when descheduled.
// Registers are read as i32 pairs so a syscall's argument decoding allocates nothing.
import type { Hart } from "../../arch/riscv/hart.js";
import * as S from "../../arch/riscv/state.js";

export const enum ThreadState {
  Runnable,
  Blocked,
  Dead,
}

/** What a blocked thread waits for; `cancel` undoes the registration (timer, futex queue). */
export interface Wait {
  cancel(): void;
  /** May a signal handler restart the syscall (SA_RESTART) rather than fail it with EINTR? */
  readonly restartable: boolean;
  /** Signals wait until the syscall ends (a vfork parent waiting for its child). */
  readonly uninterruptible?: boolean;
}

export interface SigInfo {
  code: number;
  /** si_addr for faults, or the sender's pid (kill, tgkill). */
  addr: number;
  pid?: number;
  /** SIGCHLD's si_status: the exit code or the killing signal. */
  status?: number;
  /** A POSIX timer's signal: si_timerid, si_overrun and si_value. */
  timer?: { id: number; overrun: number; value: bigint };
  /** Sent to the process, not to one thread: any of its threads may take it (signalfd, sigtimedwait). */
  shared?: boolean;
  /** Called when the signal is taken (delivered, waited for or read), before its siginfo is used. */
  dequeued?: () => void;
}

const A0 = 10;
const TWO32 = 0x100000000;

export class Thread {
  state = ThreadState.Runnable;
  /** Its last turn ran out its slice (it computes rather than waits): worth a worker's turn (hart-pool.ts). */
  ranOut = false;
  clearChildTid = 0;
  /** Blocked signals, bit (n - 1) for signal n. */
  sigmask = 0n;
  pending = 0n;
  altstackSp = 0;
  altstackSize = 0;
  altstackFlags = 2; // SS_DISABLE
  wait: Wait | undefined;
  /** The syscall in progress while blocked: its number, first argument and strace text. */
  syscallNr = -1;
  origA0Lo = 0;
  origA0Hi = 0;
  straceCall = "";
  robustList = 0;
  /** siginfo of each pending signal. */
  readonly siginfo = new Map<number, SigInfo>();
  /** The mask to restore after a handler that interrupted rt_sigsuspend. */
  suspendMask: bigint | undefined;
  private readonly xw: number; // index of x0's low word in i32

  constructor(
    readonly tid: number,
    readonly hart: Hart,
  ) {
    this.xw = (hart.base + S.X) >>> 2;
  }

  xLo(r: number): number {
    return this.hart.i32[this.xw + 2 * r];
  }
  xHi(r: number): number {
    return this.hart.i32[this.xw + 2 * r + 1];
  }
  /** Register r as an unsigned number (exact below 2^53). */
  xu(r: number): number {
    return (this.xHi(r) >>> 0) * TWO32 + (this.xLo(r) >>> 0);
  }
  setX(r: number, v: number): void {
    const hi = Math.floor(v / TWO32);
    this.hart.i32[this.xw + 2 * r] = (v - hi * TWO32) | 0;
    this.hart.i32[this.xw + 2 * r + 1] = hi | 0;
  }

  /** Syscall argument i as a 32-bit signed int (fds, flags, int arguments). */
  argInt(i: number): number {
    return this.xLo(A0 + i);
  }
  /** Syscall argument i as an unsigned number (addresses, sizes). */
  arg(i: number): number {
    return this.xu(A0 + i);
  }
  /** Syscall argument i as a signed 64-bit number (offsets). */
  argI64(i: number): number {
    return this.xHi(A0 + i) * TWO32 + (this.xLo(A0 + i) >>> 0);
  }
  /** Argument i as a full 64-bit value (signal masks, hex in strace). */
  argBig(i: number): bigint {
    return BigInt.asUintN(64, this.hart.getX(A0 + i));
  }
  setResult(v: number): void {
    this.setX(A0, v);
  }

  get pc(): number {
    const w = (this.hart.base + S.PC) >>> 2;
    return (this.hart.i32[w + 1] >>> 0) * TWO32 + (this.hart.i32[w] >>> 0);
  }
  set pc(v: number) {
    const w = (this.hart.base + S.PC) >>> 2;
    const hi = Math.floor(v / TWO32);
    this.hart.i32[w] = (v - hi * TWO32) | 0;
    this.hart.i32[w + 1] = hi | 0;
  }

  stop(): void {
    this.hart.setI32(S.STOP, 1);
  }
}
