// The half of `Sem` that the interpreter and the recompiler share: memory accesses (the TLB
// or the flat strategy, with their host slow paths), exceptions, host helpers and the FPU
// guard. The subclasses supply what differs: where operands come from (the instruction word
// at run time, or constants at translation time), how the pc is kept, and what happens after
// the host has taken a trap.
import type { FunctionBuilder, Local, ModuleBuilder } from "../../core/wasm.js";
import { I32, I64 } from "../../core/wasm.js";
import type { Bytes, FieldName, HelperName, ImmKind, LoadKind, Operand, Sem } from "./insn.js";
import { MSTATUS, PRV_S, SSTATUS_MASK } from "./priv.js";
import * as S from "./state.js";

const CSR_SSTATUS = 0x100;
/** sscratch, sepc, scause and stval: CSR numbers 0x140..0x143, kept in the state in that order from S.SSCRATCH. */
const CSR_SSCRATCH = 0x140;
/** The mstatus bits a write to sstatus can change. */
const SSTATUS_WRITABLE = MSTATUS.SIE | MSTATUS.SPIE | MSTATUS.SPP | MSTATUS.FS | MSTATUS.SUM | MSTATUS.MXR;

/** Memory access kinds passed to the host's slow path. */
export const LOAD_KINDS: readonly LoadKind[] = ["i8", "u8", "i16", "u16", "i32", "u32", "i64"];
export const LOAD_BYTES: Record<LoadKind, Bytes> = { i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8 };
export const HELPERS: readonly HelperName[] = [
  "csr",
  "ecall",
  "ebreak",
  "mret",
  "sret",
  "wfi",
  "sfence_vma",
  "fence_i",
  "fp",
  "irq",
];

/** Helper results: continue with the next instruction, continue at the pc in the state, or exit. */
export const enum HelperResult {
  Next = 0,
  Redirect = 1,
  ExitBase = 2, // ExitBase + Exit reason
}

export const ILLEGAL_INSTRUCTION = 2;

/**
 * How guest addresses reach wasm memory. "tlb": through the per-hart software TLB (system
 * and bare-metal modes). "flat": user mode, where guest address a is host offset
 * a + hostOffset and a byte per guest page says what the page allows.
 */
export type MemStrategy =
  | { readonly kind: "tlb" }
  | {
      readonly kind: "flat";
      readonly hostOffset: number;
      /**
       * Host offset of a byte per guest page for the whole 32-bit space (1 MiB): bit 0 R,
       * bit 1 W, bit 2 X (Linux's PROT_* bits). An access must find its page permitted and
       * stay within one page; everything else takes the slow path.
       */
      readonly permTable: number;
    };

/** Permission bits of the flat strategy's page table. */
export const PAGE_R = 1;
export const PAGE_W = 2;
export const PAGE_X = 4;
/** Not a permission: the recompiler has translated code on this page (code-memory.ts). */
export const PAGE_CODE = 8;
export const PERM_TABLE_BYTES = 1 << 20;

/** Indices of the host functions both engines import (module "host"). */
export interface HostFns {
  load: number;
  store: number;
  translate: number;
  fetch: number;
  raise: number;
  helper: number;
}

/** Imports the host functions both engines call (module "host"); imports come before functions. */
export function importHostFns(m: ModuleBuilder): HostFns {
  return {
    load: m.importFunc("host", "load", [I32, I32], [I32]),
    store: m.importFunc("host", "store", [I32, I32], [I32]),
    translate: m.importFunc("host", "translate", [I32, I32], [I32]),
    fetch: m.importFunc("host", "fetch", [I32], [I32]),
    raise: m.importFunc("host", "raise", [I32, I32], []),
    helper: m.importFunc("host", "helper", [I32, I32], [I32]),
  };
}

/**
 * Pushes whether the page of `va` (i64 local) allows `need` on the fast path: the address is
 * below 4 GiB and its page byte has the bit. A store also needs PAGE_CODE clear: a page with
 * translated code takes stores on the slow path, which drops the translations first.
 */
export function permitted(w: FunctionBuilder, va: Local, table: number, need: number): void {
  const mask = need === PAGE_W ? PAGE_W | PAGE_CODE : need;
  w.get(va).i64_const(32).i64_shr_u().i64_eqz();
  w.get(va).i64_const(12).i64_shr_u().i32_wrap_i64().i32_const(0xfffff).i32_and().i32_load8_u(table);
  w.i32_const(mask).i32_and().i32_const(need).i32_eq().i32_and();
}

