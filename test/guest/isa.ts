// Building and running the bare-metal ISA test programs of test/guest/isa.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGuest, GUEST_DIR } from "./build.js";

export const ISA_DIR = join(GUEST_DIR, "isa");

export function isaPrograms(): string[] {
  return readdirSync(ISA_DIR)
    .filter((f) => f.endsWith(".S"))
    .map((f) => f.slice(0, -2))
    .sort();
}

/**
 * Builds a bare-metal program (assembly using test/guest/isa/test.h, linked at 0x8000_0000)
 * from `source` (relative to test/guest, or absolute).
 */
export function buildBaremetalProgram(source: string, name: string, extraFlags: string[] = []): string {
  const headers = readdirSync(ISA_DIR).filter((f) => f.endsWith(".h") || f.endsWith(".ld"));
  return buildGuest({
    sources: [source],
    deps: headers.map((h) => `isa/${h}`),
    cc: "riscv64-unknown-elf-gcc",
    flags: [...extraFlags, "-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static"].concat([
      `-I${ISA_DIR}`,
      "-T",
      join(ISA_DIR, "link.ld"),
    ]),
    name,
  });
}

/** `strict` compiles in the checks where QEMU 7.2 (our reference) deviates from the spec. */
export function buildIsa(name: string, strict = false): string {
  return buildBaremetalProgram(
    `isa/${name}.S`,
    `${name}${strict ? "-strict" : ""}.elf`,
    strict ? ["-DSPEC_STRICT"] : [],
  );
}

/** Exit status of the program on QEMU's spike machine (HTIF: tohost >> 1). */
export function runOnQemuSpike(elf: string): number {
  return runOnQemuSpikeWithOutput(elf).status;
}

/** Exit status and HTIF console output of the program on QEMU's spike machine. */
export function runOnQemuSpikeWithOutput(elf: string): { status: number; stdout: string } {
  // Output goes to a file: QEMU writes its console without blocking and drops what a full
  // pipe does not take.
  const dir = mkdtempSync(join(tmpdir(), "hartwood-spike-"));
  const file = join(dir, "stdout");
  const fd = openSync(file, "w");
  try {
    const r = spawnSync(
      "qemu-system-riscv64",
      ["-M", "spike", "-bios", "none", "-nographic", "-kernel", elf],
      {
        timeout: 120_000,
        stdio: ["ignore", fd, "pipe"],
      },
    );
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: readFileSync(file, "utf8") };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
