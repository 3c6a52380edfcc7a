// What an ISA's semantics emit through inside a translation, besides their own arithmetic:
// guest registers as wasm locals (regcache.ts), transfers of control (to a block of the same
// translation, or out of it), and the bookkeeping around host calls (registers written back,
// pc and budget saved before; budget rebased and registers reloaded after).
//
// The translation function (codegen.ts) is a dispatch loop around its blocks, laid out in
// order inside nested wasm blocks: a jump to a block later in the layout is a `br` to it, a
// jump to one earlier goes round the loop (a `br_table` on the block index), after checking
// that the run budget still covers a whole pass and that nobody asked the hart to stop; a
// loop that can run in place (Region.loops: entered only at its first block, jumping back
// only there) has a wasm `loop` of its own for that. A side exit
// leaves before an instruction the interpreter is to run (sideExit). The budget local is what
// was left when the current block began.
import { I32, I64, type FunctionBuilder, type Local } from "../wasm.js";
import type { ControlFlow, GuestInsn, HartStateLayout } from "./isa.js";
import type { PageCache, PageCaches } from "./pagecache.js";
import type { RegCache } from "./regcache.js";
import { guessable, innerBlock, type Region } from "./region.js";
import { JIT_CONTINUE, JIT_RETURNED } from "./table.js";

/**
 * Calls waiting for their return at most (each holds a wasm frame on the host's stack); a
 * call deeper leaves as any jump does.
 */
export const MAX_WAITING_CALLS = 32;

/** The label of the translation's side exit (codegen.ts emits it after the dispatch loop). */
export const SIDE_EXIT = "side";

/** The locals and facts one translation function is emitted with. */
export interface TranslationFrame<Insn extends GuestInsn> {
  readonly w: FunctionBuilder;
  /** i32: the hart state's base; i32: the budget left; i64: the pc an exit goes to; i32: instructions of the current block run at an exit; i32: the block the dispatch loop runs next. */
  readonly hart: Local;
  readonly budget: Local;
  readonly npc: Local;
  readonly done: Local;
  readonly next: Local;
  /** i64: the pc of the indirect jump that leaves, 0 when the exit is not one (wasm locals start at zero). */
  readonly site: Local;
  readonly region: Region<Insn>;
  readonly regs: RegCache;
  /** The memory accesses' page caches (pagecache.ts). */
  readonly pages: PageCaches;
  /** Counts of the shapes emitted (for JitCounts), added to as the translation is emitted. */
  readonly shapes: EmitShapes;
  /**
   * When calls that leave wait for their return (callOut): the dispatcher's function index,
   * and the address of JitLayout.changes.
   */
  readonly call?: { readonly dispatch: number; readonly changes: number };
}

/** How often translations used the code shapes that only speed matters for (tests assert them). */
export interface EmitShapes {
  /** Loops emitted as a wasm loop of their own (codegen.ts, Region.loops), and those of them with several blocks. */
  loopsInPlace: number;
  longLoopsInPlace: number;
  /** Checks emitted for several memory accesses at once (the ISA's, via insertLater). */
  sharedChecks: number;
  /** Loops in place that hold another (Region.loops). */
  nestedLoopsInPlace: number;
  /** Memory accesses whose check went before their loop and to its back edges (the ISA's, via onLoopEntry and loopCheck), and those of them through a pointer the loop steps by a register. */
  hoistedChecks: number;
  registerSteps: number;
  /** Of those, accesses after a step of their pointer in the same pass (in the head block or a later one). */
  hoistedAfterStep: number;
  /** Memory accesses checked once where their loop is entered, for the span a base the loop does not write and a bounded offset reach (the ISA's, via onLoopEntry). */
  rangeChecks: number;
  /** Instructions emitted in a narrower form that facts known at them allow (the ISA's). */
  narrowed: number;
  /** Blocks entered with facts the ISA tests where the translation is entered at them (TranslationContext.entryGuards). */
  guardedEntries: number;
  /** Translations that kept the guest's registers in the hart state (CodeView.registersInMemory). */
  registersInMemory: number;
  /** Registers of translations with locals that stayed in the hart state all the same (RegCache, MAX_MEMORY_USES). */
  registersInHartState: number;
}

