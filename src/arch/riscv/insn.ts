// The declarative half of an instruction: its encoding (mask/match), its operand format,
// and its semantics as a function that emits wasm through `Sem`. The interpreter and the
// recompiler both consume these definitions; neither has its own copy of the semantics.
import type { FunctionBuilder } from "../../core/wasm.js";

export type Ext = "I" | "M" | "A" | "F" | "D" | "C" | "Zicsr" | "Zifencei" | "Zihintpause" | "Priv";

/** A bit range of the instruction word. */
export interface FieldSpec {
  readonly lo: number;
  readonly bits: number;
}

export const FIELDS = {
  rd: { lo: 7, bits: 5 },
  rs1: { lo: 15, bits: 5 },
  rs2: { lo: 20, bits: 5 },
  rs3: { lo: 27, bits: 5 },
  rm: { lo: 12, bits: 3 },
  csr: { lo: 20, bits: 12 },
  shamt: { lo: 20, bits: 6 },
  shamtw: { lo: 20, bits: 5 },
  aqrl: { lo: 25, bits: 2 },
} as const satisfies Record<string, FieldSpec>;
export type FieldName = keyof typeof FIELDS;

/** Immediate layouts: [insnHi, insnLo, immLo] pieces; the piece holding bit 31 carries the sign. */
export const IMMS = {
  I: [[31, 20, 0]],
  S: [
    [31, 25, 5],
    [11, 7, 0],
  ],
  B: [
    [31, 31, 12],
    [7, 7, 11],
    [30, 25, 5],
    [11, 8, 1],
  ],
  U: [[31, 12, 12]],
  J: [
    [31, 31, 20],
    [19, 12, 12],
    [20, 20, 11],
    [30, 21, 1],
  ],
  Z: [[19, 15, 0]], // zimm of csrr*i, unsigned
} as const satisfies Record<string, readonly (readonly [number, number, number])[]>;
export type ImmKind = keyof typeof IMMS;

export function fieldValue(insn: number, f: FieldSpec): number {
  return (insn >>> f.lo) & ((1 << f.bits) - 1);
}

/** The immediate as a signed JS number (fits: at most 32 significant bits). */
export function immValue(insn: number, kind: ImmKind): number {
  let v = 0;
  // Indexed, not `for (const [hi, lo, immLo] of ...)`: the recompiler asks for an immediate per
  // instruction, mostly in code V8 has not optimized yet, where each destructuring walks an iterator.
  const pieces = IMMS[kind];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const hi = piece[0];
    const lo = piece[1];
    const immLo = piece[2];
    const width = hi - lo + 1;
    if (hi === 31 && kind !== "Z") v |= (insn >> lo) << immLo;
    else v |= ((insn >>> lo) & ((1 << width) - 1)) << immLo;
  }
  return v;
}

/** A decoded operand: a constant when translating, a value computed from the instruction word when interpreting. */
export interface Operand {
  /** The value when known at emission time (recompiler), else undefined. */
  readonly value: number | undefined;
  /** Pushes the operand as i32. */
  emit(): void;
}

export type LoadKind = "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "i64";
export type Bytes = 1 | 2 | 4 | 8;

/** Host helpers reachable from semantics (served by the plug-in's TypeScript side). */
export type HelperName =
  | "csr"
  | "ecall"
  | "ebreak"
  | "mret"
  | "sret"
  | "wfi"
  | "sfence_vma"
  | "fence_i"
  | "pause"
  | "fp" // floating point slow path (exact rounding and flags)
  | "irq"; // a CSR write in wasm enabled interrupts: take a pending one before the next instruction

