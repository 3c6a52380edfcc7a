// The recompiler: hot guest code becomes wasm. The interpreter counts taken jumps by target;
// when a target gets hot it asks for a translation of the code there, which is emitted from
// the same instruction definitions as the interpreter (insns/*.ts through `Sem`), only with
// every operand, immediate and pc a constant. A translation follows the code through jal
// (calls and gotos) up to an indirect jump, a system instruction or MAX_INSNS instructions;
// a taken conditional branch skips forward inside it when its target comes later in it (and
// the skips nest), leaves it otherwise, and a branch back to its start loops inside it.
//
// Translations live in a direct-mapped table keyed by guest pc (jitSlot): a tag per slot in
// wasm memory, and the function in the same slot of a WebAssembly.Table, which the
// interpreter checks before each fetch and calls through call_indirect; a translation's exit
// tail-calls the next one the same way.
//
// A translation is bound to what its code meant when it was made (code.ts): stores to its
// pages reach the host and flush every translation, as do fence.i and anything that changes
// how a pc is fetched (satp, sfence.vma, PMP, privilege; in user mode a change of an
// executable mapping or the icache-flush syscall).
import { FunctionBuilder, I32, I64, ModuleBuilder, type Local } from "../../core/wasm.js";
import { compileModule } from "../../core/compile-stats.js";
import { decoder } from "./decode.js";
import { FIELDS, fieldValue, immValue, type FieldName, type HelperName, type ImmKind, type InsnDef, type Operand } from "./insn.js"; // prettier-ignore
import { FlatCode, type CodeMemory, type CodeView } from "./code.js";
import type { Hart } from "./hart.js";
import { AccessSem, importHostFns, type HostFns, type MemStrategy } from "./sem.js";
import * as S from "./state.js";

/** Slots of the translation table (a power of two). */
export const JIT_SLOTS = 4096;
/** Taken jumps to a target before it is translated. */
export const JIT_THRESHOLD = 32;
/**
 * A target whose slot holds another pc's translation (two hot pcs share a slot) asks again
 * every JIT_RETRY counts: the slot then changes hands at most that often.
 */
export const JIT_RETRY = 1024;
/** Instructions in one translation at most. */
const MAX_INSNS = 96;

/** Where the translation table lives in wasm memory (host offsets). */
export interface JitLayout {
  /** JIT_SLOTS i64 tags: the guest pc translated in each slot, -1 when empty. */
  readonly tags: number;
  /** JIT_SLOTS i32 counters of taken jumps, by target slot. */
  readonly counters: number;
  /** JIT_SLOTS i32: the budget a call of each slot's translation needs (its length). */
  readonly needs: number;
}
export const JIT_TABLE_BYTES = JIT_SLOTS * 16;

/** What a translation returns when the interpreter is to go on at the pc in the state. */
export const JIT_CONTINUE = -1;

/**
 * Pushes whether the translation in slot `slot` (i32 local) is for guest pc `pc` (i64 local)
 * and can run a whole pass on `budget` (i32 local).
 */
export function emitCanRun(
  w: FunctionBuilder,
  layout: JitLayout,
  slot: Local,
  pc: Local,
  budget: Local,
): void {
  w.get(slot).i32_const(3).i32_shl().i64_load(layout.tags).get(pc).i64_eq();
  w.get(budget).get(slot).i32_const(2).i32_shl().i32_load(layout.needs).i32_ge_s();
  w.i32_and();
}

/** The slot of guest pc `pc`: its halfword index folded with the bits above the table's reach. */
export function jitSlot(pc: number): number {
  return ((pc >>> 1) ^ (pc >>> 15)) & (JIT_SLOTS - 1);
}

/** Pushes jitSlot of the guest pc in i64 local `pc`, as an i32. */
export function emitSlot(w: FunctionBuilder, pc: Local): void {
  w.get(pc).i32_wrap_i64().i32_const(1).i32_shr_u();
  w.get(pc).i32_wrap_i64().i32_const(15).i32_shr_u();
  w.i32_xor()
    .i32_const(JIT_SLOTS - 1)
    .i32_and();
}

