// The recompiler's RISC-V half (the ISA-neutral half is core/jit): how to fetch and decode an
// instruction for a translation, where it sends control (from its definition's `flow`), and
// its semantics emitted from the same definitions as the interpreter (insns/*.ts through
// `Sem`), only with every operand, immediate and pc a constant.
import type { CodeView, ControlFlow, JitIsa, RegisterFile } from "../../core/jit/isa.js";
import type { TranslationContext } from "../../core/jit/context.js";
import type { PageCache } from "../../core/jit/pagecache.js";
import type { EmitCodeKey } from "../../core/jit/table.js";
import { factsAtBlocks, type LoopRange, type Region } from "../../core/jit/region.js";
import { FunctionBuilder, I32, I64, type Local, type ModuleBuilder } from "../../core/wasm.js";
import { codeKey } from "./code-memory.js";
import { decoder } from "./decode.js";
import { jumpTableTargets } from "./jump-table.js";
import {
  baseAndOffset,
  loopBody,
  rangeAccesses,
  walkingAccesses,
  writtenIn,
  type LoopBody,
} from "./loop-accesses.js";
import {
  FIELDS,
  fieldValue,
  immValue,
  type FieldName,
  type ImmKind,
  type InsnDef,
  type Operand,
} from "./insn.js";
import {
  AccessSem,
  importHostFns,
  permitted,
  PAGE_R,
  PAGE_W,
  type HostFns,
  type MemStrategy,
} from "./sem.js";
import * as S from "./state.js";

/** An instruction as a translation holds it. */
export interface RiscvInsn {
  readonly pc: number;
  /** The bits as fetched, and the 32-bit form (compressed instructions expanded). */
  readonly raw: number;
  readonly insn: number;
  readonly len: 2 | 4;
  readonly def: InsnDef;
}

/** Facts of `words`: bit r set when x[r] holds a sign-extended 32-bit value; x0 always does. */
const X0_ONLY = 1;

/**
 * Which registers hold sign-extended words after `i` (InsnDef.sext32). Every instruction
 * that writes an integer register names it rd; one without operands (ecall, fence.i) may be
 * served by the host, and then nothing is assumed.
 */
function words(i: RiscvInsn, known: number): number {
  const d = i.def;
  if (d.syntax === "") return X0_ONLY;
  if (!d.syntax.startsWith("rd")) return known;
  const rd = fieldValue(i.insn, FIELDS.rd);
  if (rd === 0) return known;
  const needs = d.sext32?.(i.insn);
  return needs !== undefined && (known & needs) === needs ? known | (1 << rd) : known & ~(1 << rd);
}

/**
 * The registers whose being words at the start of `insns` the narrowing there may rely on: an
 * instruction's InsnDef.narrow needs, and what makes a needed rd a word (InsnDef.sext32), back
 * to the start (a move into a register a later instruction narrows relies on its source).
 */
function wordsRelied(insns: readonly RiscvInsn[]): number {
  let relied = 0;
  for (let k = insns.length - 1; k >= 0; k--) {
    const i = insns[k];
    const d = i.def;
    if (d.syntax.startsWith("rd")) {
      const rd = fieldValue(i.insn, FIELDS.rd);
      if (rd !== 0 && relied & (1 << rd)) relied = (relied & ~(1 << rd)) | (d.sext32?.(i.insn) ?? 0);
    }
    relied |= d.narrow?.needs(i.insn) ?? 0;
  }
  return relied;
}

/** Pushes i32 1 when every register of `regs` (bit r for x[r]) holds a sign-extended word. */
function testWords(t: TranslationContext, regs: number): void {
  const w = t.w;
  let first = true;
  for (let r = 1; r < 32; r++) {
    if (!(regs & (1 << r))) continue;
    t.getReg(r);
    w.i32_wrap_i64().i64_extend_i32_s();
    t.getReg(r);
    w.i64_eq();
    if (!first) w.i32_and();
    first = false;
  }
}

/** The control flow of most instructions (one object: a region asks for every instruction's). */
const FALLTHROUGH: ControlFlow = { kind: "fallthrough" };

/** x0..x31 are registers 0..31, f0..f31 registers 32..63. */
const F_BASE = 32;
const REGISTERS: RegisterFile = {
  count: 64,
  offset: (reg) => (reg < F_BASE ? S.X + 8 * reg : S.F + 8 * (reg - F_BASE)),
};

