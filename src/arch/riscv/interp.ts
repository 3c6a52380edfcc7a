// The interpreter: a wasm module generated at start-up from the instruction definitions.
// Each definition's semantics is emitted once into a handler, with operands read from the
// instruction word at run time; a br_table over opcode and funct3 dispatches to it.
import { FunctionBuilder, I32, I64, ModuleBuilder, type Local } from "../../core/wasm.js";
import {
  FIELDS,
  IMMS,
  type Bytes,
  type FieldName,
  type HelperName,
  type ImmKind,
  type InsnDef,
  type LoadKind,
  type Operand,
  type Sem,
} from "./insn.js";
import * as S from "./state.js";
import { groupByKey, KEY_MASK } from "./decode.js";

/** Memory access kinds passed to the host's slow path. */
export const LOAD_KINDS: readonly LoadKind[] = ["i8", "u8", "i16", "u16", "i32", "u32", "i64"];
const LOAD_BYTES: Record<LoadKind, Bytes> = { i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8 };
/** Size and signedness by LOAD_KINDS index (the `kind` the load slow path receives). */
export const LOAD_KIND_BYTES: readonly number[] = LOAD_KINDS.map((k) => LOAD_BYTES[k]);
export const LOAD_KIND_SIGNED: readonly boolean[] = LOAD_KINDS.map((k) => k.startsWith("i"));
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
];

/** Helper results: continue with the next instruction, continue at the pc in the state, or exit. */
export const enum HelperResult {
  Next = 0,
  Redirect = 1,
  ExitBase = 2, // ExitBase + Exit reason
}

/** Host functions the interpreter imports (module "host"). */
export interface InterpImports {
  /** Load of `kind` at the address in SCRATCH; value to SCRATCH. Returns 0, or 1 when a trap was taken. */
  load(hart: number, kind: number): number;
  /** Store of `bytes` of SCRATCH2 at the address in SCRATCH. Returns 0, or 1 when a trap was taken. */
  store(hart: number, bytes: number): number;
  /** Host address of an aligned atomic access (SCRATCH in, SCRATCH out). 0 ok, 1 trapped. */
  translate(hart: number, bytesAndAccess: number): number;
  /** Fetches the instruction at PC into SCRATCH (raw bits). 0 ok, 1 trapped. */
  fetch(hart: number): number;
  /** Raises exception `cause` with tval in SCRATCH at PC. */
  raise(hart: number, cause: number): void;
  /** Serves helper `which` (index into HELPERS) for the instruction in INSN at PC. */
  helper(hart: number, which: number): number;
}

const ILLEGAL_INSTRUCTION = 2;

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
export const PERM_TABLE_BYTES = 1 << 20;

interface Ctx {
  w: FunctionBuilder;
  hart: Local;
  pc: Local;
  insn: Local;
  raw: Local;
  len: Local;
  budget: Local;
  fpage: Local;
  fbase: Local;
  fn: Record<keyof InterpImports, number>;
  mem: MemStrategy;
}

/** Saves what host helpers may read: pc and the remaining budget. */
function sync(c: Ctx): void {
  c.w.get(c.hart).get(c.pc).i64_store(S.PC);
  c.w.get(c.hart).get(c.budget).i32_store(S.BUDGET);
}

/** After a trap the host has set the new pc (and maybe privilege): resume there. */
function resume(c: Ctx): void {
  c.w.get(c.hart).i64_load(S.PC).set(c.pc);
  c.w.i64_const(-1).set(c.fpage);
  c.w.br("next");
}

