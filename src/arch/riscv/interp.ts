// The interpreter: a wasm module generated at start-up from the instruction definitions.
// Each definition's semantics is emitted once into a handler, with operands read from the
// instruction word at run time; a br_table over opcode and funct3 dispatches to it.
import { F32, FunctionBuilder, I32, I64, ModuleBuilder, type Local } from "../../core/wasm.js";
import { FIELDS, IMMS, type FieldName, type ImmKind, type InsnDef, type Operand } from "./insn.js";
import * as S from "./state.js";
import { groupByKey, KEY_MASK } from "./decode.js";
import {
  AccessSem,
  importHostFns,
  ILLEGAL_INSTRUCTION,
  LOAD_BYTES,
  LOAD_KINDS,
  PAGE_X,
  permitted,
  type HostFns,
  type MemStrategy,
} from "./sem.js";
import {
  emitCanRunOrAsk,
  emitCountReuse,
  emitSlot,
  JIT_SLOTS,
  JIT_STEP,
  type JitLayout,
  type ReuseCounter,
} from "../../core/jit/table.js";
import { countsEntry, emitCountJump } from "../../core/jit/hotness.js";
import { codeKey } from "./code-memory.js";

/** Size and signedness by LOAD_KINDS index (the `kind` the load slow path receives). */
export const LOAD_KIND_BYTES: readonly number[] = LOAD_KINDS.map((k) => LOAD_BYTES[k]);
export const LOAD_KIND_SIGNED: readonly boolean[] = LOAD_KINDS.map((k) => k.startsWith("i"));

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
  /** Writes the time CSR's value (timebase ticks) to SCRATCH. */
  now(hart: number): void;
}

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
  fn: HostFns;
  mem: MemStrategy;
  /** Translation table and the compile import, when the recompiler is on. */
  jit: { layout: JitLayout; threshold: number; compile: number; blockType: number; slot: Local } | undefined;
}

/** The recompiler's part of the interpreter: where its table is, and the hotness threshold (hotness.ts). */
export interface InterpJit {
  readonly layout: JitLayout;
  readonly threshold: number;
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
  if (c.jit && countsEntry(c.jit.threshold)) countJump(c, c.jit); // a trap vector, at first sight
  c.w.br("jumped");
}

