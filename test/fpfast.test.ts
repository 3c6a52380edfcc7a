// The inline floating-point fast paths must agree with the exact definitions. Each case runs
// an instruction twice in the guest: once with fflags clear (the fast paths decline, so the
// exact softfloat definition runs) and once with NX already accrued (the fast paths may
// run). Results must be identical and the flags must differ only by the preset NX; the
// results and flags must also be the ones QEMU gives, case by case.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { runBaremetal } from "../src/modes/baremetal.js";
import { CACHE_DIR } from "./guest/build.js";
import { buildBaremetalProgram, runOnQemuSpikeWithOutput } from "./guest/isa.js";

const CASES = Number(process.env.HARTWOOD_FPFAST_CASES ?? 6000);

let seed = 0x2545f491;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
const f64bits = (x: number) => new BigUint64Array(new Float64Array([x]).buffer)[0];
const f32bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

/** Mostly ordinary values (so the fast paths engage), some edge cases. */
function operand(): number {
  const k = rnd() % 16;
  if (k === 0)
    return [0, -0, Infinity, -Infinity, NaN, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308][
      rnd() % 8
    ];
  if (k === 1) return (1 + (rnd() % 1024) / 1024) * 2 ** ((rnd() % 8) - 4) * (rnd() & 1 ? -1 : 1);
  if (k === 2 || k === 3) return 1 + (rnd() % 64) * 2 ** (k === 2 ? -27 : -26);
  if (k === 4) return ((rnd() % 64) - 32) * 2 ** -(50 + (rnd() % 8)); // with the above: sums near ties
  return ((rnd() / 2 ** 32) * 2 - 1) * 2 ** ((rnd() % 40) - 20);
}

/** An operand for an integer-to-float conversion: small, boundary or random 64-bit values. */
function intOperand(): bigint {
  const k = rnd() % 6;
  if (k === 0)
    return [0n, 1n, -1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, (1n << 63n) - 1n, 1n << 63n][rnd() % 8];
  if (k === 1) return BigInt(rnd() % 100000) - 50000n;
  if (k === 2) return (1n << BigInt(24 + (rnd() % 40))) + BigInt(rnd() % 5) - 2n; // near rounding points
  return (BigInt(rnd()) << 32n) | BigInt(rnd());
}

/** An operand for a float-to-integer conversion: fractions, ties and the range limits. */
function cvtOperand(): number {
  const k = rnd() % 5;
  if (k === 0)
    return [0.5, 1.5, 2.5, -0.5, -2.5, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 63, -(2 ** 63), 2 ** 64, -1][
      rnd() % 12
    ];
  if (k === 1) return (rnd() % 1000) / 8 - 60;
  return operand();
}

interface Op {
  op: string;
  n: 1 | 2 | 3;
  fmt: "s" | "d";
  rm?: boolean;
  /** "toInt": result in an integer register; "fromInt": operand in an integer register. */
  kind?: "toInt" | "fromInt";
}
const OPS: Op[] = [];
const MODES = ["rne", "rtz", "rdn", "rup", "rmm", "dyn"];
for (const fmt of ["s", "d"] as const) {
  for (const op of ["fadd", "fsub", "fmul", "fdiv"]) OPS.push({ op: `${op}.${fmt}`, n: 2, fmt, rm: true });
  OPS.push({ op: `fsqrt.${fmt}`, n: 1, fmt, rm: true });
  for (const op of ["fmadd", "fmsub", "fnmadd", "fnmsub"])
    OPS.push({ op: `${op}.${fmt}`, n: 3, fmt, rm: true });
  for (const op of ["fsgnj", "fsgnjn", "fsgnjx"]) OPS.push({ op: `${op}.${fmt}`, n: 2, fmt });
  for (const i of ["w", "wu", "l", "lu"]) {
    OPS.push({ op: `fcvt.${i}.${fmt}`, n: 1, fmt, rm: true, kind: "toInt" });
    OPS.push({ op: `fcvt.${fmt}.${i}`, n: 1, fmt, rm: true, kind: "fromInt" });
  }
}

