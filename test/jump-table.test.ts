// A switch's cases read from its jump table (arch/riscv/jump-table.ts) and the reads behind
// them (FlatCode's CodeView.readData): the instructions are encoded here by their formats
// (Unprivileged spec §2.2-2.3), the code and data are a toy memory.
import { expect, test } from "vitest";
import type { CodeView } from "../src/core/jit/isa.js";
import { FlatCode } from "../src/arch/riscv/code-memory.js";
import { decoder } from "../src/arch/riscv/decode.js";
import { ALL_INSNS } from "../src/arch/riscv/insns/index.js";
import { jumpTableTargets } from "../src/arch/riscv/jump-table.js";
import type { RiscvInsn } from "../src/arch/riscv/recompiler.js";
import { PAGE_R, PAGE_X, PERM_TABLE_BYTES } from "../src/arch/riscv/sem.js";

const iType = (op: number, f3: number, rd: number, rs1: number, imm: number) =>
  ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const rType = (f3: number, rd: number, rs1: number, rs2: number) => (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x33; // prettier-ignore
const bType = (f3: number, rs1: number, rs2: number, off: number) =>
  (((off >> 12) & 1) << 31) |
  (((off >> 5) & 0x3f) << 25) |
  (rs2 << 20) |
  (rs1 << 15) |
  (f3 << 12) |
  (((off >> 1) & 0xf) << 8) |
  (((off >> 11) & 1) << 7) |
  0x63;
const [T0, T1, A2, A3] = [5, 6, 12, 13];
const decodeWord = decoder(ALL_INSNS);
const insnAt = (pc: number, word: number): RiscvInsn => {
  const insn = word >>> 0;
  return { pc, raw: insn, insn, len: 4, def: decodeWord(insn)! };
};

/**
 * At 0x10000: `li t0, 4; auipc t1, 0; addi t1, t1, 0x400` (the table at 0x10004 + 0x400), then
 * the loop at 0x1000c: `bltu t0, a2, default; slli a3, a2, 2; add a3, a3, t1; lw a3, 0(a3);
 * add a3, a3, t1; jr a3`. The path handed over is the loop's (the bound and the table's
 * address hoisted before it).
 */
const words = [
  iType(0x13, 0, T0, 0, 4),
  (0 << 12) | (T1 << 7) | 0x17,
  iType(0x13, 0, T1, T1, 0x400),
  bType(6, T0, A2, 0x100),
  iType(0x13, 1, A3, A2, 2),
  rType(0, A3, A3, T1),
  iType(0x03, 2, A3, A3, 0),
  rType(0, A3, A3, T1),
  iType(0x67, 0, 0, A3, 0),
];
const code = new Map(words.map((w, k) => [0x10000 + 4 * k, insnAt(0x10000 + 4 * k, w)]));
const decode = (pc: number) => code.get(pc);
const path = [...code.values()].slice(3);
const TABLE = 0x10404;

function view(
  entries: Map<number, number>,
  fetchable = (pc: number) => pc >= 0x10000 && pc < 0x11000,
): CodeView {
  return {
    host: (pc) => (fetchable(pc) ? pc : -1),
    key: () => 0,
    protect: () => undefined,
    readData: (addr, bytes) => (bytes === 4 ? entries.get(addr) : undefined),
  };
}
const relative = (offsets: number[]) => new Map(offsets.map((o, i) => [TABLE + 4 * i, o]));

test("a GCC-style switch gives its table's cases, relative to the table, as many as its bounds check lets through", () => {
  // Five cases (t0 = 4), then an entry past them that only a rewrite could reach.
  const table = relative([0x20, 0x30, 0x20, 0x40, 0x50, 0x60]);
  expect(jumpTableTargets(path, view(table), decode)).toEqual([0x10424, 0x10434, 0x10424, 0x10444, 0x10454]);
});

test("a table it cannot read, an entry to code it cannot fetch, or no bounds check gives no cases", () => {
  expect(
    jumpTableTargets(path, view(relative([0x20, 0x30])), decode),
    "entries 2-4 unreadable",
  ).toBeUndefined();
  const toData = relative([0x20, 0x30, 0x20, 0x40, 0x2000]);
  expect(jumpTableTargets(path, view(toData), decode), "case 4 outside the code").toBeUndefined();
  const table = relative([0x20, 0x30, 0x20, 0x40, 0x50]);
  expect(
    jumpTableTargets(path.slice(1), view(table), (pc) => (pc === 0x1000c ? undefined : decode(pc))),
  ).toBeUndefined();
  const noData: CodeView = { ...view(table), readData: undefined };
  expect(jumpTableTargets(path, noData, decode), "no data is read in this mode").toBeUndefined();
});

test("user mode reads a table only from pages the guest may read, never faulting", () => {
  const memory = new WebAssembly.Memory({ initial: 64 }); // 4 MiB: the permission table, then the guest
  const hostOffset = PERM_TABLE_BYTES;
  const perms = new Uint8Array(memory.buffer, 0, PERM_TABLE_BYTES);
  perms[1] = PAGE_R;
  perms[2] = PAGE_X; // executable, not readable
  const data = new DataView(memory.buffer);
  data.setInt32(hostOffset + 0x1000, -8, true);
  data.setInt32(hostOffset + 0x1004, 0x12345, true);
  const read = new FlatCode(memory, 0, hostOffset).view().readData!;
  expect(read(0x1000, 4)).toBe(-8);
  expect(read(0x1000, 8)).toBe(0x12345 * 2 ** 32 + (-8 >>> 0));
  expect(read(0x1ffc, 8), "its last bytes on a page it may not read").toBeUndefined();
  expect(read(0x2000, 4), "executable only").toBeUndefined();
  expect(read(0x3000, 4), "unmapped").toBeUndefined();
  expect(read(-4, 4)).toBeUndefined();
  expect(read(2 ** 32 - 2, 4)).toBeUndefined();
});