export class RiscvJitIsa implements JitIsa<RiscvInsn> {
  readonly state = {
    pc: S.PC,
    budget: S.BUDGET,
    stop: S.STOP,
    exit: { site: S.JIT_EXIT_SITE, target: S.JIT_EXIT_TARGET },
    sideExits: S.JIT_SIDE_EXITS,
    calls: { expect: S.JIT_RET_EXPECT, depth: S.JIT_CALL_DEPTH, predicted: S.JIT_PREDICTED },
  };
  readonly registers = REGISTERS;
  readonly emitCodeKey: EmitCodeKey | undefined;
  /** Made at the first translation (decode.ts's decoder): a short run makes none. */
  private decodeWord: ((insn: number) => InsnDef | undefined) | undefined;

  constructor(
    private readonly memory: WebAssembly.Memory,
    /** Host offset of the table of compressed instructions' expansions. */
    private readonly ctableOffset: number,
    private readonly defs: readonly InsnDef[],
    private readonly mem: MemStrategy,
  ) {
    this.emitCodeKey = codeKey(mem);
  }

  /**
   * Views of the memory, made again only when it grows: decoding is hot, each view is an
   * allocation, and even reading `memory.buffer` costs a call into the engine. A grown memory
   * leaves the old views empty (detached), or, shared, shorter than the offset asked for.
   */
  private views(host: number): { u8: Uint8Array; ctable: Uint32Array } {
    const v = this.viewsOf;
    if (v !== undefined && host + 1 < v.u8.length && v.ctable.length !== 0) return v;
    const buffer = this.memory.buffer;
    return (this.viewsOf = {
      u8: new Uint8Array(buffer),
      ctable: new Uint32Array(buffer, this.ctableOffset, 65536),
    });
  }
  private viewsOf: { u8: Uint8Array; ctable: Uint32Array } | undefined;

  /** The 16-bit parcel at guest address `a` (signed, see GuestInsn), or -1 when the hart cannot fetch it. */
  private parcel(a: number, code: CodeView): number {
    const host = Number.isSafeInteger(a) ? code.host(a) : -1;
    if (host < 0) return -1;
    const u8 = this.views(host).u8;
    return u8[host] | (u8[host + 1] << 8);
  }

  decode(pc: number, code: CodeView): RiscvInsn | undefined {
    const lo = this.parcel(pc, code);
    if (lo < 0) return undefined;
    if ((lo & 3) !== 3) {
      const insn = this.views(0).ctable[lo];
      const def = (this.decodeWord ??= decoder(this.defs))(insn);
      return def && { pc, raw: lo, insn, len: 2, def };
    }
    // Fetched on its own: PMP may allow the first half and not the second (Priv spec §3.7.1).
    const hi = this.parcel(pc + 2, code);
    if (hi < 0) return undefined;
    const insn = (lo | (hi << 16)) >>> 0;
    const def = (this.decodeWord ??= decoder(this.defs))(insn);
    return def && { pc, raw: insn, insn, len: 4, def }; // undecodable: the interpreter raises illegal-instruction
  }

  controlFlow(i: RiscvInsn): ControlFlow {
    const flow = i.def.flow;
    if (!flow) return FALLTHROUGH;
    // jal and jalr writing a link register are calls: the callee comes back after them.
    const link = flow.kind !== "branch" && fieldValue(i.insn, FIELDS.rd) !== 0 ? i.pc + i.len : undefined;
    if (flow.kind === "branch") return { kind: "branch", target: i.pc + immValue(i.insn, flow.offset) };
    if (flow.kind === "jump") return { kind: "jump", target: i.pc + immValue(i.insn, flow.offset), link };
    // Unprivileged spec §2.5 (the return-address stack hints): jalr x0, 0(x1 or x5) is a return.
    const rs1 = fieldValue(i.insn, FIELDS.rs1);
    const isReturn = link === undefined && (rs1 === 1 || rs1 === 5) && immValue(i.insn, "I") === 0;
    if (flow.kind === "indirect") return { kind: "indirect", link, isReturn };
    return { kind: flow.kind };
  }

  jumpTable(path: readonly RiscvInsn[], code: CodeView): readonly number[] | undefined {
    return jumpTableTargets(path, code, (pc) => this.decode(pc, code));
  }

