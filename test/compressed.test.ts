// The RV64C expansion table against binutils: every 16-bit pattern is disassembled by objdump
// as a compressed instruction, and its expansion by Hartwood is disassembled as a 32-bit
// instruction; both must name the same instruction with the same operands.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { C_ILLEGAL, compressedTable, expandCompressed } from "../src/arch/riscv/insns/c.js";

/**
 * The 32-bit instruction each compressed form stands for (Unprivileged ISA ch. 16), written
 * over objdump's operands of the compressed form: $0, $1, $2 are its operands, $* all of them.
 * HINTs decode like the instruction they share an encoding with (c.slli64 and friends are
 * the shamt = 0 HINTs of RV64C, §16.7).
 */
const EXPANSION: Record<string, string> = {
  "c.addi4spn": "addi $0,$1,$2",
  "c.fld": "fld $*",
  "c.lw": "lw $*",
  "c.ld": "ld $*",
  "c.fsd": "fsd $*",
  "c.sw": "sw $*",
  "c.sd": "sd $*",
  "c.addi": "addi $0,$0,$1", // c.nop is c.addi zero,0
  "c.addiw": "addiw $0,$0,$1",
  "c.li": "addi $0,zero,$1",
  "c.addi16sp": "addi $0,$0,$1",
  "c.lui": "lui $0,$1",
  "c.srli": "srli $0,$0,$1",
  "c.srli64": "srli $0,$0,0x0",
  "c.srai": "srai $0,$0,$1",
  "c.srai64": "srai $0,$0,0x0",
  "c.andi": "andi $0,$0,$1",
  "c.sub": "sub $0,$0,$1",
  "c.xor": "xor $0,$0,$1",
  "c.or": "or $0,$0,$1",
  "c.and": "and $0,$0,$1",
  "c.subw": "subw $0,$0,$1",
  "c.addw": "addw $0,$0,$1",
  "c.j": "jal zero,$0",
  "c.beqz": "beq $0,zero,$1",
  "c.bnez": "bne $0,zero,$1",
  "c.slli": "slli $0,$0,$1",
  "c.slli64": "slli $0,$0,0x0",
  "c.fldsp": "fld $*",
  "c.lwsp": "lw $*",
  "c.ldsp": "ld $*",
  "c.jr": "jalr zero,0($0)",
  "c.mv": "add $0,zero,$1",
  "c.ebreak": "ebreak",
  "c.jalr": "jalr ra,0($0)",
  "c.add": "add $0,$0,$1",
  "c.fsdsp": "fsd $*",
  "c.swsp": "sw $*",
  "c.sdsp": "sd $*",
};

/** What objdump prints for a reserved or illegal halfword. */
const ILLEGAL = new Set([".2byte", "c.unimp"]);

/** Halfwords binutils 2.40 decodes although the spec reserves them: the spec wins. */
const RESERVED_DESPITE_BINUTILS = new Map([
  [0x6101, "c.addi16sp with nzimm = 0 is reserved (Unprivileged ISA §16.5)"],
]);

const PC_RELATIVE = new Set(["jal", "beq", "bne"]);

interface Line {
  mnemonic: string;
  operands: string;
}

let work = "";