/** Operands come from the instruction word at run time; the pc lives in a local. */
class InterpSem extends AccessSem {
  constructor(private readonly c: Ctx) {
    super(c.w, c.hart, c.mem, c.fn);
  }
  /** Where each register field operand sits in the instruction word. */
  private readonly fieldLo = new WeakMap<Operand, number>();
  field(name: FieldName): Operand {
    const f = FIELDS[name];
    const w = this.w;
    const insn = this.c.insn;
    const operand = {
      value: undefined,
      emit: () =>
        void w
          .get(insn)
          .i32_const(f.lo)
          .i32_shr_u()
          .i32_const((1 << f.bits) - 1)
          .i32_and(),
    };
    if (f.bits === 5 && f.lo >= 3) this.fieldLo.set(operand, f.lo);
    return operand;
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
  /** Pushes the address of register `r` (8 bytes each) in the hart's state. */
  private regAddr(r: Operand): void {
    this.w.get(this.c.hart);
    const lo = this.fieldLo.get(r);
    // A register field is scaled by 8 as it is extracted: one shift, not two.
    if (lo !== undefined)
      this.w
        .get(this.c.insn)
        .i32_const(lo - 3)
        .i32_shr_u()
        .i32_const(0x1f << 3)
        .i32_and();
    else {
      r.emit();
      this.w.i32_const(3).i32_shl();
    }
    this.w.i32_add();
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
    this.w.set(this.c.pc);
    if (this.c.jit) countJump(this.c, this.c.jit);
    this.w.br("jumped");
  }
  protected sync(): void {
    sync(this.c);
  }
  protected resume(): void {
    resume(this.c);
  }
  protected raw(): void {
    this.w.get(this.c.raw);
  }
  protected len(): void {
    this.w.get(this.c.len);
  }
  protected afterHelper(): void {
    this.w.i64_const(-1).set(this.c.fpage); // privilege or translation may have changed
    this.w.get(this.c.hart).i32_load(S.BUDGET).set(this.c.budget);
  }
}

/**
 * Builds the interpreter module: `run(hart: i32, budget: i32) -> exit reason`. With `jit`,
 * it counts taken jumps by target, asks the host (`compile`) to translate hot targets, and
 * runs translations found in the table (core/jit) instead of interpreting.
 */
export function buildInterpreter(
  defs: readonly InsnDef[],
  ctableOffset: number,
  memPages: number,
  shared: boolean,
  mem: MemStrategy = { kind: "tlb" },
  jit?: InterpJit,
): Uint8Array {
  const m = new ModuleBuilder("interpreter");
  m.importMemory("env", "memory", memPages, 65536, shared);
  if (jit) m.importTable("env", "table", JIT_SLOTS);
  const fn = importHostFns(m);
  const compile = jit ? m.importFunc("host", "compile", [I32], []) : -1;
  const blockType = m.funcType([I32, I32], [I32]);
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
    jit: jit ? { ...jit, compile, blockType, slot: w.local(I32) } : undefined,
  };
  w.get(c.hart).i64_load(S.PC).set(c.pc);
  w.i64_const(-1).set(c.fpage);
  // At first sight where a run starts (an entry point) is reached too. Counted on every run,
  // it asks again only every JIT_RETRY runs.
  if (c.jit && countsEntry(c.jit.threshold)) countJump(c, c.jit);
  // Control arrives here at the start, by a jump and after a trap: where a stop request from
  // the host is seen (it asks for an exit soon, and straight-line code ends in a jump), and
  // where a translation may take over. Straight-line code goes on at "next".
  w.loop("jumped");
  const firstTemp = w.localCount;
  w.get(c.budget).i32_const(1).i32_lt_s().get(c.hart).i32_load(S.STOP).i32_or();
  w.rarely().if_();
  emitExit(c);
  w.end();
  if (c.jit) emitRunTranslation(c, c.jit);
  w.loop("next");
  const loopTop = w.code.length;
  // Slice end: save the pc and return.
  w.get(c.budget).i32_const(1).i32_lt_s();
  w.rarely().if_();
  emitExit(c);
  w.end();
  w.get(c.budget).i32_const(1).i32_sub().set(c.budget);
  // x0 is hard-wired to zero: handlers may write it, so clear it before every instruction.
  w.get(c.hart).i64_const(0).i64_store(S.X);
  emitFetch(c, ctableOffset);
  emitDispatch(c, defs);
  w.end(); // next
  w.end(); // jumped
  w.unreachable();
  w.insert([{ at: loopTop, bytes: clearTemps(w.localsSince(firstTemp)) }]);
  return m.encode();
}

/** Saves pc and the budget left, and returns: with 1 when the host asked for a stop. */
function emitExit(c: Ctx): void {
  c.w.get(c.hart).get(c.pc).i64_store(S.PC);
  c.w.get(c.hart).get(c.budget).i32_store(S.BUDGET);
  c.w.get(c.hart).i32_load(S.STOP).i32_const(0).i32_ne().return_();
}

/**
 * Code that sets each temporary to zero. At the top of the loop it ends every temporary's
 * life there: a handler that reads one on a path where it did not set it (harmless to the
 * guest) would otherwise make the optimizing compiler carry it around the loop, and with
 * each such value the loop's own state (pc, budget, fetch page) moves from registers to the
 * stack. The zeros cost nothing there (constants), and the loop then carries only that state.
 */
function clearTemps(temps: readonly Local[]): Uint8Array {
  const z = new FunctionBuilder([], []);
  for (const t of temps) {
    if (t.type === I32) z.i32_const(0);
    else if (t.type === I64) z.i64_const(0);
    else if (t.type === F32) z.f32_const(0);
    else z.f64_const(0);
    z.set(t);
  }
  return z.code.view().slice();
}

