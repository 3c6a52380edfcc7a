// What the recompiler knows of a loop's memory accesses before it emits the loop
// (recompiler.ts, hoistChecks): pointers the loop only steps (an array walked), and accesses
// whose addresses stay in one span for the whole loop: a register the loop does not write (a
// table's base) plus an offset whose range the head block's own instructions bound (a byte
// loaded, an index masked and scaled), as in `table[(crc ^ *p) & 0xff]`. Such accesses are
// checked where the loop is entered instead of at every pass.
import type { LoopRange, Region } from "../../core/jit/region.js";
import { FIELDS, fieldValue, immValue } from "./insn.js";
import type { RiscvInsn } from "./recompiler.js";

/** The bytes a load or store moves, by name (compressed forms decode to these). */
export const ACCESS_BYTES: Readonly<Record<string, number>> = {
  lb: 1, lbu: 1, sb: 1, lh: 2, lhu: 2, sh: 2, lw: 4, lwu: 4, sw: 4, flw: 4, fsw: 4, ld: 8, sd: 8, fld: 8, fsd: 8,
}; // prettier-ignore

/** A load's or store's base register (not x0) and offset (rs1 + an immediate). */
export function baseAndOffset(i: RiscvInsn): [number, number] | undefined {
  const syntax = i.def.syntax;
  const kind = syntax.endsWith("imm:I(rs1)") ? "I" : syntax.endsWith("imm:S(rs1)") ? "S" : undefined;
  const reg = fieldValue(i.insn, FIELDS.rs1);
  return kind === undefined || reg === 0 ? undefined : [reg, immValue(i.insn, kind)];
}

/**
 * The blocks of loop `loop` of `region` that its passes run: those from which control may come
 * back to its head inside the loop's range (its other blocks only leave it: a loop in place's
 * range may hold the code after its exit), in layout order, and of those the blocks every pass
 * runs (every path from the head back to it goes through them).
 */
export interface LoopBody {
  readonly blocks: readonly number[];
  readonly everyPass: ReadonlySet<number>;
}

export function loopBody(region: Region<RiscvInsn>, loop: LoopRange): LoopBody {
  const { head, last } = loop;
  const index = new Map<number, number>();
  for (let b = head; b <= last; b++) index.set(region.blocks[b].start, b);
  // Successors inside the range; -1 stands for "may go anywhere" (an indirect jump), which
  // counts as a way back to the head.
  const succ = (b: number): number[] => {
    const block = region.blocks[b];
    const out: number[] = [];
    block.flows.forEach((f, k) => {
      const i = block.insns[k];
      if (f.kind === "indirect") out.push(-1);
      if (f.kind === "branch" || f.kind === "jump") out.push(index.get(f.target) ?? -2);
      const falls = f.kind === "fallthrough" || f.kind === "branch";
      if (k === block.insns.length - 1 && falls) out.push(index.get(i.pc + i.len) ?? -2);
    });
    return out.filter((t) => t !== -2);
  };
  const edges = new Map<number, number[]>();
  for (let b = head; b <= last; b++) edges.set(b, succ(b));
  const back = (b: number) => edges.get(b)!.some((t) => t === head || t === -1);
  // Blocks that reach a way back (fixed point: the range is small).
  const inCycle = new Set<number>();
  for (let changed = true; changed;) {
    changed = false;
    for (let b = last; b >= head; b--)
      if (!inCycle.has(b) && (back(b) || edges.get(b)!.some((t) => inCycle.has(t)))) {
        inCycle.add(b);
        changed = true;
      }
  }
  const blocks = [...inCycle].sort((a, b) => a - b);
  // A block every pass runs: without it no way back is reachable from the head.
  const reachesBackWithout = (skip: number): boolean => {
    const seen = new Set<number>([head]);
    const work = [head];
    while (work.length > 0) {
      const b = work.pop()!;
      if (back(b)) return true;
      for (const t of edges.get(b)!)
        if (t > head && t !== skip && !seen.has(t)) {
          seen.add(t);
          work.push(t);
        }
    }
    return false;
  };
  const everyPass = new Set(blocks.filter((b) => b === head || !reachesBackWithout(b)));
  return { blocks, everyPass };
}

/**
 * The registers the blocks `blocks` of `region` write, or undefined when one holds an
 * instruction the host serves (ecall, fence.i: it may change any register, or what pages allow).
 */
