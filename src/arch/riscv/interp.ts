// The interpreter: a wasm module generated at start-up from the instruction definitions.
// Each definition's semantics is emitted once into a handler. Instructions are decoded once
// into a predecode table (a br_table over opcode and funct3, then mask checks, as the
// definitions' patterns say): an entry holds the handler's index and the operands already
// extracted, and is used again while the 32 bits at the pc are still those it was made from.
import { F32, FunctionBuilder, I32, I64, ModuleBuilder, type Local } from "../../core/wasm.js";
import {
  FIELDS,
  IMMS,
  type FieldName,
  type HelperName,
  type ImmKind,
  type InsnDef,
  type Operand,
} from "./insn.js";
import * as S from "./state.js";
import { groupByKey, KEY_MASK, keyOf } from "./decode.js";
import { C_ILLEGAL, compressedTable } from "./insns/c.js";
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
  emitEntryBlock,
  emitSlot,
  JIT_SLOTS,
  JIT_STEP,
  TRANSLATION_PARAMS,
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

/**
 * The predecode table: a direct-mapped table of entries indexed by the host address of the
 * instruction (its halfword), shared by the harts of a CPU (they take turns on one thread); an
 * engine on another host thread has its own, whose base the hart's state carries (S.PREDECODE).
 * An entry is the decode of the 32 bits it holds in E_RAW, whatever address they were read
 * at: decoding depends on the bits alone, so the entry is right wherever the instruction's
 * bits equal its tag, and a store to code needs no invalidation (the next fetch compares).
 * The last entry is a scratch one for instructions fetched through the host or across a page.
 * A zeroed entry is the decode of the bits 0, an illegal instruction (handler index 0 is the
 * illegal handler, and a raw value of 0 its tval), so a new table needs no initialising.
 */
const ENTRY_BYTES = 16;

/**
 * Entries of the predecode table (a power of two; one more follows, the scratch entry). User
 * mode's programs fit 32 Ki (64 KiB of code without conflicts, 512 KiB of table; the VMM's
 * region at the top of its 4 GiB is 1.5 MiB); a booting kernel runs far more code than that,
 * and with 16 Ki its boot decoded again so often that it took a tenth more CPU than before
 * the table, so the TLB strategy (system and bare-metal modes) gets 128 Ki (2 MiB): what
 * costs is an entry taken by other code (decoded again, about 6 ns), not the table's bytes
 * (README, "The interpreter").
 */
export function predecodeEntries(mem: MemStrategy["kind"]): number {
  return mem === "flat" ? 32768 : 131072;
}

/**
 * Bytes of the predecode table for memory strategy `mem`: its entries, the scratch entry, and
 * two entries never written (tag 0) that the loop points at while the fetch page is unknown
 * (emitPaged).
 */
export function predecodeBytes(mem: MemStrategy["kind"]): number {
  return (predecodeEntries(mem) + 3) * ENTRY_BYTES;
}
const E_RAW = 0; // i32: the 32 bits at the pc when decoded (the tag); for the scratch entry the raw bits
const E_IMM = 4; // i32: the immediate of the definition's layout (read sign-extended to i64)
const E_HANDLER = 8; // u8: 1 + the definition's index; 0 or 1 + the count of definitions: illegal
const E_LEN = 9; // u8: 2 or 4
const E_RS1 = 10; // u8s: register offsets in the hart's state (index * 8)
const E_RS2 = 11;
const E_RS3 = 12;
const E_RD = 13;
const E_RDX = 14; // u16: rd for integer writes: x0 goes to S.X_SINK, so x0 needs no re-zeroing

interface Ctx {
  w: FunctionBuilder;
  hart: Local;
  /**
   * The pc where control arrives by a jump, a trap or a new page ("jumped", "paged"). Straight-line
   * code carries `host` alone and derives the pc from it where an instruction reads it (pushPc).
   */
  pc: Local;
  /** i32: the host address of the instruction at the pc (pc = host + S.PC_DELTA), in the loop. */
  host: Local;
  /** The tag a decoded entry gets: the 32 bits at the pc, or the raw bits for the scratch entry. */
  word: Local;
  /**
   * The current entry's host address. Carried from one instruction to the next: straight-line
   * code's next entry is the one `len` bytes of code on (the table is indexed by the host
   * address's halfword), while the fetch stays on the page (emitTail).
   */
  entry: Local;
  /** The compressed-expansion table: its words read as the fetch of a page not looked up (poison). */
  ctable: number;
  budget: Local;
  /** The length of the instruction being emitted, when its handler is one of a length (in the loop). */
  len: 2 | 4 | undefined;
  fn: HostFns;
  mem: MemStrategy;
  /** Translation table and the compile import, when the recompiler is on. */
  jit: { layout: JitLayout; threshold: number; compile: number; blockType: number; slot: Local } | undefined;
  /** Emitting a handler of its own, out of the loop (outOfLoop): it returns a status (OutOfLoop). */
  outOfLoop: boolean;
  /** Whether the handler being emitted called a host helper (budget and fetch page are then stale). */
  calledHelper: boolean;
}

