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

/** `value` as an unsigned LEB128. */
function ulebBytes(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>>= 7;
    if (value === 0) return [...out, b];
    out.push(b | 0x80);
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

/** A module's sections by id (custom ones by name): where each one's content starts and ends. */
function sections(bytes: Uint8Array): Map<number | string, [number, number]> {
  const out = new Map<number | string, [number, number]>();
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    if (id === 0) {
      const [length, text] = leb(bytes, start);
      out.set(new TextDecoder().decode(bytes.subarray(text, text + length)), [text + length, start + size]);
    } else out.set(id, [start, start + size]);
    at = start + size;
  }
  return out;
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

  test("the loop function calls the handlers out of the loop from code marked rarely run (so the engine keeps the loop's values in registers, not stack slots)", () => {
    const bytes = buildInterpreter(ALL_INSNS, { ctable: 0, predecode: 1 << 20 }, 1, false);
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
      const call = [0x10, ...ulebBytes(f)];
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
