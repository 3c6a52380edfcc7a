// The inline floating-point fast paths must agree with the exact definitions. Each case runs
// an instruction twice in the guest: once with fflags clear (the fast paths decline, so the
// exact softfloat definition runs) and once with NX already accrued (the fast paths may
// run). Results must be identical and the flags must differ only by the preset NX. The
// program passes on QEMU spike too, which proves the program itself.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { runBaremetal } from "../src/modes/baremetal.js";
import { CACHE_DIR } from "./guest/build.js";
import { buildBaremetalProgram, runOnQemuSpike } from "./guest/isa.js";

const CASES = Number(process.env.HARTWOOD_FPFAST_CASES ?? 2000);

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

const OPS: { op: string; n: 1 | 2 | 3; fmt: "s" | "d"; rm?: boolean }[] = [];
for (const fmt of ["s", "d"] as const) {
  for (const op of ["fadd", "fsub", "fmul", "fdiv"]) OPS.push({ op: `${op}.${fmt}`, n: 2, fmt, rm: true });
  OPS.push({ op: `fsqrt.${fmt}`, n: 1, fmt, rm: true });
  for (const op of ["fmadd", "fmsub", "fnmadd", "fnmsub"])
    OPS.push({ op: `${op}.${fmt}`, n: 3, fmt, rm: true });
  for (const op of ["fsgnj", "fsgnjn", "fsgnjx"]) OPS.push({ op: `${op}.${fmt}`, n: 2, fmt });
}

function program(): string {
  const lines = ['#include "test.h"', "TEST_BEGIN", "  li t0, 0x6000", "  csrs mstatus, t0", "  la a0, data"];
  const data: string[] = ["  .data", "  .align 3", "data:"];
  for (let i = 0; i < CASES; i++) {
    const { op, n, fmt, rm } = OPS[i % OPS.length];
    const ld = fmt === "d" ? "fld" : "flw";
    const mv = fmt === "d" ? "fmv.x.d" : "fmv.x.w";
    const regs = ["f1", "f2", "f3"].slice(0, n).join(", ");
    const suffix = rm ? ", rne" : "";
    lines.push(`  TEST_CASE(${i + 1})`);
    for (let k = 0; k < 3; k++) lines.push(`  ${ld} f${k + 1}, ${8 * k}(a0)`);
    lines.push(`  addi a0, a0, 24`);
    lines.push(`  csrwi fflags, 0`, `  ${op} f4, ${regs}${suffix}`, `  frflags t1`, `  ${mv} t2, f4`);
    lines.push(`  csrwi fflags, 1`, `  ${op} f5, ${regs}${suffix}`, `  frflags t3`, `  ${mv} t4, f5`);
    lines.push(`  ori t1, t1, 1`, `  bne t1, t3, fail_test`, `  bne t2, t4, fail_test`);
    for (let k = 0; k < 3; k++) {
      const v = operand();
      data.push(`  .dword 0x${(fmt === "d" ? f64bits(v) : BigInt(f32bits(v))).toString(16)}`);
    }
  }
  lines.push("  PASS", "TEST_END", ...data);
  return lines.join("\n") + "\n";
}

test("floating-point fast paths give the same results and flags as the exact definitions", () => {
  const src = program();
  const dir = join(CACHE_DIR, "generated");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `fpfast-${createHash("sha256").update(src).digest("hex").slice(0, 16)}.S`);
  writeFileSync(file, src);
  const elf = buildBaremetalProgram(file, "fpfast.elf");
  expect(runOnQemuSpike(elf), "reference run on QEMU").toBe(0);
  const r = runBaremetal(readFileSync(elf), { maxInsns: 10_000_000, out: () => {} });
  expect(r.status, "failing case on Hartwood").toBe(0);
});