class InterpSem implements Sem {
  readonly w: FunctionBuilder;
  constructor(private readonly c: Ctx) {
    this.w = c.w;
  }
  hart(): void {
    this.w.get(this.c.hart);
  }
  field(name: FieldName): Operand {
    const f = FIELDS[name];
    const w = this.w;
    const insn = this.c.insn;
    return {
      value: undefined,
      emit: () =>
        void w
          .get(insn)
          .i32_const(f.lo)
          .i32_shr_u()
          .i32_const((1 << f.bits) - 1)
          .i32_and(),
    };
  }
  imm(kind: ImmKind): void {
    const w = this.w;
    let first = true;
    for (const [hi, lo, immLo] of IMMS[kind]) {
      w.get(this.c.insn).i32_const(lo);
      if (hi === 31 && kind !== "Z") w.i32_shr_s();
      else
        w.i32_shr_u()
          .i32_const((1 << (hi - lo + 1)) - 1)
          .i32_and();
      if (immLo) w.i32_const(immLo).i32_shl();
      if (!first) w.i32_or();
      first = false;
    }
    w.i64_extend_i32_s();
  }
  private regAddr(r: Operand): void {
    this.w.get(this.c.hart);
    r.emit();
    this.w.i32_const(3).i32_shl().i32_add();
  }
  getX(r: Operand): void {
    this.regAddr(r);
    this.w.i64_load(S.X);
  }
  setX(r: Operand, value: () => void): void {
    this.regAddr(r);
    value();
    this.w.i64_store(S.X); // x0 is re-zeroed before every instruction
  }
  getFBits(r: Operand): void {
    this.regAddr(r);
    this.w.i64_load(S.F);
  }
  setFBits(r: Operand, value: () => void): void {
    this.regAddr(r);
    value();
    this.w.i64_store(S.F);
  }
  pc(): void {
    this.w.get(this.c.pc);
  }
  nextPc(): void {
    this.w.get(this.c.pc).get(this.c.len).i64_extend_i32_u().i64_add();
  }
  jump(target: () => void): void {
    target();
    this.w.set(this.c.pc).br("next");
  }
  /** Pushes the address of the TLB entry for the virtual address in `va` (i64 local). */
  private tlbEntry(va: Local, set: number): void {
    const w = this.w;
    w.get(this.c.hart).i32_load(set);
    w.get(va)
      .i64_const(12)
      .i64_shr_u()
      .i32_wrap_i64()
      .i32_const(S.TLB_ENTRIES - 1)
      .i32_and();
    w.i32_const(Math.log2(S.TLB_ENTRY_BYTES)).i32_shl().i32_add();
  }
  /** Pushes whether the access hits the fast path (i32). */
  private probe(va: Local, bytes: number, tag: number, entry: Local, aligned = false): void {
    const w = this.w;
    const mem = this.c.mem;
    if (mem.kind === "flat") {
      permitted(w, va, mem.permTable, tag === S.TLB_WRITE ? PAGE_W : PAGE_R);
      if (bytes > 1) {
        // the access stays within its page (page-crossing ones take the slow path) ...
        w.get(va)
          .i32_wrap_i64()
          .i32_const(0xfff)
          .i32_and()
          .i32_const(4096 - bytes)
          .i32_le_u()
          .i32_and();
        // ... and, for atomics, is naturally aligned
        if (aligned)
          w.get(va)
            .i32_wrap_i64()
            .i32_const(bytes - 1)
            .i32_and()
            .i32_eqz()
            .i32_and();
      }
      return;
    }
    this.tlbEntry(va, S.TLB_DATA);
    w.tee(entry).i64_load(tag);
    w.get(va)
      .i64_const(BigInt.asIntN(64, ~0xfffn | BigInt(bytes - 1)))
      .i64_and();
    w.i64_eq();
  }
  /** After a hit: pushes the host address (i32) of `va`. */
  private hostAddr(va: Local, entry: Local): void {
    const w = this.w;
    const mem = this.c.mem;
    w.get(va).i32_wrap_i64();
    if (mem.kind === "flat") {
      if (mem.hostOffset !== 0) w.i32_const(mem.hostOffset).i32_add();
    } else w.get(entry).i32_load(S.TLB_ADDEND).i32_add();
  }
  load(kind: LoadKind, addr: () => void): void {
    const w = this.w;
    const c = this.c;
    const va = w.local(I64);
    const entry = w.local(I32);
    addr();
    w.set(va);
    w.block("ld", I64);
    this.probe(va, LOAD_BYTES[kind], S.TLB_READ, entry);
    w.if_();
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
    sync(c);
    w.get(c.hart).get(va).i64_store(S.SCRATCH);
    w.get(c.hart).i32_const(LOAD_KINDS.indexOf(kind)).call(c.fn.load);
    w.if_();
    resume(c);
    w.end();
    w.get(c.hart).i64_load(S.SCRATCH);
    w.end();
    w.release(va);
    w.release(entry);
  }
  store(bytes: Bytes, addr: () => void, value: () => void): void {
    const w = this.w;
    const c = this.c;
    const va = w.local(I64);
    const v = w.local(I64);
    const entry = w.local(I32);
    addr();
    w.set(va);
    value();
    w.set(v);
    w.block("st");
    this.probe(va, bytes, S.TLB_WRITE, entry);
    w.if_();
    this.hostAddr(va, entry);
    w.get(v);
    switch (bytes) {
      case 1: w.i64_store8(); break;
      case 2: w.i64_store16(); break;
      case 4: w.i64_store32(); break;
      case 8: w.i64_store(); break;
    } // prettier-ignore
    w.br("st").end();
    sync(c);
    w.get(c.hart).get(va).i64_store(S.SCRATCH);
    w.get(c.hart).get(v).i64_store(S.SCRATCH2);
    w.get(c.hart).i32_const(bytes).call(c.fn.store);
    w.if_();
    resume(c);
    w.end();
    w.end();
    w.release(va);
    w.release(v);
    w.release(entry);
  }
  translate(bytes: 4 | 8, access: "load" | "store", addr: () => void): void {
    const w = this.w;
    const c = this.c;
    const va = w.local(I64);
    const entry = w.local(I32);
    addr();
    w.set(va);
    w.block("tr", I32);
    this.probe(va, bytes, access === "load" ? S.TLB_READ : S.TLB_WRITE, entry, true);
    w.if_();
    this.hostAddr(va, entry);
    w.br("tr").end();
    sync(c);
    w.get(c.hart).get(va).i64_store(S.SCRATCH);
    w.get(c.hart)
      .i32_const(bytes | (access === "store" ? 0x100 : 0))
      .call(c.fn.translate);
    w.if_();
    resume(c);
    w.end();
    w.get(c.hart).i32_load(S.SCRATCH);
    w.end();
    w.release(va);
    w.release(entry);
  }
  raise(cause: number, tval: () => void): void {
    const c = this.c;
    const w = this.w;
    sync(c);
    w.get(c.hart);
    tval();
    w.i64_store(S.SCRATCH);
    w.get(c.hart).i32_const(cause).call(c.fn.raise);
    resume(c);
  }
  helper(name: HelperName): void {
    const c = this.c;
    const w = this.w;
    sync(c);
    w.get(c.hart).get(c.raw).i32_store(S.INSN);
    w.get(c.hart).get(c.len).i32_store(S.INSN_LEN);
    const r = w.local(I32);
    w.get(c.hart).i32_const(HELPERS.indexOf(name)).call(c.fn.helper).tee(r);
    w.i64_const(-1).set(c.fpage); // privilege or translation may have changed
    w.get(c.hart).i32_load(S.BUDGET).set(c.budget);
    w.if_();
    w.get(r).i32_const(HelperResult.Redirect).i32_eq().if_();
    resume(c);
    w.end();
    w.get(r).i32_const(HelperResult.ExitBase).i32_sub();
    w.return_();
    w.end();
    w.release(r);
  }
  requireFs(): void {
    const w = this.w;
    w.get(this.c.hart).i32_load(S.FS_OFF).if_();
    this.raise(ILLEGAL_INSTRUCTION, () => w.get(this.c.raw).i64_extend_i32_u());
    w.end();
  }
  fsDirty(): void {
    this.w.get(this.c.hart).i32_const(1).i32_store(S.FS_DIRTY);
  }
}

