// A host worker thread that runs guest threads' turns beside the main thread (DESIGN
// principle 10): an engine of its own (interpreter instance, translation table and code
// cache, predecode table) over the process's shared memory and hart states. Whatever needs
// the process (syscalls, signals, the memory slow paths) is a call to main through the
// control block (hart-channel.ts), which serves it with the code that serves its own turns.
import { writeSync } from "node:fs";
import { RiscvCpu } from "../../arch/riscv/cpu.js";
import type { Hart } from "../../arch/riscv/hart.js";
import type { InterpImports } from "../../arch/riscv/interp.js";
import * as S from "../../arch/riscv/state.js";
import { Exit } from "../../arch/riscv/state.js";
import { PhysMap } from "../../core/physmem.js";
import { flatMem } from "./layout.js";
import { B_EPOCH, Call, F_INSTRET, ring, Turn, Word, type WorkerInit } from "./hart-channel.js";

/** HARTWOOD_POOL_TRACE=1: each worker prints its readiness and, every 10 turns, where its time went. */
const TRACE = typeof process !== "undefined" && process.env.HARTWOOD_POOL_TRACE === "1";
/**
 * How long a worker keeps running the same thread, slice after slice, while it does not stop (a
 * blocking syscall, a signal, a flush): each hand-over waits for main to look between its own
 * turns.
 */
const TURN_MS = 8;

/**
 * The engine a worker runs for the process whose regions `init` names: everything else it
 * needs from the process goes through `call`. (The CLI's build makes one ahead of time.)
 */
export function attachedCpu(
  init: Pick<
    WorkerInit,
    "memory" | "regions" | "permTable" | "hartCount" | "jit" | "threshold" | "interpreter"
  >,
  host: { now(): number; trap(hart: Hart, cause: number, irq: boolean, tval: bigint): boolean },
  call: (h: number, kind: Call, a0?: number) => number,
): RiscvCpu {
  const layout = {
    memory: init.memory,
    shared: true,
    alloc: (): number => {
      throw new Error("an attached engine allocates nothing");
    },
  };
  const overrides: Partial<InterpImports> = {
    load: (h, kind) => call(h, Call.Load, kind),
    store: (h, bytes) => call(h, Call.Store, bytes),
    translate: (h, arg) => call(h, Call.Atomic, arg),
    fetch: (h) => call(h, Call.Fetch),
  };
  const mem = flatMem(init.permTable);
  const cpu = new RiscvCpu(layout, { phys: new PhysMap(), ...host }, init.hartCount, mem, overrides, {
    jit: init.jit,
    jitOptions: { threshold: init.threshold, warmupInsns: 0 },
    attach: init.regions,
    interpreterModule: init.interpreter,
  });
  // Pages this engine marks as holding code stay marked: main clears every mark when it drops
  // every translation, and another engine may hold translations on the same pages.
  if (cpu.code && "keepMarks" in cpu.code) cpu.code.keepMarks = true;
  return cpu;
}

/** The worker thread's body: takes turns until it is terminated; `ranTurn` once, after its first turn (the code cache's save). */
export function runHartWorker(init: WorkerInit, ranTurn?: () => void): never {
  const stats = { calls: 0, callMs: 0, idleMs: 0, runMs: 0, turns: 0, insns: 0, ends: [0, 0, 0, 0, 0] };
  const startMs = performance.now();
  const ctl = new Int32Array(init.control);
  const f64 = new Float64Array(init.control);
  const bell = new Int32Array(init.doorbell);
  const origin = BigInt(init.clockOriginNs);
  let epoch = Atomics.load(bell, B_EPOCH);

  /** Asks main to serve `kind` for hart `h`; returns its answer. */
  const call = (h: number, kind: Call, a0 = 0, a1 = 0, a2 = 0): number => {
    f64[F_INSTRET] = cpu.hartAt(h).instret;
    ctl[Word.Kind] = kind;
    ctl[Word.A0] = a0;
    ctl[Word.A1] = a1;
    ctl[Word.A2] = a2;
    Atomics.store(ctl, Word.State, Turn.Call);
    ring(bell);
    const t0 = TRACE ? performance.now() : 0;
    while (Atomics.load(ctl, Word.State) === Turn.Call) Atomics.wait(ctl, Word.State, Turn.Call);
    if (TRACE) {
      stats.calls++;
      stats.callMs += performance.now() - t0;
    }
    const result = ctl[Word.Result];
    Atomics.store(ctl, Word.State, Turn.Run);
    catchUp();
    return result;
  };
  /** Main dropped every translation (code changed): this engine drops its own. */
  const catchUp = (): void => {
    const now = Atomics.load(bell, B_EPOCH);
    if (now === epoch) return;
    epoch = now;
    cpu.jit?.flush();
  };
  const cpu = attachedCpu(
    init,
    {
      now: () => Math.floor((Number(process.hrtime.bigint() - origin) / 1e6) * 10_000), // as UserProcess's
      trap: (hart, cause, _irq, tval) => {
        const v = BigInt.asUintN(64, tval);
        call(hart.base, Call.Trap, cause, Number(v & 0xffff_ffffn) | 0, Number(v >> 32n) | 0);
        return true;
      },
    },
    call,
  );

  Atomics.store(ctl, Word.State, Turn.Idle);
  ring(bell);
  if (TRACE)
    writeSync(
      2,
      `worker ready in ${(performance.now() - startMs).toFixed(1)} ms, ${performance.now().toFixed(1)} ms after its thread began\n`,
    );
  for (;;) {
    let s = Atomics.load(ctl, Word.State);
    const t0 = TRACE ? performance.now() : 0;
    while (s !== Turn.Run) {
      Atomics.wait(ctl, Word.State, s);
      s = Atomics.load(ctl, Word.State);
    }
    const hart = cpu.harts[ctl[Word.Hart]];
    const budget = ctl[Word.Budget];
    hart.instretBase = f64[F_INSTRET];
    const i0 = hart.instretBase;
    const r0 = performance.now();
    if (TRACE) {
      stats.turns++;
      stats.idleMs += r0 - t0;
    }
    catchUp();
    // Further slices while main has not stopped the hart (a blocking syscall, a signal, a
    // flush, exit: Yield, as Hart.run clears STOP when a slice ends).
    let full = false; // the turn ended for its time, not because the hart stopped
    let last: Exit = Exit.Budget;
    if (hart.getI32(S.STOP) === 0)
      while ((last = cpu.step(hart, budget)) === Exit.Budget && Atomics.load(ctl, Word.Yield) === 0) {
        if (performance.now() - r0 > TURN_MS) {
          full = true;
          break;
        }
        catchUp();
      }
    hart.setI32(S.STOP, 0);
    ctl[Word.Result] = full ? 1 : 0;
    if (TRACE) stats.ends[full ? 3 : last === Exit.Budget ? 4 : last]++;
    if (TRACE) {
      stats.runMs += performance.now() - r0;
      stats.insns += hart.instret - i0;
      if (stats.turns % 10 === 0)
        writeSync(2, `worker ${JSON.stringify(stats)} ${JSON.stringify(cpu.jit?.counts())}\n`);
    }
    f64[F_INSTRET] = hart.instret;
    Atomics.store(ctl, Word.State, Turn.Done);
    ring(bell);
    ranTurn?.();
    ranTurn = undefined;
  }
}
