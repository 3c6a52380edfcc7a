// What the ISA-neutral recompiler needs from an ISA plug-in: how to decode an instruction,
// where it sends control (declared by its definition), how to emit it, and where the hart
// state keeps the pc, the run budget and the registers translations cache in wasm locals.
import type { ModuleBuilder } from "../wasm.js";
import type { TranslationContext } from "./context.js";
import type { EmitCodeKey } from "./table.js";

/**
 * A decoded guest instruction: the recompiler needs its address and length; the rest is the
 * ISA's. Pcs are 64-bit values held as signed integers, exact while |pc| < 2^53 (code at the
 * top of the address space, such as a kernel's, is small and negative).
 */
export interface GuestInsn {
  readonly pc: number;
  readonly len: number;
}

/**
 * Where an instruction sends control. `branch` may go to `target` or fall through; `jump`
 * always goes to `target`; `indirect` goes where a register says; `stop` may change what code
 * means (a privilege or translation change, a fence.i), so a translation ends after it. A
 * jump that is a call says where its callee returns to (`link`); an indirect jump that the ISA
 * marks as a function's return says so (`isReturn`).
 */
export type ControlFlow =
  | { readonly kind: "fallthrough" }
  | { readonly kind: "branch"; readonly target: number }
  | { readonly kind: "jump"; readonly target: number; readonly link?: number }
  | { readonly kind: "indirect"; readonly link?: number; readonly isReturn?: boolean }
  | { readonly kind: "stop" };

/** Code as one hart fetches it now. */
export interface CodeView {
  /** Host offset of the bytes at guest pc, or -1 when the hart could not fetch them. */
  host(pc: number): number;
  /** The code key (table.ts) of guest pc for the hart now, or -1 when it cannot fetch there. */
  key(pc: number): number;
  /** When set, a translation keeps to the page (of this many bytes) its first instruction is in. */
  readonly pageBytes?: number;
  /** When set, a translation of this code holds at most this many instructions (else the recompiler's `regionInsns`). */
  readonly maxInsns?: number;
  /**
   * When set, a translation of this code reads and writes the guest's registers in the hart
   * state at each use instead of keeping them in wasm locals (RegCache): for code that runs
   * a few times between many entries and exits, whose loads and stores of every register
   * cost more than they save. A translation with a loop in place keeps its locals anyway.
   */
  readonly registersInMemory?: boolean;
  /**
   * The bytes [pc, pc + bytes) hold translated code now: a store there must flush. Returns the
   * page to name in `CodeMemory.onStore` when only that page's translations go with a store.
   */
  protect(pc: number, bytes: number): number | undefined;
  /**
   * The `bytes` at guest address `addr` as a little-endian signed integer when the hart may
   * read them now, else undefined; never faults, has no effect on the guest (what a hint reads:
   * JitIsa.jumpTable). Absent: no data is read.
   */
  readData?(addr: number, bytes: 4 | 8): number | undefined;
}

/** Where translations read guest code, and how they learn that it changed. */
export interface CodeMemory<Hart> {
  view(hart: Hart): CodeView;
  /** The translations are gone: stores need not be watched any more. */
  unprotectAll(): void;
  /** The translations from `page` (as protect named it) are gone. */
  unprotect?(page: number): void;
  /** True when a store to [addr, addr + bytes) would change translated code, where the host must ask. */
  isCode?(addr: number, bytes: number): boolean;
}

/** Offsets in the hart state of what translations read and write besides registers. */
export interface HartStateLayout {
  /** i64: the guest pc the interpreter goes on at. */
  readonly pc: number;
  /** i32: instructions left in the run slice. */
  readonly budget: number;
  /** i32: non-zero asks the running code to return to the host. */
  readonly stop: number;
  /**
   * Two i64s the dispatcher writes when translated code returns to the engine (dispatch.ts):
   * the pc of the indirect jump that left (0 for another exit; the host clears it once read)
   * and where it went.
   */
  readonly exit: { readonly site: number; readonly target: number };
  /** i64: side exits taken (TranslationContext.sideExit), for statistics and tests. */
  readonly sideExits: number;
  /**
   * Where calls that leave a translation wait for their return (TranslationContext.callOut);
   * absent: they leave as any jump does. `expect` (i64) is the return site the innermost
   * waiting call's translation goes on at, `depth` (i32) how many wait (the engine sets both
   * each time it enters translated code: no return pc, 0), `predicted` (i64) counts returns
   * that went back to their caller's translation so.
   */
  readonly calls?: { readonly expect: number; readonly depth: number; readonly predicted: number };
}

/** The guest registers translations keep in wasm locals: 64-bit each, numbered 0..count-1. */
export interface RegisterFile {
  readonly count: number;
  /** Byte offset of register `reg` (an i64) in the hart state. */
  offset(reg: number): number;
}

/** An ISA as the recompiler sees it. */
export interface JitIsa<Insn extends GuestInsn> {
  readonly state: HartStateLayout;
  readonly registers: RegisterFile;
  /** The instruction at guest pc as `code` fetches it, or undefined (unfetchable or undecodable: the interpreter raises the fault). */
  decode(pc: number, code: CodeView): Insn | undefined;
  /** Where `insn` sends control, from its definition. */
  controlFlow(insn: Insn): ControlFlow;
  /**
   * Imports the host functions the ISA's semantics call into translation module `m` (imports
   * precede its function), and returns how to emit one instruction into that function.
   */
  emitterFor(m: ModuleBuilder): (t: TranslationContext) => (insn: Insn) => void;
  /**
   * Where the indirect jump that ends `path` may go, read from a jump table in guest memory
   * (a switch's cases), or undefined when it does not look like one. `path` holds the
   * instructions before it as control reaches it (the jump last). A hint: which blocks a
   * translation takes in; the jump still goes where its register says.
   */
  jumpTable?(path: readonly Insn[], code: CodeView): readonly number[] | undefined;
  /** Emits the code key of a pc (CodeView.key's wasm side); undefined when every key is 0. */
  readonly emitCodeKey?: EmitCodeKey;
}