/** Builds the interpreter module: `run(hart: i32, budget: i32) -> exit reason`. */
export function buildInterpreter(
  defs: readonly InsnDef[],
  ctableOffset: number,
  memPages: number,
  shared: boolean,
  mem: MemStrategy = { kind: "tlb" },
): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memPages, 65536, shared);
  const fn = {
    load: m.importFunc("host", "load", [I32, I32], [I32]),
    store: m.importFunc("host", "store", [I32, I32], [I32]),
    translate: m.importFunc("host", "translate", [I32, I32], [I32]),
    fetch: m.importFunc("host", "fetch", [I32], [I32]),
    raise: m.importFunc("host", "raise", [I32, I32], []),
    helper: m.importFunc("host", "helper", [I32, I32], [I32]),
  };
  const [, w] = m.func([I32, I32], [I32], "run");
  const c: Ctx = {
    w,
    hart: w.param(0),
    budget: w.param(1),
    pc: w.local(I64),
    insn: w.local(I32),
    raw: w.local(I32),
    len: w.local(I32),
    fpage: w.local(I64),
    fbase: w.local(I32),
    fn,
    mem,
  };
  w.get(c.hart).i64_load(S.PC).set(c.pc);
  w.i64_const(-1).set(c.fpage);
  w.loop("next");
  // x0 is hard-wired to zero: handlers may write it, so clear it before every instruction.
  w.get(c.hart).i64_const(0).i64_store(S.X);
  // Slice end or a stop request from the host: save the pc and return.
  w.get(c.budget).i32_const(1).i32_sub().tee(c.budget).i32_const(0).i32_lt_s();
  w.get(c.hart).i32_load(S.STOP).i32_or();
  w.if_();
  w.get(c.hart).get(c.pc).i64_store(S.PC);
  // The decrement above was for an instruction that did not run: undo it.
  w.get(c.hart).get(c.budget).i32_const(1).i32_add().i32_store(S.BUDGET);
  w.get(c.hart).i32_load(S.STOP).i32_const(0).i32_ne().return_();
  w.end();
  emitFetch(c, ctableOffset);
  emitDispatch(c, defs);
  w.end(); // loop
  w.unreachable();
  return m.encode();
}