/** The recompiler's part of the interpreter: where its table is, and the hotness threshold (hotness.ts). */
export interface InterpJit {
  readonly layout: JitLayout;
  readonly threshold: number;
}

/** The fetch page is to be looked up again (emitMiss). */
function forgetPage(c: Ctx): void {
  c.w.get(c.hart).i64_const(-1).i64_store(S.FETCH_PAGE);
}

/** Saves what host helpers may read: pc and the remaining budget. */
function sync(c: Ctx): void {
  c.w.get(c.hart);
  pushPc(c);
  c.w.i64_store(S.PC);
  c.w.get(c.hart).get(c.budget).i32_store(S.BUDGET);
}

/**
 * Pushes the current instruction's pc, from its host address (the fetch page's host offset is
 * a multiple of the page size, so page offsets agree).
 */
function pushPc(c: Ctx): void {
  c.w.get(c.host).i64_extend_i32_u().get(c.hart).i64_load(S.PC_DELTA).i64_add();
}

/** After a trap the host has set the new pc (and maybe privilege): resume there. */
function resume(c: Ctx): void {
  if (c.outOfLoop) {
    c.w.i32_const(OutOfLoop.Resume).return_();
    return;
  }
  c.w.get(c.hart).i64_load(S.PC).set(c.pc);
  forgetPage(c);
  if (c.jit && countsEntry(c.jit.threshold)) countJump(c, c.jit); // a trap vector, at first sight
  c.w.br("jumped");
}

/** Where a register field's offset sits in an entry: for reads, and for integer writes. */
const REG_AT: Partial<Record<FieldName, { read: number; writeX?: number }>> = {
  rs1: { read: E_RS1 },
  rs2: { read: E_RS2 },
  rs3: { read: E_RS3 },
  rd: { read: E_RD, writeX: E_RDX },
};