/** puthex(a1): 16 hex digits and a newline on the HTIF console; clobbers a2-a5, t0. */
const PUTHEX = [
  "puthex:",
  "  li a2, 60",
  "2:",
  "  srl a3, a1, a2",
  "  andi a3, a3, 15",
  "  addi a3, a3, 48",
  "  li a4, 58",
  "  blt a3, a4, 3f",
  "  addi a3, a3, 39",
  "3:",
  "  mv a5, ra",
  "  call putc",
  "  mv ra, a5",
  "  addi a2, a2, -4",
  "  bgez a2, 2b",
  "  li a3, 10",
  "putc:",
  "  li t0, 0x0101000000000000",
  "  or t0, t0, a3",
  "  la a4, tohost",
  "  sd t0, 0(a4)",
  "4:",
  "  ld t0, 0(a4)",
  "  bnez t0, 4b",
  "  ret",
];

function program(): string {
  const lines = ['#include "test.h"', "TEST_BEGIN", "  li t0, 0x6000", "  csrs mstatus, t0", "  la a0, data"];
  const data: string[] = ["  .data", "  .align 3", "data:"];
  for (let i = 0; i < CASES; i++) {
    const { op, n, fmt, rm, kind } = OPS[i % OPS.length];
    const ld = fmt === "d" ? "fld" : "flw";
    const mv = fmt === "d" ? "fmv.x.d" : "fmv.x.w";
    const regs = kind === "fromInt" ? "t5" : ["f1", "f2", "f3"].slice(0, n).join(", ");
    // fcvt.d.w[u] is always exact: the assembler takes no rounding mode for it
    const exactForm = op === "fcvt.d.w" || op === "fcvt.d.wu";
    const suffix = rm && !exactForm ? `, ${MODES[(i >> 6) % MODES.length]}` : "";
    lines.push(`  TEST_CASE(${i + 1})`);
    for (let k = 0; k < 3; k++) lines.push(`  ${ld} f${k + 1}, ${8 * k}(a0)`);
    lines.push(`  ld t5, 0(a0)`, `  addi a0, a0, 24`);
    const run = (fd: string, flags: string, res: string) => {
      if (kind === "toInt") return [`  ${op} ${res}, ${regs}${suffix}`, `  frflags ${flags}`];
      return [`  ${op} ${fd}, ${regs}${suffix}`, `  frflags ${flags}`, `  ${mv} ${res}, ${fd}`];
    };
    lines.push(`  csrwi fflags, 0`, ...run("f4", "t1", "t2"));
    lines.push(`  csrwi fflags, 1`, ...run("f5", "t3", "t4"));
    // (a far jump: the program may be larger than a branch or jal can span)
    lines.push(`  ori t1, t1, 1`, `  xor t1, t1, t3`, `  xor t2, t2, t4`, `  or t1, t1, t2`, `  beqz t1, 1f`);
    lines.push(`  jump fail_test, t6`, `1:`);
    // report the result and the flags (with fflags clear before) for comparison with QEMU
    lines.push(`  mv a1, t4`, `  call puthex`, `  mv a1, t3`, `  call puthex`);
    for (let k = 0; k < 3; k++) {
      let bits: bigint;
      if (kind === "fromInt") bits = BigInt.asUintN(64, intOperand());
      else {
        const v = kind === "toInt" ? cvtOperand() : operand();
        bits = fmt === "d" ? f64bits(v) : BigInt(f32bits(v));
      }
      data.push(`  .dword 0x${bits.toString(16)}`);
    }
  }
  lines.push("  PASS", ...PUTHEX, "TEST_END", ...data);
  return lines.join("\n") + "\n";
}

test("floating-point fast paths give the same results and flags as the exact definitions", () => {
  const src = program();
  const dir = join(CACHE_DIR, "generated");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `fpfast-${createHash("sha256").update(src).digest("hex").slice(0, 16)}.S`);
  writeFileSync(file, src);
  const elf = buildBaremetalProgram(file, "fpfast.elf");
  const qemu = runOnQemuSpikeWithOutput(elf);
  expect(qemu.status, "reference run on QEMU").toBe(0);
  const out: number[] = [];
  const r = runBaremetal(readFileSync(elf), { maxInsns: 100_000_000, out: (b) => out.push(...b) });
  expect(r.status, "failing case on Hartwood").toBe(0);
  const mine = Buffer.from(out).toString().split("\n");
  const theirs = qemu.stdout.split("\n");
  for (let i = 0; i < theirs.length; i++) {
    if (mine[i] !== theirs[i]) {
      const c = i >> 1;
      expect.fail(
        `case ${c + 1} (${OPS[c % OPS.length].op}): ${i & 1 ? "flags" : "result"} ${mine[i]}, QEMU ${theirs[i]}`,
      );
    }
  }
});
