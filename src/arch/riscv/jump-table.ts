// A switch's cases read from its jump table (JitIsa.jumpTable), as GCC lays one out for
// RISC-V: the index is checked against the last case, then scaled, added to the table's
// address, an entry loaded and jumped to:
//
//     bltu  n, idx, default        (or bgeu idx, n+1, default; n from `li`, often hoisted)
//     slli  t, idx, 2              (3 for .dword entries; or slli 32 + srli 30: zero-extended)
//     add   t, t, base             (base from auipc/lui + addi, often hoisted out of the loop)
//     lw    e, 0(t)                (lwu, ld)
//     add   e, e, base             (relative .word entries: offsets from the table)
//     jr    e
//
// What each instruction does comes from its name and fields here; the table is guest data
// read through CodeView.readData (never a fault), and what it gives is only a hint.
import type { CodeView } from "../../core/jit/isa.js";
import { FIELDS, fieldValue, immValue } from "./insn.js";
import type { RiscvInsn } from "./recompiler.js";

/** Entries read from one table at most (its cases are fewer: MAX_TABLE_TARGETS). */
const MAX_ENTRIES = 1024;
/** How far before the path a hoisted table address or bound is looked for (bytes). */
const SCAN_BYTES = 256;

const rd = (i: RiscvInsn) => fieldValue(i.insn, FIELDS.rd);
const rs1 = (i: RiscvInsn) => fieldValue(i.insn, FIELDS.rs1);
const rs2 = (i: RiscvInsn) => fieldValue(i.insn, FIELDS.rs2);
const writes = (i: RiscvInsn, reg: number) => reg !== 0 && i.def.syntax.startsWith("rd") && rd(i) === reg;
const ENTRY_BYTES: Readonly<Record<string, 4 | 8>> = { lw: 4, lwu: 4, ld: 8 };

type Decode = (pc: number) => RiscvInsn | undefined;

/** The targets of the jump ending `path`, or undefined when it is not such a switch. */
export function jumpTableTargets(
  path: readonly RiscvInsn[],
  code: CodeView,
  decode: Decode,
): number[] | undefined {
  const jump = path.at(-1);
  const readData = code.readData;
  if (!readData || !jump || jump.def.name !== "jalr" || rd(jump) !== 0) return undefined;
  path = withBranchBefore(path, decode);
  const n = path.length - 1;
  // Values hoisted out of a loop are looked for before the straight code that ends at the jump.
  let stretch = n;
  while (stretch > 0 && path[stretch - 1].pc + path[stretch - 1].len === path[stretch].pc) stretch--;
  const def = (reg: number, end: number) => {
    for (let k = end - 1; k >= 0; k--) if (writes(path[k], reg)) return k;
    return -1;
  };
  let hoisted: Map<number, number> | undefined;
  const before = () => (hoisted ??= hoistedConstants(path[stretch].pc, decode));
  const value = (reg: number, end: number) => constant(path, reg, end, def, before);
  // The entry, and (relative entries) the base added to it.
  let k = def(rs1(jump), n);
  if (k < 0) return undefined;
  let relativeTo: number | undefined;
  if (path[k].def.name === "add") {
    const [a, b] = [rs1(path[k]), rs2(path[k])];
    const la = def(a, k);
    const loaded = la >= 0 && path[la].def.name in ENTRY_BYTES ? a : b;
    relativeTo = value(loaded === a ? b : a, k);
    if (relativeTo === undefined) return undefined;
    k = def(loaded, k);
    if (k < 0) return undefined;
  }
  const load = path[k];
  const bytes = ENTRY_BYTES[load.def.name];
  if (bytes === undefined) return undefined;
  const entries = tableEntries(path, k, bytes, def, value, readData);
  if (!entries) return undefined;
  const targets: number[] = [];
  for (let e of entries) {
    if (load.def.name === "lwu" && e < 0) e += 2 ** 32;
    const t = (relativeTo ?? 0) + e + immValue(jump.insn, "I");
    const target = t - (((t % 2) + 2) % 2);
    // Not code the hart can fetch: not a table of cases after all.
    if (!Number.isSafeInteger(target) || code.host(target) < 0) return undefined;
    targets.push(target);
  }
  return targets;
}

type Def = (reg: number, end: number) => number;
type Value = (reg: number, end: number) => number | undefined;

/**
 * The entries the load at path[k] (of `bytes` each, signed) may read: its address is a table's
 * (a constant) plus an index scaled by `bytes`, which a bounds check keeps within the table.
 */
function tableEntries(
  path: readonly RiscvInsn[],
  k: number,
  bytes: 4 | 8,
  def: Def,
  value: Value,
  readData: NonNullable<CodeView["readData"]>,
): number[] | undefined {
  const load = path[k];
  const p = def(rs1(load), k);
  if (p < 0 || path[p].def.name !== "add") return undefined;
  const [a, b] = [rs1(path[p]), rs2(path[p])];
  const index = scaledIndex(path, def(a, p), bytes) ?? scaledIndex(path, def(b, p), bytes);
  if (!index) return undefined;
  const base = value(index.reg === a ? b : a, p);
  const count = bound(path, index.idx, index.at, def, value);
  if (base === undefined || count === undefined || count > MAX_ENTRIES) return undefined;
  const table = base + immValue(load.insn, "I");
  const entries: number[] = [];
  for (let i = 0; i < count; i++) {
    const e = readData(table + i * bytes, bytes);
    if (e === undefined) return undefined;
    entries.push(e);
  }
  return entries;
}

