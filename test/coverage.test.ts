// Every instruction Hartwood defines is exercised by at least one ISA test program, and so is
// every RV64C form. Which instructions a program holds is read by binutils' disassembler, not
// by Hartwood's decoder.
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, test } from "vitest";
import { ALL_INSNS } from "../src/arch/riscv/insns/index.js";
import { buildIsa, isaPrograms } from "./guest/isa.js";

/** Unprivileged ISA ch. 16 (RV64C), in the order of its opcode map. */
const RV64C = [
  "c.addi4spn", "c.fld", "c.lw", "c.ld", "c.fsd", "c.sw", "c.sd",
  "c.nop", "c.addi", "c.addiw", "c.li", "c.addi16sp", "c.lui", "c.srli", "c.srai", "c.andi",
  "c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw", "c.j", "c.beqz", "c.bnez",
  "c.slli", "c.fldsp", "c.lwsp", "c.ldsp", "c.jr", "c.mv", "c.ebreak", "c.jalr", "c.add",
  "c.fsdsp", "c.swsp", "c.sdsp",
]; // prettier-ignore

/** Forms whose rd = x0 makes them HINTs (ch. 16.7), which do not count as the instruction. */
const HINT_WHEN_RD_ZERO = new Set(["c.addi", "c.li", "c.lui", "c.slli", "c.mv", "c.add"]);

/** Mnemonic → the programs that contain it. */
const seen = new Map<string, Set<string>>();

function note(mnemonic: string, program: string): void {
  let programs = seen.get(mnemonic);
  if (!programs) seen.set(mnemonic, (programs = new Set()));
  programs.add(program);
}

/**
 * Records the instructions of one disassembled program. objdump -M no-aliases prints
 * compressed instructions with their c. mnemonic, LR/SC/AMOs with their ordering suffix, and
 * c.nop as "c.addi zero,0".
 */
function collect(disassembly: string, program: string): void {
  for (const line of disassembly.split("\n")) {
    const m = /^\s*[0-9a-f]+:\t([0-9a-f]+)\s*\t(\S+)\t?(\S*)/.exec(line);
    if (!m) continue;
    const [, hex, mnemonic, operands] = m;
    if (mnemonic === "c.addi" && hex === "0001") note("c.nop", program);
    else if (HINT_WHEN_RD_ZERO.has(mnemonic) && operands.startsWith("zero,")) continue;
    else note(mnemonic.replace(/^((?:lr|sc|amo\w+)\.[wd])\.(?:aq|rl|aqrl)$/, "$1"), program);
  }
}

function missing(names: readonly string[]): string[] {
  return names.filter((n) => !seen.has(n));
}

beforeAll(() => {
  for (const name of isaPrograms()) {
    const elf = buildIsa(name);
    const dis = execFileSync("riscv64-unknown-elf-objdump", ["-d", "-M", "no-aliases", elf], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    collect(dis, name);
  }
});

describe("instruction coverage of test/guest/isa", () => {
  test("the programs were disassembled", () => {
    expect(seen.size).toBeGreaterThan(50);
  });

  test("every instruction definition appears in at least one program", () => {
    const names = ALL_INSNS.map((d) => d.name);
    expect(new Set(names).size, "definition names are unique").toBe(names.length);
    expect(missing(names), "definitions no ISA test program contains").toEqual([]);
  });

  test("every RV64C instruction appears in at least one program", () => {
    expect(missing(RV64C), "compressed instructions no ISA test program contains").toEqual([]);
  });
});