export function writtenIn(region: Region<RiscvInsn>, blocks: readonly number[]): Set<number> | undefined {
  const written = new Set<number>();
  for (const b of blocks)
    for (const insn of region.blocks[b].insns) {
      if (insn.def.syntax === "") return undefined;
      if (insn.def.syntax.startsWith("rd")) written.add(fieldValue(insn.insn, FIELDS.rd));
    }
  return written;
}

/**
 * How the blocks `blocks` (a loop's passes, loopBody) move register `reg` when they write it
 * only by stepping it (addi reg, reg, c: "constant"; add or sub of a register they do not
 * write: "register") and call no helper that could write any register; undefined otherwise.
 * A pointer loaded in the loop (a list's next) would find a new page at most passes, where
 * the access's own check is cheaper.
 */
export function stepOf(
  region: Region<RiscvInsn>,
  blocks: readonly number[],
  reg: number,
): "constant" | "register" | undefined {
  const written = writtenIn(region, blocks);
  if (!written) return undefined;
  const steps: number[] = [];
  for (const b of blocks)
    for (const insn of region.blocks[b].insns) {
      const d = insn.def;
      if (!d.syntax.startsWith("rd") || fieldValue(insn.insn, FIELDS.rd) !== reg) continue;
      const rs1 = fieldValue(insn.insn, FIELDS.rs1);
      if (d.name === "addi" && rs1 === reg) continue;
      const rs2 = fieldValue(insn.insn, FIELDS.rs2);
      if (d.name === "add" && (rs1 === reg) !== (rs2 === reg)) steps.push(rs1 === reg ? rs2 : rs1);
      else if (d.name === "sub" && rs1 === reg && rs2 !== reg) steps.push(rs2);
      else return undefined;
    }
  if (steps.some((r) => written.has(r))) return undefined;
  return steps.length > 0 ? "register" : "constant";
}

/** An access at `pc` through a pointer its loop steps (stepOf): at x[reg] + off, x[reg] as the pass began. */
export interface WalkingAccess {
  readonly pc: number;
  readonly reg: number;
  readonly off: number;
  /** How far the loop stepped the pointer before the access (off includes it). */
  readonly moved: number;
  readonly bytes: number;
  readonly store: boolean;
  readonly step: "constant" | "register";
}

/**
 * The accesses of the blocks every pass of loop `loop` runs (outside loops nested in it)
 * through a pointer the loop steps, where the pointer's distance from its value at the head
 * is known: the head block's accesses before any write of it but `addi` steps; a later
 * block's when the loop writes it only there and by `addi`. Their address on a pass is the
 * pointer at the head plus `off`.
 */
export function walkingAccesses(region: Region<RiscvInsn>, loop: LoopRange, body: LoopBody): WalkingAccess[] {
  const nested = region.loops.filter((l) => l !== loop && l.head > loop.head && l.head <= loop.last);
  const inNested = (b: number) => nested.some((l) => b >= l.head && b <= l.last);
  const blocks = body.blocks.filter((b) => body.everyPass.has(b) && !inNested(b));
  // Registers written anywhere else in the passes, or other than by addi of themselves.
  const unsteady = new Set<number>();
  for (const b of body.blocks)
    for (const insn of region.blocks[b].insns) {
      if (!insn.def.syntax.startsWith("rd")) continue;
      const rd = fieldValue(insn.insn, FIELDS.rd);
      const addi = insn.def.name === "addi" && fieldValue(insn.insn, FIELDS.rs1) === rd;
      if (!addi || !blocks.includes(b)) unsteady.add(rd);
    }
  const steps = new Map<number, "constant" | "register" | undefined>();
  const stepFor = (reg: number) => {
    if (!steps.has(reg)) steps.set(reg, stepOf(region, body.blocks, reg));
    return steps.get(reg);
  };
  const delta = new Map<number, number | undefined>(); // by register, since the head
  const found: WalkingAccess[] = [];
  for (const b of blocks) {
    for (const insn of region.blocks[b].insns) {
      const d = insn.def;
      const access = d.flow ? undefined : baseAndOffset(insn);
      const bytes = ACCESS_BYTES[d.name];
      if (access && bytes) {
        const [reg, off] = access;
        const moved = delta.has(reg) ? delta.get(reg) : 0;
        const step = moved === undefined || (b !== loop.head && unsteady.has(reg)) ? undefined : stepFor(reg);
        if (step && (step === "constant" || moved === 0))
          found.push({ pc: insn.pc, reg, off: off + moved!, moved: moved!, bytes, store: d.syntax.startsWith("rs2"), step }); // prettier-ignore
      }
      if (!d.syntax.startsWith("rd")) continue;
      const rd = fieldValue(insn.insn, FIELDS.rd);
      const addi = d.name === "addi" && fieldValue(insn.insn, FIELDS.rs1) === rd;
      const was = delta.has(rd) ? delta.get(rd) : 0;
      delta.set(rd, addi && was !== undefined ? was + immValue(insn.insn, "I") : undefined);
    }
  }
  return found;
}

