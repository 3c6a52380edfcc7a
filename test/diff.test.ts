// Random instruction sequences (test/diff/gen.ts) must leave the same registers, fcsr and
// scratch memory on Hartwood's bare-metal runner as on QEMU's spike machine (the reference).
// HARTWOOD_DIFF_SEQS=N runs N sequences (default 3000), HARTWOOD_DIFF_SEED=S picks other ones.
// The same sequences as Linux programs must print the same dumps under qemu-riscv64 and
// `hartwood run` (HARTWOOD_DIFF_USER_SEQS=N, default 800, half of them hot enough to be
// translated by the recompiler; test/diff/user.ts runs more by hand). In both modes some
// programs run with the recompiler translating at first sight (--jit-threshold 0), and every
// run meant for the recompiler checks that it translated.
import { describe, expect, test } from "vitest";
import { generateBlocks } from "./diff/gen.js";
import { compareRuns, DUMP_DWORDS, type RunOutput } from "./diff/program.js";
import { diffBaremetal, diffUser } from "./diff/run.js";
import { fileURLToPath } from "node:url";

const SEQS = Number(process.env.HARTWOOD_DIFF_SEQS ?? 3000);
const SEED = Number(process.env.HARTWOOD_DIFF_SEED ?? 1);
if (!Number.isSafeInteger(SEQS) || SEQS < 1 || !Number.isSafeInteger(SEED)) {
  throw new Error("HARTWOOD_DIFF_SEQS must be a positive integer and HARTWOOD_DIFF_SEED an integer");
}
const PER_PROGRAM = 200;
/** Every fourth program runs each block this often, so that a recompiler sees hot code. */
const HOT_REPEAT = 64;

/**
 * How program `p` of a harness runs: cold (interpreted), hot, hot with modules compiled
 * asynchronously (every other hot bare-metal program), or translated at first sight.
 */
function mode(
  p: number,
  hotEvery: number,
): { repeat: number; firstSight: boolean; async: boolean; what: string } {
  const hot = { repeat: HOT_REPEAT, firstSight: false, async: false, what: `, each run ${HOT_REPEAT} times` };
  if (p % 8 === 7 && hotEvery === 4) return { ...hot, async: true, what: `${hot.what}, --jit-async` };
  if (p % hotEvery === hotEvery - 1) return hot;
  if (p % 4 === 1 || (hotEvery === 2 && p % 4 === 2)) return { repeat: 1, firstSight: true, async: false, what: ", --jit-threshold 0" }; // prettier-ignore
  return { repeat: 1, firstSight: false, async: false, what: "" };
}

describe.concurrent("random instruction sequences leave the state QEMU leaves", () => {
  for (let p = 0; p * PER_PROGRAM < SEQS; p++) {
    const blocks = Math.min(PER_PROGRAM, SEQS - p * PER_PROGRAM);
    const seed = SEED * 1000 + p;
    const { repeat, firstSight, async, what } = mode(p, 4);
    test(`program ${p}: ${blocks} sequences (seed ${seed}${what})`, async () => {
      const r = await diffBaremetal({
        seed,
        blocks,
        repeat,
        jit: { threshold: firstSight ? 0 : undefined, async },
      });
      const shown = r.mismatches.slice(0, 4);
      const more = r.mismatches.length > shown.length ? `\n(${r.mismatches.length - shown.length} more)` : "";
      expect(r.mismatches.length, `\n${shown.join("\n\n")}${more}\n`).toBe(0);
      expect(r.matched).toBe(blocks);
      if (repeat > 1 || firstSight) expect(r.translations, "the recompiler translated").toBeGreaterThan(0);
    });
  }
});

const USER_SEQS = Number(process.env.HARTWOOD_DIFF_USER_SEQS ?? 800);
const HARTWOOD_RUN = ["node", fileURLToPath(new URL("../bin/hartwood.js", import.meta.url)), "run"];

describe.concurrent("random instruction sequences in user mode leave the state qemu-riscv64 leaves", () => {
  for (let p = 0; p * PER_PROGRAM < USER_SEQS; p++) {
    const blocks = Math.min(PER_PROGRAM, USER_SEQS - p * PER_PROGRAM);
    const seed = SEED * 1000 + 500 + p;
    // Odd programs loop over each sequence, so that the recompiler translates it (core/jit),
    // from the start: they are over before user mode's default warm-up.
    const { repeat, firstSight, what } = mode(p, 2);
    test(`user program ${p}: ${blocks} sequences (seed ${seed}${what})`, async () => {
      const flags = firstSight ? ["--jit-threshold", "0"] : repeat > 1 ? ["--jit-warmup", "0"] : [];
      const cmd = [...HARTWOOD_RUN, ...flags];
      const r = await diffUser({ seed, blocks, repeat }, cmd);
      const shown = r.mismatches.slice(0, 4);
      expect(r.mismatches.length, `\n${shown.join("\n\n")}\n`).toBe(0);
      expect(r.matched).toBe(blocks);
      if (repeat > 1 || firstSight) expect(r.translations, "the recompiler translated").toBeGreaterThan(0);
    });
  }
});

test("a differing register is reported with its block, sequence and both values", () => {
  const blocks = generateBlocks(7, 3);
  const line = (i: number, vals: bigint[]) =>
    `B${[BigInt(i), ...vals].map((v) => v.toString(16).padStart(16, "0")).join("")}`;
  const zeros = () => Array.from({ length: DUMP_DWORDS }, () => 0n);
  const out = (dumps: bigint[][]) => `${dumps.map((d, i) => line(i, d)).join("\n")}\nE\n`;
  const ref: RunOutput = { name: "qemu", status: 0, out: out([zeros(), zeros(), zeros()]) };
  const bad = [zeros(), zeros(), zeros()];
  bad[1][16 + 32 + 10] = 0x7fc00000n; // fa0 of block 1
  const r = compareRuns(blocks, ref, { name: "hartwood", status: 0, out: out(bad) }, "[self-test]");
  expect(r.matched).toBe(2);
  expect(r.mismatches).toHaveLength(1);
  expect(r.mismatches[0]).toContain("block 1: 1 value(s) differ");
  expect(r.mismatches[0]).toContain(blocks[1].lines[0].text);
  expect(r.mismatches[0]).toMatch(/fa0 +qemu=0x0000000000000000 hartwood=0x000000007fc00000/);

  const truncated = compareRuns(blocks, ref, { name: "hartwood", status: null, out: line(0, zeros()) }, "");
  expect(truncated.mismatches.join()).toContain("block 1: hartwood printed no dump for it");
});