/**
 * Names `prefix` + i, each made once: emission looks labels up by name at every branch, and
 * a string made again must be hashed again.
 */
function labels(prefix: string): (i: number) => string {
  const made: string[] = [];
  return (i) => (made[i] ??= `${prefix}${i}`);
}
/** The wasm label of block `i`'s start (codegen.ts opens them). */
export const blockLabel = labels("b");
/** The label of the loop that begins at block `i` (Region.loops). */
export const loopLabel = labels("l");
/** The label of the loop around loop `i`'s checks (TranslationContext.beginLoopChecks). */
const recheckLabel = labels("r");
/** The label of bucket `h` of an indirect jump's hash. */
const bucketLabel = labels("h");

export class TranslationContext<Insn extends GuestInsn = GuestInsn> {
  readonly w: FunctionBuilder;
  readonly hart: Local;
  /** The block being emitted and its index in the layout; the instruction, its index in the block, and its control flow. */
  private block = 0;
  private insn!: GuestInsn;
  private k = 0;
  private flow: ControlFlow = { kind: "fallthrough" };
  /** Block index by start pc. */
  private readonly indexOf = new Map<number, number>();

  constructor(
    private readonly f: TranslationFrame<Insn>,
    private readonly state: HartStateLayout,
  ) {
    this.w = f.w;
    this.hart = f.hart;
    f.region.blocks.forEach((b, i) => this.indexOf.set(b.start, i));
  }

  /** Starts instruction `k` of block `block` (at the block depth its code runs at). */
  begin(block: number, k: number, insn: GuestInsn, flow: ControlFlow): void {
    this.baseDepth = this.w.blockDepth;
    this.block = block;
    this.k = k;
    this.insn = insn;
    this.flow = flow;
  }

  /**
   * A page cache for one memory access of this instruction (pagecache.ts), where it can pay:
   * in a block that may run more than once in one run of the translation. Elsewhere a cache
   * would only add its reset at entry and a miss before the full check.
   */
  pageCache(): PageCache | undefined {
    this.repeats ??= repeatingBlocks(this.f.region, this.indexOf);
    return this.repeats[this.block] ? this.f.pages.add() : undefined;
  }
  private repeats: boolean[] | undefined;
  /** What pages map to may have changed here (the ISA's semantics say where): every page cache forgets. */
  forgetPages(): void {
    this.f.pages.forget();
  }

  /**
   * Called where a loop in place (Region.loops) is entered from outside it, before its first
   * pass (control then falls into the loop); the current instruction is the head's first.
   * The ISA may emit checks there for the loop's first pass (a side exit leaves before the
   * head) and add checks for the next pass at its back edges (loopCheck).
   */
  onLoopEntry: ((head: number) => void) | undefined;
  /** codegen.ts: loop `head` is entered here (see onLoopEntry). */
  enterLoop(head: number): void {
    if (!this.onLoopEntry) return;
    const b = this.f.region.blocks[head];
    this.begin(head, 0, b.insns[0], b.flows[0]);
    this.onLoopEntry(head);
  }
  /**
   * The ISA's checks for loop `head`'s first pass begin here (call it before emitting them):
   * a back edge whose loopCheck fails comes back here to make them again, for the page the
   * next pass is on. Outside the loop proper, so that it stays an innermost loop for the
   * engine (V8 unrolls those) and what the checks find is fixed inside it.
   */
  beginLoopChecks(head: number): void {
    if (this.rechecked.has(head)) return;
    this.rechecked.add(head);
    this.w.loop(recheckLabel(head));
  }
  /** The loops whose checks beginLoopChecks opened. */
  private readonly rechecked = new Set<number>();
  /** codegen.ts: after the last block of loop `head`. */
  endLoop(head: number): void {
    this.w.end();
    if (this.rechecked.has(head)) this.w.end();
  }
  /**
   * Adds a test to every back edge of the loop at `head` (after the budget's): `test` pushes
   * an i32, nonzero (rarely) when the next pass may not rely on the loop's checks (its address
   * is on another page). Control then goes back to the checks (beginLoopChecks), which look
   * at the new page and leave before the head if it fails them.
   */
  loopCheck(head: number, test: () => void): void {
    const tests = this.loopTests.get(head);
    if (tests) tests.push(test);
    else this.loopTests.set(head, [test]);
  }
  private readonly loopTests = new Map<number, (() => void)[]>();

