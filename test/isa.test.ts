// Every bare-metal ISA program must pass on QEMU (proving the program's expectations) and on
// Hartwood's bare-metal runner.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { runBaremetal } from "../src/modes/baremetal.js";
import { buildIsa, isaPrograms, runOnQemuSpike } from "./guest/isa.js";

describe.concurrent("ISA test programs", () => {
  for (const name of isaPrograms()) {
    test(`${name} passes on QEMU spike and on Hartwood`, () => {
      const elf = buildIsa(name);
      expect(runOnQemuSpike(elf), "reference run on qemu-system-riscv64 -M spike").toBe(0);
      const out: number[] = [];
      const r = runBaremetal(readFileSync(elf), { maxInsns: 50_000_000, out: (b) => out.push(...b) });
      expect(r.status, `failing test number on Hartwood`).toBe(0);
    });
    test(`${name} passes on Hartwood with the spec-strict checks`, () => {
      const r = runBaremetal(readFileSync(buildIsa(name, true)), { maxInsns: 50_000_000, out: () => {} });
      expect(r.status, `failing test number on Hartwood (strict build)`).toBe(0);
    });
  }
});