/** Operands come from the current predecode entry at run time; the pc lives in a local. */
class InterpSem extends AccessSem {
  constructor(
    private readonly c: Ctx,
    /** Told of each immediate a handler reads (the decode path extracts that layout). */
    private readonly onImm: (kind: ImmKind) => void = () => {},
  ) {
    super(c.w, c.hart, c.mem, c.fn);
  }
  private readonly regAt = new WeakMap<Operand, { read: number; writeX?: number }>();
  /** Pushes the current entry's address. */
  private entryAt(): FunctionBuilder {
    return this.w.get(this.c.entry);
  }
  field(name: FieldName): Operand {
    const f = FIELDS[name];
    const operand = {
      value: undefined,
      emit: () => {
        if (name === "shamt" || name === "shamtw") {
          // A shift's amount is the low bits of its I-layout immediate (the definition reads no other).
          this.onImm("I");
          this.entryAt().i32_load(E_IMM);
        } else {
          this.insnWord();
          this.w.i32_const(f.lo).i32_shr_u();
        }
        this.w.i32_const((1 << f.bits) - 1).i32_and();
      },
    };
    const at = REG_AT[name];
    if (at) this.regAt.set(operand, at);
    return operand;
  }
  imm(kind: ImmKind): void {
    this.onImm(kind);
    this.entryAt().i64_load32_s(E_IMM);
  }
  /**
   * Pushes the instruction word, a compressed one expanded: the entry holds only its raw bits,
   * expanded again through the compressed-expansion table (the few fields read so are rare).
   */
  private insnWord(): void {
    const w = this.w;
    const expand = () => w.i32_const(0xffff).i32_and().i32_const(2).i32_shl().i32_load(this.c.ctable);
    this.entryAt().i32_load(E_RAW);
    if (this.c.len === 4) return;
    if (this.c.len === 2) {
      expand();
      return;
    }
    const raw = w.local(I32);
    w.tee(raw).i32_const(3).i32_and().i32_const(3).i32_eq().if_(I32);
    w.get(raw).else_();
    w.get(raw);
    expand();
    w.end();
    w.release(raw);
  }
  /** Pushes the address of register `r` in the hart's state (add S.X or S.F). */
  private regAddr(r: Operand, xWrite = false): void {
    const at = this.regAt.get(r);
    const offset = at && (xWrite ? at.writeX : at.read);
    if (offset === undefined) throw new Error("interpreter: a register operand must be a register field");
    this.w.get(this.c.hart);
    if (offset === E_RDX) this.entryAt().i32_load16_u(offset).i32_add();
    else this.entryAt().i32_load8_u(offset).i32_add();
  }
  getX(r: Operand): void {
    this.regAddr(r);
    this.w.i64_load(S.X);
  }
  setX(r: Operand, value: () => void): void {
    this.regAddr(r, true);
    value();
    this.w.i64_store(S.X); // x0's writes go to the sink
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
    pushPc(this.c);
  }
  nextPc(): void {
    pushPc(this.c);
    if (this.c.len !== undefined) this.w.i64_const(this.c.len).i64_add();
    else {
      this.len();
      this.w.i64_extend_i32_u().i64_add();
    }
  }
  jump(target: () => void): void {
    if (this.c.outOfLoop) {
      this.w.get(this.c.hart);
      target();
      this.w.i64_store(S.PC).i32_const(OutOfLoop.Jumped).return_();
      return;
    }
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
  /** The raw bits: the entry's tag holds the halfword after a compressed instruction too. */
  protected raw(): void {
    this.rawBits();
  }
  protected len(): void {
    this.insnLen();
  }
  rawBits(): void {
    this.entryAt().i32_load(E_RAW);
    if (this.c.len === 4) return;
    if (this.c.len === 2) {
      this.w.i32_const(0xffff).i32_and();
      return;
    }
    this.w.i32_const(-1).i32_const(0xffff);
    this.len();
    this.w.i32_const(4).i32_eq().select().i32_and();
  }
  insnLen(): void {
    if (this.c.len !== undefined) this.w.i32_const(this.c.len);
    else this.entryAt().i32_load8_u(E_LEN);
  }
  /**
   * In the loop a helper's call is laid out as rare code (outOfLine's `if`): the fast paths
   * of the floating-point handlers fall back to it on a path the engine would otherwise take
   * as a common one, and TurboFan then stored the current entry to a stack slot at every
   * instruction, since it is used after the call.
   */
  override helper(name: HelperName): void {
    if (this.c.outOfLoop) {
      super.helper(name);
      return;
    }
    this.w.get(this.c.entry).rarely().if_();
    super.helper(name);
    this.w.end();
  }
  protected afterHelper(): void {
    this.c.calledHelper = true;
    forgetPage(this.c); // privilege or translation may have changed
    this.w.get(this.c.hart).i32_load(S.BUDGET).set(this.c.budget);
    this.w.get(this.c.hart).i64_const(0).i64_store(S.X); // x0 stays zero whatever the host wrote
  }
}

/**
 * Where the interpreter's constant tables are in wasm memory. The predecode table is not one of
 * them: the loop reads its base from the hart's state (S.PREDECODE), so engines on other host
 * threads, each with a table of its own, run one module (RiscvCpu.sharedInterpreter).
 */
export interface InterpTables {
  /** The compressed-instruction expansion table (65,536 u32). */
  readonly ctable: number;
}

/**
 * Builds the interpreter module: `run(hart: i32, budget: i32) -> exit reason`. With `jit`,
 * it counts taken jumps by target, asks the host (`compile`) to translate hot targets, and
 * runs translations found in the table (core/jit) instead of interpreting.
 */
export function buildInterpreter(
  defs: readonly InsnDef[],
  tables: InterpTables,
  memPages: number,
  shared: boolean,
  mem: MemStrategy = { kind: "tlb" },
  jit?: InterpJit,
): Uint8Array {
  // The loop tests a page's end on host addresses (emitTail): host and guest pages must align.
  if (tables.ctable % 4096 !== 0 || (mem.kind === "flat" && mem.hostOffset % 4096 !== 0))
    throw new Error("interpreter: the fetch's host offsets must be multiples of the page size");
  const m = new ModuleBuilder("interpreter");
  m.importMemory("env", "memory", memPages, 65536, shared);
  if (jit) m.importTable("env", "table", JIT_SLOTS);
  const fn = importHostFns(m);
  const compile = jit ? m.importFunc("host", "compile", [I32], []) : -1;
  const blockType = m.funcType(TRANSLATION_PARAMS, [I32]);
  const [, w] = m.func([I32, I32], [I32], "run");
  const short = shortVariants(defs);
  const decode = buildDecode(m, defs, short, immKinds(defs, mem), tables.ctable);
  const c = makeCtx(w, fn, mem, tables);
  c.jit = jit ? { ...jit, compile, blockType, slot: w.local(I32) } : undefined;
  w.get(c.hart).i64_load(S.PC).set(c.pc);
  forgetPage(c);
  w.get(c.hart).i64_const(0).i64_store(S.X);
  // At first sight where a run starts (an entry point) is reached too. Counted on every run,
  // it asks again only every JIT_RETRY runs.
  if (c.jit && countsEntry(c.jit.threshold)) countJump(c, c.jit);
  // Control arrives here at the start, by a jump and after a trap: where a stop request from
  // the host is seen (it asks for an exit soon, and straight-line code ends in a jump), and
  // where a translation may take over.
  w.loop("jumped");
  const firstTemp = w.localCount;
  // One test and branch per condition: cheaper in the engine's code than their `or`.
  w.block("run");
  w.block("exit");
  w.get(c.budget).i32_const(1).i32_lt_s().rarely().br_if("exit");
  w.get(c.hart).i32_load(S.STOP).rarely().br_if("exit");
  w.br("run");
  w.end(); // exit
  emitExit(c);
  w.end(); // run
  if (c.jit) emitRunTranslation(c, c.jit);
  // Here too when straight-line code goes on to another page, and after a host helper.
  w.loop("paged");
  emitPaged(c);
  // Straight-line code goes on here, its entry already known.
  w.loop("next");
  w.block("pageEnd");
  const loopTop = w.code.length;
  // Slice end: save the pc and return.
  w.get(c.budget).i32_const(1).i32_sub().tee(c.budget).i32_const(0).i32_lt_s();
  w.rarely().if_();
  w.i32_const(0).set(c.budget);
  pushPc(c);
  w.set(c.pc);
  emitExit(c);
  w.end();
  w.block("decoded");
  emitFetch(c, decode);
  w.end(); // decoded
  emitHandlers(c, m, defs, short);
  w.end(); // pageEnd: straight-line code left the fetch page, or a helper made it unknown
  pushPc(c);
  w.set(c.pc).br("paged");
  w.end(); // next
  w.end(); // paged
  w.end(); // jumped
  w.unreachable();
  w.insert([{ at: loopTop, bytes: clearTemps(w.localsSince(firstTemp)) }]);
  return m.encode();
}

function makeCtx(w: FunctionBuilder, fn: HostFns, mem: MemStrategy, tables: InterpTables): Ctx {
  return {
    w,
    hart: w.param(0),
    pc: w.local(I64),
    budget: w.param(1),
    host: w.local(I32),
    word: w.local(I32),
    entry: w.local(I32),
    ctable: tables.ctable,
    len: undefined,
    fn,
    mem,
    jit: undefined,
    outOfLoop: false,
    calledHelper: false,
  };
}

/**
 * The immediate layout each definition reads, by emitting every handler once into a builder
 * that is thrown away: the decode path extracts it, so the definitions stay the only place
 * that says which one an instruction has.
 */
function immKinds(defs: readonly InsnDef[], mem: MemStrategy): Map<InsnDef, ImmKind> {
  const w = new FunctionBuilder([I32, I32], [I32]);
  const c = makeCtx(w, { load: 0, store: 0, translate: 0, fetch: 0, raise: 0, helper: 0, now: 0 }, mem, {
    ctable: 0,
  });
  const kinds = new Map<InsnDef, ImmKind>();
  let current: InsnDef | undefined;
  const sem = new InterpSem(c, (kind) => {
    const had = kinds.get(current!);
    if (had !== undefined && had !== kind) throw new Error(`${current!.name}: two immediate layouts`);
    kinds.set(current!, kind);
  });
  w.loop("jumped").loop("paged").loop("next");
  for (const d of defs) {
    current = d;
    d.exec(sem);
  }
  return kinds;
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
  // No call waits below (a host exception or a clone may have left others' values).
  w.get(c.hart).i64_const(1).i64_store(S.JIT_RET_EXPECT);
  w.get(c.hart).i32_const(0).i32_store(S.JIT_CALL_DEPTH);
  w.get(c.hart).get(c.budget);
  emitEntryBlock(w, jit.layout, jit.slot);
  w.get(jit.slot).call_indirect(jit.blockType).set(r);
  w.get(counter).get(counter).i64_load(S.JIT_INSNS);
  w.get(c.budget).get(c.hart).i32_load(S.BUDGET).i32_sub().i64_extend_i32_s().i64_add();
  w.i64_store(S.JIT_INSNS);
  w.get(r).i32_const(0).i32_ge_s().if_();
  w.get(r).return_(); // an exit reason; the translation saved pc and budget
  w.end();
  w.get(c.hart).i64_load(S.PC).set(c.pc);
  w.get(c.hart).i32_load(S.BUDGET).set(c.budget);
  forgetPage(c);
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

/** Sets the host address of the fetch at pc, from the fetch page's host offset. */
function setHost(c: Ctx): void {
  c.w.get(c.pc).i32_wrap_i64().get(c.hart).i32_load(S.FETCH_BASE).i32_add().set(c.host);
}

/** Sets the host address for the fetch page just set (FETCH_BASE) and saves pc - host: pushPc derives the pc from it. */
function setHostAndPcDelta(c: Ctx): void {
  setHost(c);
  c.w.get(c.hart).get(c.pc).get(c.host).i64_extend_i32_u().i64_sub().i64_store(S.PC_DELTA);
}

/** Sets the entry to the one for the host address in `host` (the table is indexed by its halfword). */
function setEntryOf(c: Ctx): void {
  c.w
    .get(c.host)
    .i32_const((predecodeEntries(c.mem.kind) - 1) << 1)
    .i32_and()
    .i32_const(Math.log2(ENTRY_BYTES) - 1)
    .i32_shl()
    .get(c.hart)
    .i32_load(S.PREDECODE)
    .i32_add()
    .set(c.entry);
}

/**
 * Where control arrives with a pc whose page may not be the fetch page: the entry for the
 * pc, once its page is looked up. A page without a fast mapping (the host fetches from it)
 * makes the fetch miss, and the miss serves it (emitMiss): the fetch reads through a window
 * of the compressed-expansion table, whose every word read at a halfword is non-zero (each
 * of its words has bits 1:0 set), at an entry never written (its tag 0). So the loop's fetch
 * needs no test of the page: straight-line code tests for the end of the page in its tail
 * (emitTail), jumps, traps and helpers arrive here.
 */
function emitPaged(c: Ctx): void {
  const w = c.w;
  w.block("paged.done");
  w.block("paged.found");
  w.block("paged.unknown");
  w.get(c.pc).i64_const(-4096).i64_and().get(c.hart).i64_load(S.FETCH_PAGE).i64_eq().br_if("paged.found");
  emitLookup(c, "paged.unknown");
  w.br("paged.found");
  w.end(); // paged.unknown
  emitUnknownPage(c);
  w.br("paged.done");
  w.end(); // paged.found
  setHost(c);
  setEntryOf(c);
  w.end(); // paged.done
}

/** Looks the pc's page up for fetch (branching to `fail` when it has no fast mapping) and caches it. */
function emitLookup(c: Ctx, fail: string): void {
  const w = c.w;
  const mem = c.mem;
  if (mem.kind === "flat") {
    // user mode: the page must be executable
    permitted(w, c.pc, mem.permTable, PAGE_X);
    w.i32_eqz().br_if(fail);
    w.get(c.hart).i32_const(mem.hostOffset).i32_store(S.FETCH_BASE);
  } else {
    // the fetch TLB
    const tlbEntry = w.local(I32);
    w.get(c.hart).i32_load(S.TLB_FETCH);
    w.get(c.pc)
      .i64_const(12)
      .i64_shr_u()
      .i32_wrap_i64()
      .i32_const(S.TLB_ENTRIES - 1)
      .i32_and();
    w.i32_const(Math.log2(S.TLB_ENTRY_BYTES)).i32_shl().i32_add().tee(tlbEntry);
    w.i64_load(S.TLB_EXEC).get(c.pc).i64_const(-4096).i64_and().i64_ne().br_if(fail);
    w.get(c.hart).get(tlbEntry).i32_load(S.TLB_ADDEND).i32_store(S.FETCH_BASE);
    w.release(tlbEntry);
  }
  w.get(c.hart).get(c.pc).i64_const(-4096).i64_and().i64_store(S.FETCH_PAGE);
  setHostAndPcDelta(c);
}

/** No page is cached: the fetch reads non-zero words in the compressed table, at an entry of tag 0 (emitPaged). */
function emitUnknownPage(c: Ctx): void {
  const w = c.w;
  forgetPage(c);
  w.get(c.hart).i32_const(c.ctable).get(c.pc).i32_wrap_i64().i32_const(-4096).i32_and().i32_sub();
  w.i32_store(S.FETCH_BASE);
  setHostAndPcDelta(c);
  w.get(c.hart)
    .i32_load(S.PREDECODE)
    .i32_const((predecodeEntries(c.mem.kind) + 1) * ENTRY_BYTES);
  w.i32_add().set(c.entry);
}

/**
 * The fetch: the 32 bits at the pc are read through the fetch page's host offset and compared
 * with the current entry's tag; when they are its bits, on to "decoded" (the dispatch).
 * Otherwise emitMiss.
 */
function emitFetch(c: Ctx, decode: number): void {
  const w = c.w;
  w.get(c.host).i32_load(0, 1).tee(c.word);
  w.get(c.entry).i32_load(E_RAW).i32_ne().rarely().if_();
  emitMiss(c, decode);
  w.end();
}

/**
 * A fetch whose entry does not hold the bits at the pc: the page is looked up when it is not
 * the cached one (a jump or a helper made it unknown), then the entry is filled, and the
 * instruction dispatched. An instruction the host fetches (no fast mapping), or a 32-bit one
 * in the last two bytes of a page, is decoded into the scratch entry each time, with the page
 * left unknown so that the next fetch comes here again. Four bytes are read at the page's
 * last two bytes too (MemoryLayout leaves room after RAM for that): an entry there is filled
 * only for a compressed instruction, which ignores the other half.
 */
function emitMiss(c: Ctx, decode: number): void {
  const w = c.w;
  pushPc(c);
  w.set(c.pc);
  w.block("uncached");
  w.get(c.pc).i64_const(-4096).i64_and().get(c.hart).i64_load(S.FETCH_PAGE).i64_ne().if_();
  emitLookup(c, "uncached"); // sets the host address too
  setEntryOf(c);
  w.get(c.host).i32_load(0, 1).tee(c.word);
  w.get(c.entry).i32_load(E_RAW).i32_eq().br_if("decoded");
  w.end();
  w.get(c.pc).i32_wrap_i64().i32_const(0xfff).i32_and().i32_const(0xffe).i32_ne();
  w.get(c.word).i32_const(3).i32_and().i32_const(3).i32_ne().i32_or().if_();
  w.get(c.hart).get(c.word).get(c.entry).call(decode);
  w.br("decoded");
  w.end();
  w.end(); // uncached
  emitUnknownPage(c);
  sync(c);
  w.get(c.hart).call(c.fn.fetch).if_();
  resume(c);
  w.end();
  w.get(c.hart)
    .i32_load(S.PREDECODE)
    .i32_const(predecodeEntries(c.mem.kind) * ENTRY_BYTES);
  w.i32_add().set(c.entry);
  w.get(c.hart).get(c.hart).i32_load(S.SCRATCH).get(c.entry).call(decode);
}

/**
 * The decode function, out of the loop (it runs once per instruction while the entry holds):
 * `decode(hart, bits, entry)` expands the instruction `bits` (a compressed one, the low half,
 * through the expansion table), looks it up by the definitions' patterns and fills the entry
 * at `entry` with the handler, the immediate of the layout the definition reads and the
 * register offsets, as the handlers read them.
 */
function buildDecode(
  m: ModuleBuilder,
  defs: readonly InsnDef[],
  short: readonly InsnDef[],
  kinds: ReadonlyMap<InsnDef, ImmKind>,
  ctableOffset: number,
): number {
  // E_HANDLER is one byte: 1 + a definition's index, 1 + their count + a short handler's, and
  // after those illegal (emitHandlers).
  const handlers = defs.length + short.length;
  if (handlers + 1 > 0xff) throw new Error(`interpreter: ${handlers} handlers do not fit E_HANDLER`);
  const shortAt = new Map(short.map((d, j) => [d, defs.length + 1 + j]));
  const [index, w] = m.func([I32, I32, I32], []);
  const hart = w.param(0);
  const word = w.param(1);
  const entry = w.param(2);
  const insn = w.local(I32);
  const len = w.local(I32);
  const handler = w.local(I32);
  const imm = w.local(I32);
  w.get(word).i32_const(3).i32_and().i32_const(3).i32_eq();
  w.if_();
  w.get(word).set(insn);
  w.i32_const(4).set(len);
  w.else_();
  w.get(word).i32_const(0xffff).i32_and().i32_const(2).i32_shl().i32_load(ctableOffset).set(insn);
  w.i32_const(2).set(len);
  w.end();
  const used = [...new Set(kinds.values())];
  const immLabel = (d: InsnDef | undefined) => {
    const k = d && kinds.get(d);
    return k === undefined ? "imm.none" : `imm.${k}`;
  };
  w.block("fill");
  w.block("imm.none");
  for (const k of used) w.block(`imm.${k}`);
  emitDispatch(w, insn, defs, (i) => {
    const s = shortAt.get(defs[i]);
    if (s === undefined) w.i32_const(i + 1);
    else
      w.i32_const(s)
        .i32_const(i + 1)
        .get(len)
        .i32_const(2)
        .i32_eq()
        .select();
    w.set(handler);
    w.br(immLabel(defs[i]));
  });
  w.i32_const(handlers + 1).set(handler); // illegal
  w.br("imm.none");
  for (let i = used.length - 1; i >= 0; i--) {
    w.end();
    emitImm(w, insn, used[i]);
    w.set(imm).br("fill");
  }
  w.end(); // imm.none
  w.i32_const(0).set(imm);
  w.end(); // fill
  w.get(entry).get(word).i32_store(E_RAW);
  w.get(entry).get(imm).i32_store(E_IMM);
  w.get(entry).get(handler).i32_store8(E_HANDLER);
  w.get(entry).get(len).i32_store8(E_LEN);
  const regs: [number, FieldName][] = [[E_RS1, "rs1"], [E_RS2, "rs2"], [E_RS3, "rs3"], [E_RD, "rd"]]; // prettier-ignore
  for (const [at, name] of regs) {
    w.get(entry).get(insn);
    regOffset(w, name);
    w.i32_store8(at);
  }
  w.get(entry).i32_const(S.X_SINK).get(entry).i32_load8_u(E_RD);
  w.get(entry).i32_load8_u(E_RD).i32_eqz().select();
  w.i32_store16(E_RDX);
  w.get(hart).get(hart).i64_load(S.PREDECODE_FILLS).i64_const(1).i64_add().i64_store(S.PREDECODE_FILLS);
  return index;
}

/** Bits 31:25: funct7 (R-type), funct5 with aq and rl (AMO), funct5 with fmt (OP-FP). */
const F7_MASK = 0xfe000000;
/** A group with more candidates than this is dispatched again, by bits 31:25, before checking them one by one. */
const MAX_CHECKS = 3;

/** The instruction word (i32, on the stack) to register field `name`'s offset in the hart state (index * 8). */
function regOffset(w: FunctionBuilder, name: FieldName): void {
  w.i32_const(FIELDS[name].lo - 3)
    .i32_shr_u()
    .i32_const(0x1f << 3)
    .i32_and();
}

/** Pushes the immediate of layout `kind` (i32; the entry's is read sign-extended, Z's has 5 bits) of the instruction in insn. */
function emitImm(w: FunctionBuilder, insn: Local, kind: ImmKind): void {
  let first = true;
  for (const [hi, lo, immLo] of IMMS[kind]) {
    w.get(insn).i32_const(lo);
    if (hi === 31 && kind !== "Z") w.i32_shr_s();
    else
      w.i32_shr_u()
        .i32_const((1 << (hi - lo + 1)) - 1)
        .i32_and();
    if (immLo) w.i32_const(immLo).i32_shl();
    if (!first) w.i32_or();
    first = false;
  }
}

/**
 * Definitions whose handlers are functions of their own, called from the loop: the CSR
 * instructions, the privileged ones, atomics and the instructions that programs run rarely
 * (`mulhsu`, the signed divisions and `divuw`, single precision, fused multiply-adds,
 * conversions other than from a signed integer, `fmin`/`fmax`, `feq`/`fle`, `fsgnjx`,
 * `fclass`; none is 0.01 % of any benchmark program's instructions). The loop is one large
 * function, and V8 compiles it whole with TurboFan after the first million instructions and
 * allocates its registers over all of it; these handlers were half of its code (the six CSR
 * instructions alone a quarter), while a function of its own is compiled when first called.
 */
export function outOfLoop(d: InsnDef): boolean {
  switch (d.ext) {
    case "I":
      return false;
    case "M":
      return /^(mulhsu|div|divw|divuw)$/.test(d.name); // mulh and mulhu divide by constants
    case "D":
      return /^f(n?m(add|sub)|class|min|max|eq|le|sgnjx|cvt\.(s\.d|d\.s|d\.[wl]u|[wl]u?\.d))/.test(d.name);
    default:
      return true; // single precision among them
  }
}

/** What a handler out of the loop returns: an exit reason (>= 0), or how the loop goes on. */
const enum OutOfLoop {
  /** On to the next instruction. */
  Next = -1,
  /** It jumped: the new pc is in the state. */
  Jumped = -2,
  /** The host took a trap: the new pc is in the state. */
  Resume = -3,
}

/**
 * Moves the pc past the current instruction, whose length the entry holds, and goes on at
 * "paged" through "pageEnd" (after a handler out of the loop: rare enough not to keep the entry).
 */
function emitAdvance(c: Ctx, sem: InterpSem): void {
  const w = c.w;
  // A branch, not the loaded length: the next fetch then waits for no load.
  sem.insnLen();
  w.i32_const(4).i32_eq().if_();
  w.get(c.host).i32_const(4).i32_add().set(c.host);
  w.else_();
  w.get(c.host).i32_const(2).i32_add().set(c.host);
  w.end();
  w.br("pageEnd");
}

/**
 * The end of a handler of length `len` in the loop: on to the next instruction, whose entry
 * is `len` bytes of code on, while the pc stays on the fetch page (a pc in a page's first four
 * bytes goes to "paged" through "pageEnd": also after a compressed instruction at 0xffc,
 * harmlessly). After a host helper (`mayHelp`: the handler calls one) the page is looked up
 * again. Only the host address moves: the pc is derived from it where it is read (pushPc).
 */
function emitTail(c: Ctx, len: 2 | 4, mayHelp: boolean): void {
  const w = c.w;
  w.get(c.host).i32_const(len).i32_add().set(c.host);
  w.get(c.entry)
    .i32_const(len * (ENTRY_BYTES / 2))
    .i32_add()
    .set(c.entry);
  if (mayHelp) w.get(c.hart).i64_load(S.FETCH_PAGE).i64_const(-1).i64_eq().rarely().br_if("pageEnd");
  w.get(c.host).i32_const(0xffc).i32_and().i32_eqz().rarely().br_if("pageEnd");
  w.br("next");
}

/**
 * The definitions a compressed instruction may expand to get a second handler in the loop,
 * for length 2 (their first is for 4): those in a first-level group (opcode and funct3,
 * decode.ts) that some expansion falls in, a few more than needed (mul beside add).
 */
function shortVariants(defs: readonly InsnDef[]): InsnDef[] {
  const ctable = compressedTable();
  const keys = new Set<number>();
  for (let h = 0; h < 65536; h++) if (ctable[h] !== C_ILLEGAL) keys.add(keyOf(ctable[h]));
  const groups = groupByKey(defs);
  const short = new Set([...keys].flatMap((k) => groups[k]));
  return defs.filter((d) => short.has(d) && !outOfLoop(d));
}

/**
 * Definition `d`'s handler as a function `(hart, budget, host, entry) -> status` (OutOfLoop);
 * says whether it may call a host helper (which may change the budget and the fetch page).
 */
function buildOutOfLoop(
  m: ModuleBuilder,
  d: InsnDef,
  fn: HostFns,
  mem: MemStrategy,
  tables: InterpTables,
): { index: number; calledHelper: boolean } {
  const [index, w] = m.func([I32, I32, I32, I32], [I32]);
  const c: Ctx = { ...makeCtx(w, fn, mem, tables), outOfLoop: true };
  c.host = w.param(2);
  c.entry = w.param(3);
  d.exec(new InterpSem(c));
  // The loop takes the budget from the state after a handler that may call a helper.
  if (c.calledHelper) w.get(c.hart).get(c.budget).i32_store(S.BUDGET);
  w.i32_const(OutOfLoop.Next);
  return { index, calledHelper: c.calledHelper };
}

/**
 * Emits `body`, which branches away, where the engine lays rare code: out of line, its calls
 * not holding the loop's values in registers. A `br_table`'s targets carry no branch hint, and
 * with the calls of the illegal and out-of-loop handlers in them TurboFan stored the current
 * entry to a stack slot at every instruction. So they sit behind an `if` marked `rarely` whose
 * condition always holds (an entry is an address in the predecode table, never 0).
 */
function outOfLine(c: Ctx, body: () => void): void {
  c.w.get(c.entry).rarely().if_();
  body();
  c.w.end();
  c.w.unreachable();
}

/**
 * Handlers that need more host registers than the loop leaves free (the high multiplications,
 * in 32-bit halves): laid out as rare code, so that TurboFan's spills of the loop's state (the
 * host address, the entry) stay in them rather than being made at every instruction.
 */
function crowded(d: InsnDef): boolean {
  return /^mulhu?$/.test(d.name);
}

/**
 * One handler per definition, picked by the entry's index (0, a zeroed entry's, is the
 * illegal handler): 1 + i for definition i (in the loop, for a 4-byte instruction), then
 * one for each of `short` (2-byte), then illegal again (buildDecode).
 */
function emitHandlers(c: Ctx, m: ModuleBuilder, defs: readonly InsnDef[], short: readonly InsnDef[]): void {
  const w = c.w;
  const label = (i: number) => `h${i}`;
  const shortLabel = (i: number) => `s${i}`;
  const status = w.local(I32);
  w.block("outOfLoop");
  for (let i = short.length - 1; i >= 0; i--) w.block(shortLabel(i));
  for (let i = defs.length - 1; i >= 0; i--) w.block(label(i));
  w.block("illegal");
  w.get(c.entry).i32_load8_u(E_HANDLER);
  w.br_table(
    ["illegal", ...defs.map((_, i) => label(i)), ...short.map((_, i) => shortLabel(i)), "illegal"],
    "illegal",
  );
  w.end(); // illegal
  const sem = new InterpSem(c);
  outOfLine(c, () =>
    sem.raise(ILLEGAL_INSTRUCTION, () => {
      sem.rawBits();
      w.i64_extend_i32_u();
    }),
  );
  const inLoop = (d: InsnDef, len: 2 | 4) => {
    c.len = len;
    c.calledHelper = false;
    const body = () => {
      d.exec(sem);
      emitTail(c, len, c.calledHelper);
    };
    if (crowded(d)) outOfLine(c, body);
    else body();
    c.len = undefined;
  };
  defs.forEach((d) => {
    w.end();
    if (outOfLoop(d)) {
      const f = buildOutOfLoop(m, d, c.fn, c.mem, { ctable: c.ctable });
      outOfLine(c, () => {
        w.get(c.hart).get(c.budget).get(c.host).get(c.entry).call(f.index).set(status);
        if (f.calledHelper) {
          w.get(c.hart).i32_load(S.BUDGET).set(c.budget);
          forgetPage(c);
        }
        w.br("outOfLoop");
      });
      return;
    }
    inLoop(d, 4);
  });
  short.forEach((d) => {
    w.end();
    inLoop(d, 2);
  });
  w.end(); // outOfLoop
  w.get(status).i32_const(0).i32_ge_s().rarely().if_();
  w.get(status).return_(); // an exit reason from a helper
  w.end();
  w.get(status).i32_const(OutOfLoop.Resume).i32_eq().if_();
  resume(c);
  w.end();
  w.get(status).i32_const(OutOfLoop.Jumped).i32_eq().if_();
  sem.jump(() => w.get(c.hart).i64_load(S.PC));
  w.end();
  emitAdvance(c, sem);
  w.release(status);
}

/**
 * The definitions' patterns as a dispatch on the instruction in insn: `found(i)` is emitted
 * where definition i matched (it must branch away); code after this call is where none did.
 */
function emitDispatch(
  w: FunctionBuilder,
  insn: Local,
  defs: readonly InsnDef[],
  found: (i: number) => void,
): void {
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
    w.get(insn).i32_const(25).i32_shr_u();
    w.br_table(subOf.map(target), "illegal");
    for (const [sub] of checkedSubs) {
      w.end();
      emitChecks(sub, known);
    }
  };

  w.block("illegal");
  for (let i = defs.length - 1; i >= 0; i--) w.block(handlerLabel(i));
  for (let i = checked.length - 1; i >= 0; i--) w.block(`g${checked[i][1]}`);
  w.get(insn).i32_const(2).i32_shr_u().i32_const(0x1f).i32_and();
  w.get(insn).i32_const(7).i32_shr_u().i32_const(0xe0).i32_and().i32_or();
  w.br_table(groupTarget, "illegal");
  // Candidates in order, most specific first: the first whose pattern matches runs. `known`:
  // the bits the dispatch so far has checked.
  const emitChecks = (candidates: readonly InsnDef[], known: number) => {
    for (const d of candidates) {
      if ((d.mask & ~known) === 0) {
        w.br(handlerLabel(index.get(d)!));
        return;
      }
      w.get(insn)
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
  defs.forEach((_, i) => {
    w.end();
    found(i);
  });
  w.end(); // illegal
}
