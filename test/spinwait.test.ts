// A hart that waits for another by spinning (test/guest/virt/spinwait.c): in a WFI loop with
// an interrupt pending but globally disabled (OpenSBI 1.1's HSM start wait does so while
// Linux boots on the other hart), and with PAUSE (Linux's cpu_relax in its spin loops).
// QEMU's `virt` is the reference for what the harts see: WFI returns, no interrupt is taken,
// msip clears, PAUSE goes on. `hartwood boot` must print the same lines, and since its harts
// take turns on one thread, must not let the spinning hart spin through turns as long as the
// working hart's: it may go round its loop at most once per 64 instructions hart 0 retires
// (spinning through turns as long as hart 0's, it goes round about once per 4).
import { describe, expect, test } from "vitest";
import { buildVirt, describeRun, figuresProgram, runOnHartwood } from "./guest/virt/programs.js";

const MACHINE = { privilege: "M", smp: 2 } as const;
const REQUIRED = [
  "hart 1 polling: yes, MSIP pending with mstatus.MIE clear: 1",
  "hart 1: WFI returned with MSIP pending and no interrupt taken: yes",
  "hart 1: after msip[1] = 0, MSIP 0",
  "hart 1: spun with pause: yes",
  "hart 1: woken from WFI by an IPI: yes",
  "spinwait: done",
];
const INSNS_PER_SPIN = 64;
/** Hart 0's rounds of its loop (about 5 instructions) while a hart it woke gets to answer: less than one turn of several harts' length at most. */
const MAX_SPINS_FOR_AN_ANSWER = 2000;

const spinwait = figuresProgram("spinwait", MACHINE, "[spins]");

describe("a hart spinning while another works", () => {
  test("on QEMU virt, WFI returns, no interrupt is taken, PAUSE goes on", () => spinwait.check(REQUIRED));

  for (const jit of [false, true])
    test(`on hartwood boot (${jit ? "--jit" : "interpreter"}), the same, and the spinning hart yields its turns`, async () => {
      const qemu = spinwait.lines(await spinwait.onQemu()).own;
      const run = await runOnHartwood(buildVirt("spinwait", "M"), MACHINE, { jit });
      const { own, figures } = spinwait.lines(run);
      expect(own, describeRun(run)).toEqual(qemu);
      expect(run.status, describeRun(run)).toBe(0);
      for (const how of ["wfi", "pause"]) {
        const line = figures.find((l) => l.startsWith(`[spins] ${how}:`));
        const m = /went round (\d+) times while hart 0 retired (\d+) instructions/.exec(line ?? "");
        expect(m, describeRun(run)).not.toBeNull();
        const [spins, retired] = [Number(m![1]), Number(m![2])];
        expect(spins, line).toBeGreaterThan(0);
        expect(spins * INSNS_PER_SPIN, line).toBeLessThan(retired);
      }
      // Woken by an IPI, the parked hart runs right after the sender's instruction that sent it,
      // not after the rest of a turn the sender had alone (at least 32 Ki instructions: about
      // 5,000 times round its loop).
      const ipi = /went round (\d+) times before hart 1 answered/.exec(
        figures.find((l) => l.startsWith("[spins] ipi:")) ?? "",
      );
      expect(ipi, describeRun(run)).not.toBeNull();
      expect(Number(ipi![1]), figures.join("; ")).toBeLessThan(MAX_SPINS_FOR_AN_ANSWER);
      console.log(`Hartwood (${jit ? "--jit" : "interpreter"}): ${figures.join("; ")}`);
    });
});
