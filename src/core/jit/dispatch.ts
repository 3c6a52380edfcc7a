// Chaining: a translation that leaves tail-calls `dispatch(hart, budget, next pc, site)`, which
// runs the next pc's translation in place when the table has one for it that fits the budget
// (and nobody asked the hart to stop), else saves the pc and budget and returns to the engine.
// It is its own small module, the only one besides the interpreter that imports the table:
// translation modules import this function instead (see codegen.ts).
//
// `site` is the pc of the indirect jump that left (0 for any other exit). Returning to the
// engine, the dispatcher saves it with the target, so that when the target becomes hot the
// recompiler learns where that jump goes (Recompiler.translate). A jump whose targets all have
// translations never returns to the engine, so the dispatcher also counts its entries from
// each jump (by the jump's slot) and every LEARN_EVERY-th tells the host where one went
// (`learn`, Recompiler.learnAt): the target is learnt, and a translation holding a call
// through a pointer is built again with the callee inside.
import { I32, I64, ModuleBuilder } from "../wasm.js";
import type { HartStateLayout } from "./isa.js";
import {
  emitCanRun,
  emitEntryBlock,
  emitSlot,
  JIT_CONTINUE,
  JIT_SLOTS,
  TRANSLATION_PARAMS,
  type EmitCodeKey,
  type JitLayout,
} from "./table.js";

/** The dispatcher's type, as translation modules import it. */
export const DISPATCH_PARAMS = [I32, I32, I64, I64] as const;

/** Entries from one indirect jump (its slot's) per call of the host's `learn` (a power of two). */
export const LEARN_EVERY = 256;

export function buildDispatch(
  layout: JitLayout,
  state: HartStateLayout,
  key: EmitCodeKey | undefined,
  shared: boolean,
): Uint8Array {
  const m = new ModuleBuilder("dispatch");
  m.importMemory("env", "memory", 1, 65536, shared);
  m.importTable("env", "table", JIT_SLOTS);
  const blockType = m.funcType(TRANSLATION_PARAMS, [I32]);
  const learn = m.importFunc("env", "learn", [I32, I64, I64], []);
  const [, w] = m.func([...DISPATCH_PARAMS], [I32], "dispatch");
  const hart = w.param(0);
  const budget = w.param(1);
  const pc = w.param(2);
  const site = w.param(3);
  const slot = w.local(I32);
  const count = w.local(I32);
  w.get(site).i64_eqz().i32_eqz();
  w.if_();
  emitSlot(w, site);
  w.i32_const(2).i32_shl().set(slot);
  w.get(slot).get(slot).i32_load(layout.sites).i32_const(1).i32_add().tee(count).i32_store(layout.sites);
  w.get(count)
    .i32_const(LEARN_EVERY - 1)
    .i32_and()
    .i32_eqz();
  w.rarely().if_();
  w.get(hart).get(site).get(pc).call(learn);
  w.end();
  w.end();
  emitSlot(w, pc);
  w.set(slot);
  emitCanRun(w, layout, { slot, pc, budget, hart }, key);
  w.get(hart).i32_load(state.stop).i32_eqz().i32_and();
  w.if_();
  w.get(hart).get(budget);
  emitEntryBlock(w, layout, slot);
  w.get(slot).return_call_indirect(blockType);
  w.end();
  w.get(hart).get(pc).i64_store(state.pc);
  w.get(hart).get(budget).i32_store(state.budget);
  w.get(hart).get(site).i64_store(state.exit.site);
  w.get(hart).get(pc).i64_store(state.exit.target);
  w.i32_const(JIT_CONTINUE);
  return m.encode();
}