const OPC_BRANCH = 0x63;
const OPC_JAL = 0x6f;
const OPC_JALR = 0x67;

interface Insn {
  pc: number;
  raw: number;
  /** The 32-bit form (compressed instructions expanded). */
  insn: number;
  len: number;
  def: InsnDef;
}

/** A guest register: file and number. */
type Reg = `${"x" | "f"}${number}`;
const offsetOf = (r: Reg): number => (r[0] === "x" ? S.X : S.F) + 8 * Number(r.slice(1));

/**
 * Guest registers live in wasm locals inside a translation. A first emission pass records,
 * per instruction, which registers it reads and writes and where the translation loops back;
 * the second pass then knows exactly which registers hold a value the hart state does not:
 *  - at entry it loads only registers read before the translation writes them;
 *  - leaving after instruction k, or calling the host inside it (a syscall, a slow path that
 *    may build a signal frame), it writes back what instructions before it wrote, and, once
 *    the loop has gone round (a flag), what the rest of the loop body wrote;
 *  - after a helper, which may write any register, it reloads them all.
 */
class RegCache {
  private readonly reads: Set<Reg>[] = [];
  private readonly writes: Set<Reg>[] = [];
  /** The last instruction that branches back to the start, or -1. */
  lastBackEdge = -1;
  private readonly locals = new Map<Reg, Local>();
  /** Set once a back-edge is taken (second pass, when the code loops). */
  iterated: Local | undefined;
  /** The instruction being emitted, and the block depth its code starts at. */
  k = 0;
  baseDepth = 0;
  /**
   * Registers written only on some paths (inside an instruction, or by instructions a forward
   * branch may skip): they are loaded at entry, so their locals are right whichever path ran.
   */
  readonly partlyWritten = new Set<Reg>();
  /** The instruction after which the first pass ended the translation (a helper), or -1. */
  endedAt = -1;

  /** The local of register `r`, noting the access (first pass). */
  local(w: FunctionBuilder, r: Reg, write: boolean): Local {
    (write ? this.writes : this.reads)[this.k] ??= new Set();
    (write ? this.writes : this.reads)[this.k].add(r);
    if (write && w.blockDepth > this.baseDepth) this.partlyWritten.add(r);
    let l = this.locals.get(r);
    if (!l) this.locals.set(r, (l = w.local(I64)));
    return l;
  }

  /** A cache for the second pass, with what the first pass learnt and a local per register. */
  withLocals(w: FunctionBuilder): RegCache {
    const c = new RegCache();
    c.reads.push(...this.reads);
    c.writes.push(...this.writes);
    c.lastBackEdge = this.lastBackEdge;
    for (const r of this.partlyWritten) c.partlyWritten.add(r);
    for (const r of this.locals.keys()) c.locals.set(r, w.local(I64));
    if (this.lastBackEdge >= 0) c.iterated = w.local(I32);
    return c;
  }

  writtenIn(from: number, to: number): Set<Reg> {
    const out = new Set<Reg>();
    for (let i = from; i <= to; i++) for (const r of this.writes[i] ?? []) out.add(r);
    return out;
  }

  private storeAll(w: FunctionBuilder, hart: Local, regs: Iterable<Reg>): void {
    for (const r of regs) w.get(hart).get(this.locals.get(r)!).i64_store(offsetOf(r));
  }

  /**
   * Entry: loads the registers read before they are written, those written on some paths
   * only, and, in a loop, those its body writes.
   */
  loadLiveIn(w: FunctionBuilder, hart: Local): void {
    const written = new Set<Reg>();
    for (const r of this.partlyWritten) {
      written.add(r);
      w.get(hart).i64_load(offsetOf(r)).set(this.locals.get(r)!);
    }
    // A loop writes back, once it has gone round, what its whole body writes (writeBack): a
    // register the body writes only after an exit taken in a later pass must hold its value.
    if (this.lastBackEdge >= 0)
      for (const r of this.writtenIn(0, this.lastBackEdge)) {
        written.add(r);
        w.get(hart).i64_load(offsetOf(r)).set(this.locals.get(r)!);
      }
    for (let i = 0; i < Math.max(this.reads.length, this.writes.length); i++) {
      for (const r of this.reads[i] ?? [])
        if (!written.has(r)) {
          written.add(r); // loaded once
          w.get(hart).i64_load(offsetOf(r)).set(this.locals.get(r)!);
        }
      for (const r of this.writes[i] ?? []) written.add(r);
    }
    if (this.iterated) w.i32_const(0).set(this.iterated);
  }