/** Disassembles raw RV64GC code placed at address 0; returns its instructions by address. */
function disassemble(code: Buffer): Map<number, Line> {
  const path = join(work, "code.bin");
  writeFileSync(path, code);
  const out = execFileSync(
    "riscv64-unknown-elf-objdump",
    ["-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases", path],
    { encoding: "utf8", maxBuffer: 1 << 28 },
  );
  const lines = new Map<number, Line>();
  for (const text of out.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t[0-9a-f]+\s*\t(\S+)\s*(.*)$/.exec(text);
    // Drop objdump's "# 0x..." notes (addresses it computed from earlier instructions).
    if (m) lines.set(parseInt(m[1], 16), { mnemonic: m[2], operands: m[3].replace(/\s*(#.*)?$/, "") });
  }
  return lines;
}

/** An instruction as text, with a branch target made relative to the instruction's address. */
function normalize(mnemonic: string, operands: string, address: number): string {
  if (PC_RELATIVE.has(mnemonic)) {
    operands = operands.replace(/0x[0-9a-f]+$/, (target) => {
      const offset = BigInt.asIntN(64, BigInt(target) - BigInt(address));
      return `pc${offset < 0n ? "" : "+"}${offset}`;
    });
  }
  return operands === "" ? mnemonic : `${mnemonic} ${operands}`;
}

const halfwords = Array.from({ length: 65536 }, (_, h) => h).filter((h) => (h & 3) !== 3);

/** Per halfword: objdump's compressed form, its expected expansion, and Hartwood's. */
let rows: { h: number; compressed: string; expected: string; actual: string }[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "hartwood-rvc-"));
  const code16 = Buffer.alloc(halfwords.length * 2);
  halfwords.forEach((h, k) => code16.writeUInt16LE(h, 2 * k));
  const dis16 = disassemble(code16);

  const expansions = halfwords.map(expandCompressed);
  const words = [...new Set(expansions.filter((w) => w !== C_ILLEGAL))];
  const code32 = Buffer.alloc(words.length * 4);
  words.forEach((w, k) => code32.writeUInt32LE(w, 4 * k));
  const dis32 = disassemble(code32);
  const wordAddress = new Map(words.map((w, k) => [w, 4 * k]));

  rows = halfwords.map((h, k) => {
    const c = dis16.get(2 * k) ?? { mnemonic: "(missing)", operands: "" };
    const compressed = `${c.mnemonic} ${c.operands}`.trim();
    let expected: string;
    if (ILLEGAL.has(c.mnemonic) || RESERVED_DESPITE_BINUTILS.has(h)) expected = "illegal";
    else {
      const template = EXPANSION[c.mnemonic] ?? `(no expansion known for ${c.mnemonic})`;
      const ops = c.operands.split(",");
      const text = template.replace("$*", c.operands).replace(/\$(\d)/g, (_, i: string) => ops[Number(i)]);
      const space = text.indexOf(" ");
      const mnemonic = space < 0 ? text : text.slice(0, space);
      expected = normalize(mnemonic, space < 0 ? "" : text.slice(space + 1), 2 * k);
    }
    const w = expansions[k];
    let actual = "illegal";
    if (w !== C_ILLEGAL) {
      const at = wordAddress.get(w)!;
      const d = dis32.get(at) ?? { mnemonic: "(missing)", operands: "" };
      actual = normalize(d.mnemonic, d.operands, at);
    }
    return { h, compressed, expected, actual };
  });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const hex = (h: number) => h.toString(16).padStart(4, "0");

describe("RV64C expansion (expandCompressed) against binutils", () => {
  test("objdump decoded every halfword", () => {
    expect(rows).toHaveLength(halfwords.length);
    expect(rows.filter((r) => r.compressed.startsWith("(missing)")).map((r) => hex(r.h))).toEqual([]);
  });

  test("every halfword expands to the instruction objdump names, with the same operands", () => {
    const mismatches = rows
      .filter((r) => r.expected !== r.actual)
      .map((r) => `${hex(r.h)} ${r.compressed}: expected ${r.expected}, got ${r.actual}`);
    expect(mismatches).toEqual([]);
  });

  test("the reserved halfwords binutils decodes anyway expand to C_ILLEGAL", () => {
    for (const [h, why] of RESERVED_DESPITE_BINUTILS) expect(expandCompressed(h), why).toBe(C_ILLEGAL);
  });

  test("HINTs are legal", () => {
    // §16.7: e.g. c.nop with imm != 0, c.li/c.lui/c.mv/c.add/c.slli with rd = x0, shamt = 0.
    const hints = rows.filter((r) => /^c\.\w+ zero,|^c\.\w+64 |^c\.addi \w+,0$/.test(r.compressed));
    expect(hints.length).toBeGreaterThan(300);
    expect(hints.filter((r) => r.actual === "illegal").map((r) => `${hex(r.h)} ${r.compressed}`)).toEqual([]);
  });

  test("the interpreter's table is the expansion, and quadrant 3 is not compressed", () => {
    const table = compressedTable();
    const wrong: string[] = [];
    for (let h = 0; h < 65536; h++) {
      const expected = (h & 3) === 3 ? C_ILLEGAL : expandCompressed(h);
      if (table[h] !== expected) wrong.push(hex(h));
    }
    expect(wrong).toEqual([]);
  });
});
