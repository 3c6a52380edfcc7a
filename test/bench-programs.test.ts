// The call- and branch-heavy benchmark programs (bench/programs) at tiny sizes: the
// recompiler, the interpreter and qemu-riscv64 must print the same checksum. The benchmark
// runs them at sizes of seconds; here each run takes a fraction of one.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { buildProgram } from "../bench/build.js";
import { JIT_THRESHOLD } from "../src/core/jit/hotness.js";
import { run } from "../src/modes/user/index.js";

/** Repetitions (argv[1]) per program: enough that hot code gets translated. */
const TINY: Record<string, number> = {
  recurse: 2,
  calls: 3,
  statemachine: 8,
  embedded: 1,
  threads: 4,
  syscalls: 10,
};

async function hartwood(elf: string, args: string[], jit: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "hartwood-bench-"));
  try {
    const fds = [openSync("/dev/null", "r"), openSync(join(dir, "out"), "w"), openSync(join(dir, "err"), "w")] as const; // prettier-ignore
    let r;
    try {
      // hotness.ts's threshold: at these sizes user mode's own (USER_JIT_THRESHOLD) would leave
      // most loops interpreted, and the shapes asserted below untried.
      const jitOptions = jit ? { threshold: JIT_THRESHOLD } : undefined;
      r = await run({ program: elf, args, env: ["LC_ALL=C"], binds: [{ host: dirname(elf), readOnly: true }], jit, jitOptions, stdio: fds }); // prettier-ignore
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    const stdout = readFileSync(join(dir, "out"), "utf8");
    return {
      stdout,
      stderr: readFileSync(join(dir, "err"), "utf8"),
      status: r.status,
      translations: r.translations,
      jit: r.jit,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.concurrent("benchmark programs print qemu-riscv64's checksum", () => {
  for (const [name, reps] of Object.entries(TINY)) {
    test(`${name} ${reps}: the recompiler and the interpreter print qemu-riscv64's checksum`, async () => {
      const elf = buildProgram(name).riscv;
      const args = [String(reps)];
      const want = spawnSync("qemu-riscv64", [elf, ...args], { encoding: "utf8", timeout: 60_000 });
      expect(want.status, want.stderr).toBe(0);
      expect(want.stdout).toMatch(new RegExp(`^${name} checksum: [0-9a-f]{16}\\n$`));
      const jit = await hartwood(elf, args, true);
      expect(jit.stdout, `stderr: ${jit.stderr}`).toBe(want.stdout);
      expect(jit.status).toBe(0);
      expect(jit.translations, "hot code was translated").toBeGreaterThan(0);
      // Hot return sites and loop heads inside translations made before run there (Region.entries).
      if (["calls", "statemachine", "embedded"].includes(name))
        expect(jit.jit?.entered, "pcs served inside earlier translations").toBeGreaterThan(0);
      // Loops of several blocks run in place (Region.loops).
      if (["calls", "statemachine", "embedded"].includes(name))
        expect(jit.jit?.longLoopsInPlace, "loops of several blocks in place").toBeGreaterThan(0);
      // Indirect jumps whose targets all had translations were built into the translations holding them (Recompiler.learnAt).
      if (["calls", "statemachine"].includes(name))
        expect(jit.jit?.rebuilds, "translations built again with a jump's targets inside").toBeGreaterThan(0);
      // Registers a translation touches seldom stay in the hart state (RegCache, MAX_LOCAL_REGISTERS).
      if (["calls", "statemachine"].includes(name))
        expect(jit.jit?.registersInHartState, "registers left in the hart state").toBeGreaterThan(0);
      const interp = await hartwood(elf, args, false);
      expect(interp.stdout, `stderr: ${interp.stderr}`).toBe(want.stdout);
      expect(interp.status).toBe(0);
    });
  }
});
