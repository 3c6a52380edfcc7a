// Decoding from the definitions' mask/match patterns. The first level is the major opcode
// (bits 6:2) and funct3 (bits 14:12); within a group, the most specific pattern wins.
import type { InsnDef } from "./insn.js";

/** Bits of the first-level key: opcode[6:2] and funct3 (bits 1:0 are 11 for every 32-bit form). */
export const KEY_MASK = 0x707f;

export function keyOf(insn: number): number {
  return ((insn >>> 2) & 0x1f) | ((insn >>> 7) & 0xe0);
}

/** Groups definitions by opcode[6:2] and funct3, the key of the first-level dispatch. */
export function groupByKey(defs: readonly InsnDef[]): InsnDef[][] {
  const groups: InsnDef[][] = Array.from({ length: 256 }, () => []);
  for (const d of defs) {
    if ((d.mask & 0x7f) !== 0x7f) throw new Error(`${d.name}: mask must fix the opcode`);
    const op = (d.match >>> 2) & 0x1f;
    for (let f3 = 0; f3 < 8; f3++) {
      if ((d.mask & 0x7000) !== 0 && ((d.match >>> 12) & 7) !== f3) continue;
      groups[op | (f3 << 5)].push(d);
    }
  }
  const bits = new Map(defs.map((d) => [d, d.mask.toString(2).replace(/0/g, "").length]));
  for (const g of groups) g.sort((a, b) => bits.get(b)! - bits.get(a)!);
  return groups;
}

const decoders = new WeakMap<readonly InsnDef[], (insn: number) => InsnDef | undefined>();

/**
 * A TypeScript-side decoder over the same groups (used by helpers and the recompiler), one per
 * definition list: the F/D helper and every process's recompiler share it, and it is built at
 * its first use, not at start-up.
 */
export function decoder(defs: readonly InsnDef[]): (insn: number) => InsnDef | undefined {
  let d = decoders.get(defs);
  if (!d) decoders.set(defs, (d = newDecoder(defs)));
  return d;
}

function newDecoder(defs: readonly InsnDef[]): (insn: number) => InsnDef | undefined {
  const groups = groupByKey(defs);
  return (insn) => {
    if ((insn & 3) !== 3) return undefined;
    // Indexed: the recompiler decodes mostly before V8 has optimized this (an iterator per call).
    const group = groups[keyOf(insn)];
    for (let i = 0; i < group.length; i++)
      if ((insn & group[i].mask) >>> 0 === group[i].match) return group[i];
    return undefined;
  };
}