  /** How many side exits the translation has (codegen.ts emits their common code if any). */
  sideExits = 0;

  /**
   * Blocks the ISA's facts assume more of where the translation is entered at them
   * (region.ts, factsAtBlocks with `assume`), each with the test that pushes i32 1 when the
   * assumption holds. codegen.ts tests it at the translation's start (a side exit when it
   * does not hold); an indirect jump goes to such a block inside only when it holds (else it leaves).
   */
  readonly entryGuards = new Map<number, () => void>();

  /** The region being translated. */
  get region(): Region<Insn> {
    return this.f.region;
  }
  /** The blocks an indirect jump of the translation may go to without leaving it. */
  blocksEnteredIndirectly(): readonly number[] {
    const region = this.f.region;
    // jump() goes through them for every flow but a direct branch or jump (an indirect one, sret)
    const direct = ["fallthrough", "branch", "jump"];
    const jumps = region.blocks.some((b) => b.flows.some((f) => !direct.includes(f.kind)));
    return jumps ? (this.targets ??= indirectTargets(region)).inside : [];
  }
  /** The index of the block being emitted (a new one: control may have come from elsewhere). */
  get currentBlock(): number {
    return this.block;
  }

  /** The current block's instructions; those after index `currentIndex` are still to be emitted. */
  get blockInsns(): readonly Insn[] {
    return this.f.region.blocks[this.block].insns;
  }
  /** The index in its block of the instruction being emitted. */
  get currentIndex(): number {
    return this.k;
  }

  /**
   * Code to go in at an earlier point of the body (`at`, a `w.code.length` of then), made
   * once the whole translation is emitted: e.g. a check that covers accesses emitted after
   * it. It must leave the stack as it found it.
   */
  insertLater(at: number, code: () => Uint8Array | undefined): void {
    this.later.push({ at, code });
  }
  private readonly later: { at: number; code: () => Uint8Array | undefined }[] = [];
  /** The code insertLater asked for (for RegCache.finish). */
  laterPieces(): { at: number; bytes: Uint8Array }[] {
    return this.later.flatMap(({ at, code }) => {
      const bytes = code();
      return bytes ? [{ at, bytes }] : [];
    });
  }

  /** Counts of the shapes emitted (see EmitShapes). */
  get shapes(): EmitShapes {
    return this.f.shapes;
  }

  /** The local caching guest register `reg` (reading it, or writing it when `write`); not with registersInMemory. */
  reg(reg: number, write: boolean): Local {
    return this.f.regs.local(reg, write);
  }
  /** Pushes guest register `reg`. */
  getReg(reg: number): void {
    this.f.regs.get(reg);
  }
  /** Sets guest register `reg` to the i64 `value` pushes. */
  setReg(reg: number, value: () => void): void {
    this.f.regs.set(reg, value);
  }

  /**
   * The instruction transfers control (taken): to its declared target when it has one, else
   * to the i64 `target` pushes.
   */
  jump(target: () => void): void {
    const to = this.flow.kind === "branch" || this.flow.kind === "jump" ? this.flow.target : undefined;
    if (to !== undefined) return this.goTo(to);
    const { w, region } = this.f;
    // An indirect jump: to a return site or a guessed target of this translation (or, in a
    // small one, any block) it stays inside; elsewhere it leaves.
    const t = w.local(I64);
    target();
    w.set(t);
    const { inside, hash } = (this.targets ??= indirectTargets(region));
    if (hash) {
      // A br_table on a hash of the target picks the one block it may be; a compare checks it.
      w.block("miss");
      for (let h = hash.size - 1; h >= 0; h--) if (hash.blockOf[h] >= 0) w.block(bucketLabel(h));
      w.get(t)
        .i64_const(hash.shift)
        .i64_shr_u()
        .i32_wrap_i64()
        .i32_const(hash.size - 1)
        .i32_and();
      w.br_table(hash.labels, "miss");
      for (let h = 0; h < hash.size; h++) {
        const i = hash.blockOf[h];
        if (i < 0) continue;
        w.end();
        w.get(t).i64_const(region.blocks[i].start).i64_eq().if_();
        this.enterTested(i);
        w.end();
        w.br("miss");
      }
      w.end();
    } else
      for (const i of inside) {
        w.get(t).i64_const(region.blocks[i].start).i64_eq().if_();
        this.enterTested(i);
        w.end();
      }
    w.get(t).set(this.f.npc);
    w.release(t);
    if (guessable(this.flow)) w.i64_const(this.insn.pc).set(this.f.site); // to learn where it goes
    if (this.flow.kind === "indirect" && this.flow.link !== undefined) this.callOut(this.flow.link);
    this.leave();
  }

