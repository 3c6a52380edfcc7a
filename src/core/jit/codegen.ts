// Builds translation modules: each region becomes a function `(hart, budget, block) -> exit
// reason` (TRANSLATION_PARAMS), run from its first block or from one of its Region.entries
// (where a pc that became hot later may be served; the translation table holds the block),
// which the module exports in a table of its own (ENTRY_TABLE; see ModuleBuilder.exportTable): a dispatch
// loop around the region's blocks (context.ts), whose instructions the ISA emits,
// one exit that writes the registers back and chains to the next pc's translation through
// the dispatcher (dispatch.ts), and, when the ISA asked for one, one side exit that writes
// them back and returns JIT_STEP (the interpreter runs the instruction it stopped before). Emitted once: the registers it keeps in locals are loaded and
// stored where it marked, once it is known which it uses (regcache.ts). Translation
// modules import no table: V8 makes every instance that imports a table pay for every later
// write to it, and there are thousands of instances.
import { I32, I64, ModuleBuilder } from "../wasm.js";
import { blockLabel, loopLabel, SIDE_EXIT, TranslationContext, type EmitShapes } from "./context.js";
import { DISPATCH_PARAMS } from "./dispatch.js";
import type { GuestInsn, JitIsa } from "./isa.js";
import { PageCaches } from "./pagecache.js";
import { RegCache } from "./regcache.js";
import { blocksOnCycles, innerBlock, type LoopRange, type Region } from "./region.js";
import { JIT_RETURNED, JIT_STEP, TRANSLATION_PARAMS, type JitLayout } from "./table.js";

/** What a translation module is built against. */
export interface ModuleTarget {
  readonly layout: JitLayout;
  /** The guest memory is shared (harts on worker threads). */
  readonly shared: boolean;
}

/**
 * Calls that leave a translation wait there for their return (TranslationContext.callOut) where
 * the ISA says where (HartStateLayout.calls) and nothing but the pc decides what code means (no
 * code key: a return could otherwise come back under another privilege or address space).
 */
export function callsWait<Insn extends GuestInsn>(isa: JitIsa<Insn>): boolean {
  return isa.state.calls !== undefined && isa.emitCodeKey === undefined;
}

/** A region to translate and the guest pc it starts at. */
export interface TranslationRequest<Insn extends GuestInsn> {
  readonly start: number;
  readonly region: Region<Insn>;
  /** The guest's registers stay in the hart state (CodeView.registersInMemory). */
  readonly registersInMemory?: boolean;
}

/** The name of the table a translation module exports its entry functions in. */
export const ENTRY_TABLE = "entries";

/**
 * The wasm bytes of one module translating every request. One module for many translations
 * amortises compiling and instantiating it. Its ENTRY_TABLE holds request i's function at i.
 */
export function emitTranslations<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  target: ModuleTarget,
  requests: readonly TranslationRequest<Insn>[],
  shapes: EmitShapes,
): Uint8Array {
  const [m, dispatch] = moduleFor(target);
  const emitterFor = isa.emitterFor(m);
  // Not for a translation with a loop in place: V8 optimizes a hot loop, and its guest
  // registers in locals then live in host registers (the bare-metal loop: 4,738 MIPS with
  // them in memory, 7,712 in locals).
  const functions = requests.map(({ region, registersInMemory }) =>
    emitFunction(
      isa,
      m,
      emitterFor,
      region,
      dispatch,
      shapes,
      (registersInMemory ?? false) && region.loops.length === 0,
      target.layout,
    ),
  );
  m.exportTable(ENTRY_TABLE, functions);
  const bytes = m.encode();
  m.recycle();
  return bytes;
}

/**
 * A module whose exports call the host functions `importHost` imports into a module (same
 * names, same types), for translation modules to import instead. V8 compiles a wrapper for
 * every JavaScript function a module imports, at each instantiation; a wasm function needs
 * none (README, Speed, "The fourteenth session").
 */
export function buildHostForwarders(importHost: (m: ModuleBuilder) => unknown): Uint8Array {
  const probe = new ModuleBuilder();
  importHost(probe);
  const m = new ModuleBuilder("host");
  const fns = probe.funcImports();
  const indices = fns.map(({ module, field, params, results }) =>
    m.importFunc(module, field, params, results),
  );
  fns.forEach(({ field, params, results }, i) => {
    const [, f] = m.func(params, results, field);
    params.forEach((_, p) => f.get(f.param(p)));
    f.call(indices[i]);
  });
  return m.encode();
}

/** A module importing the memory and the dispatcher (whose function index comes second). */
function moduleFor(target: ModuleTarget): [ModuleBuilder, number] {
  const m = new ModuleBuilder("translations");
  m.importMemory("env", "memory", 1, 65536, target.shared);
  return [m, m.importFunc("env", "dispatch", DISPATCH_PARAMS, [I32])];
}

