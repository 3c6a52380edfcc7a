// The RISC-V plug-in behind the core's `IsaPlugin` interface: CPU creation, run slices,
// interrupt lines, hart state save/restore and the debugger's register map.
import type { Cpu, CpuHost, HartExit, IsaPlugin, RegisterInfo } from "../../core/isa.js";
import type { JitCounts } from "../../core/jit/compile-stats.js";
import type { JitOptions } from "../../core/jit/recompiler.js";
import type { MemoryLayout } from "../../core/memory.js";
import { UserError } from "../../core/errors.js";
import { cpuVmmBytes, RiscvCpu } from "./cpu.js";
import type { Hart, HartHost } from "./hart.js";
import { IRQ, MSTATUS, PRV_M } from "./priv.js";
import { HELPERS } from "./sem.js";
import * as S from "./state.js";
import { Exit } from "./state.js";

const EXITS: Record<Exit, HartExit> = { [Exit.Budget]: "budget", [Exit.Stop]: "stop", [Exit.Wfi]: "wfi" };

/** GDB's riscv:rv64 order: x0..x31, pc, f0..f31, then a few CSRs. */
const REGISTERS: RegisterInfo[] = [
  ..."zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6"
    .split(" ")
    .map((name) => ({ name, bits: 64 as const, group: "general" as const })),
  { name: "pc", bits: 64, group: "general" },
  ...Array.from({ length: 32 }, (_, i) => ({ name: `f${i}`, bits: 64 as const, group: "float" as const })),
  { name: "priv", bits: 64, group: "system" },
];
const PC_INDEX = 32;
const PRIV_INDEX = 65;

/** CSR fields saved with a hart, in a fixed order (the snapshot format depends on it). */
const SAVED: readonly (keyof Hart & string)[] = [
  "mstatus", "mtvec", "stvec", "mscratch", "sscratch", "mepc", "sepc", "mcause", "scause",
  "mtval", "stval", "menvcfg", "senvcfg", "stimecmp",
]; // prettier-ignore
const SAVED_NUMBERS: readonly (keyof Hart & string)[] = [
  "priv", "medeleg", "mideleg", "mie", "mipSw", "mcounteren", "scounteren", "mcountinhibit", "instret", "cycleOffset",
]; // prettier-ignore
const MAGIC = 0x56524857; // "WHRV"
const VERSION = 2;
const SAVE_BYTES = 8 + S.HART_STATE_BYTES + 8 * (SAVED.length + SAVED_NUMBERS.length + 1 + 8 + 64);

