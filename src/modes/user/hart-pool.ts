// Host worker threads that run a process's guest threads beside the main thread (DESIGN
// principle 10; README, Speed, "The fourteenth session"). Main stays the scheduler and the only
// owner of the process (syscalls, signals, futexes, the address space): it hands a runnable
// thread's hart to an idle worker for one turn, serves the calls the worker's engine makes
// (hart-channel.ts) between its own turns, and takes the hart back when the turn ends. A hart
// is on at most one engine at a time; its state, like the guest's memory, is in the process's
// shared wasm memory.
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import type { Hart } from "../../arch/riscv/hart.js";
import * as S from "../../arch/riscv/state.js";
import {
  B_EPOCH,
  B_RING,
  CONTROL_BYTES,
  DOORBELL_BYTES,
  F_INSTRET,
  Turn,
  Word,
  type Call,
  type WorkerInit,
} from "./hart-channel.js";
import { MAX_WORKERS } from "./layout.js";

/** How long a worker may take to end its turn once asked to (a guest spinning where no check reaches) before it is terminated. */
const STOP_TIMEOUT_MS = 2000;

/** Serves a worker's call for hart `hart` (its minstret as of the call): the engine import's answer. */
export type ServeCall = (hart: Hart, kind: Call, a0: number, a1: number, a2: number) => number;

interface PoolWorker {
  readonly worker: Worker;
  readonly ctl: Int32Array;
  readonly f64: Float64Array;
  /** The hart on its current turn, or -1. */
  hart: number;
  dead: boolean;
}

/** Workers the host can run beside the main thread (one core each), at most MAX_WORKERS. */
export function poolSize(): number {
  return Math.max(0, Math.min(MAX_WORKERS, availableParallelism() - 1));
}

export class HartPool {
  private readonly workers: PoolWorker[] = [];
  private readonly bell: Int32Array;
  /** Turns the workers have run (HARTWOOD_JIT_STATS; a test asserts them). */
  turns = 0;
  /** Workers that were started ahead (useWorkerLoader's spares). */
  ahead = 0;
  /** Workers given an interpreter module compiled on the main thread (WorkerInit.interpreter); the others compile their own. */
  givenInterpreter = 0;
  /** The workers whose calls main is serving now (quiesce leaves them alone: they wait for the answers; a call may quiesce). */
  private readonly serving = new Set<PoolWorker>();
  private wakeUp: (() => void) | undefined;

  constructor(
    /** What each worker's engine attaches to (one worker each). */
    engines: readonly Omit<WorkerInit, "control" | "doorbell" | "clockOriginNs">[],
    clockOriginNs: bigint,
    private readonly harts: readonly Hart[],
    private readonly serve: ServeCall,
    /** A turn ended (or its worker died): the hart is main's again; `ranOut`: it ran for all its time. */
    private readonly turnEnded: (hart: Hart, ranOut: boolean) => void,
  ) {
    const doorbell = new SharedArrayBuffer(DOORBELL_BYTES);
    this.bell = new Int32Array(doorbell);
    for (const engine of engines) {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      const data: WorkerInit = { ...engine, control, doorbell, clockOriginNs: String(clockOriginNs) };
      const spare = takeSpareWorker();
      if (spare) this.ahead++;
      if (engine.interpreter) this.givenInterpreter++;
      const worker = spare ?? newWorker();
      worker.postMessage(data);
      const w: PoolWorker = {
        worker,
        ctl: new Int32Array(control),
        f64: new Float64Array(control),
        hart: -1,
        dead: false,
      };
      worker.on("error", (e) => {
        reportFailure(e);
        this.retire(w);
      });
      worker.on("exit", () => this.retire(w));
      worker.unref();
      this.workers.push(w);
    }
  }

  /** Is `hart` on a worker's turn? */
  holds(hart: Hart): boolean {
    for (const w of this.workers) if (w.hart === hart.hartId) return true;
    return false;
  }

  /** Any turn running on a worker? */
  busy(): boolean {
    for (const w of this.workers) if (w.hart >= 0) return true;
    return false;
  }

