// Which code one translation covers. It follows the code from its start through jumps (calls
// and gotos) up to an indirect jump, code the hart cannot fetch or decode, or MAX_INSNS
// instructions; the translation's code ends at its first `stop` instruction (lastEmitted).
// Where each instruction sends control comes from its definition (JitIsa.controlFlow); the
// recompiler knows no opcode.
import type { CodeView, ControlFlow, GuestInsn, JitIsa } from "./isa.js";

/** Instructions in one translation at most. */
export const MAX_INSNS = 96;

export interface Region<Insn extends GuestInsn> {
  readonly insns: readonly Insn[];
  /** The control flow of each instruction, by index. */
  readonly flows: readonly ControlFlow[];
}

/** The instructions from `pc` on, following jumps, up to an indirect jump, a jump back into them, or code the hart could not fetch. */
export function discoverRegion<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  pc: number,
  code: CodeView,
): Region<Insn> {
  const insns: Insn[] = [];
  const flows: ControlFlow[] = [];
  const seen = new Set<number>();
  let at = pc;
  while (insns.length < MAX_INSNS) {
    const insn = isa.decode(at, code);
    if (!insn) break; // the interpreter raises the fault
    const flow = isa.controlFlow(insn);
    insns.push(insn);
    flows.push(flow);
    seen.add(at);
    if (flow.kind === "indirect") break;
    if (flow.kind === "jump") {
      // The code there continues this translation, unless it is already part of it.
      if (seen.has(flow.target)) break;
      at = flow.target;
    } else at += insn.len;
  }
  return { insns, flows };
}

/**
 * Conditional branches whose target comes later in the translation: they skip forward inside
 * it instead of leaving it. Their ranges must nest (wasm blocks do); a branch that would not
 * is left to exit. Instruction index -> index of its target.
 */
export function forwardSkips<Insn extends GuestInsn>(region: Region<Insn>): Map<number, number> {
  const { insns, flows } = region;
  const last = lastEmitted(region);
  const index = new Map(insns.map((i, k) => [i.pc, k]));
  const skips = new Map<number, number>();
  const open: number[] = []; // ends of the enclosing skips, innermost last
  for (let k = 0; k <= last; k++) {
    while (open.length && open[open.length - 1] <= k) open.pop();
    const flow = flows[k];
    if (flow.kind !== "branch") continue;
    const t = index.get(flow.target);
    if (t === undefined || t <= k + 1 || t > last) continue;
    if (open.length && t > open[open.length - 1]) continue;
    skips.set(k, t);
    open.push(t);
  }
  return skips;
}

/** The index of the last instruction a translation of `region` emits: the first stop, or its end. */
export function lastEmitted<Insn extends GuestInsn>(region: Region<Insn>): number {
  const stop = region.flows.findIndex((f) => f.kind === "stop");
  return stop >= 0 ? stop : region.insns.length - 1;
}
