// Hart state saved by the plug-in and restored into another machine continues exactly.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { runBaremetal, type BaremetalMachine } from "../src/modes/baremetal.js";
import { buildBaremetalProgram } from "./guest/isa.js";

function demo(): Uint8Array {
  return readFileSync(buildBaremetalProgram("demo/hello.S", "hello.elf"));
}

test("a hart restored from a snapshot in another machine continues where the snapshot was taken", () => {
  const elf = demo();
  const text = (b: number[]) => Buffer.from(b).toString();
  // Run 1: take a snapshot (hart state and RAM) after 200k instructions and note the output so far.
  let saved: { hart: Uint8Array; ram: Uint8Array; outAt: number } | undefined;
  const out1: number[] = [];
  const r1 = runBaremetal(elf, {
    out: (b) => out1.push(...b),
    pauseEvery: 200_000,
    onPause: (m: BaremetalMachine) => {
      saved ??= { hart: m.cpu.saveHart(0), ram: m.ram.slice(), outAt: out1.length };
    },
  });
  expect(r1.status).toBe(0);
  expect(text(out1)).toContain("primes below 10000: 1229");
  expect(saved).toBeDefined();

  // Run 2: a fresh machine, at its very first pause, becomes the snapshot.
  const out2: number[] = [];
  let restored = false;
  const r2 = runBaremetal(elf, {
    out: (b) => out2.push(...b),
    pauseEvery: 1_000,
    onPause: (m: BaremetalMachine) => {
      if (restored) return;
      restored = true;
      m.ram.set(saved!.ram);
      m.cpu.restoreHart(0, saved!.hart);
      out2.length = 0;
    },
  });
  expect(r2.status).toBe(0);
  expect(text(out2)).toBe(text(out1.slice(saved!.outAt)));
  expect(r2.instret).toBe(r1.instret);
});

test("restoring a hart rejects state of the wrong size", () => {
  const elf = demo();
  expect(() =>
    runBaremetal(elf, { pauseEvery: 10, onPause: (m) => m.cpu.restoreHart(0, new Uint8Array(16)) }),
  ).toThrow(/not a RISC-V hart/);
});
