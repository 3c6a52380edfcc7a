// The interpreter module's shape (interp.ts): which handlers live outside its loop function,
// and the room its fetch needs after RAM.
import { describe, expect, test } from "vitest";
import { ALL_INSNS } from "../src/arch/riscv/insns/index.js";
import { buildInterpreter, outOfLoop } from "../src/arch/riscv/interp.js";
import { MemoryLayout } from "../src/core/memory.js";
import { uleb } from "../src/core/wasm.js";
import { readUleb as leb, sections } from "./wasm-bytes.js";

/** How many functions a wasm module defines (the function section's count). */
function definedFunctions(bytes: Uint8Array): number {
  const functionSection = sections(bytes).get(3);
  return functionSection ? leb(bytes, functionSection[0])[0] : 0;
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
    const bytes = buildInterpreter(ALL_INSNS, { ctable: 0 }, 1, false);
    expect(definedFunctions(bytes)).toBe(2 + out.length);
  });

  test("the loop function calls the handlers out of the loop from code marked rarely run (so the engine keeps the loop's values in registers, not stack slots)", () => {
    const bytes = buildInterpreter(ALL_INSNS, { ctable: 0 }, 1, false);
    const parts = sections(bytes);
    // The hints' first function is the loop function (the first defined, index `imports`).
    const [start] = parts.get("metadata.code.branch_hint")!;
    const [, first] = leb(bytes, start); // past the count of hinted functions
    const [imports, countAt] = leb(bytes, first);
    let [count, hintsAt] = leb(bytes, countAt);
    const hinted = new Set<number>();
    for (; count > 0; count--) {
      let offset;
      [offset, hintsAt] = leb(bytes, hintsAt);
      hinted.add(offset);
      hintsAt += 2;
    }
    // The loop function's body (the first in the code section), from its locals.
    const [, body] = leb(bytes, leb(bytes, parts.get(10)![0])[1]);
    const hintedIfBefore = (call: number) =>
      [...hinted].some((h) => h < call && call - h <= 16 && bytes[body + h] === 0x04);
    // Out-of-loop handlers are the functions after the loop and decode functions.
    const outCount = ALL_INSNS.filter(outOfLoop).length;
    for (let f = imports + 2; f < imports + 2 + outCount; f++) {
      const call = [0x10];
      uleb(call, f);
      const sites: number[] = [];
      for (let at = body; at < bytes.length - call.length; at++)
        if (call.every((b, k) => bytes[at + k] === b)) sites.push(at - body);
      expect(sites.some(hintedIfBefore), `function ${f}`).toBe(true);
    }
  });

  test("memory has room after RAM for the fetch's four-byte read at RAM's last halfword", () => {
    for (const ramBytes of [1 << 20, (1 << 20) + 4096]) {
      const layout = new MemoryLayout(1 << 20, ramBytes);
      expect(layout.memory.buffer.byteLength).toBeGreaterThanOrEqual(layout.ramHostOffset + ramBytes + 2);
    }
  });
});