export abstract class AccessSem implements Sem {
  constructor(
    readonly w: FunctionBuilder,
    /** The i32 local holding the hart's state base. */
    protected readonly hartLocal: Local,
    protected readonly mem: MemStrategy,
    protected readonly fn: HostFns,
  ) {}

  // What the engines supply.
  abstract field(name: FieldName): Operand;
  abstract imm(kind: ImmKind): void;
  abstract getX(r: Operand): void;
  abstract setX(r: Operand, value: () => void): void;
  abstract getFBits(r: Operand): void;
  abstract setFBits(r: Operand, value: () => void): void;
  abstract pc(): void;
  abstract nextPc(): void;
  abstract jump(target: () => void): void;
  /** Right after a helper returns: the host may have changed the budget, registers, or the code. */
  protected abstract afterHelper(name: HelperName): void;
  /** Saves what host calls may read: the pc of this instruction and the remaining budget. */
  protected abstract sync(): void;
  /** The host has taken a trap (the new pc is in the state): leave this instruction. */
  protected abstract resume(): void;
  /** Pushes the raw bits of this instruction (i32). */
  protected abstract raw(): void;
  /** Pushes this instruction's length in bytes (i32). */
  protected abstract len(): void;

  hart(): void {
    this.w.get(this.hartLocal);
  }