  /** An indirect jump's entry into block i: where the ISA assumed facts there (entryGuards), only when they hold. */
  private enterTested(i: number): void {
    const holds = this.entryGuards.get(i);
    if (!holds) return this.enter(i);
    holds();
    this.w.if_();
    this.enter(i);
    this.w.end();
  }

  /** Where the translation's indirect jumps may stay inside (the same for all of them), found at the first. */
  private targets: IndirectTargets | undefined;

  /** After the last instruction of a block that falls through (or did not take its branch). */
  endBlock(): void {
    this.goTo(this.insn.pc + this.insn.len);
  }

  /** Control goes to guest pc `pc`: a block of this translation, or out. */
  private goTo(pc: number): void {
    const i = this.indexOf.get(pc);
    if (i !== undefined) return this.enter(i);
    this.w.i64_const(pc).set(this.f.npc);
    if (this.flow.kind === "jump" && this.flow.link !== undefined) this.callOut(this.flow.link);
    this.leave();
  }

  /** Charges the current block's instructions run so far and goes to block `i`. */
  private enter(i: number): void {
    const { w, hart, budget, next, region } = this.f;
    w.get(budget)
      .i32_const(this.k + 1)
      .i32_sub()
      .set(budget);
    if (i > this.block) {
      if (i > this.block + 1 || !this.atBlockEnd()) w.br(blockLabel(i));
      return; // the next block in the layout begins right after this one
    }
    // Back in the layout: round the loop while the budget covers a whole pass and nobody asks to
    // stop (and, round a loop in place, while its tests allow the next pass).
    const inPlace = this.f.region.loops.some((l) => l.head === i && this.block <= l.last);
    w.get(budget).i32_const(region.size).i32_lt_s();
    w.get(hart).i32_load(this.state.stop).i32_or();
    w.rarely().if_();
    w.i64_const(region.blocks[i].start).set(this.f.npc);
    w.i32_const(0).set(this.f.done);
    w.br("exit");
    w.end();
    if (inPlace) {
      for (const test of this.loopTests.get(i) ?? []) {
        test();
        w.rarely().br_if(recheckLabel(i));
      }
      w.br(loopLabel(i)); // inside the loop (only its own blocks jump back to its head)
      return;
    }
    w.i32_const(i).set(next);
    w.br("dispatch");
  }

  /** True when control reaching this point of the code falls into the next block's code (no `if` or block of the instruction open). */
  private atBlockEnd(): boolean {
    return this.w.blockDepth === this.baseDepth;
  }
  private baseDepth = 0;