/** Fetch through a one-page cache in locals, backed by the fetch TLB, then the host. */
/** Pushes whether the page of `va` (i64 local) allows `need`: the address is below 4 GiB and its page byte has the bit. */
function permitted(w: FunctionBuilder, va: Local, table: number, need: number): void {
  w.get(va).i64_const(32).i64_shr_u().i64_eqz();
  w.get(va).i64_const(12).i64_shr_u().i32_wrap_i64().i32_const(0xfffff).i32_and().i32_load8_u(table);
  w.i32_const(need).i32_and().i32_const(0).i32_ne().i32_and();
}

function emitFetch(c: Ctx, ctableOffset: number): void {
  const w = c.w;
  const host = w.local(I32);
  const entry = w.local(I32);
  w.block("fetched");
  w.block("slow");
  const mem = c.mem;
  // The page of the last fetch is cached in locals; a new page is checked once.
  w.get(c.pc).i64_const(-4096).i64_and().get(c.fpage).i64_ne();
  w.if_();
  if (mem.kind === "flat") {
    // user mode: the page must be executable
    permitted(w, c.pc, mem.permTable, PAGE_X);
    w.i32_eqz().br_if("slow");
    w.i32_const(mem.hostOffset).set(c.fbase);
  } else {
    // the fetch TLB
    w.get(c.hart).i32_load(S.TLB_FETCH);
    w.get(c.pc)
      .i64_const(12)
      .i64_shr_u()
      .i32_wrap_i64()
      .i32_const(S.TLB_ENTRIES - 1)
      .i32_and();
    w.i32_const(Math.log2(S.TLB_ENTRY_BYTES)).i32_shl().i32_add().tee(entry);
    w.i64_load(S.TLB_EXEC).get(c.pc).i64_const(-4096).i64_and().i64_ne().br_if("slow");
    w.get(entry).i32_load(S.TLB_ADDEND).set(c.fbase);
  }
  w.get(c.pc).i64_const(-4096).i64_and().set(c.fpage);
  w.end();
  w.get(c.pc).i32_wrap_i64().get(c.fbase).i32_add().tee(host).i32_load16_u().tee(c.raw);
  w.i32_const(3).i32_and().i32_const(3).i32_eq();
  w.if_();
  // A 32-bit instruction in the last two bytes of a page continues on the next page.
  w.get(c.pc).i32_wrap_i64().i32_const(0xfff).i32_and().i32_const(0xffe).i32_eq().br_if("slow");
  w.get(host).i32_load(0, 1).tee(c.raw).set(c.insn);
  w.i32_const(4).set(c.len);
  w.else_();
  w.get(c.raw).i32_const(2).i32_shl().i32_load(ctableOffset).set(c.insn);
  w.i32_const(2).set(c.len);
  w.end();
  w.br("fetched");
  w.end(); // slow
  sync(c);
  w.get(c.hart).call(c.fn.fetch).if_();
  resume(c);
  w.end();
  w.get(c.hart).i32_load(S.SCRATCH).tee(c.raw).i32_const(3).i32_and().i32_const(3).i32_eq();
  w.if_();
  w.get(c.raw).set(c.insn);
  w.i32_const(4).set(c.len);
  w.else_();
  w.get(c.raw)
    .i32_const(0xffff)
    .i32_and()
    .tee(c.raw)
    .i32_const(2)
    .i32_shl()
    .i32_load(ctableOffset)
    .set(c.insn);
  w.i32_const(2).set(c.len);
  w.end();
  w.end(); // fetched
  w.release(host);
  w.release(entry);
}