  protected tlbEntry(va: Local, set: number): void {
    const w = this.w;
    w.get(this.hartLocal).i32_load(set);
    w.get(va)
      .i64_const(12)
      .i64_shr_u()
      .i32_wrap_i64()
      .i32_const(S.TLB_ENTRIES - 1)
      .i32_and();
    w.i32_const(Math.log2(S.TLB_ENTRY_BYTES)).i32_shl().i32_add();
  }
  /**
   * Branches to `slow` unless the access hits the fast path. One test and branch per
   * condition: cheaper in the engine's code than folding them into one flag.
   */
  protected probe(va: Local, bytes: number, tag: number, entry: Local, slow: string, aligned = false): void {
    const w = this.w;
    const mem = this.mem;
    if (mem.kind === "flat") {
      // The address is below 4 GiB, so the rest is i32 arithmetic on its low half (kept in
      // `entry`, which hostAddr then uses).
      w.get(va).i64_const(32).i64_shr_u().i32_wrap_i64().br_if(slow);
      w.get(va).i32_wrap_i64().tee(entry).i32_const(12).i32_shr_u().i32_load8_u(mem.permTable);
      // A load needs PAGE_R; a store PAGE_W without PAGE_CODE (see permitted).
      if (tag === S.TLB_WRITE)
        w.i32_const(PAGE_W | PAGE_CODE)
          .i32_and()
          .i32_const(PAGE_W)
          .i32_ne()
          .br_if(slow);
      else w.i32_const(PAGE_R).i32_and().i32_eqz().br_if(slow);
      if (bytes > 1) {
        // the access stays within its page (page-crossing ones take the slow path) ...
        w.get(entry)
          .i32_const(0xfff)
          .i32_and()
          .i32_const(4096 - bytes)
          .i32_gt_u()
          .br_if(slow);
        // ... and, for atomics, is naturally aligned
        if (aligned)
          w.get(entry)
            .i32_const(bytes - 1)
            .i32_and()
            .br_if(slow);
      }
      return;
    }
    this.tlbEntry(va, S.TLB_DATA);
    w.tee(entry).i64_load(tag);
    w.get(va)
      .i64_const(BigInt.asIntN(64, ~0xfffn | BigInt(bytes - 1)))
      .i64_and();
    w.i64_ne().br_if(slow);
  }
  /** After a hit: pushes the host address (i32) of `va`. */
  protected hostAddr(va: Local, entry: Local): void {
    const w = this.w;
    const mem = this.mem;
    if (mem.kind === "flat") {
      w.get(entry); // the address's low half, from probe
      if (mem.hostOffset !== 0) w.i32_const(mem.hostOffset).i32_add();
    } else w.get(va).i32_wrap_i64().get(entry).i32_load(S.TLB_ADDEND).i32_add();
  }
  load(kind: LoadKind, addr: () => void): void {
    const w = this.w;
    const va = w.local(I64);
    const entry = w.local(I32);
    addr();
    w.set(va);
    w.block("ld", I64);
    w.block("ld_slow");
    this.probe(va, LOAD_BYTES[kind], S.TLB_READ, entry, "ld_slow");
    this.hostAddr(va, entry);
    switch (kind) {
      case "i8": w.i64_load8_s(); break;
      case "u8": w.i64_load8_u(); break;
      case "i16": w.i64_load16_s(); break;
      case "u16": w.i64_load16_u(); break;
      case "i32": w.i64_load32_s(); break;
      case "u32": w.i64_load32_u(); break;
      case "i64": w.i64_load(); break;
    } // prettier-ignore
    w.br("ld").end();
    this.sync();
    w.get(this.hartLocal).get(va).i64_store(S.SCRATCH);
    w.get(this.hartLocal).i32_const(LOAD_KINDS.indexOf(kind)).call(this.fn.load);
    w.if_();
    this.resume();
    w.end();
    w.get(this.hartLocal).i64_load(S.SCRATCH);
    w.end();
    w.release(va);
    w.release(entry);
  }
  store(bytes: Bytes, addr: () => void, value: () => void): void {
    const w = this.w;
    const va = w.local(I64);
    const v = w.local(I64);
    const entry = w.local(I32);
    addr();
    w.set(va);
    value();
    w.set(v);
    w.block("st");
    w.block("st_slow");
    this.probe(va, bytes, S.TLB_WRITE, entry, "st_slow");
    this.hostAddr(va, entry);
    w.get(v);
    switch (bytes) {
      case 1: w.i64_store8(); break;
      case 2: w.i64_store16(); break;
      case 4: w.i64_store32(); break;
      case 8: w.i64_store(); break;
    } // prettier-ignore
    w.br("st").end();
    this.sync();
    w.get(this.hartLocal).get(va).i64_store(S.SCRATCH);
    w.get(this.hartLocal).get(v).i64_store(S.SCRATCH2);
    w.get(this.hartLocal).i32_const(bytes).call(this.fn.store);
    w.if_();
    this.resume();
    w.end();
    w.end();
    w.release(va);
    w.release(v);
    w.release(entry);
  }
  translate(bytes: 4 | 8, access: "load" | "store", addr: () => void): void {
    const w = this.w;
    const va = w.local(I64);
    const entry = w.local(I32);
    addr();
    w.set(va);
    w.block("tr", I32);
    w.block("tr_slow");
    this.probe(va, bytes, access === "load" ? S.TLB_READ : S.TLB_WRITE, entry, "tr_slow", true);
    this.hostAddr(va, entry);
    w.br("tr").end();
    this.sync();
    w.get(this.hartLocal).get(va).i64_store(S.SCRATCH);
    w.get(this.hartLocal)
      .i32_const(bytes | (access === "store" ? 0x100 : 0))
      .call(this.fn.translate);
    w.if_();
    this.resume();
    w.end();
    w.get(this.hartLocal).i32_load(S.SCRATCH);
    w.end();
    w.release(va);
    w.release(entry);
  }
  raise(cause: number, tval: () => void): void {
    const w = this.w;
    this.sync();
    w.get(this.hartLocal);
    tval();
    w.i64_store(S.SCRATCH);
    w.get(this.hartLocal).i32_const(cause).call(this.fn.raise);
    this.resume();
  }
  requireFs(): void {
    const w = this.w;
    w.get(this.hartLocal).i32_load(S.FS_OFF).if_();
    this.raise(ILLEGAL_INSTRUCTION, () => {
      this.raw();
      w.i64_extend_i32_u();
    });
    w.end();
  }
  fsDirty(): void {
    this.w.get(this.hartLocal).i32_const(1).i32_store(S.FS_DIRTY);
  }

  /**
   * Zicsr: sstatus (Linux toggles SIE around every lock and SUM around every user-memory
   * access) and sscratch/sepc/scause/stval (every trap) are served here in S-mode; every
   * other case goes to the host's `csr` helper. The recompiler knows the CSR number and
   * emits one path; the interpreter chooses at run time.
   */
  csr(): void {
    const w = this.w;
    const csr = this.field("csr");
    const known = csr.value;
    const scratch = known === undefined || (known - CSR_SSCRATCH) >>> 0 < 4;
    const sstatus = known === undefined || known === CSR_SSTATUS;
    if (!scratch && !sstatus) return this.helper("csr");
    w.block("csr_done");
    w.block("csr_slow");
    // Both need S-mode: U-mode traps, and M-mode is rare enough for the host.
    w.get(this.hartLocal).i32_load(S.PRIV).i32_const(PRV_S).i32_ne().br_if("csr_slow");
    if (scratch) this.csrScratch(csr);
    if (sstatus) this.csrSstatus(csr);
    w.end();
    this.helper("csr");
    w.end();
  }