/** A taken jump to pc: count it against its target; the count that makes it hot asks for a translation. */
function countJump(c: Ctx, jit: NonNullable<Ctx["jit"]>): void {
  emitCountJump(c.w, jit.layout, c.pc, jit.slot, jit.threshold, () => {
    c.w.get(c.hart).get(c.pc).i64_store(S.PC);
    c.w.get(c.hart).call(jit.compile);
  });
}

const REUSE_COUNTER: ReuseCounter = { switched: S.JIT_SWITCHED, reused: S.JIT_REUSED };

/** At a jump target: a translation of the code at pc runs instead of the interpreter, when there is one. */
function emitRunTranslation(c: Ctx, jit: NonNullable<Ctx["jit"]>): void {
  const w = c.w;
  const r = w.local(I32);
  const counter = w.local(I32);
  w.block("interpret"); // a side exit: the interpreter runs the next instruction
  emitSlot(w, c.pc);
  w.set(jit.slot);
  const at = { slot: jit.slot, pc: c.pc, budget: c.budget, hart: c.hart };
  emitCanRunOrAsk(w, jit.layout, at, codeKey(c.mem), () => {
    w.get(c.hart).get(c.pc).i64_store(S.PC);
    w.get(c.hart).call(jit.compile);
  });
  w.if_();
  // Instructions run translated, counted by the privilege entered at (statistics and tests).
  w.get(c.hart).i32_load(S.PRIV).i32_const(3).i32_shl().get(c.hart).i32_add().set(counter);
  emitCountReuse(w, jit.layout, { slot: jit.slot, hart: c.hart }, REUSE_COUNTER);
  w.get(c.hart).get(c.budget).get(jit.slot).call_indirect(jit.blockType).set(r);
  w.get(counter).get(counter).i64_load(S.JIT_INSNS);
  w.get(c.budget).get(c.hart).i32_load(S.BUDGET).i32_sub().i64_extend_i32_s().i64_add();
  w.i64_store(S.JIT_INSNS);
  w.get(r).i32_const(0).i32_ge_s().if_();
  w.get(r).return_(); // an exit reason; the translation saved pc and budget
  w.end();
  w.get(c.hart).i64_load(S.PC).set(c.pc);
  w.get(c.hart).i32_load(S.BUDGET).set(c.budget);
  w.i64_const(-1).set(c.fpage);
  w.get(r).i32_const(JIT_STEP).i32_eq().br_if("interpret");
  // Where a translation leaves is a jump target too: count it, or code reached only from
  // translations would never be translated.
  countJump(c, jit);
  w.br("jumped");
  w.end();
  w.end(); // interpret
  w.release(r);
  w.release(counter);
}

/**
 * The fetched bits (i32, on the stack) to raw, insn and len: a 32-bit instruction as it is,
 * a compressed one (the low half) through the expansion table.
 */
function emitExpand(c: Ctx, ctableOffset: number): void {
  const w = c.w;
  w.tee(c.raw).i32_const(3).i32_and().i32_const(3).i32_eq();
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
}

