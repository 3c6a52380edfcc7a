// The processes of one hartwood run: ids, the process table, fork (a copy of the address
// space in a new wasm memory), zombies and their parents, and host signals. The first
// process's exit ends the run; processes still alive then are killed.
import * as S from "../../arch/riscv/state.js";
import type { JitOptions } from "../../core/jit/recompiler.js";
import type { InterpreterTiers } from "../../arch/riscv/cpu.js";
import { CLONE, SI_USER, SIG } from "./abi.js";
import { openSync } from "node:fs";
import { fdPath, FdTable } from "./files.js";
import { UserProcess, type ProgramImage, type UserResult } from "./process.js";
import { sendProcessSignal, sendSignal } from "./signals.js";
import type { Thread } from "./thread.js";
import type { FileLock } from "./flock.js";
import type { Pipe } from "./pipes.js";
import type { Socket } from "./sockets.js";
import type { Vfs } from "./vfs.js";

/** Signals sent to hartwood that go on to the guest's processes (as qemu-user forwards them). */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2", "SIGWINCH"] as const;
const CLD_EXITED = 1;
const CLD_KILLED = 2;

export interface KernelOptions {
  /** The guest's file namespace (root, binds, /dev, /proc). */
  vfs: Vfs<UserProcess>;
  strace?: boolean;
  /** Translate hot code to wasm (default true). */
  jit?: boolean;
  jitOptions?: JitOptions;
  /** Without the recompiler: when the interpreter is recompiled, faster (CpuOptions.optimize). */
  interpreterTiers?: InterpreterTiers;
  /** Where --strace lines go (a host fd; default 2). */
  traceFd?: number;
  /** How a process's threads share the host: "turns" on the main thread, or "parallel" (default) on worker threads too where the host has more than one core (hart-pool.ts). */
  threads?: ThreadsMode;
  /** "host": internet sockets use the host's network; "none" (default): socket() refuses them. */
  network?: "none" | "host";
}

export type ThreadsMode = "turns" | "parallel";

export class Kernel {
  readonly threadsMode: ThreadsMode;
  readonly processes = new Map<number, UserProcess>();
  readonly vfs: Vfs<UserProcess>;
  readonly strace: boolean;
  readonly jit: boolean;
  readonly jitOptions: JitOptions | undefined;
  readonly interpreterTiers: InterpreterTiers | undefined;
  readonly traceFd: number;
  // What the guest's processes share by name (keys "dev:ino" are host inodes).
  /** AF_UNIX sockets bound to a path, by the inode of their socket file (unix.ts). */
  readonly boundSockets = new Map<string, Socket>();
  /** The run's own abstract AF_UNIX namespace, by the name's bytes in hex (unix.ts). */
  readonly abstractSockets = new Map<string, Socket>();
  /** The pipes behind the FIFOs open in the guest, by inode (fifo.ts). */
  readonly fifos = new Map<string, Pipe>();
  /** flock's locks, by inode (or by open file for files with none, flock.ts). */
  readonly flocks = new Map<unknown, FileLock>();
  readonly network: "none" | "host";
  /** The user has been told once that the guest was refused a network socket. */
  networkRefused = false;
  private nextId = process.pid; // the first process has hartwood's pid, as in qemu-user

  constructor(opts: KernelOptions) {
    this.vfs = opts.vfs;
    this.strace = opts.strace ?? false;
    this.jit = opts.jit ?? true;
    this.jitOptions = opts.jitOptions;
    this.interpreterTiers = opts.interpreterTiers;
    this.traceFd = opts.traceFd ?? 2;
    // HARTWOOD_THREADS=turns|parallel: the default for runs that name none (parallel).
    this.threadsMode = opts.threads ?? (process.env.HARTWOOD_THREADS === "turns" ? "turns" : "parallel");
    this.network = opts.network ?? "none";
  }

  /** A new pid or tid (one number space, as in Linux). */
  newId(): number {
    return this.nextId++;
  }