class RiscvCpuAdapter implements Cpu {
  readonly registers = REGISTERS;
  constructor(readonly cpu: RiscvCpu) {}
  get hartCount(): number {
    return this.cpu.harts.length;
  }
  private hart(i: number): Hart {
    const h = this.cpu.harts[i];
    if (!h) throw new RangeError(`no hart ${i}`);
    return h;
  }
  step(hart: number, budget: number): HartExit {
    return EXITS[this.cpu.step(this.hart(hart), budget)];
  }
  jitCounts(): JitCounts | undefined {
    const jit = this.cpu.jit;
    if (!jit) return undefined;
    const translatedInsns: Record<string, number> = {};
    for (const [mode, priv] of [
      ["U", 0],
      ["S", 1],
      ["M", 3],
    ] as const) {
      let n = 0;
      for (const h of this.cpu.harts) n += Number(h.getI64(S.JIT_INSNS + 8 * priv));
      translatedInsns[mode] = n;
    }
    let reusedAfterSwitch = 0;
    for (const h of this.cpu.harts) reusedAfterSwitch += Number(h.getI64(S.JIT_REUSED));
    const hostCalls: Record<string, number> = {};
    [...HELPERS, "raise"].forEach((name, i) => (hostCalls[name] = this.cpu.hostCalls[i]));
    return { ...jit.counts(), translatedInsns, reusedAfterSwitch, hostCalls };
  }
  stop(hart: number): void {
    this.hart(hart).setI32(S.STOP, 1);
  }
  checkInterrupts(hart: number): boolean {
    return this.hart(hart).checkInterrupts();
  }
  wakeable(hart: number): boolean {
    const h = this.hart(hart);
    return (h.mip & h.mie) !== 0;
  }
  setIrqLine(hart: number, line: string, level: boolean): void {
    const bit = IRQ[line as keyof typeof IRQ];
    if (bit === undefined) throw new RangeError(`no interrupt line ${line}`);
    this.hart(hart).setIrqLine(bit, level);
  }
  instret(hart: number): number {
    return this.hart(hart).instret;
  }
  reset(hart: number, pc: bigint): void {
    const h = this.hart(hart);
    h.priv = PRV_M;
    h.pc = pc;
    h.privChanged();
  }
  saveHart(hart: number): Uint8Array {
    const h = this.hart(hart);
    h.getMstatus(); // fold the engines' FS-dirty flag into mstatus first
    const out = new Uint8Array(SAVE_BYTES);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, VERSION, true);
    out.set(h.u8.subarray(h.base, h.base + S.HART_STATE_BYTES), 8);
    const rec = h as unknown as Record<string, bigint | number>;
    const words = [
      ...SAVED.map((k) => rec[k] as bigint),
      ...SAVED_NUMBERS.map((k) => BigInt(rec[k] as number)),
      h.mmu.satp,
      // addresses before configurations: a locked configuration would refuse later address writes
      ...Array.from({ length: 64 }, (_, i) => h.mmu.readPmpaddr(i)),
      ...Array.from({ length: 8 }, (_, i) => h.mmu.readPmpcfg(2 * i) ?? 0n),
    ];
    words.forEach((v, i) => dv.setBigUint64(8 + S.HART_STATE_BYTES + 8 * i, BigInt.asUintN(64, v), true));
    return out;
  }
  restoreHart(hart: number, state: Uint8Array): void {
    const h = this.hart(hart);
    const dv = new DataView(state.buffer, state.byteOffset, state.byteLength);
    if (state.length !== SAVE_BYTES || dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== VERSION) {
      throw new UserError("saved hart state is not a RISC-V hart of this version");
    }
    // Host offsets inside the state block (TLB sets) are recomputed below, not trusted; what
    // this process's host allows (FAST_TRAPS) is kept.
    const fastTraps = h.getI32(S.FAST_TRAPS);
    h.u8.set(state.subarray(8, 8 + S.HART_STATE_BYTES), h.base);
    h.setI32(S.FAST_TRAPS, fastTraps);
    let i = 0;
    const next = () => dv.getBigUint64(8 + S.HART_STATE_BYTES + 8 * i++, true);
    const rec = h as unknown as Record<string, bigint | number>;
    for (const k of SAVED) rec[k] = next();
    for (const k of SAVED_NUMBERS) rec[k] = Number(BigInt.asIntN(64, next())); // cycleOffset may be negative
    h.mmu.satp = next();
    for (let a = 0; a < 64; a++) h.mmu.writePmpaddr(a, next());
    for (let c = 0; c < 8; c++) h.mmu.writePmpcfg(2 * c, next());
    h.setI32(S.STOP, 0);
    h.setI32(S.JIT_SWITCHED, 0); // this process's generations, not the saver's: every translation is new
    h.setI32(S.FS_OFF, (h.mstatus & MSTATUS.FS) === 0n ? 1 : 0);
    h.mmu.flushAll();
    h.privChanged();
  }
  readRegister(hart: number, index: number): bigint {
    const h = this.hart(hart);
    if (index < 32) return BigInt.asUintN(64, h.getX(index));
    if (index === PC_INDEX) return h.pc;
    if (index < PRIV_INDEX) return BigInt.asUintN(64, h.getI64(S.F + 8 * (index - 33)));
    if (index === PRIV_INDEX) return BigInt(h.priv);
    throw new RangeError(`no register ${index}`);
  }
  writeRegister(hart: number, index: number, value: bigint): void {
    const h = this.hart(hart);
    if (index < 32) h.setX(index, value);
    else if (index === PC_INDEX) h.pc = value;
    else if (index < PRIV_INDEX) h.setI64(S.F + 8 * (index - 33), value);
    else throw new RangeError(`register ${index} is read-only`);
  }
}

/**
 * Taken jumps to a target before system mode translates it (user mode: JIT_THRESHOLD, 32).
 * A booting kernel's translations do not pay for themselves: built but never run (an
 * experiment), 415 of them cost the smoke boot what building and running them did, so what
 * the recompiler adds to a boot is what it builds. CPU time of the smoke boot (user + system,
 * best of 4, loaded machine; README "System mode"): 1.81 s with --no-jit; with the recompiler
 * 2.09 s at 16384 (160 translations), 1.85 s at 32768 (66), 1.80 s at 65536 (22); 4.0-4.8 s
 * at 512. Code that a program under the kernel runs hot is reached that often in milliseconds
 * (`crc32` in the guest ran as fast as at 512, or faster).
 */
const SYSTEM_JIT_THRESHOLD = 65536;

/** A CPU for a machine that needs its harts too (the system board's firmware and loader are RISC-V's). */
export function createRiscvCpu(
  layout: MemoryLayout,
  host: HartHost,
  harts: number,
  opts: { jit: boolean; jitOptions?: JitOptions },
): { cpu: Cpu; harts: readonly Hart[] } {
  // A booting kernel asks for thousands of translations, most of them run a few times: build
  // them in few modules, keep its (S- and M-mode) ones small (region.ts MAX_INSNS; programs
  // under it get the default), and translate code only once it has been reached
  // SYSTEM_JIT_THRESHOLD times (most of a boot's code never is).
  const sys = { jitBatchAgeMs: 100, jitKernelInsns: 32 };
  const jitOptions = { ...opts.jitOptions, threshold: opts.jitOptions?.threshold ?? SYSTEM_JIT_THRESHOLD };
  const rc = new RiscvCpu(layout, host, harts, { kind: "tlb" }, {}, { ...opts, jitOptions, ...sys });
  return { cpu: new RiscvCpuAdapter(rc), harts: rc.harts };
}

export const riscv64: IsaPlugin = {
  name: "riscv64",
  elfMachine: 243,
  vmmBytes: cpuVmmBytes,
  createCpu(layout: MemoryLayout, host: CpuHost, harts: number, jitOptions?: JitOptions): Cpu {
    return new RiscvCpuAdapter(
      new RiscvCpu(layout, host, harts, { kind: "tlb" }, {}, { jit: true, jitOptions }),
    );
  },
};