/** What a semantics function emits through. */
export interface Sem {
  readonly w: FunctionBuilder;
  /** Pushes the base address (i32) of this hart's state; see state.ts for the layout. */
  hart(): void;
  field(name: FieldName): Operand;
  /** Pushes the sign-extended immediate as i64. */
  imm(kind: ImmKind): void;
  /** Pushes x[r] as i64 (x0 reads as zero). */
  getX(r: Operand): void;
  /** x[r] = value (writes to x0 are dropped). */
  setX(r: Operand, value: () => void): void;
  /** Pushes the raw 64-bit pattern of f[r] as i64. */
  getFBits(r: Operand): void;
  setFBits(r: Operand, value: () => void): void;
  /** Pushes the pc of this instruction as i64. */
  pc(): void;
  /** Pushes pc + length of this instruction as i64. */
  nextPc(): void;
  /** Transfers control to the i64 target; ends the instruction. */
  jump(target: () => void): void;
  /** Pushes the loaded value, extended to i64. A fault raises the exception and ends the instruction. */
  load(kind: LoadKind, addr: () => void): void;
  store(bytes: Bytes, addr: () => void, value: () => void): void;
  /**
   * Pushes the host address (i32) of a naturally aligned guest access, for atomics.
   * Misalignment raises the address-misaligned exception of `access`, a translation or
   * permission failure its page or access fault; either ends the instruction.
   */
  translate(bytes: 4 | 8, access: "load" | "store", addr: () => void): void;
  /** Raises exception `cause` with tval (i64) and ends the instruction. */
  raise(cause: number, tval: () => void): void;
  /** Calls a host helper that serves this instruction; it may trap or redirect the pc. */
  helper(name: HelperName): void;
  /** A Zicsr instruction (csrrw/s/c and their immediate forms, Zicsr §9.1). */
  csr(): void;
  /** ecall (Priv spec §3.3.1): a trap, or a call the host serves. */
  ecall(): void;
  /** sret (Priv spec §3.3.2). */
  sret(): void;
  /** Raises illegal-instruction unless the FPU is on (mstatus.FS != Off). */
  requireFs(): void;
  /** Marks FP state dirty (mstatus.FS = Dirty). */
  fsDirty(): void;
}

/**
 * Where an instruction sends control, for the recompiler (core/jit/isa.ts ControlFlow):
 * `branch` and `jump` go to pc + the immediate of layout `offset`; `indirect` to a register
 * value; `stop` may change what code means (privilege, translation, fence.i), so a
 * translation ends after it. Instructions without one fall through.
 */
export type FlowSpec =
  { readonly kind: "branch" | "jump"; readonly offset: ImmKind } | { readonly kind: "indirect" | "stop" };

export interface InsnDef {
  readonly name: string;
  readonly ext: Ext;
  readonly mask: number;
  readonly match: number;
  /** Assembly operands for the disassembler, e.g. "rd,rs1,imm:I". */
  readonly syntax: string;
  readonly exec: (s: Sem) => void;
  readonly flow?: FlowSpec;
  /**
   * For the recompiler: the registers (a bit per x register) that must hold sign-extended
   * 32-bit values before this instruction for rd to hold one after it; undefined when
   * nothing is known of rd. Absent: nothing.
   */
  readonly sext32?: Needs;
  /**
   * For the recompiler: the same semantics computed in i32, valid where the registers `needs`
   * names hold sign-extended 32-bit values. Such values are what W instructions make;
   * computed in i32, a chain of them needs no extension between its links.
   */
  readonly narrow?: Narrow;
}

/** Registers (bit r for x[r]) that must hold sign-extended words, or undefined: none would do. */
export type Needs = (insn: number) => number | undefined;

export interface Narrow {
  readonly needs: Needs;
  readonly exec: (s: Sem) => void;
}

/** `def` with what the recompiler may know of its result (InsnDef.sext32, InsnDef.narrow). */
export function with32(def: InsnDef, sext32: Needs, narrow?: Narrow): InsnDef {
  return { ...def, sext32, ...(narrow ? { narrow } : {}) };
}
/** Needs: nothing (rd always holds a word); rs1; rs1 and rs2. */
export const ALWAYS_32: Needs = () => 0;
export const RS1_32: Needs = (insn) => 1 << fieldValue(insn, FIELDS.rs1);
export const BOTH_32: Needs = (insn) =>
  (1 << fieldValue(insn, FIELDS.rs1)) | (1 << fieldValue(insn, FIELDS.rs2));

export function insn(
  ext: Ext,
  name: string,
  mask: number,
  match: number,
  syntax: string,
  exec: (s: Sem) => void,
  flow?: FlowSpec,
): InsnDef {
  return { ext, name, mask: mask >>> 0, match: match >>> 0, syntax, exec, ...(flow ? { flow } : {}) };
}

// Common masks by format
export const MASK_OPC = 0x7f;
export const MASK_F3 = 0x707f;
export const MASK_F7 = 0xfe00707f;
export const MASK_F6 = 0xfc00707f; // RV64 shifts (6-bit shamt)
export const MASK_ALL = 0xffffffff;

/** Encodes the fixed fields of a pattern. */
export function enc(opcode: number, funct3 = 0, funct7 = 0): number {
  return (opcode | (funct3 << 12) | (funct7 << 25)) >>> 0;
}
