// The interpreter module's shape (interp.ts): which handlers live outside its loop function,
// and the room its fetch needs after RAM.
import { describe, expect, test } from "vitest";
import { ALL_INSNS } from "../src/arch/riscv/insns/index.js";
import { buildInterpreter, outOfLoop } from "../src/arch/riscv/interp.js";
import { MemoryLayout } from "../src/core/memory.js";

/** An unsigned LEB128 at `at`: its value and the offset after it. */
function leb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
  }
}

/** How many functions a wasm module defines (the function section's count). */
function definedFunctions(bytes: Uint8Array): number {
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    if (id === 3) return leb(bytes, body)[0];
    at = body + size;
  }
  return 0;
}

describe("interpreter module", () => {
  test("the CSR, privileged and atomic handlers and the rarely run multiply, divide and floating-point ones are functions of their own, outside the loop", () => {
    const out = ALL_INSNS.filter(outOfLoop);
    for (const ext of ["Zicsr", "Priv", "A"]) {
      const all = ALL_INSNS.filter((d) => d.ext === ext);
      expect(all.length).toBeGreaterThan(0);
      expect(all.every(outOfLoop), ext).toBe(true);
    }
    const names = new Set(out.map((d) => d.name));
    for (const name of [
      "fmadd.d",
      "fcvt.s.d",
      "fcvt.lu.d",
      "fadd.s",
      "fsqrt.s",
      "flw",
      "mulhsu",
      "div",
      "fmin.d",
      "fcvt.w.d",
    ])
      expect(names, name).toContain(name);
    for (const name of [
      "addi",
      "ld",
      "sd",
      "mul",
      "mulh",
      "mulhu",
      "divu",
      "remu",
      "fld",
      "fsd",
      "fadd.d",
      "fmul.d",
      "fsqrt.d",
      "fcvt.d.w",
      "flt.d",
    ])
      expect(names, name).not.toContain(name);
    // the loop function and the decode function, then one per definition left out
    const bytes = buildInterpreter(ALL_INSNS, { ctable: 0, predecode: 1 << 20 }, 1, false);
    expect(definedFunctions(bytes)).toBe(2 + out.length);
  });

  test("memory has room after RAM for the fetch's four-byte read at RAM's last halfword", () => {
    for (const ramBytes of [1 << 20, (1 << 20) + 4096]) {
      const layout = new MemoryLayout(1 << 20, ramBytes);
      expect(layout.memory.buffer.byteLength).toBeGreaterThanOrEqual(layout.ramHostOffset + ramBytes + 2);
    }
  });
});
