// The ISA-neutral recompiler (src/core/jit) driven by a toy ISA whose one instruction cannot
// be emitted: a translation that fails to build is a bug the tests see, and elsewhere the
// code stays interpreted with one message.
import { afterEach, expect, test, vi } from "vitest";
import type { CodeMemory, GuestInsn, JitIsa } from "../src/core/jit/isa.js";
import { Recompiler } from "../src/core/jit/recompiler.js";
import { JIT_TABLE_BYTES, jitLayoutAt } from "../src/core/jit/table.js";

const brokenIsa: JitIsa<GuestInsn> = {
  state: { pc: 0, budget: 8, stop: 12 },
  registers: { count: 1, offset: () => 16 },
  decode: (pc) => ({ pc, len: 4 }),
  controlFlow: () => ({ kind: "indirect" }),
  emitterFor: () => () => () => {
    throw new Error("toy ISA: no semantics");
  },
};

function recompiler(strict: boolean): { jit: Recompiler<null, GuestInsn>; protects: () => number } {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2 });
  let protects = 0;
  const code: CodeMemory<null> = {
    view: () => ({ host: (pc) => pc, key: () => 0, protect: () => void protects++ }),
    unprotectAll: () => {},
  };
  const jit = new Recompiler(
    memory,
    jitLayoutAt(2 * 65536 - JIT_TABLE_BYTES),
    brokenIsa,
    code,
    {},
    { strict },
  );
  return { jit, protects: () => protects };
}

afterEach(() => void vi.restoreAllMocks());

test("under the tests a translation that fails to build throws", () => {
  const { jit } = recompiler(true);
  jit.translate(0x1000n, null);
  expect(() => jit.commit()).toThrow("toy ISA: no semantics");
});

test("outside the tests it leaves the code to the interpreter and says so once per pc", () => {
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  const { jit, protects } = recompiler(false);
  jit.translate(0x1000n, null);
  expect(protects(), "the region is watched while its module waits").toBe(1);
  jit.translate(0x1000n, null); // asked again while pending: the batch is built now
  expect(error).toHaveBeenCalledTimes(1);
  expect(String(error.mock.calls[0][0])).toContain("0x1000 stays interpreted");
  expect(jit.translations).toBe(0);
  jit.translate(0x1000n, null);
  jit.commit();
  expect(error, "a pc that failed is not tried again").toHaveBeenCalledTimes(1);
  jit.translate(0x2000n, null);
  jit.commit();
  expect(error).toHaveBeenCalledTimes(2);
});
