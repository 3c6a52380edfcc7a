// The interface between the ISA-neutral core and an ISA plug-in. The core (machines, the
// run loop, snapshots, the debugger transport) talks to harts only through this.
import type { MemoryLayout } from "./memory.js";
import type { JitCounts } from "./jit/compile-stats.js";
import type { JitOptions } from "./jit/recompiler.js";
import type { PhysMap } from "./physmem.js";

/** Why a hart's run slice ended. */
export type HartExit = "budget" | "stop" | "wfi";

/** What a CPU needs from the machine around it. */
export interface CpuHost {
  readonly phys: PhysMap;
  /** The platform timer, in timebase ticks. */
  now(): number;
}

/** One register as the debugger sees it (GDB's target description order). */
export interface RegisterInfo {
  readonly name: string;
  readonly bits: 32 | 64;
  readonly group: "general" | "float" | "system";
}

export interface Cpu {
  readonly hartCount: number;
  /** Runs hart `hart` for at most `budget` instructions. */
  step(hart: number, budget: number): HartExit;
  /** Ends `hart`'s current run slice after the instruction in progress (callable from device code). */
  stop(hart: number): void;
  /** Takes a pending, enabled interrupt on `hart`; true when one was taken. */
  checkInterrupts(hart: number): boolean;
  /** Whether `hart` has an interrupt pending that would wake it from a wait. */
  wakeable(hart: number): boolean;
  /** Raises or lowers an interrupt line of `hart` (the plug-in names its lines). */
  setIrqLine(hart: number, line: string, level: boolean): void;
  instret(hart: number): number;
  /** Puts `hart` at `pc` in its most privileged mode, as after reset. */
  reset(hart: number, pc: bigint): void;
  /** The architectural state of `hart` (registers, CSRs, privilege), not memory. */
  saveHart(hart: number): Uint8Array;
  restoreHart(hart: number, state: Uint8Array): void;
  readonly registers: readonly RegisterInfo[];
  readRegister(hart: number, index: number): bigint;
  writeRegister(hart: number, index: number, value: bigint): void;
  /** What the recompiler has done, when it is on. */
  jitCounts(): JitCounts | undefined;
}

export interface IsaPlugin {
  readonly name: string;
  /** ELF e_machine of this ISA's programs. */
  readonly elfMachine: number;
  /** Bytes of VMM-private wasm memory the CPU needs (hart state, TLBs, tables). */
  vmmBytes(harts: number): number;
  /** A CPU whose recompiler (always on) is set up by `jit`. */
  createCpu(layout: MemoryLayout, host: CpuHost, harts: number, jit?: JitOptions): Cpu;
}