  /** After a helper: every register from the hart state. */
  reloadAll(w: FunctionBuilder, hart: Local): void {
    for (const [r, l] of this.locals) w.get(hart).i64_load(offsetOf(r)).set(l);
  }

  /**
   * Writes back what is newer in locals than in the hart state when the instructions before
   * `upTo` (inclusive) have run in this pass, and, if the loop has gone round, the loop body's.
   */
  writeBack(w: FunctionBuilder, hart: Local, upTo: number): void {
    const done = this.writtenIn(0, upTo);
    this.storeAll(w, hart, done);
    if (this.iterated && upTo < this.lastBackEdge) {
      const rest = [...this.writtenIn(upTo + 1, this.lastBackEdge)].filter((r) => !done.has(r));
      if (rest.length) {
        w.get(this.iterated).if_();
        this.storeAll(w, hart, rest);
        w.end();
      }
    }
  }
}

/** Semantics with constant operands: the instruction is known when its code is emitted. */
class JitSem extends AccessSem {
  /** The instruction being emitted, its index in the translation, and the pc of the next one there. */
  cur!: Insn;
  k = 0;
  next: number | undefined;
  /** A system instruction was emitted: the translation ends after it. */
  ended = false;

  constructor(
    w: FunctionBuilder,
    hartLocal: Local,
    mem: MemStrategy,
    fn: HostFns,
    private readonly budget: Local,
    private readonly npc: Local,
    private readonly done: Local,
    private readonly start: number,
    private readonly count: number,
    private readonly regs: RegCache,
    /** Forward branches that skip within the translation: instruction -> target index. */
    private readonly skips: ReadonlyMap<number, number> = new Map(),
    /** Instructions skipped in this pass (when there are skips). */
    private readonly skipped?: Local,
  ) {
    super(w, hartLocal, mem, fn);
  }

  /** Pushes how many instructions this pass has run up to and including this one (i32). */
  private charged(): void {
    this.w.i32_const(this.k + 1);
    if (this.skipped) this.w.get(this.skipped).i32_sub();
  }

