// The control block between the scheduler (main thread, hart-pool.ts) and one host worker
// that runs guest threads' turns (hart-worker.ts): a SharedArrayBuffer of i32 words and one
// f64, written by one side and handed over with Atomics.store + notify. Main starts a turn
// (Run); the worker may ask main to serve an exit it cannot finish itself (Call, answered by
// Reply), and ends the turn (Done). A doorbell word shared by all workers wakes main.
import type { CpuRegions } from "../../arch/riscv/cpu.js";

export const enum Turn {
  Starting = 0,
  Idle = 1,
  Run = 2,
  Call = 3,
  Reply = 4,
  Done = 5,
}

/** What a worker asks main to do for the hart it runs (the engines' host calls that need the process). */
export const enum Call {
  Trap = 0, // a0 = cause, a1/a2 = tval low/high
  Load = 1, // a0 = load kind
  Store = 2, // a0 = bytes
  Atomic = 3, // a0 = the engine's translate argument
  Fetch = 4,
}

/** The control block's i32 words. */
export const enum Word {
  State = 0, // a Turn
  Hart = 1, // the index of the hart on the turn
  Budget = 2, // instructions per slice
  Kind = 3, // a Call, and its arguments:
  A0 = 4,
  A1 = 5,
  A2 = 6,
  Result = 7, // main's answer; at Done, 1 if the turn ran for all its time (the thread did not stop)
  Yield = 8, // non-zero: the turn ends after this slice (main stopped the hart: STOP alone is cleared when a slice ends)
}
/** f64 index: the hart's minstret, handed over with the turn, each call and its end. */
export const F_INSTRET = 6; // bytes 48-55, after the words
export const CONTROL_BYTES = 64;

// i32 words of the doorbell block (one for the process)
export const B_RING = 0; // bumped by a worker at each Call and Done
export const B_EPOCH = 1; // bumped by main when every translation must go (workers flush theirs)
export const DOORBELL_BYTES = 16;

/** What a worker is started with (its first message: hart-pool.ts). */
export interface WorkerInit {
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  readonly doorbell: SharedArrayBuffer;
  readonly regions: CpuRegions;
  readonly permTable: number;
  readonly hartCount: number;
  readonly jit: boolean;
  readonly threshold: number | undefined;
  /** Its engine's interpreter, compiled by main (attachedInterpreter, or main's own without the recompiler). */
  readonly interpreter?: WebAssembly.Module;
  /** process.hrtime.bigint() at main's clock origin (time.ts), as a decimal string. */
  readonly clockOriginNs: string;
}

/** Wakes main (which polls between its turns, or awaits the doorbell when it has none). */
export function ring(bell: Int32Array): void {
  Atomics.add(bell, B_RING, 1);
  Atomics.notify(bell, B_RING);
}