  emitterFor(m: ModuleBuilder): (t: TranslationContext) => (insn: RiscvInsn) => void {
    const fn = importHostFns(m);
    return (t) => {
      const sem = new TranslationSem(t, this.mem, fn);
      if (this.mem.kind === "flat") t.onLoopEntry = (head) => sem.hoistChecks(head);
      const region = t.region as Region<RiscvInsn>;
      const plain = (insn: RiscvInsn) => {
        sem.cur = insn;
        insn.def.exec(sem);
      };
      if (!region.blocks.some((b) => b.insns.some((i) => i.def.narrow))) return plain;
      // The registers known to hold sign-extended words, at each block's start and as the
      // instructions go (InsnDef.narrow uses them).
      // Where the translation is entered at a block that code inside reaches too (a loop whose
      // head or middle is the entry), the words the block's narrowing relies on are tested there
      // (TranslationContext.entryGuards): compiled code keeps 32-bit values sign-extended.
      const atBlocks = factsAtBlocks(region, t.blocksEnteredIndirectly(), X0_ONLY, words, (i, inside) => {
        const tested = inside & wordsRelied(region.blocks[i].insns) & ~X0_ONLY;
        if (tested !== 0) t.entryGuards.set(i, () => testWords(t, tested));
        return tested;
      });
      let block = -1;
      let known = X0_ONLY;
      return (insn) => {
        if (t.currentBlock !== block) known = atBlocks[(block = t.currentBlock)];
        const narrow = insn.def.narrow;
        const needs = narrow?.needs(insn.insn);
        if (narrow && needs !== undefined && (known & needs) === needs) {
          t.shapes.narrowed++;
          sem.cur = insn;
          narrow.exec(sem);
        } else plain(insn);
        known = words(insn, known);
      };
    };
  }
}

/**
 * Accesses through one base register, unchanged between them, in one block (user mode):
 * the offsets they span and what they need of the pages. One check before the first covers
 * them all (the span's one or two pages). The first access to test it (the first of the
 * group when a later one was seen ahead, else the second) leaves the translation when it
 * failed; the accesses after that one are not checked again.
 */
interface AccessGroup {
  readonly base: Local;
  /** The first access's position in the body, where the group's check goes in. */
  readonly at: number;
  lo: number;
  hi: number;
  load: boolean;
  store: boolean;
  /** i32: the check passed (made at the first access when a later one was seen ahead, else when a second joins). */
  ok?: Local;
  /** An access has tested `ok` (and left when it failed). */
  tested?: boolean;
}

/** At most this many accesses of one translation have hoisted checks (each keeps a page in a local). */
const MAX_HOISTED = 4;
/** At most this many spans of a loop are checked where it is entered (loop-accesses.ts, rangeAccesses). */
const MAX_RANGES = 4;
/** The widest span one such check covers: two pages at most, its first byte's and its last's. */
const RANGE_SPAN = 4096;

/** The widest span of offsets one group takes: wider ones would cross a page too often. */
const GROUP_SPAN = 1024;

/** Semantics with constant operands: the instruction is known when its code is emitted. */
class TranslationSem extends AccessSem {
  cur!: RiscvInsn;

  constructor(
    private readonly t: TranslationContext,
    mem: MemStrategy,
    fn: HostFns,
  ) {
    super(t.w, t.hart, mem, fn);
  }

  /** The page cache of the access being emitted, if it has one (probe sets it, hostAddr uses it). */
  private cache: PageCache | undefined;