  field(name: FieldName): Operand {
    const value = fieldValue(this.cur.insn, FIELDS[name]);
    return { value, emit: () => void this.w.i32_const(value) };
  }
  imm(kind: ImmKind): void {
    this.w.i64_const(immValue(this.cur.insn, kind));
  }
  /** The register number of a constant operand (every operand is one here). */
  private num(r: Operand): number {
    if (r.value === undefined) throw new Error("jit: a register operand that is not constant");
    return r.value;
  }
  getX(r: Operand): void {
    const n = this.num(r);
    if (n === 0) this.w.i64_const(0);
    else this.w.get(this.regs.local(this.w, `x${n}`, false));
  }
  setX(r: Operand, value: () => void): void {
    const n = this.num(r);
    value(); // even for x0: a load may fault
    if (n === 0) this.w.drop();
    else this.w.set(this.regs.local(this.w, `x${n}`, true));
  }
  getFBits(r: Operand): void {
    this.w.get(this.regs.local(this.w, `f${this.num(r)}`, false));
  }
  setFBits(r: Operand, value: () => void): void {
    value();
    this.w.set(this.regs.local(this.w, `f${this.num(r)}`, true));
  }
  pc(): void {
    this.w.i64_const(this.cur.pc);
  }
  nextPc(): void {
    this.w.i64_const(this.cur.pc + this.cur.len);
  }
  /** The target of a jal or a conditional branch (pc-relative, so known now). */
  private staticTarget(): number | undefined {
    const op = this.cur.insn & 0x7f;
    if (op === OPC_JAL) return this.cur.pc + immValue(this.cur.insn, "J");
    if (op === OPC_BRANCH) return this.cur.pc + immValue(this.cur.insn, "B");
    return undefined;
  }
  jump(target: () => void): void {
    const w = this.w;
    const to = this.staticTarget();
    if (to === this.start) {
      // Back to the start: loop here while the slice lasts and nobody asks to stop.
      w.get(this.budget);
      this.charged();
      w.i32_sub().set(this.budget);
      if (this.skipped) w.i32_const(0).set(this.skipped);
      w.get(this.budget).i32_const(this.count).i32_lt_s();
      w.get(this.hartLocal).i32_load(S.STOP).i32_or();
      w.if_();
      this.regs.writeBack(w, this.hartLocal, this.k);
      w.get(this.hartLocal).i64_const(this.start).i64_store(S.PC);
      w.get(this.hartLocal).get(this.budget).i32_store(S.BUDGET);
      w.i32_const(JIT_CONTINUE).return_();
      w.end();
      this.regs.lastBackEdge = Math.max(this.regs.lastBackEdge, this.k);
      if (this.regs.iterated) w.i32_const(1).set(this.regs.iterated);
      w.br("top");
      return;
    }
    if (to !== undefined && to === this.next) return; // a followed jal: the translation goes on there
    const skipTo = this.skips.get(this.k);
    if (skipTo !== undefined && this.skipped) {
      // A forward branch to code later in this translation: skip to it.
      w.get(this.skipped)
        .i32_const(skipTo - this.k - 1)
        .i32_add()
        .set(this.skipped);
      w.br(`skip${this.k}`);
      return;
    }
    if (to !== undefined) w.i64_const(to);
    else target();
    w.set(this.npc);
    this.leave();
  }
  /** Leaves through the exit block, this instruction done; the jump target is in npc. */
  private leave(): void {
    this.regs.writeBack(this.w, this.hartLocal, this.k);
    this.charged();
    this.w.set(this.done);
    this.w.br("exit");
  }
  protected sync(): void {
    const w = this.w;
    this.regs.writeBack(w, this.hartLocal, this.k - 1); // the host (a signal frame) sees every register
    w.get(this.hartLocal).i64_const(this.cur.pc).i64_store(S.PC);
    w.get(this.hartLocal).get(this.budget);
    this.charged();
    w.i32_sub().i32_store(S.BUDGET);
  }
  protected resume(): void {
    this.w.i32_const(JIT_CONTINUE).return_();
  }
  protected raw(): void {
    this.w.i32_const(this.cur.raw);
  }
  protected len(): void {
    this.w.i32_const(this.cur.len);
  }
  protected afterHelper(name: HelperName): void {
    // The host may have changed the budget (a blocking syscall): rebase on what it left.
    this.w.get(this.hartLocal).i32_load(S.BUDGET);
    this.charged();
    this.w.i32_add().set(this.budget);
    this.regs.reloadAll(this.w, this.hartLocal); // it may have written any of them
    // The FP slow path only computes; any other helper may change what code means (fence.i,
    // satp, privilege): the translation ends after this instruction.
    if (name !== "fp") {
      this.ended = true;
      if (this.regs.endedAt < 0) this.regs.endedAt = this.k;
    }
  }
  /** Ends the translation after the current instruction: continue at the next one. */
  fallOut(): void {
    this.w.i64_const(this.cur.pc + this.cur.len).set(this.npc);
    this.leave();
  }
}

/**
 * Conditional branches whose target comes later in the translation, up to instruction `last`
 * (the last one emitted): they skip forward inside it instead of leaving it. Their ranges
 * must nest (wasm blocks do); a branch that would not is left to exit. Instruction -> index
 * of its target.
 */
function forwardSkips(insns: readonly Insn[], last: number): Map<number, number> {
  const index = new Map(insns.map((i, k) => [i.pc, k]));
  const skips = new Map<number, number>();
  const open: number[] = []; // ends of the enclosing skips, innermost last
  for (let k = 0; k <= last; k++) {
    while (open.length && open[open.length - 1] <= k) open.pop();
    const i = insns[k];
    if ((i.insn & 0x7f) !== OPC_BRANCH) continue;
    const t = index.get(i.pc + immValue(i.insn, "B"));
    if (t === undefined || t <= k + 1 || t > last) continue;
    if (open.length && t > open[open.length - 1]) continue;
    skips.set(k, t);
    open.push(t);
  }
  return skips;
}