  /** Idle workers: each takes the next hart `pick` gives, for a turn of `budget` instructions. */
  assign(pick: () => Hart | undefined, budget: number): void {
    for (const w of this.workers) {
      if (w.dead || w.hart >= 0 || Atomics.load(w.ctl, Word.State) !== Turn.Idle) continue;
      const hart = pick();
      if (!hart) return;
      hart.setI32(S.STOP, 0);
      w.hart = hart.hartId;
      w.ctl[Word.Hart] = hart.hartId;
      w.ctl[Word.Budget] = budget;
      w.ctl[Word.Yield] = 0;
      w.f64[F_INSTRET] = hart.instret;
      this.turns++;
      Atomics.store(w.ctl, Word.State, Turn.Run);
      Atomics.notify(w.ctl, Word.State);
    }
  }

  /** Serves the workers' calls and takes back the harts of ended turns; true if there was any. */
  poll(): boolean {
    let any = false;
    for (const w of this.workers) {
      if (w.dead) continue;
      const s = Atomics.load(w.ctl, Word.State);
      if (s === Turn.Call) this.answer(w);
      else if (s === Turn.Done) this.take(w, Turn.Idle);
      else continue;
      any = true;
    }
    return any;
  }

  private answer(w: PoolWorker): void {
    const hart = this.harts[w.hart];
    hart.instret = w.f64[F_INSTRET];
    this.serving.add(w);
    try {
      w.ctl[Word.Result] = this.serve(
        hart,
        w.ctl[Word.Kind] as Call,
        w.ctl[Word.A0],
        w.ctl[Word.A1],
        w.ctl[Word.A2],
      );
    } finally {
      this.serving.delete(w);
    }
    if (hart.getI32(S.STOP) !== 0) w.ctl[Word.Yield] = 1; // blocked, signalled, exited: the turn ends
    Atomics.store(w.ctl, Word.State, Turn.Reply);
    Atomics.notify(w.ctl, Word.State);
  }

  private take(w: PoolWorker, next: Turn): void {
    const hart = this.harts[w.hart];
    w.hart = -1;
    if (!w.dead) {
      hart.instret = w.f64[F_INSTRET];
      Atomics.store(w.ctl, Word.State, next);
    }
    this.turnEnded(hart, !w.dead && w.ctl[Word.Result] === 1);
  }

  /** A worker that exited or failed: its turn ends where it stopped, and it takes no more. */
  private retire(w: PoolWorker): void {
    if (w.dead) return;
    w.dead = true;
    if (w.hart >= 0) this.take(w, Turn.Idle);
    this.kick();
  }

  /** Resolves when a worker rings (a call, a turn's end) or `kick` is called. */
  wait(): Promise<void> {
    const seen = Atomics.load(this.bell, B_RING);
    if (this.poll()) return Promise.resolve();
    const r = waitAsync(this.bell, B_RING, seen);
    if (!r.async) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      void r.value.then(() => this.kick());
    });
  }

  /** Ends a `wait` (main has work of its own: a timer, a read, a signal). */
  kick(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Every translation must go: the workers drop theirs before their next turn or after their next call; running turns end. */
  flushAll(): void {
    Atomics.add(this.bell, B_EPOCH, 1);
    for (const w of this.workers) if (w.hart >= 0) this.stop(w);
  }

  /** Ends `w`'s running turn soon: its engine returns at its next check, and the worker takes no further slice. */
  private stop(w: PoolWorker): void {
    Atomics.store(w.ctl, Word.Yield, 1);
    this.harts[w.hart].setI32(S.STOP, 1);
  }

  /**
   * Ends every running turn (but those whose calls main serves now) before returning:
   * execve, fork and exit need the other threads out of guest code. Their calls meanwhile are
   * served as usual; a worker that does not stop in time is terminated.
   */
  quiesce(): void {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (const w of this.workers) {
      if (this.serving.has(w)) continue;
      while (w.hart >= 0 && !w.dead) {
        this.stop(w);
        const s = Atomics.load(w.ctl, Word.State);
        if (s === Turn.Call) this.answer(w);
        else if (s === Turn.Done) this.take(w, Turn.Idle);
        else if (Date.now() > deadline) {
          void w.worker.terminate();
          this.retire(w);
        } else Atomics.wait(w.ctl, Word.State, s, 1);
      }
    }
  }

  /** Stops every worker (the process has ended). */
  close(): void {
    for (const w of this.workers) {
      if (w.hart >= 0) this.stop(w);
      w.dead = true;
      w.hart = -1;
      void w.worker.terminate();
    }
    this.kick();
  }
}

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