  /**
   * An access first compares its page with the page its cache holds (core/jit/pagecache.ts);
   * on a miss it takes the full check, which fills the cache when it passes. Only naturally
   * aligned accesses hit (they cannot cross the page); the others always take the full check,
   * as do accesses without a cache (TranslationContext.pageCache says where caches pay).
   */
  protected override probe(
    va: Local,
    bytes: number,
    tag: number,
    entry: Local,
    slow: string,
    aligned = false,
  ): void {
    const w = this.w;
    if (this.hoisted.has(this.cur.pc) && !aligned) {
      w.get(va).i32_wrap_i64().set(entry); // what the flat probe leaves in entry
      this.cache = undefined;
      return;
    }
    const group =
      this.mem.kind === "flat" && !aligned ? this.joinGroup(bytes, tag === S.TLB_WRITE) : undefined;
    if (group?.ok) {
      // An access of a group with a check. The first to test it leaves before it runs unless
      // the check passed (the interpreter then runs it and what follows); after it, it holds.
      w.get(va).i32_wrap_i64().set(entry); // what the flat probe leaves in entry
      if (!group.tested) {
        group.tested = true;
        w.get(group.ok).i32_eqz().rarely().if_();
        this.t.sideExit();
        w.end();
      }
      return;
    }
    // The TLB's check costs three loads; user mode's permission byte one, which a cache that
    // misses on pointer-chasing code does not beat (embedded: 10 % slower with caches).
    const c = (this.cache = this.mem.kind === "tlb" ? this.t.pageCache() : undefined);
    if (!c) return super.probe(va, bytes, tag, entry, slow, aligned);
    w.block("page_hit");
    // The page, and the bits that must be 0 for natural alignment (as in the TLB's tags).
    w.get(va)
      .i64_const(-4096 | (bytes - 1))
      .i64_and()
      .get(c.page)
      .i64_eq()
      .br_if("page_hit");
    super.probe(va, bytes, tag, entry, slow, aligned);
    w.get(entry).i32_load(S.TLB_ADDEND).set(c.addend);
    w.get(va).i64_const(-4096).i64_and().set(c.page);
    w.end();
  }
  protected override hostAddr(va: Local, entry: Local): void {
    if (!this.cache) return super.hostAddr(va, entry);
    this.w.get(va).i32_wrap_i64().get(this.cache.addend).i32_add();
  }
  /**
   * User mode, where loop `head` (Region.loops) is entered from outside: the accesses of the
   * blocks every pass runs through a pointer that the loop only steps (walks), at a distance
   * from its value at the head that is known (loop-accesses.ts, walkingAccesses: the pointer of
   * a loop that walks an array), are checked here for the first pass, and at every back edge
   * for the next one (context.loopCheck), each against the page its last check found: the
   * address is below 4 GiB, within that page, and the page allowed the access. When the next
   * pass's address is on another page, that page is checked there and the loop goes on. Then
   * the accesses whose span is fixed for the whole loop (hoistRanges). The accesses themselves
   * carry no check. A check that fails leaves before the head (the interpreter runs it).
   * Nothing changes what a page allows while the translation runs (a helper, which could,
   * ends it: such loops hold none).
   */
  hoistChecks(head: number): void {
    if (this.mem.kind !== "flat") return;
    const table = this.mem.permTable;
    const region = this.t.region as Region<RiscvInsn>;
    const loop = region.loops.find((l) => l.head === head);
    if (!loop) return;
    const w = this.w;
    const body = loopBody(region, loop);
    for (const a of walkingAccesses(region, loop, body)) {
      if (this.walking >= MAX_HOISTED) break;
      const { reg, off, bytes } = a;
      const base = this.local(reg, false);
      const page = w.local(I64, true);
      this.t.beginLoopChecks(head);
      this.checkPage(base, off, bytes, a.store ? PAGE_W : PAGE_R, page, table);
      w.rarely().if_();
      this.t.sideExit();
      w.end();
      this.t.loopCheck(head, () =>
        w
          .get(base)
          .i64_const(off)
          .i64_add()
          .get(page)
          .i64_sub()
          .i64_const(4096 - bytes)
          .i64_gt_u(),
      );
      this.hoisted.add(a.pc);
      this.walking++;
      this.t.shapes.hoistedChecks++;
      if (a.step === "register") this.t.shapes.registerSteps++;
      if (a.moved !== 0) this.t.shapes.hoistedAfterStep++;
    }
    this.hoistRanges(region, loop, body, table);
  }
  /** The accesses whose checks hoistChecks made through a walking pointer (each has a page local). */
  private walking = 0;