  /**
   * A call leaving for the callee in npc whose return site `link` is a block of this
   * translation: while fewer than MAX_WAITING_CALLS wait, it calls the callee's translation
   * through the dispatcher (not a tail call) with `link` as the return it waits for. An exit
   * to that pc (codegen.ts) writes the registers back and returns JIT_RETURNED here, and this
   * translation goes on at `link` with the registers loaded again, when it may (its code is
   * unchanged, the budget covers a pass, nobody asked to stop); else it returns
   * JIT_CONTINUE (pc, budget and registers are in the state). Any other result (a trap, a
   * side exit, no translation, the budget out) is passed down as it is: the code that
   * returned it saved the exact state. Falls through when too many wait (then leaves as before).
   */
  private callOut(link: number): void {
    const call = this.f.call;
    const calls = this.state.calls;
    const back = this.indexOf.get(link);
    if (!call || !calls || back === undefined || innerBlock(this.f.region.loops, back)) return;
    const { w, hart, budget, npc, site, next, region } = this.f;
    const waiting = (this.waiting ??= { expect: w.local(I64), changes: w.local(I32), result: w.local(I32) });
    w.get(hart).i32_load(calls.depth).i32_const(MAX_WAITING_CALLS).i32_lt_u();
    w.if_();
    w.get(budget)
      .i32_const(this.k + 1)
      .i32_sub()
      .set(budget);
    this.f.regs.writeBack();
    w.get(hart).i64_load(calls.expect).set(waiting.expect);
    w.get(hart).i64_const(link).i64_store(calls.expect);
    w.get(hart).get(hart).i32_load(calls.depth).i32_const(1).i32_add().i32_store(calls.depth);
    w.i32_const(0).i32_load(call.changes).set(waiting.changes);
    w.get(hart).get(budget).get(npc).get(site).call(call.dispatch).set(waiting.result);
    w.i64_const(0).set(site); // the call's: no exit later in this run is that jump
    w.get(hart).get(waiting.expect).i64_store(calls.expect);
    w.get(hart).get(hart).i32_load(calls.depth).i32_const(1).i32_sub().i32_store(calls.depth);
    w.get(waiting.result).i32_const(JIT_RETURNED).i32_ne();
    w.rarely().if_();
    w.get(waiting.result).return_();
    w.end();
    w.get(hart).i32_load(this.state.budget).set(budget);
    w.get(budget).i32_const(region.size).i32_lt_s();
    w.get(hart).i32_load(this.state.stop).i32_or();
    w.i32_const(0).i32_load(call.changes).get(waiting.changes).i32_ne().i32_or();
    w.rarely().if_();
    w.i32_const(JIT_CONTINUE).return_();
    w.end();
    w.get(hart).get(hart).i64_load(calls.predicted).i64_const(1).i64_add().i64_store(calls.predicted);
    this.f.regs.loadAll();
    this.f.pages.forget();
    w.i32_const(back).set(next);
    w.br("dispatch");
    w.end();
  }
  private waiting: { expect: Local; changes: Local; result: Local } | undefined;

  /** Leaves through the exit block, this instruction done; the target is in npc. */
  private leave(): void {
    this.w.i32_const(this.k + 1).set(this.f.done);
    this.w.br("exit");
  }

  /**
   * Leaves the translation before the current instruction, which the interpreter then runs
   * (a side exit, for a slow path that is better served there than here): control never
   * comes back to this point, so the code after the check that led here has no slow path
   * merging into it.
   */
  sideExit(): void {
    this.sideExits++;
    this.w.i64_const(this.insn.pc).set(this.f.npc);
    this.w.i32_const(this.k).set(this.f.done);
    this.w.br(SIDE_EXIT);
  }

  /** Ends the translation after the current instruction: continue at the next one. */
  fallOut(): void {
    this.w.i64_const(this.insn.pc + this.insn.len).set(this.f.npc);
    this.leave();
  }

  /** Before a host call: the host (a signal frame, a trap) sees every register, this pc and the budget. */
  beforeHostCall(): void {
    const { w, hart, budget } = this.f;
    this.f.regs.writeBackForHost();
    w.get(hart).i64_const(this.insn.pc).i64_store(this.state.pc);
    w.get(hart)
      .get(budget)
      .i32_const(this.k + 1)
      .i32_sub()
      .i32_store(this.state.budget);
  }

  /** The host has set a new pc in the state (a trap, a redirect): the interpreter goes on there. */
  resumeAtStatePc(): void {
    this.w.i32_const(JIT_CONTINUE).return_();
  }

  /** After a helper, which may have changed the budget (a blocking syscall) and any register. */
  afterHelper(): void {
    const { w, hart, budget } = this.f;
    w.get(hart)
      .i32_load(this.state.budget)
      .i32_const(this.k + 1)
      .i32_add()
      .set(budget);
    this.f.regs.reloadAfterHost();
    this.f.pages.forget();
  }
}

/** A translation with at most this many blocks lets an indirect jump reach any of them. */
const SMALL_REGION = 8;

/**
 * By block: whether it may run twice in one run of the translation, i.e. lies between a jump
 * back in the layout and its target (a superset of the blocks on a cycle, cheap to find).
 * An indirect jump counts as a jump back to every block it may reach inside.
 */
