// Timer interrupts on time (test/guest/virt/timely.c): the supervisor timer, armed through
// the SBI and through Sstc's stimecmp, interrupts a loop that never looks at the time. QEMU's
// `virt` under OpenSBI is the reference; `hartwood boot` must print the same lines with the
// interpreter and with the recompiler, at its default slice length and at slices of 2^30
// instructions (seconds of guest time), which a run loop that looked at timers only between
// slices would miss the deadlines by. The [lateness] figures go to the log. The runs go one
// at a time: the lateness allowed is generous, but loading the host more than needed helps nothing.
import { describe, expect, test } from "vitest";
import { buildVirt, describeRun, figuresProgram, runOnHartwood } from "./guest/virt/programs.js";

const MACHINE = { privilege: "S" } as const;
const REQUIRED = [
  "sbi set_timer: 15 of 15 interrupts taken, scause 0x8000000000000005, none before its deadline: yes, median lateness under 25 ms: yes",
  "stimecmp: 15 of 15 interrupts taken, scause 0x8000000000000005, none before its deadline: yes, median lateness under 25 ms: yes",
  "timely: done",
];

const timely = figuresProgram("timely", MACHINE, "[lateness]");

describe("timer interrupts on time", () => {
  test("on QEMU virt, every interrupt comes at its deadline", () => timely.check(REQUIRED));

  for (const jit of [false, true])
    for (const slice of [undefined, 2 ** 30]) {
      const name = `${jit ? "--jit" : "interpreter"}, ${slice === undefined ? "default slices" : `--slice ${slice}`}`;
      test(`on hartwood boot (${name}), the same`, async () => {
        const qemu = timely.lines(await timely.onQemu()).own;
        const args = slice === undefined ? [] : ["--slice", String(slice)];
        const run = await runOnHartwood(buildVirt("timely", "S"), MACHINE, { jit, args });
        const { own, figures } = timely.lines(run);
        expect(own, describeRun(run)).toEqual(qemu);
        expect(run.status, describeRun(run)).toBe(0);
        console.log(`Hartwood (${name}): ${figures.join("; ")}`);
      });
    }
});