  /**
   * The accesses of loop `loop`'s head block whose addresses stay within a span fixed for the
   * whole loop (loop-accesses.ts: a base register the loop does not write, plus an offset the
   * block's own instructions bound, such as a table indexed by a masked byte) are checked
   * here, once for the span: its first and last bytes below 4 GiB, and the pages of both (a
   * span of at most a page has no other) allow every access of it. Accesses through one base
   * share a check while their spans fit together. The base does not change while the loop
   * runs, nor what pages allow (as for hoistChecks), so no back edge checks again; a check
   * that fails leaves before the head, for any access of the span, also one that would not
   * have reached the page that failed (the interpreter runs the pass).
   */
  private hoistRanges(region: Region<RiscvInsn>, loop: LoopRange, body: LoopBody, table: number): void {
    const written = writtenIn(region, body.blocks);
    if (!written) return;
    const found = rangeAccesses(region.blocks[loop.head].insns, written).filter(
      (a) => !this.hoisted.has(a.pc) && a.hi - a.lo < RANGE_SPAN,
    );
    found.sort((a, b) => a.base - b.base || a.lo - b.lo);
    const spans: { base: number; lo: number; hi: number; need: number; pcs: number[] }[] = [];
    for (const a of found) {
      const need = a.store ? PAGE_W : PAGE_R;
      const last = spans[spans.length - 1];
      if (last?.base === a.base && Math.max(last.hi, a.hi) - last.lo < RANGE_SPAN) {
        last.hi = Math.max(last.hi, a.hi);
        last.need |= need;
        last.pcs.push(a.pc);
      } else if (spans.length < MAX_RANGES)
        spans.push({ base: a.base, lo: a.lo, hi: a.hi, need, pcs: [a.pc] });
    }
    if (spans.length === 0) return;
    const w = this.w;
    this.t.beginLoopChecks(loop.head);
    const first = w.local(I64);
    const last = w.local(I64);
    for (const span of spans) {
      w.get(this.local(span.base, false)).i64_const(span.lo).i64_add().set(first);
      w.get(first)
        .i64_const(span.hi - span.lo)
        .i64_add()
        .set(last);
      permitted(w, first, table, span.need);
      permitted(w, last, table, span.need);
      w.i32_and().i32_eqz().rarely().if_();
      this.t.sideExit();
      w.end();
      for (const pc of span.pcs) this.hoisted.add(pc);
      this.t.shapes.rangeChecks += span.pcs.length;
    }
    w.release(first);
    w.release(last);
  }
  /**
   * Sets `page` to the page of base + off and pushes an i32, nonzero when an access of `bytes`
   * there may not run on the fast path: the address is 4 GiB or above, too close to the
   * page's end, or its page does not allow `need`.
   */
  private checkPage(base: Local, off: number, bytes: number, need: number, page: Local, table: number): void {
    const w = this.w;
    const va = w.local(I64);
    w.get(base).i64_const(off).i64_add().set(va);
    w.get(va).i64_const(-4096).i64_and().set(page);
    w.get(va)
      .i32_wrap_i64()
      .i32_const(0xfff)
      .i32_and()
      .i32_const(4096 - bytes)
      .i32_le_u();
    permitted(w, va, table, need);
    w.i32_and().i32_eqz();
    w.release(va);
  }
  /** The pcs of accesses whose checks hoistChecks made (they carry none). */
  private readonly hoisted = new Set<number>();

  /** The open access groups of the current block, by base register. */
  private readonly groups = new Map<number, AccessGroup>();
  private groupsBlock = -1;
  /** i64 scratch of the groups' checks. */
  private groupAddr: Local | undefined;
  private groupEnd: Local | undefined;

  /**
   * This access (a load or store at rs1 + an immediate) joins the group of its base register,
   * or begins one: the group it joined once it has a check, else undefined (it checks itself).
   * A group ends with its block, when its base register is written, and after a helper (the
   * host may have changed what pages allow: nothing else can while a translation runs).
   */
  private joinGroup(bytes: number, store: boolean): AccessGroup | undefined {
    const block = this.t.currentBlock;
    if (block !== this.groupsBlock) {
      this.groups.clear();
      this.groupsBlock = block;
    }
    const access = baseAndOffset(this.cur);
    if (access === undefined) return undefined;
    const [reg, off] = access;
    const g = this.groups.get(reg);
    if (g && Math.max(g.hi, off + bytes) - Math.min(g.lo, off) <= GROUP_SPAN) {
      g.lo = Math.min(g.lo, off);
      g.hi = Math.max(g.hi, off + bytes);
      g.load ||= !store;
      g.store ||= store;
      g.ok ??= this.w.local(I32, true);
      return g;
    }
    const first: AccessGroup = {
      base: this.local(reg, false),
      at: this.w.code.length,
      lo: off,
      hi: off + bytes,
      load: !store,
      store,
    };
    this.groups.set(reg, first);
    this.t.insertLater(first.at, () => this.groupCheck(first));
    if (!this.joinedLater(reg, off, bytes)) return undefined;
    // Another access will join: the group's check, not this access's own, covers this one too.
    first.ok = this.w.local(I32, true);
    return first;
  }