/** An access at `pc` whose bytes lie in x[base] + [lo, hi] (hi its last byte) on every pass of its loop. */
export interface RangeAccess {
  readonly pc: number;
  readonly base: number;
  readonly lo: number;
  readonly hi: number;
  readonly store: boolean;
}

/** What is known of a register's value at a point of a block: x[base] + [lo, hi], or [lo, hi] when base is undefined. */
interface Bounds {
  readonly base?: number;
  readonly lo: number;
  readonly hi: number;
}

/** Offsets beyond this are not followed (they stay exact in a double, and far from 4 GiB). */
const LIMIT = 2 ** 31;

const bounded = (base: number | undefined, lo: number, hi: number): Bounds | undefined =>
  lo >= -LIMIT && hi <= LIMIT ? { base, lo, hi } : undefined;

/**
 * The accesses of `head` (a loop's head block, whose instructions run on every pass) through
 * a register that holds, at that point, a register not in `written` (the loop's) plus a
 * bounded offset. Followed: addi, add, andi with a non-negative mask, slli, srliw, and the
 * unsigned byte and halfword loads; any other write forgets what was known of its rd.
 */
export function rangeAccesses(head: readonly RiscvInsn[], written: ReadonlySet<number>): RangeAccess[] {
  const known = new Map<number, Bounds>();
  const get = (r: number): Bounds | undefined =>
    r === 0 ? { lo: 0, hi: 0 } : (known.get(r) ?? (written.has(r) ? undefined : { base: r, lo: 0, hi: 0 }));
  const found: RangeAccess[] = [];
  for (const insn of head) {
    const d = insn.def;
    const access = d.flow ? undefined : baseAndOffset(insn);
    const bytes = ACCESS_BYTES[d.name];
    const at = access && bytes ? get(access[0]) : undefined;
    if (access && at?.base !== undefined) {
      const store = d.syntax.startsWith("rs2");
      found.push({
        pc: insn.pc,
        base: at.base,
        lo: at.lo + access[1],
        hi: at.hi + access[1] + bytes - 1,
        store,
      });
    }
    if (!d.syntax.startsWith("rd")) continue;
    const rd = fieldValue(insn.insn, FIELDS.rd);
    if (rd === 0) continue;
    const value = valueOf(insn, get);
    if (value) known.set(rd, value);
    else known.delete(rd);
  }
  return found;
}

/** What instruction `insn` leaves in its rd, from what `get` knows of its sources. */
function valueOf(insn: RiscvInsn, get: (r: number) => Bounds | undefined): Bounds | undefined {
  const i = insn.insn;
  const a = get(fieldValue(i, FIELDS.rs1));
  switch (insn.def.name) {
    case "lbu":
      return { lo: 0, hi: 0xff };
    case "lhu":
      return { lo: 0, hi: 0xffff };
    case "andi": {
      const mask = immValue(i, "I");
      return mask >= 0 ? { lo: 0, hi: mask } : undefined;
    }
    case "addi": {
      const c = immValue(i, "I");
      return a && bounded(a.base, a.lo + c, a.hi + c);
    }
    case "slli": {
      const k = fieldValue(i, FIELDS.shamt);
      return a && a.base === undefined && a.lo >= 0
        ? bounded(undefined, a.lo * 2 ** k, a.hi * 2 ** k)
        : undefined;
    }
    case "srliw": {
      // rd = sext(x[rs1][31:0] >>> k): below 2^(32 - k) for k > 0
      const k = fieldValue(i, FIELDS.shamtw);
      return k > 0 ? { lo: 0, hi: 2 ** (32 - k) - 1 } : undefined;
    }
    case "add": {
      const b = get(fieldValue(i, FIELDS.rs2));
      if (!a || !b || (a.base !== undefined && b.base !== undefined)) return undefined;
      return bounded(a.base ?? b.base, a.lo + b.lo, a.hi + b.hi);
    }
    default:
      return undefined;
  }
}
