// The half of `Sem` that the interpreter and the recompiler share: memory accesses (the TLB
// or the flat strategy, with their host slow paths), exceptions, host helpers and the FPU
// guard. The subclasses supply what differs: where operands come from (the instruction word
// at run time, or constants at translation time), how the pc is kept, and what happens after
// the host has taken a trap.
import type { FunctionBuilder, Local, ModuleBuilder } from "../../core/wasm.js";
import { I32, I64 } from "../../core/wasm.js";
import type { Bytes, FieldName, HelperName, ImmKind, LoadKind, Operand, Sem } from "./insn.js";
import { SupervisorPaths } from "./sem-supervisor.js";
import * as S from "./state.js";

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
  "pause",
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
  /** Writes the time CSR's value (timebase ticks) to SCRATCH. */
  now: number;
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
    now: m.importFunc("host", "now", [I32], []),
  };
}

/**
 * Pushes whether the page of `va` (i64 local) allows `need` on the fast path: the address is
 * below 4 GiB and its page byte has the bit. A store also needs PAGE_CODE clear: a page with
 * translated code takes stores on the slow path, which drops the translations first.
 */
export function permitted(w: FunctionBuilder, va: Local, table: number, need: number): void {
  const mask = need & PAGE_W ? need | PAGE_CODE : need;
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
  ) {
    this.supervisor = new SupervisorPaths({
      w,
      hart: hartLocal,
      now: fn.now,
      field: (name) => this.field(name),
      getX: (r) => this.getX(r),
      setX: (r, value) => this.setX(r, value),
      pc: () => this.pc(),
      helper: (name) => this.helper(name),
      sync: () => this.sync(),
      resume: () => this.resume(),
    });
  }
  private readonly supervisor: SupervisorPaths;

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
      w.get(va).i64_const(32).i64_shr_u().i32_wrap_i64().rarely().br_if(slow);
      // The table's offset is added in i32 arithmetic, not as the load's offset: above 2 GiB it
      // fits no x64 displacement, and TurboFan then kept it in a register across the
      // interpreter's whole loop.
      w.get(va).i32_wrap_i64().tee(entry).i32_const(12).i32_shr_u();
      w.i32_const(mem.permTable).i32_add().i32_load8_u(0);
      // A load needs PAGE_R; a store PAGE_W without PAGE_CODE (see permitted).
      if (tag === S.TLB_WRITE)
        w.i32_const(PAGE_W | PAGE_CODE)
          .i32_and()
          .i32_const(PAGE_W)
          .i32_ne()
          .rarely()
          .br_if(slow);
      else w.i32_const(PAGE_R).i32_and().i32_eqz().rarely().br_if(slow);
      if (bytes > 1) {
        // the access stays within its page (page-crossing ones take the slow path) ...
        w.get(entry)
          .i32_const(0xfff)
          .i32_and()
          .i32_const(4096 - bytes)
          .i32_gt_u()
          .rarely()
          .br_if(slow);
        // ... and, for atomics, is naturally aligned
        if (aligned)
          w.get(entry)
            .i32_const(bytes - 1)
            .i32_and()
            .rarely()
            .br_if(slow);
      }
      return;
    }
    this.tlbEntry(va, S.TLB_DATA);
    w.tee(entry).i64_load(tag);
    w.get(va)
      .i64_const(-4096 | (bytes - 1)) // the page, and the bits that must be 0 for alignment
      .i64_and();
    w.i64_ne().rarely().br_if(slow);
  }
  /**
   * For a load or store that missed the fast path: emits a leave and says so (a translation's
   * choice: the interpreter then serves the access), or says the host is to serve it here.
   */
  protected leftOnMiss(): boolean {
    return false;
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
    if (!this.leftOnMiss()) {
      this.sync();
      w.get(this.hartLocal).get(va).i64_store(S.SCRATCH);
      w.get(this.hartLocal).i32_const(LOAD_KINDS.indexOf(kind)).call(this.fn.load);
      w.rarely().if_();
      this.resume();
      w.end();
      w.get(this.hartLocal).i64_load(S.SCRATCH);
    }
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
    if (!this.leftOnMiss()) {
      this.sync();
      w.get(this.hartLocal).get(va).i64_store(S.SCRATCH);
      w.get(this.hartLocal).get(v).i64_store(S.SCRATCH2);
      w.get(this.hartLocal).i32_const(bytes).call(this.fn.store);
      w.rarely().if_();
      this.resume();
      w.end();
    }
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
    // As for a store: an atomic that writes translated code (user mode's miss) leaves, or the
    // translation would go on into the code it changed when that code is inside it.
    if (!this.leftOnMiss()) {
      this.sync();
      w.get(this.hartLocal).get(va).i64_store(S.SCRATCH);
      w.get(this.hartLocal)
        .i32_const(bytes | (access === "store" ? 0x100 : 0))
        .call(this.fn.translate);
      w.rarely().if_();
      this.resume();
      w.end();
      w.get(this.hartLocal).i32_load(S.SCRATCH);
    }
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
    w.get(this.hartLocal).i32_load(S.FS_OFF).rarely().if_();
    this.raise(ILLEGAL_INSTRUCTION, () => {
      this.raw();
      w.i64_extend_i32_u();
    });
    w.end();
  }
  fsDirty(): void {
    this.w.get(this.hartLocal).i32_const(1).i32_store(S.FS_DIRTY);
  }

  /** Zicsr: the supervisor's frequent CSRs in wasm, the others on the host (sem-supervisor.ts). */
  csr(): void {
    this.supervisor.csr();
  }
  /** ecall: a system call from U-mode into S-mode in wasm, the others on the host. */
  ecall(): void {
    this.supervisor.ecall();
  }
  /** sret: from S-mode in wasm, unless an interrupt may have to be taken after it. */
  sret(): void {
    this.supervisor.sret();
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
    w.get(r).rarely().if_();
    w.get(r).i32_const(HelperResult.Redirect).i32_eq().if_();
    this.resume();
    w.end();
    w.get(r).i32_const(HelperResult.ExitBase).i32_sub().return_();
    w.end();
    w.release(r);
  }
}