function emitFunction<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  m: ModuleBuilder,
  emitterFor: (t: TranslationContext) => (insn: Insn) => void,
  region: Region<Insn>,
  dispatch: number,
  shapes: EmitShapes,
  registersInMemory: boolean,
  layout: JitLayout,
): number {
  const [body, w] = m.func(TRANSLATION_PARAMS, [I32]);
  const hart = w.param(0);
  const budget = w.param(1);
  const next = w.param(2); // the block the dispatch loop runs next
  const npc = w.local(I64);
  const done = w.local(I32);
  const site = w.local(I64);
  const regs = new RegCache(isa.registers, w, hart, registersInMemory);
  if (registersInMemory) shapes.registersInMemory++;
  const pages = new PageCaches(w);
  // The caller has checked that the budget allows a whole pass (emitCanRun).
  regs.loadAll();
  pages.forget();
  const calls = callsWait(isa) ? isa.state.calls : undefined;
  const call = calls && { dispatch, changes: layout.changes };
  const ctx = new TranslationContext(
    { w, hart, budget, npc, done, next, site, region, regs, pages, shapes, call },
    isa.state,
  );
  const emitInsn = emitterFor(ctx as TranslationContext);
  const blocks = region.blocks;
  w.block(SIDE_EXIT);
  for (const [i, holds] of ctx.entryGuards) {
    // Entered where the ISA assumed more than nothing: the interpreter runs the block's first
    // instruction when the assumption does not hold (TranslationContext.entryGuards).
    w.get(next).i32_const(i).i32_eq();
    w.if_();
    holds();
    w.i32_eqz().rarely().if_();
    w.i64_const(blocks[i].start).set(npc).i32_const(0).set(done).br(SIDE_EXIT);
    ctx.sideExits++;
    shapes.guardedEntries++;
    w.end();
    w.end();
  }
  w.loop("dispatch");
  w.block("exit");
  // A loop in place (Region.loops) is a wasm loop from its head's code to its last block's;
  // the labels of its other blocks open inside it (only its own blocks go there), those of
  // a loop nested in it inside that one.
  const loopAt = new Map(region.loops.map((l) => [l.head, l]));
  const inner = (i: number) => innerBlock(region.loops, i);
  /** The innermost loop block i is inside (after its head), if any. */
  const within = (i: number) => {
    let found: LoopRange | undefined;
    for (const l of region.loops) if (i > l.head && i <= l.last) found = l; // by head: the inner one last
    return found;
  };
  for (let i = blocks.length - 1; i >= 0; i--) if (!inner(i)) w.block(blockLabel(i));
  if (blocks.length > 1)
    w.get(next).br_table(
      blocks.map((_, i) => (inner(i) ? "exit" : blockLabel(i))), // never an inner block
      blockLabel(0),
    );
  shapes.loopsInPlace += region.loops.length;
  shapes.longLoopsInPlace += region.loops.filter((l) => l.last > l.head).length;
  shapes.nestedLoopsInPlace += region.loops.filter((l) =>
    region.loops.some((k) => k.head > l.head && k.head <= l.last),
  ).length;
  const onCycle = blocksOnCycles(region);
  blocks.forEach((b, i) => {
    w.end(); // block i's code starts here
    regs.inCycle = onCycle[i];
    regs.inLoop = region.loops.some((l) => i >= l.head && i <= l.last);
    const loop = loopAt.get(i);
    if (loop) {
      ctx.enterLoop(i);
      w.loop(loopLabel(i));
      for (let j = loop.last; j > i; j--) if (within(j) === loop) w.block(blockLabel(j));
    }
    const last = b.insns.length - 1;
    b.insns.forEach((insn, k) => {
      ctx.begin(i, k, insn, b.flows[k]);
      emitInsn(insn);
    });
    const flow = b.flows[last];
    if (flow.kind === "stop") ctx.fallOut();
    else if (flow.kind === "fallthrough" || flow.kind === "branch") ctx.endBlock();
    // a jump or an indirect jump has gone already
    if (i === blocks.length - 1 && flow.kind === "jump") w.unreachable(); // it went back or out
    for (let k = region.loops.length - 1; k >= 0; k--)
      if (region.loops[k].last === i) ctx.endLoop(region.loops[k].head); // inner ones first
  });
  w.end(); // exit: npc and done are set
  w.get(budget).get(done).i32_sub().set(budget);
  regs.writeBack();
  if (calls) {
    // The return a call waits for (TranslationContext.callOut): back to its translation.
    w.get(npc).get(hart).i64_load(calls.expect).i64_eq();
    w.if_();
    w.get(hart).get(npc).i64_store(isa.state.pc);
    w.get(hart).get(budget).i32_store(isa.state.budget);
    w.i32_const(JIT_RETURNED).return_();
    w.end();
  }
  w.get(hart).get(budget).get(npc).get(site).return_call(dispatch);
  w.end(); // dispatch
  w.unreachable();
  w.end(); // side exit: npc and done are set
  if (ctx.sideExits > 0) {
    w.get(budget).get(done).i32_sub().set(budget);
    regs.writeBack();
    w.get(hart).get(npc).i64_store(isa.state.pc);
    w.get(hart).get(budget).i32_store(isa.state.budget);
    w.get(hart).get(hart).i64_load(isa.state.sideExits).i64_const(1).i64_add().i64_store(isa.state.sideExits);
    w.i32_const(JIT_STEP).return_();
  } else w.unreachable();
  regs.inCycle = false;
  regs.inLoop = false;
  regs.finish(m, [...pages.pieces(), ...ctx.laterPieces()]);
  shapes.registersInHartState += regs.inMemoryCount;
  return body;
}
