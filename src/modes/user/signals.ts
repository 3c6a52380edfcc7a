// Signals: actions, masks, the alternate stack, sending, and delivery with the riscv64
// signal frame of Linux (arch/riscv/kernel/signal.c): struct rt_sigframe { siginfo (128
// bytes); ucontext } with ucontext = uc_flags, uc_link, uc_stack, uc_sigmask padded to 128
// bytes, then mcontext at +176 = pc, x1..x31, f0..f31, fcsr (uapi/asm/{ucontext,sigcontext}.h).
// Handlers return through the vDSO trampoline (rt_sigreturn), which Linux puts in ra.
import * as S from "../../arch/riscv/state.js";
import {
  ERRNO,
  NSIG,
  PROT_READ,
  PROT_WRITE,
  SA_NODEFER,
  SA_ONSTACK,
  SA_RESETHAND,
  SA_RESTART,
  SEGV_MAPERR,
  SI_TKILL,
  SI_USER,
  SIG,
  SS_DISABLE,
  SS_ONSTACK,
} from "./abi.js";
import { VDSO } from "./layout.js";
import type { UserProcess } from "./process.js";
import { formatResult } from "./strace.js";
import { REDIRECTED, sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import { ThreadState, type SigInfo, type Thread } from "./thread.js";

export const SIG_DFL = 0;
export const SIG_IGN = 1;
const SIGINFO_BYTES = 128;
const UC = SIGINFO_BYTES; // ucontext within the frame
const UC_STACK = 16;
const UC_SIGMASK = 40;
const UC_MCONTEXT = 176;
const MC_FP = 256; // f0..f31, then fcsr
const FRAME_BYTES = SIGINFO_BYTES + 960;
const MINSIGSTKSZ = 2048;

export const bit = (sig: number): bigint => 1n << BigInt(sig - 1);
export const UNBLOCKABLE = bit(SIG.SIGKILL) | bit(SIG.SIGSTOP);
/** Signals whose default action is to do nothing (stop signals too: there is no job control here). */
const DEFAULT_IGNORED = new Set<number>([
  SIG.SIGCHLD, SIG.SIGCONT, SIG.SIGURG, SIG.SIGWINCH, SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU,
]); // prettier-ignore

export class SignalActions {
  readonly handler = new Array<number>(NSIG + 1).fill(SIG_DFL);
  readonly flags = new Array<number>(NSIG + 1).fill(0);
  readonly mask = new Array<bigint>(NSIG + 1).fill(0n);

  copyFrom(from: SignalActions): void {
    for (let i = 0; i <= NSIG; i++) {
      this.handler[i] = from.handler[i];
      this.flags[i] = from.flags[i];
      this.mask[i] = from.mask[i];
    }
  }

  /** execve: caught signals go back to their default action; ignored ones stay ignored. */
  resetForExec(): void {
    for (let i = 0; i <= NSIG; i++) {
      if (this.handler[i] !== SIG_IGN) this.handler[i] = SIG_DFL;
      this.flags[i] = 0;
      this.mask[i] = 0n;
    }
  }

  ignored(sig: number): boolean {
    const h = this.handler[sig];
    return h === SIG_IGN || (h === SIG_DFL && DEFAULT_IGNORED.has(sig));
  }
}

/**
 * Queues `sig` for `t` (delivered when it next runs or returns from a syscall); false when
 * it is dropped. An ignored signal is dropped unless `t` blocks it: Linux's sig_ignored never
 * ignores a blocked signal (signalfd and sigwait take those).
 */
export function sendSignal(
  p: UserProcess,
  t: Thread,
  sig: number,
  info: SigInfo = { code: SI_USER, addr: 0 },
): boolean {
  if (p.actions.ignored(sig) && !(t.sigmask & bit(sig))) return false;
  t.pending |= bit(sig);
  if (!t.siginfo.has(sig)) t.siginfo.set(sig, info);
  p.signalEdges.in++;
  for (const w of [...p.signalWaiters]) w();
  p.kick();
  return true;
}

/** A process-directed signal goes to a thread that does not block it (else the first one). */
export function sendProcessSignal(p: UserProcess, sig: number, info: SigInfo): boolean {
  const target = p.threads.find((th) => !(th.sigmask & bit(sig))) ?? p.threads[0];
  return target !== undefined && !p.result && sendSignal(p, target, sig, { ...info, shared: true });
}

/**
 * Takes the lowest signal of `set` pending for `t`, or sent to its process and parked on another
 * thread (Linux's dequeue_signal: the thread's queue, then the process's).
 */
export function dequeueSignal(p: UserProcess, t: Thread, set: bigint): [number, SigInfo] | undefined {
  for (const th of [t, ...p.threads]) {
    const ready = th.pending & set;
    for (let sig = 1; sig <= NSIG && ready >> BigInt(sig - 1); sig++) {
      if (!(ready & bit(sig)) || (th !== t && !th.siginfo.get(sig)?.shared)) continue;
      return [sig, takeSignal(th, sig)];
    }
  }
  return undefined;
}

function takeSignal(t: Thread, sig: number): SigInfo {
  t.pending &= ~bit(sig);
  const info = t.siginfo.get(sig) ?? { code: SI_USER, addr: 0 };
  t.siginfo.delete(sig);
  info.dequeued?.();
  return info;
}

/** The 128-byte siginfo_t of asm-generic/siginfo.h: signo, errno, code, then the union at +16. */
export function writeSiginfo(p: UserProcess, at: number, sig: number, info: SigInfo): void {
  const dv = p.as.dv;
  p.as.out(at, SIGINFO_BYTES).fill(0);
  dv.setInt32(at, sig, true);
  dv.setInt32(at + 8, info.code, true);
  if (info.timer) {
    dv.setInt32(at + 16, info.timer.id, true);
    dv.setInt32(at + 20, info.timer.overrun, true);
    dv.setBigUint64(at + 24, info.timer.value, true);
  } else if (info.pid !== undefined) {
    dv.setInt32(at + 16, info.pid, true);
    dv.setInt32(at + 20, process.getuid?.() ?? 0, true);
    if (info.status !== undefined) dv.setInt32(at + 24, info.status, true);
  } else p.as.setU64(at + 16, info.addr);
}

/**
 * A synchronous fault (SIGSEGV, SIGILL...): delivered now. Blocked or ignored, it kills the
 * process, as Linux's force_sig_fault does.
 */
export function forceSignal(p: UserProcess, t: Thread, sig: number, code: number, addr: number): void {
  const h = p.actions.handler[sig];
  if (h === SIG_DFL || h === SIG_IGN || t.sigmask & bit(sig)) {
    p.exit(0, sig);
    return;
  }
  setupFrame(p, t, sig, { code, addr });
}

/** Delivers the lowest pending unblocked signal of `t`, interrupting a blocking syscall. */
export function deliverSignals(p: UserProcess, t: Thread): void {
  if (t.pending === 0n || t.state === ThreadState.Dead || t.wait?.uninterruptible) return;
  let ready = t.pending & ~(t.sigmask & ~UNBLOCKABLE);
  while (ready) {
    let sig = 1;
    while (!(ready & bit(sig))) sig++;
    ready &= ~bit(sig);
    const info = takeSignal(t, sig);
    if (sig !== SIG.SIGKILL && p.actions.ignored(sig)) continue;
    if (sig === SIG.SIGKILL || p.actions.handler[sig] === SIG_DFL) {
      p.exit(0, sig);
      return;
    }
    if (t.state === ThreadState.Blocked) interrupt(p, t, sig);
    setupFrame(p, t, sig, info);
    return;
  }
}

/** Ends the blocking syscall of `t` for a handler: restarted (SA_RESTART) or -EINTR. */
function interrupt(p: UserProcess, t: Thread, sig: number): void {
  const w = t.wait;
  t.wait = undefined;
  t.state = ThreadState.Runnable;
  w?.cancel();
  if (w?.restartable && p.actions.flags[sig] & SA_RESTART) {
    t.pc -= 4; // back to the ecall, with its first argument again
    t.hart.i32[(t.hart.base + S.X + 80) >>> 2] = t.origA0Lo;
    t.hart.i32[(t.hart.base + S.X + 84) >>> 2] = t.origA0Hi;
    if (p.strace) p.trace(`${t.straceCall} = ? ERESTARTSYS (to be restarted)`, t);
  } else {
    t.setResult(-ERRNO.EINTR);
    if (p.strace) p.trace(`${t.straceCall} = ${formatResult(t.syscallNr, -ERRNO.EINTR)}`, t);
  }
}

function onAltstack(t: Thread, sp: number): boolean {
  return t.altstackSize > 0 && sp > t.altstackSp && sp <= t.altstackSp + t.altstackSize;
}

function setupFrame(p: UserProcess, t: Thread, sig: number, info: SigInfo): void {
  const as = p.as;
  const flags = p.actions.flags[sig];
  let sp = t.xu(2);
  const altOn = !(t.altstackFlags & SS_DISABLE) && t.altstackSize > 0;
  if (flags & SA_ONSTACK && altOn && !onAltstack(t, sp)) sp = t.altstackSp + t.altstackSize;
  let frame = sp - FRAME_BYTES;
  frame -= frame % 16;
  if (!as.isMapped(frame, FRAME_BYTES, PROT_READ | PROT_WRITE)) {
    p.exit(0, SIG.SIGSEGV); // no room for the frame: Linux's force_sigsegv
    return;
  }
  as.written(frame, FRAME_BYTES);
  const dv = as.dv;
  as.u8.fill(0, frame, frame + FRAME_BYTES);
  writeSiginfo(p, frame, sig, info);
  const uc = frame + UC;
  as.setU64(uc + UC_STACK, t.altstackSp);
  dv.setInt32(uc + UC_STACK + 8, altOn ? (onAltstack(t, t.xu(2)) ? SS_ONSTACK : 0) : SS_DISABLE, true);
  as.setU64(uc + UC_STACK + 16, t.altstackSize);
  dv.setBigUint64(uc + UC_SIGMASK, t.suspendMask ?? t.sigmask, true);
  t.suspendMask = undefined;
  const mc = uc + UC_MCONTEXT;
  const base = t.hart.base;
  as.u8.copyWithin(mc, base + S.PC, base + S.PC + 8);
  as.u8.copyWithin(mc + 8, base + S.X + 8, base + S.X + 256);
  as.u8.copyWithin(mc + MC_FP, base + S.F, base + S.F + 256);
  dv.setUint32(mc + MC_FP + 256, t.hart.getI32(S.FFLAGS) | (t.hart.getI32(S.FRM) << 5), true);

  t.pc = p.actions.handler[sig];
  t.setX(10, sig);
  t.setX(11, frame);
  t.setX(12, uc);
  t.setX(2, frame);
  t.setX(1, VDSO);
  t.sigmask = (t.sigmask | p.actions.mask[sig] | (flags & SA_NODEFER ? 0n : bit(sig))) & ~UNBLOCKABLE;
  if (flags & SA_RESETHAND) {
    p.actions.handler[sig] = SIG_DFL;
    p.actions.flags[sig] = 0;
  }
}

function rtSigreturn(p: UserProcess, t: Thread): SysResult {
  const as = p.as;
  const frame = t.xu(2);
  if (!as.isMapped(frame, FRAME_BYTES, PROT_READ)) {
    forceSignal(p, t, SIG.SIGSEGV, SEGV_MAPERR, frame);
    return REDIRECTED;
  }
  const uc = frame + UC;
  const mc = uc + UC_MCONTEXT;
  t.sigmask = as.dv.getBigUint64(uc + UC_SIGMASK, true) & ~UNBLOCKABLE;
  const base = t.hart.base;
  as.u8.copyWithin(base + S.PC, mc, mc + 8);
  as.u8.copyWithin(base + S.X + 8, mc + 8, mc + 256);
  as.u8.copyWithin(base + S.F, mc + MC_FP, mc + MC_FP + 256);
  const fcsr = as.dv.getUint32(mc + MC_FP + 256, true);
  t.hart.setI32(S.FFLAGS, fcsr & 0x1f);
  t.hart.setI32(S.FRM, (fcsr >> 5) & 7);
  return REDIRECTED;
}

export function checkSig(sig: number): void {
  if (sig < 1 || sig > NSIG) throw new SysError(ERRNO.EINVAL);
}

function rtSigaction(p: UserProcess, t: Thread): number {
  const sig = t.argInt(0);
  const act = t.arg(1);
  const oact = t.arg(2);
  if (t.arg(3) !== 8) throw new SysError(ERRNO.EINVAL);
  checkSig(sig);
  const a = p.actions;
  let next: [number, number, bigint] | undefined;
  if (act) {
    if (sig === SIG.SIGKILL || sig === SIG.SIGSTOP) throw new SysError(ERRNO.EINVAL);
    next = [p.as.u64(act), p.as.u64(act + 8), p.as.big64(act + 16)];
  }
  if (oact) {
    p.as.out(oact, 24);
    p.as.setU64(oact, a.handler[sig]);
    p.as.setU64(oact + 8, a.flags[sig] >>> 0);
    p.as.setBig64(oact + 16, a.mask[sig]);
  }
  if (next) {
    [a.handler[sig], a.flags[sig], a.mask[sig]] = [next[0], next[1] | 0, next[2] & ~UNBLOCKABLE];
    if (a.ignored(sig)) for (const th of p.threads) th.pending &= ~bit(sig);
  }
  return 0;
}

function rtSigprocmask(p: UserProcess, t: Thread): number {
  const how = t.argInt(0);
  const set = t.arg(1);
  const oset = t.arg(2);
  if (t.arg(3) !== 8) throw new SysError(ERRNO.EINVAL);
  const old = t.sigmask;
  if (set) {
    const m = p.as.big64(set);
    if (how === 0) t.sigmask |= m;
    else if (how === 1) t.sigmask &= ~m;
    else if (how === 2) t.sigmask = m;
    else throw new SysError(ERRNO.EINVAL);
    t.sigmask &= ~UNBLOCKABLE;
  }
  if (oset) p.as.setBig64(oset, old);
  return 0;
}

function sigaltstack(p: UserProcess, t: Thread): number {
  const ss = t.arg(0);
  const oss = t.arg(1);
  const on = onAltstack(t, t.xu(2));
  if (oss) {
    p.as.out(oss, 24).fill(0);
    p.as.setU64(oss, t.altstackSp);
    p.as.dv.setInt32(oss + 8, on ? SS_ONSTACK : t.altstackFlags, true);
    p.as.setU64(oss + 16, t.altstackSize);
  }
  if (ss) {
    const sp = p.as.u64(ss);
    const flags = p.as.i32(ss + 8);
    const size = p.as.u64(ss + 16);
    if (on) throw new SysError(ERRNO.EPERM);
    if (flags & ~(SS_DISABLE | SS_ONSTACK | (1 << 31))) throw new SysError(ERRNO.EINVAL);
    if (flags & SS_DISABLE) {
      t.altstackSp = 0;
      t.altstackSize = 0;
      t.altstackFlags = SS_DISABLE;
    } else {
      if (size < MINSIGSTKSZ) throw new SysError(ERRNO.ENOMEM);
      t.altstackSp = sp;
      t.altstackSize = size;
      t.altstackFlags = 0;
    }
  }
  return 0;
}

function signalProcess(from: UserProcess, to: UserProcess, sig: number): void {
  if (sig !== 0) sendProcessSignal(to, sig, { code: SI_USER, addr: 0, pid: from.pid });
}

/** kill(2). Every process of the run is in one process group. */
function kill(p: UserProcess, t: Thread): number {
  const pid = t.argInt(0);
  const sig = t.argInt(1);
  if (sig !== 0) checkSig(sig);
  if (pid > 0) {
    const to = p.kernel.processes.get(pid);
    if (!to) throw new SysError(ERRNO.ESRCH);
    signalProcess(p, to, sig);
  } else
    for (const to of [...p.kernel.processes.values()]) if (pid !== -1 || to !== p) signalProcess(p, to, sig);
  return 0;
}

function tgkill(p: UserProcess, tgid: number, tid: number, sig: number): number {
  let to: UserProcess | undefined = p;
  if (tgid !== -1 && tgid !== p.pid) to = p.kernel.processes.get(tgid);
  else if (!p.threadByTid(tid)) to = [...p.kernel.processes.values()].find((q) => q.threadByTid(tid));
  const target = to && !to.result ? to.threadByTid(tid) : undefined;
  if (!to || !target) throw new SysError(ERRNO.ESRCH);
  if (sig === 0) return 0;
  checkSig(sig);
  sendSignal(to, target, sig, { code: SI_TKILL, addr: 0, pid: p.pid });
  return 0;
}

function rtSigsuspend(p: UserProcess, t: Thread): SysResult {
  if (t.arg(1) !== 8) throw new SysError(ERRNO.EINVAL);
  const mask = p.as.big64(t.arg(0));
  t.suspendMask = t.sigmask;
  t.sigmask = mask & ~UNBLOCKABLE;
  return p.block(t, { cancel: () => {}, restartable: false });
}

export const SIGNAL_SYSCALLS: SyscallDef[] = [
  sys(134, "rt_sigaction", "Sppu", rtSigaction),
  sys(135, "rt_sigprocmask", "ippu", rtSigprocmask),
  sys(139, "rt_sigreturn", "", rtSigreturn),
  sys(132, "sigaltstack", "pp", sigaltstack),
  sys(129, "kill", "iS", kill),
  sys(130, "tkill", "iS", (p, t) => tgkill(p, -1, t.argInt(0), t.argInt(1))),
  sys(131, "tgkill", "iiS", (p, t) => tgkill(p, t.argInt(0), t.argInt(1), t.argInt(2))),
  sys(136, "rt_sigpending", "pu", (p, t) => (p.as.setBig64(t.arg(0), t.pending & t.sigmask), 0)),
  sys(133, "rt_sigsuspend", "pu", rtSigsuspend),
];