  /** The operand (i64): the zero-extended 5-bit immediate, or x[rs1]. */
  private csrOperand(): void {
    const w = this.w;
    const f3 = this.field("rm");
    const rs1 = this.field("rs1");
    if (f3.value !== undefined) {
      if (f3.value & 4) w.i64_const(rs1.value ?? 0);
      else this.getX(rs1);
      return;
    }
    rs1.emit();
    w.i64_extend_i32_u();
    this.getX(rs1);
    f3.emit();
    w.i32_const(4).i32_and().select();
  }

  /**
   * Pushes whether the instruction writes (csrrw/csrrwi always, the others unless rs1/uimm is
   * 0), or returns true/false when that is known now.
   */
  private csrWrites(): boolean | undefined {
    const f3 = this.field("rm");
    const rs1 = this.field("rs1");
    if (f3.value !== undefined && rs1.value !== undefined) return (f3.value & 3) === 1 || rs1.value !== 0;
    rs1.emit();
    f3.emit();
    this.w.i32_const(3).i32_and().i32_const(1).i32_eq().i32_or();
    return undefined;
  }

  /** Pushes the written value (i64) for the old value and operand in locals. */
  private csrNewValue(old: Local, operand: Local): void {
    const w = this.w;
    const f3 = this.field("rm");
    const op = f3.value === undefined ? undefined : f3.value & 3;
    if (op === 1) return void w.get(operand);
    if (op === 2) return void w.get(old).get(operand).i64_or();
    if (op === 3) return void w.get(old).get(operand).i64_const(-1).i64_xor().i64_and();
    w.get(operand);
    w.get(old).get(operand).i64_or();
    w.get(old).get(operand).i64_const(-1).i64_xor().i64_and();
    f3.emit();
    w.i32_const(3).i32_and().i32_const(2).i32_eq().select();
    f3.emit();
    w.i32_const(3).i32_and().i32_const(1).i32_eq().select();
  }

  /** Runs `write` when the instruction writes. */
  private ifCsrWrites(write: () => void): void {
    const writes = this.csrWrites();
    if (writes === false) return;
    if (writes === undefined) this.w.if_();
    write();
    if (writes === undefined) this.w.end();
  }

  /** sscratch, sepc, scause, stval: plain registers (sepc[0] is always 0 with C). */
  private csrScratch(csr: Operand): void {
    const w = this.w;
    const addr = w.local(I32);
    const old = w.local(I64);
    const operand = w.local(I64);
    const known = csr.value;
    if (known === undefined) {
      w.block("csr_not_scratch");
      csr.emit();
      w.i32_const(CSR_SSCRATCH).i32_sub().tee(addr).i32_const(4).i32_ge_u().br_if("csr_not_scratch");
      w.get(addr).i32_const(3).i32_shl().get(this.hartLocal).i32_add().set(addr);
    } else
      w.get(this.hartLocal)
        .i32_const(8 * (known - CSR_SSCRATCH))
        .i32_add()
        .set(addr);
    w.get(addr).i64_load(S.SSCRATCH).set(old);
    this.csrOperand();
    w.set(operand);
    this.ifCsrWrites(() => {
      w.get(addr);
      this.csrNewValue(old, operand);
      // sepc: bit 0 reads as zero (IALIGN = 16)
      if (known === undefined) {
        w.i64_const(-2).i64_const(-1).get(addr).get(this.hartLocal).i32_sub().i32_const(8).i32_eq().select();
        w.i64_and();
      } else if (known === CSR_SSCRATCH + 1) w.i64_const(-2).i64_and();
      w.i64_store(S.SSCRATCH);
    });
    this.setX(this.field("rd"), () => w.get(old));
    w.br("csr_done");
    if (known === undefined) w.end();
    w.release(addr);
    w.release(old);
    w.release(operand);
  }

