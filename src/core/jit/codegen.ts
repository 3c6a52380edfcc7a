// Builds one translation's wasm module from a region: `run(hart, budget) -> exit reason`, a
// loop around the region's instructions (emitted by the ISA) with an exit block that chains
// to the next translation when it is in the table and the budget allows. Emitted twice: the
// first pass records which registers each instruction uses (regcache.ts), the second emits
// with exactly the loads and write-backs that record calls for.
import { I32, I64, ModuleBuilder, type FunctionBuilder, type Local } from "../wasm.js";
import { TranslationContext } from "./context.js";
import type { GuestInsn, HartStateLayout, JitIsa } from "./isa.js";
import { RegCache } from "./regcache.js";
import { forwardSkips, lastEmitted, type Region } from "./region.js";
import { emitCanRun, emitSlot, JIT_CONTINUE, JIT_SLOTS, type JitLayout } from "./table.js";

/** What a translation module is built against. */
export interface ModuleTarget {
  readonly layout: JitLayout;
  /** The guest memory is shared (harts on worker threads). */
  readonly shared: boolean;
}

/** The wasm bytes of the translation of `region`, which starts at guest pc `start`. */
export function emitTranslation<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  target: ModuleTarget,
  start: number,
  region: Region<Insn>,
): Uint8Array {
  const first = new RegCache(isa.registers);
  emitModule(isa, target, start, region, () => first, new Map()); // records the registers used
  const skips = forwardSkips(region);
  for (const [k, t] of skips) for (const r of first.writtenIn(k + 1, t - 1)) first.partlyWritten.add(r);
  return emitModule(isa, target, start, region, (w) => first.withLocals(w), skips);
}

function emitModule<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  target: ModuleTarget,
  start: number,
  region: Region<Insn>,
  regsFor: (w: FunctionBuilder) => RegCache,
  skips: ReadonlyMap<number, number>,
): Uint8Array {
  const { insns, flows } = region;
  const last = lastEmitted(region);
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", 1, 65536, target.shared);
  m.importTable("env", "table", JIT_SLOTS);
  const blockType = m.funcType([I32, I32], [I32]);
  const emitterFor = isa.emitterFor(m);
  const [, w] = m.func([I32, I32], [I32], "run");
  const hart = w.param(0);
  const budget = w.param(1);
  const npc = w.local(I64);
  const done = w.local(I32);
  const regs = regsFor(w);
  // The caller has checked that the budget allows a whole pass (emitCanRun).
  regs.loadLiveIn(w, hart);
  const skipped = skips.size ? w.local(I32) : undefined; // wasm locals start at zero
  const frame = { w, hart, budget, npc, done, start, count: insns.length, regs, skips, skipped };
  const ctx = new TranslationContext(frame, isa.state);
  const emitInsn = emitterFor(ctx);
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
    ctx.begin(k, insns[k], flows[k], insns[k + 1]);
    emitInsn(insns[k]);
    if (k === last) {
      ctx.fallOut();
      break;
    }
  }
  for (; open > 0; open--) w.end(); // unreachable: no skip lands past the last instruction
  w.end(); // exit: npc and done are set, registers written back
  w.get(budget).get(done).i32_sub().set(budget);
  emitChain(w, target.layout, isa.state, { hart, budget, npc }, blockType);
  w.end(); // top
  w.unreachable();
  return m.encode();
}

/** At the exit: when the next pc has a translation that fits the budget, it replaces this frame. */
function emitChain(
  w: FunctionBuilder,
  layout: JitLayout,
  state: HartStateLayout,
  at: { readonly hart: Local; readonly budget: Local; readonly npc: Local },
  blockType: number,
): void {
  const { hart, budget, npc } = at;
  const slot = w.local(I32);
  emitSlot(w, npc);
  w.set(slot);
  emitCanRun(w, layout, slot, npc, budget);
  w.get(hart).i32_load(state.stop).i32_eqz().i32_and();
  w.if_();
  w.get(hart).get(budget).get(slot).return_call_indirect(blockType);
  w.end();
  w.get(hart).get(npc).i64_store(state.pc);
  w.get(hart).get(budget).i32_store(state.budget);
  w.i32_const(JIT_CONTINUE).return_();
}