  /**
   * Whether a later access of the block is likely to join a group of base `reg` begun at
   * `off`: one through `reg` close enough, before an instruction that may write `reg`. A
   * guess (a helper between, say, ends the group): the first access then tests a check of
   * its own span, which is as safe.
   */
  private joinedLater(reg: number, off: number, bytes: number): boolean {
    // The context is ISA-neutral; the instructions it holds are this plug-in's.
    const insns = this.t.blockInsns as readonly RiscvInsn[];
    for (let j = this.t.currentIndex + 1; j < insns.length; j++) {
      const next = insns[j];
      const access = baseAndOffset(next);
      if (access?.[0] === reg) {
        const o = access[1];
        return Math.max(off + bytes, o + 8) - Math.min(off, o) <= GROUP_SPAN;
      }
      if (next.def.syntax.startsWith("rd") && fieldValue(next.insn, FIELDS.rd) === reg) return false;
    }
    return false;
  }

  /**
   * A group's check, before its first access: ok = the span's first and last bytes are below
   * 4 GiB and their pages (one, or two when the span crosses) allow every access of the group
   * (the flat probe's conditions, once). Branch-free: the second access tests `ok`. Both pages:
   * a frame or structure across a page boundary must not leave the translation every time.
   */
  private groupCheck(g: AccessGroup): Uint8Array | undefined {
    if (!g.ok || this.mem.kind !== "flat") return undefined;
    this.t.shapes.sharedChecks++;
    const a = (this.groupAddr ??= this.w.local(I64, true));
    const e = (this.groupEnd ??= this.w.local(I64, true));
    const need = (g.load ? PAGE_R : 0) | (g.store ? PAGE_W : 0);
    const b = new FunctionBuilder([], []);
    b.get(g.base).i64_const(g.lo).i64_add().set(a);
    b.get(a)
      .i64_const(g.hi - 1 - g.lo)
      .i64_add()
      .set(e);
    permitted(b, a, this.mem.permTable, need);
    permitted(b, e, this.mem.permTable, need);
    b.i32_and().set(g.ok);
    return b.code.view().slice();
  }

  /**
   * User mode: a load, store or atomic that misses (a page it may not use, a page with code
   * for a store, an access across pages) leaves the translation for the interpreter, which serves
   * it. Such misses are rare there (a fault, a write to a code page), and the code after the
   * check then has no host call merging into it, whose clobbered registers make V8 keep the
   * guest's registers on the stack. Under a page table (TLB misses are common) the host
   * serves the miss in place.
   */
  protected override leftOnMiss(): boolean {
    if (this.mem.kind !== "flat") return false;
    this.t.sideExit();
    return true;
  }

  /** A CSR write served in wasm may change which TLB set accesses use (sstatus.SUM, say). */
  override csr(): void {
    super.csr();
    this.t.forgetPages();
  }

  /** Constant operands by value, made once per translation (emission is hot). */
  private readonly consts: Operand[] = [];

  field(name: FieldName): Operand {
    const value = fieldValue(this.cur.insn, FIELDS[name]);
    return (this.consts[value] ??= { value, emit: () => void this.w.i32_const(value) });
  }
  imm(kind: ImmKind): void {
    this.w.i64_const(immValue(this.cur.insn, kind));
  }
  /** The register number of a constant operand (every operand is one here). */
  private num(r: Operand): number {
    if (r.value === undefined) throw new Error("jit: a register operand that is not constant");
    return r.value;
  }
  private local(reg: number, write: boolean): Local {
    return this.t.reg(reg, write);
  }
  getX(r: Operand): void {
    const n = this.num(r);
    if (n === 0) this.w.i64_const(0);
    else this.t.getReg(n);
  }
  setX(r: Operand, value: () => void): void {
    const n = this.num(r);
    if (n === 0) {
      value(); // even for x0: a load may fault
      this.w.drop();
    } else this.t.setReg(n, value);
    if (this.groups.size > 0) this.groups.delete(n); // the base moved: later accesses through it start anew
  }
  getFBits(r: Operand): void {
    this.t.getReg(F_BASE + this.num(r));
  }
  setFBits(r: Operand, value: () => void): void {
    this.t.setReg(F_BASE + this.num(r), value);
  }
  pc(): void {
    this.w.i64_const(this.cur.pc);
  }
  nextPc(): void {
    this.w.i64_const(this.cur.pc + this.cur.len);
  }
  jump(target: () => void): void {
    this.t.jump(target);
  }
  protected sync(): void {
    this.t.beforeHostCall();
  }
  protected resume(): void {
    this.t.resumeAtStatePc();
  }
  protected raw(): void {
    this.w.i32_const(this.cur.raw);
  }
  protected len(): void {
    this.w.i32_const(this.cur.len);
  }
  protected afterHelper(): void {
    // A helper that may change what code means is declared `stop`: the translation ends after it.
    this.t.afterHelper();
    this.groups.clear();
  }
}