  /**
   * sstatus: a view of mstatus. Writes that change SIE, SPIE, SPP, FS or SUM are served
   * here (SUM moves the data TLB between the hart's two S-mode sets, mmu.ts); MXR changes
   * go to the host, which flushes the TLB. Enabling SIE asks the host to take an interrupt
   * that is pending, as a write on the slow path does.
   */
  private csrSstatus(csr: Operand): void {
    const w = this.w;
    const hart = this.hartLocal;
    const ms = w.local(I64);
    const old = w.local(I64);
    const operand = w.local(I64);
    const next = w.local(I64);
    if (csr.value === undefined) {
      w.block("csr_not_sstatus");
      csr.emit();
      w.i32_const(CSR_SSTATUS).i32_ne().br_if("csr_not_sstatus");
    }
    // Fold the FP instructions' dirty flag into FS, as Hart.getMstatus does.
    w.get(hart).i64_load(S.MSTATUS).set(ms);
    w.get(hart).i32_load(S.FS_DIRTY).if_();
    w.get(hart).get(ms).i64_const(MSTATUS.FS).i64_or().tee(ms).i64_store(S.MSTATUS);
    w.get(hart).i32_const(0).i32_store(S.FS_DIRTY);
    w.end();
    // SD summarises FS = Dirty.
    w.get(ms)
      .i64_const(SSTATUS_MASK & ~MSTATUS.SD)
      .i64_and();
    w.i64_const(MSTATUS.SD).i64_const(0);
    w.get(ms).i64_const(MSTATUS.FS).i64_and().i64_const(MSTATUS.FS).i64_eq().select();
    w.i64_or().set(old);
    this.csrOperand();
    w.set(operand);
    this.ifCsrWrites(() => {
      w.get(ms).i64_const(~SSTATUS_WRITABLE).i64_and();
      this.csrNewValue(old, operand);
      w.i64_const(SSTATUS_WRITABLE).i64_and().i64_or().set(next);
      // MXR changes what every translated load may do: the host flushes the TLB.
      w.get(next).get(ms).i64_xor().i64_const(MSTATUS.MXR).i64_and().i64_const(0).i64_ne().br_if("csr_slow");
      w.get(hart).get(next).i64_store(S.MSTATUS);
      w.get(hart).get(next).i64_const(MSTATUS.FS).i64_and().i64_eqz().i32_store(S.FS_OFF);
      // In S-mode loads and stores use set 0 (SUM = 0) or the set after it (SUM = 1).
      w.get(next).get(ms).i64_xor().i64_const(MSTATUS.SUM).i64_and().i64_const(0).i64_ne().if_();
      w.get(hart).get(hart).i32_load(S.TLB_DATA);
      w.i32_const(S.TLB_SET_BYTES).i32_const(-S.TLB_SET_BYTES);
      w.get(next).i64_const(MSTATUS.SUM).i64_and().i64_const(0).i64_ne().select();
      w.i32_add().i32_store(S.TLB_DATA);
      w.end();
    });
    this.setX(this.field("rd"), () => w.get(old));
    this.ifCsrWrites(() => {
      w.get(next)
        .get(ms)
        .i64_const(-1)
        .i64_xor()
        .i64_and()
        .i64_const(MSTATUS.SIE)
        .i64_and()
        .i64_const(0)
        .i64_ne();
      w.if_();
      this.helper("irq");
      w.end();
    });
    w.br("csr_done");
    if (csr.value === undefined) w.end();
    w.release(ms);
    w.release(old);
    w.release(operand);
    w.release(next);
  }

  /** Calls helper `name` for this instruction: on Next it goes on, else it resumes or exits. */
  helper(name: HelperName): void {
    const w = this.w;
    this.sync();
    w.get(this.hartLocal);
    this.raw();
    w.i32_store(S.INSN);
    w.get(this.hartLocal);
    this.len();
    w.i32_store(S.INSN_LEN);
    const r = w.local(I32);
    w.get(this.hartLocal).i32_const(HELPERS.indexOf(name)).call(this.fn.helper).set(r);
    this.afterHelper(name);
    w.get(r).if_();
    w.get(r).i32_const(HelperResult.Redirect).i32_eq().if_();
    this.resume();
    w.end();
    w.get(r).i32_const(HelperResult.ExitBase).i32_sub().return_();
    w.end();
    w.release(r);
  }
}