function emitDispatch(c: Ctx, defs: readonly InsnDef[]): void {
  const w = c.w;
  const groups = groupByKey(defs);
  const handlerLabel = (i: number) => `h${i}`;
  const index = new Map(defs.map((d, i) => [d, i]));
  // A group whose only candidate is fully identified by the key dispatches straight to it.
  const direct = (g: InsnDef[]) => g.length === 1 && (g[0].mask & ~KEY_MASK) === 0;
  const groupTarget = groups.map((g, k) =>
    g.length === 0 ? "illegal" : direct(g) ? handlerLabel(index.get(g[0])!) : `g${k}`,
  );
  const checked = groups.map((g, k) => [g, k] as const).filter(([g]) => g.length > 0 && !direct(g));

  w.block("illegal");
  for (let i = defs.length - 1; i >= 0; i--) w.block(handlerLabel(i));
  for (let i = checked.length - 1; i >= 0; i--) w.block(`g${checked[i][1]}`);
  w.get(c.insn).i32_const(2).i32_shr_u().i32_const(0x1f).i32_and();
  w.get(c.insn).i32_const(7).i32_shr_u().i32_const(0xe0).i32_and().i32_or();
  w.br_table(groupTarget, "illegal");
  for (const [g] of checked) {
    w.end();
    for (const d of g) {
      if ((d.mask & ~KEY_MASK) === 0) {
        w.br(handlerLabel(index.get(d)!));
        break;
      }
      w.get(c.insn)
        .i32_const(d.mask | 0)
        .i32_and()
        .i32_const(d.match | 0)
        .i32_eq();
      w.br_if(handlerLabel(index.get(d)!));
    }
    w.br("illegal");
  }
  const sem = new InterpSem(c);
  for (const d of defs) {
    w.end();
    d.exec(sem);
    w.get(c.pc).get(c.len).i64_extend_i32_u().i64_add().set(c.pc);
    w.br("next");
  }
  w.end(); // illegal
  sem.raise(ILLEGAL_INSTRUCTION, () => w.get(c.raw).i64_extend_i32_u());
}
