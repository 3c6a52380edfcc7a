// A hart that polls in a WFI loop with an interrupt pending but globally disabled
// (test/guest/virt/wfipoll.c; OpenSBI 1.1's HSM start wait does so while Linux boots on the
// other hart). QEMU's `virt` is the reference for what the harts see: WFI returns, no
// interrupt is taken, msip clears. `hartwood boot` must print the same lines, and since its
// harts take turns on one thread, must not let the polling hart spin through turns as long
// as the working hart's: it may poll at most once per 64 instructions hart 0 retires
// (spinning through turns as long as hart 0's, it polls about once per 4).
import { describe, expect, test } from "vitest";
import { buildVirt, describeRun, figuresProgram, runOnHartwood } from "./guest/virt/programs.js";

const MACHINE = { privilege: "M", smp: 2 } as const;
const REQUIRED = [
  "hart 1 polling: yes, MSIP pending with mstatus.MIE clear: 1",
  "hart 1: WFI returned with MSIP pending and no interrupt taken: yes",
  "hart 1: after msip[1] = 0, MSIP 0",
  "wfipoll: done",
];
const INSNS_PER_POLL = 64;

const wfipoll = figuresProgram("wfipoll", MACHINE, "[polls]");

describe("a hart polling with WFI and an interrupt pending", () => {
  test("on QEMU virt, WFI returns and no interrupt is taken", () => wfipoll.check(REQUIRED));

  for (const jit of [false, true])
    test(`on hartwood boot (${jit ? "--jit" : "interpreter"}), the same, and the polling hart yields its turns`, async () => {
      const qemu = wfipoll.lines(await wfipoll.onQemu()).own;
      const run = await runOnHartwood(buildVirt("wfipoll", "M"), MACHINE, { jit });
      const { own, figures: polls } = wfipoll.lines(run);
      expect(own, describeRun(run)).toEqual(qemu);
      expect(run.status, describeRun(run)).toBe(0);
      const m = /polled (\d+) times while hart 0 retired (\d+) instructions/.exec(polls.join("\n"));
      expect(m, describeRun(run)).not.toBeNull();
      const [count, retired] = [Number(m![1]), Number(m![2])];
      expect(count, polls[0]).toBeGreaterThan(0);
      expect(count * INSNS_PER_POLL, polls[0]).toBeLessThan(retired);
      console.log(`Hartwood (${jit ? "--jit" : "interpreter"}): ${polls.join("; ")}`);
    });
});