  /** Runs `image` as the first process, in guest directory `cwd`; resolves when it exits. */
  async run(image: ProgramImage, stdio: readonly [number, number, number], cwd: string): Promise<UserResult> {
    const init = new UserProcess(this, undefined, new FdTable(stdio), cwd);
    init.exec(image);
    const forward = new Map<NodeJS.Signals, () => void>();
    for (const name of FORWARDED) {
      const fn = () => {
        for (const p of this.processes.values())
          if (!p.result && p.threads[0])
            sendSignal(p, p.threads[0], SIG[name], { code: SI_USER, addr: 0, pid: 0 });
      };
      forward.set(name, fn);
      process.on(name, fn);
    }
    try {
      return await init.run();
    } finally {
      for (const [name, fn] of forward) process.off(name, fn);
      for (const p of this.processes.values()) p.exit(0, SIG.SIGKILL);
      this.processes.clear();
    }
  }

  /**
   * fork, vfork and clone without CLONE_VM|CLONE_THREAD: a new process whose memory is a copy
   * of the parent's (so a vfork child's writes stay its own), running `t`'s registers after
   * the ecall with a0 = 0. Returns the child, not yet started (see `start`).
   */
  fork(parent: UserProcess, t: Thread, flags: number, stack: number, ctid: number): UserProcess {
    parent.quiesce(); // its other threads out of guest code while the memory is copied
    const child = new UserProcess(this, parent, parent.fds.clone(), parent.cwd);
    child.umask = parent.umask;
    child.programPath = parent.programPath;
    child.programFd = openSync(fdPath(parent.programFd) ?? parent.programPath, "r"); // its own descriptor
    child.programGuestPath = parent.programGuestPath;
    child.argv = parent.argv;
    child.env = parent.env;
    child.actions.copyFrom(parent.actions);
    child.as.copyFrom(parent.as);
    const ct = child.newThread(child.pid)!;
    const from = t.hart.base;
    ct.hart.u8.set(t.hart.u8.subarray(from + S.X, from + S.F + 256), ct.hart.base + S.X);
    ct.hart.setI32(S.FFLAGS, t.hart.getI32(S.FFLAGS));
    ct.hart.setI32(S.FRM, t.hart.getI32(S.FRM));
    ct.pc = t.pc + 4;
    ct.setX(10, 0);
    if (stack) ct.setX(2, stack);
    ct.sigmask = t.sigmask;
    [ct.altstackSp, ct.altstackSize, ct.altstackFlags] = [t.altstackSp, t.altstackSize, t.altstackFlags];
    if (flags & CLONE.CHILD_SETTID) child.as.setU32(ctid, child.pid);
    if (flags & CLONE.CHILD_CLEARTID) ct.clearChildTid = ctid;
    parent.children.add(child);
    return child;
  }

  /** Starts a forked child's loop, after the parent's syscall has returned to the event loop. */
  start(child: UserProcess): void {
    setImmediate(() =>
      child.run().catch((e: unknown) => {
        child.fds.writeHost(this.traceFd, `hartwood: internal error in process ${child.pid}: ${String(e)}\n`);
        child.exit(0, SIG.SIGSYS);
        this.exited(child);
      }),
    );
  }

  /** A process has exited: its parent hears of it (SIGCHLD, wait4); orphans are forgotten. */
  exited(p: UserProcess): void {
    for (const c of p.children) if (c.result) this.processes.delete(c.pid); // zombies nobody will reap
    const parent = p.parent;
    if (!parent || parent.result) {
      this.processes.delete(p.pid);
      return;
    }
    const r = p.result;
    const code = r?.signal ? CLD_KILLED : CLD_EXITED;
    const status = r?.signal ?? r?.status ?? 0;
    sendProcessSignal(parent, SIG.SIGCHLD, { code, addr: 0, pid: p.pid, status });
    for (const w of [...parent.childWaiters]) w();
  }

  /** The wait status of an exited child (as wait4 stores it). */
  waitStatus(child: UserProcess): number {
    const r = child.result!;
    return r.signal ? r.signal & 0x7f : (r.status & 0xff) << 8;
  }

  /** wait4's reaping: the child's wait status, and it is gone. */
  reap(parent: UserProcess, child: UserProcess): number {
    parent.children.delete(child);
    this.processes.delete(child.pid);
    return this.waitStatus(child);
  }
}
