// Bare-metal mode: an ELF loaded at its physical addresses into RAM at 0x8000_0000, hart 0
// starting in M-mode at the entry point, a CLINT, and the HTIF tohost/fromhost mailbox.
import { parseElf, PT_LOAD } from "../core/elf.js";
import { UserError } from "../core/errors.js";
import { MemoryLayout } from "../core/memory.js";
import { PhysMap } from "../core/physmem.js";
import { Clint, CLINT_SIZE } from "../devices/clint.js";
import { Htif } from "../devices/htif.js";
import type { Cpu, IsaPlugin } from "../core/isa.js";
import type { JitCounts } from "../core/jit/compile-stats.js";
import type { JitOptions } from "../core/jit/recompiler.js";
import { riscv64 } from "../arch/riscv/plugin.js";

export const RAM_BASE = 0x8000_0000;
export const CLINT_BASE = 0x0200_0000;
const SLICE = 1 << 16;

export interface BaremetalOptions {
  /** Stop with an error after this many instructions. */
  maxInsns?: number;
  ramBytes?: number;
  /** Console output (HTIF). */
  out?: (bytes: Uint8Array) => void;
  /** Called every `pauseEvery` instructions with the machine (tests use it to snapshot). */
  onPause?: (m: BaremetalMachine) => void;
  pauseEvery?: number;
  /** How the recompiler translates. */
  jit?: JitOptions;
}

/** What a pause hook may inspect or replace. */
export interface BaremetalMachine {
  readonly cpu: Cpu;
  readonly ram: Uint8Array;
}

export interface BaremetalResult {
  /** The guest's exit status (0 = pass). */
  status: number;
  instret: number;
  /** What the recompiler did. */
  jit: JitCounts | undefined;
}

export class InstructionLimitError extends UserError {}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Runs a bare-metal ELF to its HTIF exit (its recompiler compiling synchronously). */
export function runBaremetal(
  elfBytes: Uint8Array,
  opts: BaremetalOptions = {},
  isa: IsaPlugin = riscv64,
): BaremetalResult {
  if (opts.jit?.async)
    throw new UserError("asynchronous compilation needs runBaremetalAsync (a loop that yields)");
  const slice = start(elfBytes, opts, isa);
  for (;;) {
    const r = slice();
    if (r) return r;
  }
}

/** The loop yields to the event loop this often (milliseconds): asynchronous compilations finish there. */
const YIELD_MS = 4;

/** Runs a bare-metal ELF to its HTIF exit, yielding to the event loop between slices. */
export async function runBaremetalAsync(
  elfBytes: Uint8Array,
  opts: BaremetalOptions = {},
  isa: IsaPlugin = riscv64,
): Promise<BaremetalResult> {
  const slice = start(elfBytes, opts, isa);
  let lastYield = performance.now();
  for (;;) {
    const r = slice();
    if (r) return r;
    if (performance.now() - lastYield >= YIELD_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
}

/** Loads the machine; returns what runs it one slice, giving the result at the guest's exit. */
function start(
  elfBytes: Uint8Array,
  opts: BaremetalOptions,
  isa: IsaPlugin,
): () => BaremetalResult | undefined {
  const ramBytes = opts.ramBytes ?? 128 << 20;
  const elf = parseElf(elfBytes, isa.elfMachine, isa.name);
  const inRam = (pa: number, n: number) => pa >= RAM_BASE && pa + n <= RAM_BASE + ramBytes;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.memSize === 0) continue;
    if (!inRam(seg.paddr, seg.memSize)) {
      throw new UserError(`ELF segment at 0x${seg.paddr.toString(16)} (${seg.memSize} bytes) is outside RAM`);
    }
  }
  if (!inRam(elf.entry, 2)) throw new UserError(`ELF entry point 0x${elf.entry.toString(16)} is outside RAM`);
  const tohost = elf.symbols.get("tohost");
  if (tohost === undefined) throw new UserError("ELF has no 'tohost' symbol: not an HTIF program");
  if (!inRam(tohost, 8) || tohost % 8)
    throw new UserError(`tohost at 0x${tohost.toString(16)} is not in RAM`);

  const layout = new MemoryLayout(isa.vmmBytes(1), ramBytes);
  const phys = new PhysMap();
  phys.addRam({ base: RAM_BASE, sizeBytes: ramBytes, hostOffset: layout.ramHostOffset });
  const u8 = new Uint8Array(layout.memory.buffer);
  for (const seg of elf.segments) {
    // An empty segment may sit anywhere (it was not range-checked above) and loads nothing.
    if (seg.type !== PT_LOAD || seg.memSize === 0) continue;
    const at = layout.ramHostOffset + (seg.paddr - RAM_BASE);
    u8.set(elf.data.subarray(seg.offset, seg.offset + seg.fileSize), at);
  }
  const clint = new Clint(1, {
    software: (h, level) => cpu.setIrqLine(h, "MSI", level),
    timer: (h, level) => cpu.setIrqLine(h, "MTI", level),
  });
  phys.addMmio({ base: CLINT_BASE, sizeBytes: CLINT_SIZE, device: clint });
  const out = opts.out ?? ((b: Uint8Array) => process.stdout.write(b));
  const htif = new Htif(phys, u8, tohost, elf.symbols.get("fromhost"), out, () => cpu.stop(0));
  const cpu = isa.createCpu(layout, { phys, now: () => clint.now() }, 1, opts.jit);
  cpu.reset(0, BigInt(elf.entry));
  const machine: BaremetalMachine = {
    cpu,
    ram: u8.subarray(layout.ramHostOffset, layout.ramHostOffset + ramBytes),
  };

  const limit = opts.maxInsns ?? Infinity;
  let nextPause = opts.pauseEvery ?? Infinity;
  return () => {
    const done = cpu.instret(0);
    const budget = Math.min(SLICE, Math.max(1, limit - done), Math.max(1, nextPause - done));
    const exit = cpu.step(0, budget);
    if (htif.exitCode !== undefined)
      return { status: htif.exitCode, instret: cpu.instret(0), jit: cpu.jitCounts() };
    if (cpu.instret(0) >= limit)
      throw new InstructionLimitError(`instruction limit reached (${limit} instructions)`);
    if (cpu.instret(0) >= nextPause) {
      opts.onPause?.(machine);
      nextPause += opts.pauseEvery ?? Infinity;
    }
    clint.update();
    if (exit === "wfi") {
      while (!cpu.wakeable(0)) {
        const ms = clint.msUntilNextTimer();
        if (ms === Infinity)
          throw new UserError("hart 0 waits for an interrupt (wfi) that no device can raise");
        Atomics.wait(sleeper, 0, 0, Math.max(ms, 0.01));
        clint.update();
      }
    }
    cpu.checkInterrupts(0);
    return undefined;
  };
}