/** `path` with the 32-bit branch before its first instruction in front, when one falls through to it. */
function withBranchBefore(path: readonly RiscvInsn[], decode: Decode): readonly RiscvInsn[] {
  if (path[0].def.flow?.kind === "branch") return path;
  const b = decode(path[0].pc - 4);
  return b && b.len === 4 && b.def.flow?.kind === "branch" ? [b, ...path] : path;
}

/**
 * The index the instruction at `k` scales for entries of `bytes` (`slli t, idx, log2 bytes`,
 * or the zero-extending `srli t, u, 32 - log2 bytes` of `slli u, idx, 32`), and where.
 */
function scaledIndex(
  path: readonly RiscvInsn[],
  k: number,
  bytes: 4 | 8,
): { reg: number; idx: number; at: number } | undefined {
  if (k < 0) return undefined;
  const s = path[k];
  const shift = Math.log2(bytes);
  const shamt = fieldValue(s.insn, FIELDS.shamt);
  if (s.def.name === "slli" && shamt === shift) return { reg: rd(s), idx: rs1(s), at: k };
  if (s.def.name !== "srli" || shamt !== 32 - shift) return undefined;
  for (let j = k - 1; j >= 0; j--)
    if (writes(path[j], rs1(s))) {
      const u = path[j];
      const zext = u.def.name === "slli" && fieldValue(u.insn, FIELDS.shamt) === 32;
      return zext ? { reg: rd(s), idx: rs1(u), at: j } : undefined;
    }
  return undefined;
}

/**
 * Entries the bounds check before `at` lets the index in `idx` reach: `bltu n, idx` or
 * `bgeu idx, n+1` falling through, `bgeu n, idx` or `bltu idx, n+1` taken.
 */
function bound(
  path: readonly RiscvInsn[],
  idx: number,
  at: number,
  def: Def,
  value: Value,
): number | undefined {
  const same = source(path, idx, at, def);
  for (let b = at - 1; b >= 0; b--) {
    const br = path[b];
    if (br.def.flow?.kind !== "branch") continue;
    const [a, c] = [rs1(br), rs2(br)];
    const checked = source(path, a, b, def) === same ? a : source(path, c, b, def) === same ? c : -1;
    if (checked < 0) continue; // a check of something else
    idx = checked;
    const taken = path[b + 1].pc !== br.pc + br.len;
    const name = br.def.name;
    // idx <= n, or idx < n
    let n: number | undefined;
    let inclusive = false;
    if ((name === "bltu" && !taken) || (name === "bgeu" && taken)) {
      if (c !== idx) return undefined;
      n = value(a, b);
      inclusive = true;
    } else if ((name === "bgeu" && !taken) || (name === "bltu" && taken)) {
      if (a !== idx) return undefined;
      n = value(c, b);
    } else return undefined;
    return n === undefined || n < 0 ? undefined : inclusive ? n + 1 : n;
  }
  return undefined;
}

/**
 * Where the value of `reg` before path[end] was made, seen through copies that keep a small
 * index as it is (`mv`, `sext.w`, `zext.b`): a bounds check on one of them bounds the others.
 */
function source(path: readonly RiscvInsn[], reg: number, end: number, def: Def): string {
  const k = def(reg, end);
  if (k < 0) return `${reg}`;
  const i = path[k];
  const imm = immValue(i.insn, "I");
  const copy =
    ((i.def.name === "addi" || i.def.name === "addiw") && imm === 0) ||
    (i.def.name === "andi" && imm === 255);
  return copy && rs1(i) !== 0 ? source(path, rs1(i), k, def) : `${reg}@${k}`;
}

/**
 * The constant register `reg` holds before path[end]: made on the path (li, lui, auipc, addi
 * of a constant), or, when the path does not write it, by the nearest `li` or `auipc`/`lui`
 * + `addi` before the path (`hoisted`: a value hoisted out of a loop). A guess: what lies
 * between is not looked at.
 */
function constant(
  path: readonly RiscvInsn[],
  reg: number,
  end: number,
  def: Def,
  hoisted: () => ReadonlyMap<number, number>,
): number | undefined {
  if (reg === 0) return 0;
  const k = def(reg, end);
  if (k < 0) return hoisted().get(reg);
  const i = path[k];
  const name = i.def.name;
  if (name === "lui") return immValue(i.insn, "U");
  if (name === "auipc") return i.pc + immValue(i.insn, "U");
  if (name !== "addi") return undefined;
  const from = constant(path, rs1(i), k, def, hoisted);
  return from === undefined ? undefined : from + immValue(i.insn, "I");
}

/** By register, the constant the nearest `li` or `auipc`/`lui` + `addi` in the SCAN_BYTES before `start` makes. */
function hoistedConstants(start: number, decode: Decode): Map<number, number> {
  const found = new Map<number, number>();
  for (let at = start - 2; at >= start - SCAN_BYTES; at -= 2) {
    const i = decode(at);
    if (!i || at + i.len > start || i.def.name !== "addi" || found.has(rd(i))) continue;
    const reg = rd(i);
    if (rs1(i) === 0) found.set(reg, immValue(i.insn, "I"));
    const hi = rs1(i) === reg ? decode(at - 4) : undefined;
    if (hi?.len !== 4 || rd(hi) !== reg) continue;
    if (hi.def.name === "auipc") found.set(reg, hi.pc + immValue(hi.insn, "U") + immValue(i.insn, "I"));
    if (hi.def.name === "lui") found.set(reg, immValue(hi.insn, "U") + immValue(i.insn, "I"));
  }
  return found;
}
