// A Linux process in user mode: its own wasm memory (the address space), threads (one hart
// each, run round-robin in slices on the JS thread), fds, signal actions, syscall dispatch
// and its scheduler loop. Blocking syscalls deschedule their thread; the loop awaits the host
// (timers, reads, other processes) only when no thread can run. Processes made by fork run
// their loops side by side on the same event loop (see kernel.ts).
import { closeSync } from "node:fs";
import { attachedInterpreter, RiscvCpu } from "../../arch/riscv/cpu.js";
import { MSTATUS, PRV_U, type Hart } from "../../arch/riscv/hart.js";
import { Exit } from "../../arch/riscv/state.js";
import {
  LOAD_KIND_BYTES as LOAD_BYTES,
  LOAD_KIND_SIGNED as LOAD_SIGNED,
  type InterpImports,
} from "../../arch/riscv/interp.js";
import { PERM_TABLE_BYTES } from "../../arch/riscv/sem.js";
import { predecodeBytes } from "../../arch/riscv/interp.js";
import { JIT_TABLE_BYTES } from "../../core/jit/table.js";
import { CAUSE } from "../../arch/riscv/priv.js";
import type { JitCounts } from "../../core/jit/compile-stats.js";
import * as S from "../../arch/riscv/state.js";
import { UserError } from "../../core/errors.js";
import { MemoryLayout } from "../../core/memory.js";
import { PhysMap } from "../../core/physmem.js";
import {
  BUS_ADRALN,
  ERRNO,
  hostErrno,
  ILL_ILLOPC,
  MAP_PRIVATE,
  PAGE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  SEGV_ACCERR,
  SEGV_MAPERR,
  SIG,
  TRAP_BRKPT,
} from "./abi.js";
import { AddressSpace, GuestFault } from "./addrspace.js";
import { Call, type WorkerInit } from "./hart-channel.js";
import { HartPool, hasSpareWorkers, loadSpareWorkers, poolSize } from "./hart-pool.js";
import type { FdTable } from "./files.js";
import type { Kernel } from "./kernel.js";
import { buildStack, loadProgram } from "./loader.js";
import { FS_SYSCALLS } from "./fs.js";
import { MEM_SYSCALLS } from "./mem.js";
import { hostRandom, PROC_SYSCALLS } from "./proc.js";
import { deliverSignals, forceSignal, SIGNAL_SYSCALLS, SignalActions } from "./signals.js";
import {
  flatMem,
  MAX_THREADS,
  MAX_WORKERS,
  MMAP_TOP,
  PIE_BASE,
  STACK_BYTES,
  STACK_TOP,
  VDSO,
  VMM_BYTES,
  WINDOW_HI,
  WINDOW_LO,
} from "./layout.js";
import { formatCall, formatResult } from "./strace.js";
import { BLOCKED, REDIRECTED, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import { Thread, ThreadState, type Wait } from "./thread.js";
import { CLOCK_ORIGIN_NS, monotonicMs, TIME_SYSCALLS, type Itimer } from "./time.js";
import { FUTEX_SYSCALLS, Futexes } from "./futex.js";
import { POLL_SYSCALLS } from "./poll.js";
import { EXEC_SYSCALLS } from "./exec.js";
import { SIGFD_SYSCALLS } from "./sigfd.js";
import { TIMER_SYSCALLS, type PosixTimer } from "./timers.js";
import { CRED_SYSCALLS } from "./creds.js";
import { SCHED_SYSCALLS } from "./sched.js";
import { XATTR_SYSCALLS } from "./xattr.js";

const SLICE_ALONE = 1 << 22; // instructions per slice with one runnable thread
const SLICE_SHARED = 1 << 16; // ... with several, or when modules compile in the background (--jit-async), whose
// results are installed only when the loop yields
const YIELD_MS = 20;
/** Instructions of a turn on a worker thread (hart-pool.ts): main hands out the next turn only between its own. */
const SLICE_WORKER = 1 << 19;
/**
 * Guest instructions a process runs before its code is translated (JitOptions.warmupInsns):
 * a hello-world is over long before (20 thousand instructions static, 110 thousand dynamic),
 * and interpreting a million costs a hot loop a few ms. The small sizes of the benchmark's
 * programs ran no slower at 1 or 4 million than at 0 (README, "Start-up").
 */
const USER_JIT_WARMUP_INSNS = 1_000_000; // let host callbacks (timers, reads, signals) run at least this often
/**
 * Taken jumps to a target before user mode translates it (JitOptions.threshold; hotness.ts's
 * default of 32 elsewhere). A translation costs a few ms to build and compile, the time the
 * interpreter takes for a few hundred thousand instructions: at 32, code that a program runs
 * for a moment (a pthread condition variable's ring, a phase's helpers) was translated and
 * compiled for little, and translations began at the first hot pcs found rather than the
 * hottest. CPU seconds (user + sys), best of 3 alternating runs at 33 / 1024 / 4096 / 16384
 * (2026-12-06, load 6-8, translations at a tiering budget of 2*10^8 in that series): calls 250
 * 1.31 / 1.21 / 1.14 / 1.11, threads 360 1.05 / 0.98 / 0.89 / 0.87, sha256 160 0.66 / 0.53 /
 * 0.52 / 0.57, recurse 75 0.67 / 0.61 / 0.62 / 0.63, statemachine 575 2.09 / 2.13 / 2.11 /
 * 2.35, embedded 22 1.34 / 1.37 / 1.33 / 1.39, strings 2 1.56 / 1.59 / 1.51 / 1.68. Then 32
 * against 4096 as committed, best of 4: statemachine 575 2.46 → 2.33, calls 250 1.35 → 1.12,
 * threads 360 1.03 → 0.84, recurse 75 0.62 → 0.55, sha256 160 0.68 → 0.48, embedded 22 1.28 →
 * 1.32, strings 2 1.29 → 1.31; the long sizes within noise (README, Speed).
 */
const USER_JIT_THRESHOLD = 4096;

export interface UserResult {
  /** Exit status (0..255), or 128 + signal for a guest killed by a signal. */
  status: number;
  /** The signal that killed the guest, if one did. */
  signal?: number;
  /** Instructions retired by all threads. */
  instret: number;
  /** Turns its threads ran on worker threads (--threads parallel). */
  workerTurns: number;
  /** Of those worker threads, how many the bin had started before the process ran (bin/worker-ahead.js). */
  workersAhead: number;
  /** Of those worker threads, how many run an interpreter module main compiled (the others compile their own). */
  workersGivenInterpreter: number;
  /** Code translations the recompiler made for this process. */
  translations: number;
  /** Guest instructions its threads ran in translated code. */
  translatedInsns: number;
  /** Times translated code left an instruction to the interpreter (a load or store that missed). */
  sideExits: number;
  /** Instructions the interpreter decoded into its predecode table (each is then run from there until its bits change or another takes its entry). */
  predecoded: number;
  /** The recompiler's counts, when it was on. */
  jit?: JitCounts;
}

/** A program to start in a process (the first one, or execve). */
export interface ProgramImage {
  /** The file's bytes, or its first ones when `sizeBytes` is larger (the rest is read from hostFd). */
  bytes: Uint8Array;
  sizeBytes?: number;
  /** The host path it came from, a host descriptor of it (the process owns it from exec on), and the guest's name for it (/proc/self/exe). */
  hostPath: string;
  hostFd: number;
  guestPath: string;
  argv: readonly string[];
  env: readonly string[];
  /** AT_EXECFN: the path as the caller named it. */
  execfn: string;
  /** The interpreter's bytes, read (or refused) before anything of the old image is gone. */
  readInterp(guestPath: string, p: UserProcess): Uint8Array;
}

const TABLE: (SyscallDef | undefined)[] = [];
for (const d of [
  ...FS_SYSCALLS,
  ...MEM_SYSCALLS,
  ...PROC_SYSCALLS,
  ...SIGNAL_SYSCALLS,
  ...TIME_SYSCALLS,
  ...FUTEX_SYSCALLS,
  ...POLL_SYSCALLS,
  ...EXEC_SYSCALLS,
  ...TIMER_SYSCALLS,
  ...SIGFD_SYSCALLS,
  ...CRED_SYSCALLS,
  ...SCHED_SYSCALLS,
  ...XATTR_SYSCALLS,
]) {
  if (TABLE[d.nr]) throw new Error(`syscall ${d.nr} defined twice`);
  TABLE[d.nr] = d;
}
/** The dispatcher's syscalls, by number (coverage.ts says how far each goes). */
export const SYSCALL_TABLE: readonly (SyscallDef | undefined)[] = TABLE;

export class UserProcess {
  readonly cpu: RiscvCpu;
  readonly as: AddressSpace;
  readonly actions = new SignalActions();
  readonly futexes = new Futexes(this);
  readonly threads: Thread[] = [];
  private readonly byHart: (Thread | undefined)[] = [];
  private readonly freeHarts: Hart[];
  readonly pid: number;
  readonly children = new Set<UserProcess>();
  /** Callbacks of wait4 calls waiting for a child to change state. */
  readonly childWaiters = new Set<() => void>();
  /** A vfork parent waits (blocked) until this process execs or exits. */
  vforkParent: { p: UserProcess; t: Thread } | undefined;
  /** The running program: its host file, its guest path, and what it was started with. */
  programPath = "";
  /** A host descriptor of the program file (-1 before the first exec): /proc/self/exe opens it. */
  programFd = -1;
  programGuestPath = "";
  argv: readonly string[] = [];
  env: readonly string[] = [];
  umask = 0o022;
  result: UserResult | undefined;
  private retired = 0;
  /** Host operations (timers) that will wake a thread. */
  pendingHost = 0;
  /** setitimer's timers (ITIMER_REAL, VIRTUAL, PROF), kept across execve as in Linux. */
  readonly itimers: (Itimer | undefined)[] = [];
  /** Called whenever a signal is queued for one of its threads (signalfd, sigtimedwait). */
  readonly signalWaiters = new Set<() => void>();
  readonly signalEdges = { in: 0, out: 0 };
  /** timer_create's timers by id; execve and exit delete them. */
  readonly timers = new Map<number, PosixTimer>();
  private wakeUp: (() => void) | undefined;
  /** The worker threads running other threads' turns beside this one (started at the second runnable thread). */
  private pool: HartPool | undefined;
  /** Harts whose thread ended while a worker still had them: free once the turn ends. */
  private readonly freeAfterTurn = new Set<Hart>();
  /** The VMM regions of each possible worker's engine (the rest it shares with `cpu`). */
  private readonly workerTables: { predecode: number; jitTable: number }[] = [];
  private readonly permTable: number;
  /** The memory is shared (the first process's): worker threads can run its threads. */
  private readonly sharedMemory: boolean;
  private readonly memory: WebAssembly.Memory;
  /** Where the next worker turn's thread is looked for in `threads`. */
  private nextForWorker = 0;

  constructor(
    readonly kernel: Kernel,
    readonly parent: UserProcess | undefined,
    readonly fds: FdTable,
    /** The working directory, a guest path (vfs.ts). */
    public cwd: string,
  ) {
    // The first process's memory is shared: V8 counts a plain 4 GiB memory as external memory
    // and answers with a full garbage collection (12-38 ms of a hello-world, README
    // "Start-up"), but leaves shared memories out of that count. The first process lives as
    // long as the run, so its memory never waits for a collection to be freed; a fork's child
    // gets a plain one, whose count lets V8 free the memories of exited children.
    this.sharedMemory = parent === undefined;
    const layout = new MemoryLayout(VMM_BYTES, WINDOW_HI, this.sharedMemory, { vmmAtTop: true });
    const permTable = (this.permTable = layout.alloc(PERM_TABLE_BYTES, PAGE));
    const overrides: Partial<InterpImports> = {
      load: (h, kind) => this.memSlow(h, false, LOAD_BYTES[kind], LOAD_SIGNED[kind]),
      store: (h, bytes) => this.memSlow(h, true, bytes, false),
      translate: (h, arg) => this.atomicSlow(h, arg & 0xff, (arg & 0x100) !== 0),
      fetch: (h) => this.fetchSlow(h),
    };
    const host = {
      phys: new PhysMap(),
      now: () => Math.floor(monotonicMs() * 10_000), // 10 MHz, as QEMU's timebase
      trap: (hart: Hart, cause: number, _irq: boolean, tval: bigint) => this.trap(hart, cause, tval),
    };
    const mem = flatMem(permTable);
    this.cpu = new RiscvCpu(layout, host, MAX_THREADS, mem, overrides, {
      jit: kernel.jit,
      jitOptions: {
        ...kernel.jitOptions,
        threshold: kernel.jitOptions?.threshold ?? USER_JIT_THRESHOLD,
        warmupInsns: kernel.jitOptions?.warmupInsns ?? USER_JIT_WARMUP_INSNS,
      },
      interpreterTiers: kernel.interpreterTiers,
    });
    this.freeHarts = [...this.cpu.harts].reverse();
    for (let i = 0; i < MAX_WORKERS; i++)
      this.workerTables.push({
        predecode: layout.alloc(predecodeBytes("flat"), 64),
        jitTable: layout.alloc(JIT_TABLE_BYTES, 64),
      });
    this.memory = layout.memory;
    this.as = new AddressSpace(layout.memory, WINDOW_LO, WINDOW_HI, MMAP_TOP, permTable);
    const jit = this.cpu.jit;
    if (jit) this.as.onCodeUnmapped = this.as.onCodeWritten = () => jit.flush();
    this.pid = kernel.newId();
    kernel.processes.set(this.pid, this);
  }

  get strace(): boolean {
    return this.kernel.strace;
  }

  /**
   * Replaces the address space with `image` and starts it on thread `t` (a new main thread
   * when there is none): the ELF and its interpreter, the vDSO page and the stack.
   */
  exec(image: ProgramImage, t: Thread | undefined = this.threads[0]): void {
    this.quiesce();
    this.closeProgram();
    this.deleteTimers();
    this.programFd = image.hostFd;
    const as = this.as;
    for (const other of [...this.threads]) if (other !== t) this.endThread(other, 0);
    as.unmap(as.lo, as.hi - as.lo);
    const loaded = loadProgram(as, image.bytes, image.execfn, {
      pieBase: PIE_BASE,
      readInterp: (path) => image.readInterp(path, this),
      file: image.sizeBytes !== undefined ? { fd: image.hostFd, sizeBytes: image.sizeBytes } : undefined,
    });
    as.brkStart = as.brk = loaded.end;
    // The vDSO page: `li a7, 139; ecall` (rt_sigreturn), where signal handlers return.
    as.map(VDSO, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, "[vdso]");
    as.dv.setUint32(VDSO, 0x08b00893, true);
    as.dv.setUint32(VDSO + 4, 0x00000073, true);
    as.map(STACK_TOP - STACK_BYTES, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE, "[stack]");
    const sp = buildStack(as, STACK_TOP, {
      argv: image.argv,
      envp: image.env,
      execfn: image.execfn,
      image: loaded,
      random: atRandom(),
    });
    this.programPath = image.hostPath;
    this.programGuestPath = image.guestPath;
    this.argv = image.argv;
    this.env = image.env;
    const main = t ?? this.newThread(this.pid);
    if (!main) throw new UserError("no hart for the main thread");
    const base = main.hart.base;
    main.hart.u8.fill(0, base + S.X, base + S.F + 256); // execve starts with clean registers
    main.hart.setI32(S.FFLAGS, 0);
    main.hart.setI32(S.FRM, 0);
    main.pc = loaded.startPc;
    main.setX(2, sp);
    main.clearChildTid = 0;
    main.altstackSp = main.altstackSize = 0;
    main.altstackFlags = 2; // SS_DISABLE
  }

  /** A thread on a free hart, in U-mode with the FPU on (registers as the hart left them). */
  newThread(tid = this.kernel.newId()): Thread | undefined {
    const hart = this.freeHarts.pop();
    if (!hart) return undefined;
    hart.priv = PRV_U;
    hart.privChanged();
    hart.setMstatus(hart.getMstatus() | MSTATUS.FS);
    hart.mcounteren = 7;
    hart.scounteren = 7;
    hart.setI32(S.STOP, 0);
    hart.setI64(S.RES_ADDR, -1n);
    hart.instret = 0;
    const t = new Thread(tid, hart);
    this.threads.push(t);
    this.byHart[hart.hartId] = t;
    return t;
  }

  threadByTid(tid: number): Thread | undefined {
    return this.threads.find((t) => t.tid === tid && t.state !== ThreadState.Dead);
  }

  /** The thread ends: its hart returns to the pool. */
  endThread(t: Thread, status: number): void {
    if (t.wait) t.wait.cancel();
    t.wait = undefined;
    t.state = ThreadState.Dead;
    t.stop();
    this.retired += t.hart.instret;
    t.hart.instretBase = 0;
    t.hart.instret = 0;
    this.byHart[t.hart.hartId] = undefined;
    this.threads.splice(this.threads.indexOf(t), 1);
    if (this.pool?.holds(t.hart)) this.freeAfterTurn.add(t.hart);
    else this.freeHarts.push(t.hart);
    if (this.threads.length === 0 && !this.result) this.exit(status);
  }

  /** Deletes the POSIX timers (exit, execve). */
  deleteTimers(): void {
    for (const tm of this.timers.values()) tm.cancel();
    this.timers.clear();
  }

  /** Closes the descriptor of the program file. */
  closeProgram(): void {
    if (this.programFd >= 0) closeSync(this.programFd);
    this.programFd = -1;
  }

  /** The whole process ends with `status` (or killed by `signal`). */
  exit(status: number, signal?: number): void {
    if (this.result) return;
    this.closeProgram();
    for (const it of this.itimers) it?.cancel();
    this.itimers.length = 0;
    this.deleteTimers();
    let instret = this.retired;
    for (const t of this.threads) {
      instret += t.hart.instret;
      if (t.wait) t.wait.cancel();
      t.stop();
    }
    const translations = this.cpu.jit?.translations ?? 0;
    let translatedInsns = 0;
    let sideExits = 0;
    let predecoded = 0;
    let predictedReturns = 0;
    for (const h of this.cpu.harts) {
      predictedReturns += Number(h.getI64(S.JIT_PREDICTED));
      translatedInsns += Number(h.getI64(S.JIT_INSNS + 8 * PRV_U));
      sideExits += Number(h.getI64(S.JIT_SIDE_EXITS));
      predecoded += Number(h.getI64(S.PREDECODE_FILLS));
    }
    const counts = {
      instret,
      workerTurns: this.pool?.turns ?? 0,
      workersAhead: this.pool?.ahead ?? 0,
      workersGivenInterpreter: this.pool?.givenInterpreter ?? 0,
      translations,
      translatedInsns,
      sideExits,
      predecoded,
      jit: this.cpu.jit && { ...this.cpu.jit.counts(), predictedReturns },
    };
    this.result = signal ? { status: 128 + signal, signal, ...counts } : { status: status & 0xff, ...counts };
    this.pool?.close();
    this.kick();
  }

  /** Ends a vfork parent's wait: the child has exec'd or exited. */
  releaseVforkParent(): void {
    const v = this.vforkParent;
    this.vforkParent = undefined;
    if (v) v.p.complete(v.t, this.pid);
  }

  // --- blocking ---
  /** Deschedules `t` until `complete` (or a signal) ends its syscall. */
  block(t: Thread, wait: Wait): typeof BLOCKED {
    t.state = ThreadState.Blocked;
    t.wait = wait;
    t.stop();
    return BLOCKED;
  }

  /** A blocked syscall finishes with `result`. */
  complete(t: Thread, result: number): void {
    if (t.state !== ThreadState.Blocked) return;
    t.wait = undefined;
    t.state = ThreadState.Runnable;
    t.setResult(result);
    if (this.strace) this.trace(`${t.straceCall} = ${formatResult(t.syscallNr, result)}`, t);
    this.kick();
  }

  /** Wakes the scheduler if it waits for the host. */
  kick(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
    this.pool?.kick();
  }

  /** Runs a host callback (a stream's data) and lets the scheduler see its effect. */
  wake(fn: () => void): void {
    fn();
    this.kick();
  }

  /** Runs a host callback that was registered with `pendingHost`. */
  hostDone(fn: () => void): void {
    this.pendingHost--;
    fn();
    this.kick();
  }

  // --- the scheduler ---
  async run(): Promise<UserResult> {
    if (this.sharedMemory && this.kernel.threadsMode === "parallel" && hasSpareWorkers()) {
      // Now, before those workers load their bundle: V8 checks its code cache against the
      // flags that compiling an interpreter changes.
      for (let i = 0; i < poolSize(); i++) this.workerInterpreter(i);
      loadSpareWorkers();
    }
    let lastYield = monotonicMs();
    const cpu = this.cpu;
    while (!this.result) {
      let ran = this.feedPool();
      for (let i = 0; i < this.threads.length && !this.result; i++) {
        const t = this.threads[i];
        if (this.pool?.holds(t.hart)) continue;
        deliverSignals(this, t);
        if (t.state !== ThreadState.Runnable || this.result) continue;
        t.hart.setI32(S.STOP, 0);
        t.ranOut = cpu.step(t.hart, this.slice()) === Exit.Budget;
        ran = true;
        this.feedPool();
      }
      if (this.result) break;
      const now = monotonicMs();
      if (!ran && this.pool?.busy()) {
        // The workers' turns go on; main waits for their calls, or the host. A pending
        // Atomics.waitAsync does not keep Node's loop alive, nor do the (unref'd) workers.
        const keepAlive = setInterval(() => {}, 1 << 30);
        await this.pool.wait();
        clearInterval(keepAlive);
        lastYield = monotonicMs();
      } else if (!ran) {
        // Every thread waits. With no timer or read pending only a signal from the host can
        // wake one (as in Linux, a deadlocked guest waits forever): keep Node's loop alive.
        const keepAlive = this.pendingHost === 0 ? setInterval(() => {}, 1 << 30) : undefined;
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        clearInterval(keepAlive);
        lastYield = monotonicMs();
      } else if (now - lastYield > YIELD_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = monotonicMs();
      }
    }
    this.as.writeBack(); // shared file mappings reach their files, as at exit in Linux
    this.fds.closeAll();
    this.releaseVforkParent();
    this.kernel.exited(this);
    return this.result;
  }

  /**
   * With --threads parallel: starts the worker threads at the second runnable thread, serves
   * their calls, takes back ended turns and gives idle workers the runnable threads main is not
   * running. True when it did anything (main then looks again before it waits).
   */
  private feedPool(): boolean {
    if (!this.pool) {
      if (this.kernel.threadsMode !== "parallel" || !this.sharedMemory || this.result) return false;
      let runnable = 0;
      for (const t of this.threads) if (t.state === ThreadState.Runnable) runnable++;
      if (runnable < 2 || poolSize() === 0) return false;
      this.startPool();
    }
    const pool = this.pool!;
    const any = pool.poll();
    pool.assign(() => this.threadForWorker(), SLICE_WORKER);
    return any;
  }

  /** What worker `i`'s engine attaches to (hart-worker.ts attachedCpu). */
  workerEngine(
    i: number,
  ): Pick<WorkerInit, "memory" | "regions" | "permTable" | "hartCount" | "jit" | "threshold"> {
    const t = this.workerTables[i];
    return {
      memory: this.memory,
      regions: { ...this.cpu.regions, predecode: t.predecode, jitTable: t.jitTable },
      permTable: this.permTable,
      hartCount: MAX_THREADS,
      jit: this.kernel.jit,
      threshold: this.kernel.jitOptions?.threshold ?? USER_JIT_THRESHOLD,
    };
  }

  /**
   * Worker `i`'s interpreter, compiled here with the host's tier for an attached engine (a
   * module the worker would otherwise compile, and V8 optimize, itself: README, Speed, "The
   * nineteenth session: threads"); undefined without such a tier, or when its bytes were not
   * built ahead (generating them here would stop the guest's threads). Without the recompiler,
   * main's own (RiscvCpu.sharedInterpreter).
   */
  private workerInterpreter(i: number): WebAssembly.Module | undefined {
    if (!this.kernel.jit) return this.cpu.sharedInterpreter();
    const compile = this.kernel.interpreterTiers?.attached;
    if (!compile) return undefined;
    const e = this.workerEngine(i);
    return attachedInterpreter(compile, e.regions, true, flatMem(this.permTable), true, e.threshold);
  }

  private startPool(): void {
    const engines = Array.from({ length: poolSize() }, (_, i) => ({
      ...this.workerEngine(i),
      interpreter: this.workerInterpreter(i),
    }));
    this.pool = new HartPool(
      engines,
      CLOCK_ORIGIN_NS,
      this.cpu.harts,
      (hart, kind, a0, a1, a2) => this.serveWorker(hart, kind, a0, a1, a2),
      (hart, ranOut) => this.turnEnded(hart, ranOut),
    );
    const code = this.cpu.code;
    if (code && "onFlush" in code) {
      // Every translation goes everywhere: main's marks and the workers' (they flush theirs).
      code.onFlush = () => {
        code.unmarkAll();
        this.pool?.flushAll();
      };
    }
  }

  /**
   * The next runnable thread that no engine runs now and that ran out its last turn (it
   * computes, rather than blocks soon), after the last one a worker took, when main keeps
   * another one to run itself. Syscalls and faults need no hand-over on main: a lone runnable
   * thread, or one that blocks again at once (waiting for a token passed round a ring of
   * threads, say), runs best there.
   */
  private threadForWorker(): Hart | undefined {
    const n = this.threads.length;
    let found = -1;
    let others = false; // a runnable thread left for main
    for (let k = 0; k < n && !(found >= 0 && others); k++) {
      const i = (this.nextForWorker + k) % n;
      const t = this.threads[i];
      if (this.pool!.holds(t.hart)) continue;
      deliverSignals(this, t);
      if (t.state !== ThreadState.Runnable || this.result) continue;
      if (found < 0 && t.ranOut) found = i;
      else others = true;
    }
    if (found < 0 || !others) return undefined;
    this.nextForWorker = (found + 1) % n;
    return this.threads[found].hart;
  }

  /** A worker's turn ended: the hart is free if its thread ended meanwhile. */
  private turnEnded(hart: Hart, ranOut: boolean): void {
    const t = this.byHart[hart.hartId];
    if (t) t.ranOut = ranOut;
    if (!this.freeAfterTurn.delete(hart)) return;
    hart.instret = 0;
    this.freeHarts.push(hart);
  }

  /** What a worker's engine asks of the process for `hart`: the code that serves main's own turns. */
  private serveWorker(hart: Hart, kind: Call, a0: number, a1: number, a2: number): number {
    const t = this.byHart[hart.hartId];
    if (!t || t.state === ThreadState.Dead || this.result) {
      hart.setI32(S.STOP, 1); // its thread has gone: the turn ends
      return 1;
    }
    switch (kind) {
      case Call.Trap:
        this.trap(hart, a0, (BigInt(a2) << 32n) | BigInt(a1 >>> 0));
        return 0;
      case Call.Load:
        return this.memSlow(hart.base, false, LOAD_BYTES[a0], LOAD_SIGNED[a0]);
      case Call.Store:
        return this.memSlow(hart.base, true, a0, false);
      case Call.Atomic:
        return this.atomicSlow(hart.base, a0 & 0xff, (a0 & 0x100) !== 0);
      case Call.Fetch:
        return this.fetchSlow(hart.base);
    }
  }

  /** Turns on worker threads end before this returns (execve, fork): the other threads are out of guest code. */
  quiesce(): void {
    this.pool?.quiesce();
  }

  /**
   * Instructions the next thread runs before the others get their turn. Counted before each
   * turn, not once a round: a thread made by the turn before (clone) shares the CPU from its
   * first turn. Within the recompiler's warm-up, no more than is left of it.
   */
  private slice(): number {
    let runnable = 0;
    for (const t of this.threads) if (t.state === ThreadState.Runnable) runnable++;
    const slice = runnable > 1 || this.kernel.jitOptions?.async ? SLICE_SHARED : SLICE_ALONE;
    const warmup = this.cpu.jit?.warmupLeft ?? 0;
    return warmup > 0 ? Math.min(slice, warmup) : slice;
  }

  // --- traps: syscalls and signals ---
  private threadOf(hart: Hart): Thread {
    const t = this.byHart[hart.hartId];
    if (!t) throw new Error(`hart ${hart.hartId} runs no thread`);
    return t;
  }

  private trap(hart: Hart, cause: number, tval: bigint): boolean {
    const t = this.threadOf(hart);
    if (cause === CAUSE.ECALL_U) {
      this.syscall(t);
      return true;
    }
    const pc = t.pc;
    const addr = Number(BigInt.asUintN(64, tval) & 0xffff_ffff_ffffn);
    switch (cause) {
      case CAUSE.ILLEGAL_INSTRUCTION:
        // Executing unmapped memory inside the window reads zeros, an illegal instruction: Linux would fault the fetch.
        if (!this.as.isMapped(pc, 2)) forceSignal(this, t, SIG.SIGSEGV, SEGV_MAPERR, pc);
        else forceSignal(this, t, SIG.SIGILL, ILL_ILLOPC, pc);
        break;
      case CAUSE.BREAKPOINT:
        forceSignal(this, t, SIG.SIGTRAP, TRAP_BRKPT, pc);
        break;
      case CAUSE.MISALIGNED_FETCH:
      case CAUSE.MISALIGNED_LOAD:
      case CAUSE.MISALIGNED_STORE:
        forceSignal(this, t, SIG.SIGBUS, BUS_ADRALN, addr);
        break;
      default:
        forceSignal(this, t, SIG.SIGSEGV, SEGV_MAPERR, addr);
    }
    return true;
  }

  /**
   * The engines' slow path for a load or store: one that crosses into the next page, or a
   * store to a page known to be zero (AddressSpace.written), is performed here when the
   * mapping allows it; anything else is a signal.
   */
  private memSlow(h: number, write: boolean, bytes: number, signed: boolean): number {
    const hart = this.cpu.hartAt(h);
    const va = BigInt.asUintN(64, hart.getI64(S.SCRATCH));
    const addr = Number(va);
    if (
      va + BigInt(bytes) > BigInt(WINDOW_HI) ||
      !this.as.isMapped(addr, bytes, write ? PROT_WRITE : PROT_READ)
    ) {
      return this.memFault(h, 0, bytes);
    }
    const u8 = this.as.u8;
    if (write) {
      if (this.cpu.jit?.isCode(addr, bytes)) this.cpu.jit.flush(); // self-modifying code
      this.as.written(addr, bytes); // the first store to a page known to be zero comes here
      const v = hart.getI64(S.SCRATCH2);
      for (let i = 0; i < bytes; i++) u8[addr + i] = Number((v >> BigInt(8 * i)) & 0xffn);
      return 0;
    }
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(u8[addr + i]);
    hart.setI64(S.SCRATCH, signed ? BigInt.asIntN(8 * bytes, v) : v);
    return 0;
  }

  /**
   * Atomic slow path: an aligned access the mapping allows was declined only because the page
   * holds translated code (a store drops the translations first) or is known to be zero
   * (AddressSpace.written); anything else faults.
   */
  private atomicSlow(h: number, bytes: number, store: boolean): number {
    const va = BigInt.asUintN(64, this.cpu.hartAt(h).getI64(S.SCRATCH));
    const addr = Number(va);
    const allowed =
      va + BigInt(bytes) <= BigInt(WINDOW_HI) &&
      addr % bytes === 0 &&
      this.as.isMapped(addr, bytes, store ? PROT_WRITE : PROT_READ);
    if (!allowed) return this.memFault(h, bytes);
    if (store && this.cpu.jit?.isCode(addr, bytes)) this.cpu.jit.flush();
    if (store) this.as.written(addr, bytes);
    this.cpu.hartAt(h).setI32(S.SCRATCH, addr); // host address = guest address here
    return 0;
  }

  /** Fetch slow path: an instruction that straddles two executable pages, else SIGSEGV. */
  private fetchSlow(h: number): number {
    const hart = this.cpu.hartAt(h);
    const pc = Number(hart.pc);
    const as = this.as;
    if (hart.pc + 4n <= BigInt(WINDOW_HI) && as.isMapped(pc, 2, PROT_EXEC)) {
      const lo = as.dv.getUint16(pc, true);
      if ((lo & 3) !== 3) return (hart.setI32(S.SCRATCH, lo), 0);
      if (as.isMapped(pc + 2, 2, PROT_EXEC))
        return (hart.setI32(S.SCRATCH, lo | (as.dv.getUint16(pc + 2, true) << 16)), 0);
    }
    return this.fetchFault(h);
  }

  /**
   * A bad access of `bytes` at the address in SCRATCH: SIGBUS for a misaligned atomic, else
   * SIGSEGV, with SEGV_ACCERR when every byte is mapped (a protection fault) as on Linux.
   */
  private memFault(h: number, atomicBytes = 0, bytes = atomicBytes || 1): number {
    const hart = this.cpu.hartAt(h);
    const t = this.threadOf(hart);
    const va = BigInt.asUintN(64, hart.getI64(S.SCRATCH));
    const addr = Number(va & 0xffff_ffff_ffffn);
    if (atomicBytes && va < BigInt(WINDOW_HI) && addr % atomicBytes !== 0) {
      forceSignal(this, t, SIG.SIGBUS, BUS_ADRALN, addr);
    } else {
      const mapped = va + BigInt(bytes) <= BigInt(WINDOW_HI) && this.as.isMapped(addr, bytes);
      forceSignal(this, t, SIG.SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, addr);
    }
    return 1;
  }

  private fetchFault(h: number): number {
    const t = this.threadOf(this.cpu.hartAt(h));
    const mapped = t.pc < WINDOW_HI && this.as.isMapped(t.pc, 1);
    forceSignal(this, t, SIG.SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, t.pc);
    return 1;
  }

  private syscall(t: Thread): void {
    // Translations asked for before the call are built now, so that what the call does to
    // memory (mprotect, munmap, a signal) meets them as it would without batching.
    this.cpu.jit?.commit();
    const nr = t.xLo(17);
    const def = nr >= 0 ? TABLE[nr] : undefined;
    const call = this.strace ? formatCall(this, t, nr, def) : "";
    t.syscallNr = nr;
    t.origA0Lo = t.xLo(10);
    t.origA0Hi = t.xHi(10);
    const pc = t.pc;
    let r: SysResult;
    try {
      r = def ? def.fn(this, t) : -ERRNO.ENOSYS;
    } catch (e) {
      if (e instanceof SysError) r = -e.errno;
      else if (e instanceof GuestFault) r = -ERRNO.EFAULT;
      else if (typeof (e as NodeJS.ErrnoException).code === "string") r = -hostErrno(e);
      else throw e;
    }
    if (r === REDIRECTED) {
      if (this.strace) this.trace(`${call} = ?`, t);
    } else if (r === BLOCKED) {
      t.straceCall = call;
      t.pc = pc + 4;
    } else {
      t.pc = pc + 4;
      t.setResult(r);
      if (this.strace) this.trace(`${call} = ${formatResult(nr, r)}`, t);
    }
    if (this.result) t.stop();
    else if (t.state === ThreadState.Runnable) deliverSignals(this, t);
  }

  trace(line: string, t: Thread): void {
    const many = this.threads.length > 1 || t.tid !== this.pid || this.kernel.processes.size > 1;
    this.fds.writeHost(this.kernel.traceFd, `${many ? `[pid ${t.tid}] ` : ""}${line}\n`);
  }
}

/** The 16 bytes AT_RANDOM points to (glibc seeds its stack protector and pointer guard with them). */
function atRandom(): Uint8Array {
  const bytes = new Uint8Array(16);
  hostRandom(bytes);
  return bytes;
}
