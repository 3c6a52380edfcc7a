// Builds a benchmark program in bench/programs for riscv64 (static, what Hartwood and
// qemu-riscv64 run) and for the host (native code, the physical limit), from the same source
// with the same flags. Shared by the runner (run.ts) and the tests that check the programs.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../test/guest/build.js";

const PROGRAMS_DIR = join(dirname(fileURLToPath(import.meta.url)), "programs");

// Same source, same flags on both targets. -ffp-contract=off: GCC would fuse a*b+c into one
// rounding on riscv64 (fmadd.d) but not on baseline x86-64, and the checksums compare bits.
// -fno-math-errno lets sqrt be the instruction on both, without libm.
const CFLAGS = ["-O2", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Werror"];

export function buildProgram(name: string): { riscv: string; native: string } {
  const sources = [join(PROGRAMS_DIR, `${name}.c`)];
  const deps = [join(PROGRAMS_DIR, "bench.h")];
  return {
    riscv: buildGuest({ sources, deps, cc: "riscv64-linux-gnu-gcc", flags: [...CFLAGS, "-static"], name }),
    native: buildGuest({ sources, deps, cc: "gcc", flags: CFLAGS, name: `${name}-native` }),
  };
}