const decoders = new WeakMap<readonly InsnDef[], (insn: number) => InsnDef | undefined>();

/** One decoder per definition list (a process per fork would otherwise build its own). */
function decoderFor(defs: readonly InsnDef[]): (insn: number) => InsnDef | undefined {
  let d = decoders.get(defs);
  if (!d) decoders.set(defs, (d = decoder(defs)));
  return d;
}

/** Translates guest code to wasm functions and keeps the table of translations. */
export class Jit {
  readonly table = new WebAssembly.Table({ element: "anyfunc", initial: JIT_SLOTS });
  private readonly decode: (insn: number) => InsnDef | undefined;
  /** Translations made since the start, and flushes (for statistics). */
  translations = 0;
  flushes = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly layout: JitLayout,
    private readonly mem: MemStrategy,
    private readonly code: CodeMemory,
    private readonly ctableOffset: number,
    defs: readonly InsnDef[],
    private readonly imports: WebAssembly.ModuleImports,
  ) {
    this.decode = decoderFor(defs);
    this.flush();
    this.flushes = 0;
  }

  /** Forgets every translation (code may have changed). */
  flush(): void {
    new BigInt64Array(this.memory.buffer, this.layout.tags, JIT_SLOTS).fill(-1n);
    new Int32Array(this.memory.buffer, this.layout.counters, JIT_SLOTS).fill(0);
    this.code.unprotectAll();
    this.flushes++;
  }

  /** True when a store to [addr, addr + bytes) would change translated code (user mode's slow path asks). */
  isCode(addr: number, bytes: number): boolean {
    return this.code instanceof FlatCode && this.code.isCode(addr, bytes);
  }

  /** Translates the code at `hart`'s pc into its slot; leaves the slot empty if there is nothing to run. */
  translate(hart: Hart): void {
    const pcBig = hart.pc;
    if (pcBig >= 2n ** 32n) return; // translations keep pcs in JS numbers: only the low 4 GiB
    const pc = Number(pcBig);
    if (new BigInt64Array(this.memory.buffer, this.layout.tags, JIT_SLOTS)[jitSlot(pc)] === pcBig) return;
    const view = this.code.view(hart);
    const insns = this.fetch(pc, view);
    if (insns.length === 0) return;
    let bytes: Uint8Array;
    try {
      bytes = this.emit(pc, insns);
    } catch {
      return; // a definition this recompiler cannot translate: the interpreter runs it
    }
    const module = compileModule(bytes);
    const env = { memory: this.memory, table: this.table };
    const instance = new WebAssembly.Instance(module, { env, host: this.imports });
    const slot = jitSlot(pc);
    this.table.set(slot, instance.exports.run as () => number);
    // Stores to these pages now reach the host, which drops the translations.
    for (const i of insns) {
      view.protect(i.pc);
      if (i.len === 4) view.protect(i.pc + 2);
    }
    new BigInt64Array(this.memory.buffer, this.layout.tags, JIT_SLOTS)[slot] = pcBig;
    new Int32Array(this.memory.buffer, this.layout.needs, JIT_SLOTS)[slot] = insns.length;
    this.translations++;
  }

  /**
   * The instructions from `pc` on, following jal, up to an indirect jump (jalr), a jump back
   * into them, code the hart could not fetch, or an undecodable word.
   */
  private fetch(pc: number, view: CodeView): Insn[] {
    const u8 = new Uint8Array(this.memory.buffer);
    const ctable = new Uint32Array(this.memory.buffer, this.ctableOffset, 65536);
    const parcel = (a: number): number => {
      const host = a >= 0 && a < 2 ** 32 ? view.host(a) : -1;
      return host < 0 ? -1 : u8[host] | (u8[host + 1] << 8);
    };
    const out: Insn[] = [];
    const seen = new Set<number>();
    let at = pc;
    while (out.length < MAX_INSNS) {
      const lo = parcel(at);
      if (lo < 0) break;
      let raw = lo;
      let insn: number;
      let len = 2;
      if ((lo & 3) === 3) {
        const hi = parcel(at + 2);
        if (hi < 0) break;
        raw = (lo | (hi << 16)) >>> 0;
        insn = raw;
        len = 4;
      } else insn = ctable[lo];
      const def = this.decode(insn);
      if (!def) break; // the interpreter raises illegal-instruction
      out.push({ pc: at, raw, insn, len, def });
      seen.add(at);
      const op = insn & 0x7f;
      if (op === OPC_JALR) break;
      if (op === OPC_JAL) {
        // Follow the jump (a call or a goto): the code there continues this translation,
        // unless it is already part of it.
        const target = at + immValue(insn, "J");
        if (seen.has(target)) break;
        at = target;
      } else at += len;
    }
    return out;
  }

  private emit(start: number, insns: Insn[]): Uint8Array {
    const first = new RegCache();
    this.emitModule(start, insns, () => first); // records the registers used
    const last = first.endedAt >= 0 ? first.endedAt : insns.length - 1;
    const skips = forwardSkips(insns, last);
    for (const [k, t] of skips) for (const r of first.writtenIn(k + 1, t - 1)) first.partlyWritten.add(r);
    return this.emitModule(start, insns, (w) => first.withLocals(w), skips);
  }

  private emitModule(
    start: number,
    insns: Insn[],
    regsFor: (w: FunctionBuilder) => RegCache,
    skips: ReadonlyMap<number, number> = new Map(),
  ): Uint8Array {
    const m = new ModuleBuilder();
    m.importMemory("env", "memory", 1, 65536, this.memory.buffer instanceof SharedArrayBuffer);
    m.importTable("env", "table", JIT_SLOTS);
    const blockType = m.funcType([I32, I32], [I32]);
    const fn = importHostFns(m);
    const [, w] = m.func([I32, I32], [I32], "run");
    const hart = w.param(0);
    const budget = w.param(1);
    const npc = w.local(I64);
    const done = w.local(I32);
    const regs = regsFor(w);
    // The caller has checked that the budget allows a whole pass (emitCanRun).
    regs.loadLiveIn(w, hart);
    const skipped = skips.size ? w.local(I32) : undefined; // wasm locals start at zero
    const sem = new JitSem(
      w,
      hart,
      this.mem,
      fn,
      budget,
      npc,
      done,
      start,
      insns.length,
      regs,
      skips,
      skipped,
    );
    w.loop("top");
    w.block("exit");
    const closeAt = new Map<number, number>();
    let open = 0;
    for (let k = 0; k < insns.length; k++) {
      for (let n = closeAt.get(k) ?? 0; n > 0; n--, open--) w.end(); // a skip lands here
      const t = skips.get(k);
      if (t !== undefined) {
        w.block(`skip${k}`);
        closeAt.set(t, (closeAt.get(t) ?? 0) + 1);
        open++;
      }
      sem.cur = insns[k];
      sem.k = regs.k = k;
      regs.baseDepth = w.blockDepth;
      sem.next = insns[k + 1]?.pc;
      insns[k].def.exec(sem);
      if (sem.ended) {
        sem.fallOut();
        break;
      }
      if (k === insns.length - 1) sem.fallOut();
    }
    for (; open > 0; open--) w.end(); // unreachable: no skip lands past the last instruction
    w.end(); // exit: npc and done are set, registers written back
    w.get(budget).get(done).i32_sub().set(budget);
    // Chain: when the next pc has a translation that fits the budget, it replaces this frame.
    const slot = w.local(I32);
    emitSlot(w, npc);
    w.set(slot);
    emitCanRun(w, this.layout, slot, npc, budget);
    w.get(hart).i32_load(S.STOP).i32_eqz().i32_and();
    w.if_();
    w.get(hart).get(budget).get(slot).return_call_indirect(blockType);
    w.end();
    w.get(hart).get(npc).i64_store(S.PC);
    w.get(hart).get(budget).i32_store(S.BUDGET);
    w.i32_const(JIT_CONTINUE).return_();
    w.end(); // top
    w.unreachable();
    return m.encode();
  }
}
