// Self-modifying code and address-space switches under Sv39 (test/guest/virt/smc.c, asid.c,
// and smc_smp.c, where one hart rewrites the code another runs): each program runs on QEMU's
// `virt` machine under OpenSBI, the reference, whose output must be what the ISA requires (the
// sums follow from the code the program writes), then on `hartwood boot` interpreting and with
// the recompiler on (--jit), which must print the same lines. The --jit runs must also have run
// translated code where the program rewrites or remaps it: a pass that never left the
// interpreter would prove nothing about translations.
import { describe, expect, test } from "vitest";
import {
  buildVirt,
  describeRun,
  fromMarker,
  type Machine,
  type Run,
  runOnHartwood,
  runOnQemu,
} from "./guest/virt/programs.js";

interface Program {
  name: string;
  machine: Machine;
  /** Lines the reference run must print. */
  required: string[];
  /** What the --jit run's engine counts (HARTWOOD_JIT_STATS) must show. */
  jit: (count: (what: string) => number) => void;
}

const CALLS = 300;
const N = 100;

const PROGRAMS: Program[] = [
  {
    name: "smc",
    machine: { privilege: "S" },
    required: [
      "satp: Sv39 on: yes",
      `S: hot counter, step 1: sum ${CALLS * N}`,
      `S: patched in place, fence.i, step 3: ${3 * N}, then hot: sum ${3 * CALLS * N}`,
      `S: patched through the RW alias, fence.i, step 5: ${5 * N} through the RWX page, ${5 * N} through the R-X alias`,
      `S: hot through the R-X alias: sum ${5 * CALLS * N}`,
      `S: patched through the RW alias, fence.i, step 7: ${7 * N} through the R-X alias, ${7 * N} through the RWX page`,
      `S: patched without fence.i, called after: ${9 * N}`,
      "S: a hot loop repatched 10 times with fence.i: old step run 0 time(s)",
      // addi a0, a0, 19 is 0x01350513; the step becomes 21.
      `S: step patched by amoadd.w (old word 0x1350513), fence.i: sum ${21 * CALLS * N}`,
      `S: sd across a page boundary into hot code, fence.i: ${CALLS} before, ${11 * CALLS} after, the other page's word 0x5a5a5a5a`,
      `S: code patching its own next instructions, with fence.i: 0 wrong of ${CALLS}`,
      `S: code patching its own next instructions, without fence.i: 0 neither old nor new of ${CALLS}`,
      // 200 calls of 50 iterations for each of the steps 1..4.
      `U: code written in U-mode, fence.i, run hot in U-mode, steps 1..4: sum ${200 * 50 * (1 + 2 + 3 + 4)}`,
      "S: the user's last code seen from S-mode: step word 0x450513", // addi a0, a0, 4
      "smc: done",
    ],
    jit: (count) => {
      // The rewritten loops ran translated in both privileges, and stores dropped translations.
      expect(count("run translated in S")).toBeGreaterThan(CALLS * N);
      expect(count("run translated in U")).toBeGreaterThan(200 * 50);
      expect(count("invalidated")).toBeGreaterThan(0);
    },
  },
  {
    name: "asid",
    machine: { privilege: "S" },
    required: [
      `ASIDs 1 and 2: 0 calls of ${2 * CALLS} ran the other space's code`,
      `ASID 0 for both, sfence.vma zero, asid after each switch: 0 calls of ${2 * CALLS} ran the other space's code`,
      `space A before remapping: 0 wrong of ${CALLS}`,
      `remapped to step 3, sfence.vma va, zero: 0 wrong of ${CALLS}`,
      `remapped to step 1, sfence.vma zero, asid: 0 wrong of ${CALLS}`,
      `remapped to step 3, sfence.vma va, asid: 0 wrong of ${CALLS}`,
      `remapped to step 1, sfence.vma zero, zero: 0 wrong of ${CALLS}`,
      // Priv spec §4.3.1: fetching from a page without X is an instruction page fault (12).
      "made non-executable, sfence.vma va, zero: returned 0, scause 12, stval is the code: yes",
      `executable again: 0 wrong of ${CALLS}`,
      `instruction across two pages, second page step 5: 0 wrong of ${CALLS}`,
      `second page remapped to step 6, sfence.vma va: 0 wrong of ${CALLS}`,
      `second page's half patched to step 7, fence.i: 0 wrong of ${CALLS}`,
      `space B afterwards: 0 wrong of ${CALLS}`,
      "asid: done",
    ],
    jit: (count) => {
      // Both spaces' code at one pc stayed translated through the switches: the translation
      // that loses its slot is kept and put back. Without that, each evicted the other,
      // which was translated anew: 539 translations instead of 9-12 (and 61 % of the run
      // translated, before hot pcs were served inside translations made before).
      expect(count("translations")).toBeLessThan(50);
      expect(count("run translated in S") / count("instructions retired")).toBeGreaterThan(0.6);
      // 1200 satp writes: the translations of the switching loop, made in one address space,
      // ran in the other after each switch.
      expect(count("reused across address-space switches")).toBeGreaterThan(2 * CALLS);
    },
  },
  {
    name: "smc_smp",
    machine: { privilege: "S", smp: 2, qemuOneThread: true },
    required: [
      "hart_start(other hart): error 0, running: yes",
      "remote_fence_i: errors 0; the other hart made 200 calls after each rewrite: yes",
      "other hart finished: yes, last step run 6, calls that ran a step older than the one published: 0",
      "smc_smp: done",
    ],
    jit: (count) => {
      // The other hart's calls: at least 200 after each of the 6 steps, 10 iterations each.
      expect(count("run translated in S")).toBeGreaterThan(200 * 6 * 10);
      expect(count("invalidated")).toBeGreaterThan(0);
    },
  },
];

function programLines(r: Run, name: string): string[] {
  const lines = fromMarker(r.stdout, `${name}: start`).split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

const reference = new Map<string, Promise<Run>>();
function onQemu(p: Program): Promise<Run> {
  let r = reference.get(p.name);
  if (r === undefined) reference.set(p.name, (r = runOnQemu(buildVirt(p.name, "S"), p.machine)));
  return r;
}

describe.concurrent("code rewritten or remapped under Sv39", () => {
  for (const p of PROGRAMS) {
    test(`${p.name} on QEMU virt prints what the ISA requires`, async () => {
      const run = await onQemu(p);
      expect(run.status, describeRun(run)).toBe(0);
      const lines = programLines(run, p.name);
      expect(lines.join("\n")).not.toMatch(/FAIL|unexpected trap/);
      for (const line of p.required) expect(lines, describeRun(run)).toContain(line);
    });

    for (const jit of [false, true]) {
      test(`${p.name} on hartwood boot${jit ? " --jit" : ""} prints what it prints on QEMU`, async () => {
        const qemu = await onQemu(p);
        const run = await runOnHartwood(buildVirt(p.name, "S"), p.machine, { jit });
        expect(programLines(run, p.name), describeRun(run)).toEqual(programLines(qemu, p.name));
        expect(run.status, describeRun(run)).toBe(0);
        if (!jit) return;
        p.jit((what) => {
          const n = Number(new RegExp(`${what} (\\d+)`).exec(run.stderr)?.[1]);
          expect(n, `"${what}" in ${run.stderr}`).not.toBeNaN();
          return n;
        });
      });
    }
  }
});