function repeatingBlocks<Insn extends GuestInsn>(
  region: Region<Insn>,
  indexOf: ReadonlyMap<number, number>,
): boolean[] {
  const n = region.blocks.length;
  const repeats = new Array<boolean>(n).fill(false);
  const back = (from: number, to: number | undefined) => {
    if (to === undefined || to > from) return;
    for (let i = to; i <= from; i++) repeats[i] = true;
  };
  // The first and last blocks an indirect jump may reach: a jump from block i marks the blocks
  // between i and each of them, i.e. from the lower of i and the first to the higher of i and the last.
  let first = n;
  let final = -1;
  region.blocks.forEach((t, k) => {
    if (n <= SMALL_REGION || region.returnSites.has(t.start) || region.indirectTargets.has(t.start)) {
      first = Math.min(first, k);
      final = k;
    }
  });
  region.blocks.forEach((b, i) => {
    const last = b.insns[b.insns.length - 1];
    const flow = b.flows[b.insns.length - 1];
    // Falling through (or not taking a branch) may go back too: code before the entry comes last.
    if (flow.kind === "fallthrough" || flow.kind === "branch") back(i, indexOf.get(last.pc + last.len));
    if (flow.kind === "branch" || flow.kind === "jump") back(i, indexOf.get(flow.target));
    else if (flow.kind === "indirect" && final >= 0) back(Math.max(i, final), Math.min(i, first));
  });
  return repeats;
}

/** An indirect jump compares its target with this many blocks in a row at most; beyond, it hashes. */
const CHAIN_MAX = 3;

/** The blocks an indirect jump of `region` stays inside for, and the hash that picks one of them when they are many. */
interface IndirectTargets {
  /** Block indices, in layout order. */
  readonly inside: readonly number[];
  readonly hash?: TargetHash;
}

/** A br_table over (target >>> shift) & (size - 1): bucket h holds block blockOf[h] (-1: none), branch label labels[h]. */
interface TargetHash {
  readonly shift: number;
  readonly size: number;
  readonly blockOf: Int32Array;
  readonly labels: readonly string[];
}

function indirectTargets<Insn extends GuestInsn>(region: Region<Insn>): IndirectTargets {
  const { blocks } = region;
  const inside: number[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const start = blocks[i].start;
    // A block inside a loop in place (after its head) cannot be reached from an indirect jump.
    if (innerBlock(region.loops, i)) continue;
    if (blocks.length <= SMALL_REGION || region.returnSites.has(start) || region.indirectTargets.has(start))
      inside.push(i);
  }
  const found = inside.length > CHAIN_MAX ? perfectHash(inside.map((i) => blocks[i].start)) : undefined;
  if (!found) return { inside };
  const { shift, size, buckets } = found;
  const blockOf = new Int32Array(size).fill(-1);
  inside.forEach((i, k) => (blockOf[buckets[k]] = i));
  const labels = Array.from(blockOf, (i, h) => (i >= 0 ? bucketLabel(h) : "miss"));
  return { inside, hash: { shift, size, blockOf, labels } };
}

/**
 * A hash that puts each of `pcs` in its own bucket: (pc >>> shift) & (size - 1), with the
 * fewest buckets found (at most 4 per pc), or undefined; with each pc's bucket.
 */
function perfectHash(
  pcs: readonly number[],
): { shift: number; size: number; buckets: Int32Array } | undefined {
  const n = pcs.length;
  // The low 32 bits of each pc (ToInt32 wraps as an i64 would): a shift of at most 12 and a
  // mask of at most 4n buckets keep bits from those alone.
  const low = pcs.map((pc) => pc | 0);
  const seen = new Int32Array(4 * n).fill(-1);
  let stamp = 0;
  for (let size = 2; size <= 4 * n; size *= 2)
    for (let shift = 0; shift <= 12; shift++, stamp++) {
      let k = 0;
      for (; k < n; k++) {
        const h = (low[k] >>> shift) & (size - 1);
        if (seen[h] === stamp) break;
        seen[h] = stamp;
      }
      if (k === n) return { shift, size, buckets: Int32Array.from(low, (v) => (v >>> shift) & (size - 1)) };
    }
  return undefined;
}
