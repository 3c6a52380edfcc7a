// Instructions per second on a tight bare-metal loop (recompiled after its first iterations),
// against QEMU's spike machine (qemu-system-riscv64, TCG) on the same ELF, in the same run.
// Both times are wall time of the whole run: Hartwood's runner is timed in this process, so its
// Node start-up is not included; QEMU's start-up is (about 0.05 s here).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { runBaremetal } from "../src/modes/baremetal.js";
import { buildBaremetalProgram } from "../test/guest/isa.js";

const elf = buildBaremetalProgram(new URL("./baremetal/loop.S", import.meta.url).pathname, "bench-loop.elf");
const bytes = readFileSync(elf);
let best = Infinity;
let instret = 0;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const r = runBaremetal(bytes, { out: () => {} });
  best = Math.min(best, (performance.now() - t0) / 1000);
  instret = r.instret;
  if (r.status !== 0) throw new Error(`loop failed with status ${r.status}`);
}
let qemu = Infinity;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const q = spawnSync("qemu-system-riscv64", ["-M", "spike", "-bios", "none", "-nographic", "-kernel", elf]);
  qemu = Math.min(qemu, (performance.now() - t0) / 1000);
  if (q.status !== 0) throw new Error(`loop failed on QEMU with status ${q.status}`);
}
const mips = (s: number) => (instret / s / 1e6).toFixed(0);
console.log(
  `bare-metal integer loop, ${(instret / 1e6).toFixed(0)} M instructions (best of 3): ` +
    `Hartwood ${best.toFixed(2)} s = ${mips(best)} MIPS, qemu-system-riscv64 ${qemu.toFixed(2)} s = ` +
    `${mips(qemu)} MIPS (including its start-up), Hartwood/QEMU ${(best / qemu).toFixed(2)}×`,
);
