// Timer interrupts on time (test/guest/virt/timely.c): the supervisor timer, armed through
// the SBI and through Sstc's stimecmp, interrupts a loop that never looks at the time. QEMU's
// `virt` under OpenSBI is the reference; `hartwood boot` must print the same lines with the
// interpreter and with the recompiler, at its default slice length and at slices of 2^30
// instructions (seconds of guest time), which a run loop that looked at timers only between
// slices would miss the deadlines by. The [lateness] figures go to the log. The runs go one
// at a time: the lateness allowed is generous, but loading the host more than needed helps nothing.
import { describe, expect, test } from "vitest";
import {
  buildVirt,
  fromMarker,
  runOnHartwood,
  runOnQemu,
  splitTagged,
  type Run,
} from "./guest/virt/programs.js";

const MACHINE = { privilege: "S" } as const;
const REQUIRED = [
  "sbi set_timer: 15 of 15 interrupts taken, scause 0x8000000000000005, none before its deadline: yes, median lateness under 25 ms: yes",
  "stimecmp: 15 of 15 interrupts taken, scause 0x8000000000000005, none before its deadline: yes, median lateness under 25 ms: yes",
  "timely: done",
];

function lines(r: Run): { own: string[]; figures: string[] } {
  const text = fromMarker(r.stdout, "timely: start").trimEnd();
  const { tagged, rest } = splitTagged(text, "[lateness]");
  return { own: rest, figures: tagged };
}

function describeRun(r: Run): string {
  return `status ${r.status} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(0, 2000)}`;
}

let reference: Promise<Run> | undefined;
const onQemu = () => (reference ??= runOnQemu(buildVirt("timely", "S"), MACHINE));

describe("timer interrupts on time", () => {
  test("on QEMU virt, every interrupt comes at its deadline", async () => {
    const run = await onQemu();
    expect(run.status, describeRun(run)).toBe(0);
    const { own, figures } = lines(run);
    for (const line of REQUIRED) expect(own, describeRun(run)).toContain(line);
    console.log(`QEMU: ${figures.join("; ")}`);
  });

  for (const jit of [false, true])
    for (const slice of [undefined, 2 ** 30]) {
      const name = `${jit ? "--jit" : "interpreter"}, ${slice === undefined ? "default slices" : `--slice ${slice}`}`;
      test(`on hartwood boot (${name}), the same`, async () => {
        const qemu = lines(await onQemu()).own;
        const args = slice === undefined ? [] : ["--slice", String(slice)];
        const run = await runOnHartwood(buildVirt("timely", "S"), MACHINE, { jit, args });
        const { own, figures } = lines(run);
        expect(own, describeRun(run)).toEqual(qemu);
        expect(run.status, describeRun(run)).toBe(0);
        console.log(`Hartwood (${name}): ${figures.join("; ")}`);
      });
    }
});