/** Fetch through a one-page cache in locals, backed by the fetch TLB, then the host. */
function emitFetch(c: Ctx, ctableOffset: number): void {
  const w = c.w;
  const host = w.local(I32);
  const entry = w.local(I32);
  w.block("fetched");
  w.block("slow");
  const mem = c.mem;
  // The page of the last fetch is cached in locals; a new page is checked once.
  w.get(c.pc).i64_const(-4096).i64_and().get(c.fpage).i64_ne();
  w.rarely().if_();
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
  w.get(c.pc).i32_wrap_i64().get(c.fbase).i32_add().set(host);
  w.block("page_end");
  // Four bytes at once, unless only two are left on the page.
  w.get(c.pc).i32_wrap_i64().i32_const(0xfff).i32_and().i32_const(0xffe).i32_eq().rarely().br_if("page_end");
  w.get(host).i32_load(0, 1);
  emitExpand(c, ctableOffset);
  w.br("fetched");
  w.end(); // page_end
  // A 32-bit instruction in the last two bytes of a page continues on the next page.
  w.get(host).i32_load16_u().tee(c.raw).i32_const(3).i32_and().i32_const(3).i32_eq().br_if("slow");
  w.get(c.raw).i32_const(2).i32_shl().i32_load(ctableOffset).set(c.insn);
  w.i32_const(2).set(c.len);
  w.br("fetched");
  w.end(); // slow
  sync(c);
  w.get(c.hart).call(c.fn.fetch).if_();
  resume(c);
  w.end();
  w.get(c.hart).i32_load(S.SCRATCH);
  emitExpand(c, ctableOffset);
  w.end(); // fetched
  w.release(host);
  w.release(entry);
}

/** Bits 31:25: funct7 (R-type), funct5 with aq and rl (AMO), funct5 with fmt (OP-FP). */
const F7_MASK = 0xfe000000;
/** A group with more candidates than this is dispatched again, by bits 31:25, before checking them one by one. */
const MAX_CHECKS = 3;

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
  // A large group (OP-FP has 37 candidates, fadd.d the last) is split by bits 31:25 first.
  const emitByFunct7 = (g: readonly InsnDef[], label: string) => {
    const known = (KEY_MASK | F7_MASK) >>> 0;
    const subs: InsnDef[][] = [];
    const subOf = Array.from({ length: 128 }, (_, f7) => {
      const bits = (f7 << 25) >>> 0;
      const sub = g.filter((d) => ((bits ^ d.match) & d.mask & F7_MASK) === 0);
      const same = subs.findIndex((o) => o.length === sub.length && o.every((d, i) => d === sub[i]));
      return same >= 0 ? same : subs.push(sub) - 1;
    });
    const subDirect = (sub: InsnDef[]) => sub.length === 1 && (sub[0].mask & ~known) === 0;
    const target = (i: number) =>
      subs[i].length === 0
        ? "illegal"
        : subDirect(subs[i])
          ? handlerLabel(index.get(subs[i][0])!)
          : `${label}.${i}`;
    const checkedSubs = subs
      .map((sub, i) => [sub, i] as const)
      .filter(([sub]) => sub.length > 0 && !subDirect(sub));
    for (let i = checkedSubs.length - 1; i >= 0; i--) w.block(`${label}.${checkedSubs[i][1]}`);
    w.get(c.insn).i32_const(25).i32_shr_u();
    w.br_table(subOf.map(target), "illegal");
    for (const [sub] of checkedSubs) {
      w.end();
      emitChecks(sub, known);
    }
  };

  w.block("illegal");
  for (let i = defs.length - 1; i >= 0; i--) w.block(handlerLabel(i));
  for (let i = checked.length - 1; i >= 0; i--) w.block(`g${checked[i][1]}`);
  w.get(c.insn).i32_const(2).i32_shr_u().i32_const(0x1f).i32_and();
  w.get(c.insn).i32_const(7).i32_shr_u().i32_const(0xe0).i32_and().i32_or();
  w.br_table(groupTarget, "illegal");
  // Candidates in order, most specific first: the first whose pattern matches runs. `known`:
  // the bits the dispatch so far has checked.
  const emitChecks = (candidates: readonly InsnDef[], known: number) => {
    for (const d of candidates) {
      if ((d.mask & ~known) === 0) {
        w.br(handlerLabel(index.get(d)!));
        return;
      }
      w.get(c.insn)
        .i32_const(d.mask | 0)
        .i32_and()
        .i32_const(d.match | 0)
        .i32_eq();
      w.br_if(handlerLabel(index.get(d)!));
    }
    w.br("illegal");
  };
  for (const [g, k] of checked) {
    w.end();
    if (g.length <= MAX_CHECKS) emitChecks(g, KEY_MASK);
    else emitByFunct7(g, `g${k}`);
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