let bundle: string | undefined;
/** bin/worker-ahead.js (useWorkerLoader), required when the first worker starts. */
let loaderFile: string | undefined;
type WorkerLoader = { bundleWorker(file: string): Worker };
let loader: WorkerLoader | undefined;
/** Workers started before the process needed them (useWorkerLoader), each waiting for its WorkerInit; `failed` until a pool takes it. */
const spareWorkers: { worker: Worker; failed: (e: unknown) => void; exited: boolean }[] = [];

/** The CLI's single-file build (scripts/build-dist.js) runs its workers from itself: one file to load. */
export function useBundle(file: string): void {
  bundle = file;
}

/**
 * The CLI's bin names the module that starts a worker on the worker bundle, loaded with V8's
 * code cache (bin/worker-ahead.js): the workers save its cache once they have run a turn, when
 * the functions that set up an engine and translate code are compiled (README, Speed, "The
 * fifteenth session: guest threads"). `spare`: a worker the bin started ahead, while it loaded
 * the CLI's bundle, for a program that names pthread_create ("The seventeenth session:
 * threads"); the first pool takes it.
 */
export function useWorkerLoader(file: string, spare?: Worker): void {
  // Required when a worker starts, not now: createRequire and the path's resolution cost a
  // short run that never starts one 1-3 ms.
  loaderFile = file;
  loader = undefined;
  if (!spare) return;
  // One that fails before a pool takes it (its bundle did not load) says so, and is not taken.
  const entry = { worker: spare, failed: (e: unknown) => reportFailure(e), exited: false };
  spare.on("error", entry.failed);
  spare.once("exit", () => (entry.exited = true));
  spareWorkers.push(entry);
}

/** A worker the bin started that is still alive, no longer watched as a spare; undefined if none. */
function takeSpareWorker(): Worker | undefined {
  for (let e = spareWorkers.shift(); e; e = spareWorkers.shift()) {
    e.worker.off("error", e.failed);
    if (!e.exited) return e.worker;
  }
  return undefined;
}

function reportFailure(e: unknown): void {
  process.stderr.write(`hartwood: a worker thread failed: ${e instanceof Error ? e.message : String(e)}\n`);
}

/** Did the bin start workers ahead that no pool has taken yet? */
export function hasSpareWorkers(): boolean {
  return spareWorkers.length > 0;
}

/**
 * The guest is about to run: workers the bin started load their bundle now, beside its first
 * instructions, rather than when the first clone hands them their engine (bin/worker-ahead.js).
 */
export function loadSpareWorkers(): void {
  for (const e of spareWorkers) e.worker.postMessage("load");
}

/**
 * A worker thread that waits for one message, its WorkerInit, and then runs turns: from the
 * CLI's bundle (useBundle; with its code cache through the bin's loader), or from
 * hart-worker-main.js beside this module (the modules tsc wrote). Run from the TypeScript
 * sources (the tests), esbuild bundles hart-worker-main.ts into a temporary file first.
 */
function newWorker(): Worker {
  if (bundle && loaderFile) {
    loader ??= createRequire(import.meta.url)(loaderFile) as WorkerLoader;
    return loader.bundleWorker(bundle);
  }
  // Loaded here, not at start-up: node:worker_threads costs 3.5 ms, and only a program with threads needs it.
  const { Worker } = createRequire(import.meta.url)(
    "node:worker_threads",
  ) as typeof import("node:worker_threads");
  const options = { stdout: false, stderr: false };
  if (bundle) {
    const run = `(init) => require(${JSON.stringify(bundle)}).runHartWorker(init)`;
    return new Worker(`require("node:worker_threads").parentPort.once("message", ${run});`, {
      ...options,
      eval: true,
    });
  }
  return new Worker(workerModule(), options);
}

let workerFile: string | URL | undefined;

/** hart-worker-main.js beside this module, or (from the sources) a temporary bundle of hart-worker-main.ts. */
function workerModule(): string | URL {
  if (workerFile) return workerFile;
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith(".ts")) return (workerFile = new URL("./hart-worker-main.js", import.meta.url));
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  const out = join(tmpdir(), `hartwood-hart-worker-${process.pid}.mjs`);
  esbuild.buildSync({
    entryPoints: [here.replace(/hart-pool\.ts$/, "hart-worker-main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "warning",
  });
  process.once("exit", () => rmSync(out, { force: true }));
  return (workerFile = out);
}
