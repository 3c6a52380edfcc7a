// Differential run in Linux user mode, by hand: random sequences on qemu-riscv64 and on
// `hartwood run` must print the same register dumps.
//   npx vite-node test/diff/user.ts [--seqs N] [--seed S] [--repeat R] [--hartwood "node bin/hartwood.js run"]
// Exit status 0 when every block matched, 1 on a mismatch (the report names block, sequence, registers).
import { parseArgs } from "node:util";
import { diffUser } from "./run.js";

const PER_PROGRAM = 200;

/** Runs `seqs` sequences in programs of PER_PROGRAM blocks; returns every mismatch report. */
export async function diffUserMany(
  seqs: number,
  seed: number,
  hartwood: string[],
  repeat = 1,
  log: (s: string) => void = () => {},
): Promise<string[]> {
  const failures: string[] = [];
  for (let p = 0; p * PER_PROGRAM < seqs; p++) {
    const blocks = Math.min(PER_PROGRAM, seqs - p * PER_PROGRAM);
    const r = await diffUser({ seed: seed * 1000 + p, blocks, repeat }, hartwood);
    log(
      `program ${p} (seed ${seed * 1000 + p}): ${r.matched}/${blocks} blocks match, ${r.insns} instructions`,
    );
    failures.push(...r.mismatches);
  }
  return failures;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seqs: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      repeat: { type: "string", default: "1" },
      hartwood: { type: "string", default: "node bin/hartwood.js run" },
    },
  });
  const started = performance.now();
  const failures = await diffUserMany(
    Number(values.seqs),
    Number(values.seed),
    values.hartwood.split(/\s+/),
    Number(values.repeat),
    (s) => console.log(s),
  );
  for (const f of failures) console.log(`\n${f}`);
  const s = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${failures.length ? `${failures.length} mismatch(es)` : "all blocks match"} (${s} s)`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
