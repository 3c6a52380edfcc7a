// The RISC-V plug-in's CPU: builds the interpreter from the instruction definitions (or takes
// it prebuilt), lays out per-hart state and TLBs in the machine's wasm memory and connects the
// engines' host calls.
import type { MemoryLayout } from "../../core/memory.js";
import { Hart, type HartHost } from "./hart.js";
import { TLB_SETS } from "./mmu.js";
import { ALL_INSNS } from "./insns/index.js";
import { compressedTable } from "./insns/c.js";
import {
  buildInterpreter,
  predecodeBytes,
  type InterpImports,
  type InterpJit,
  type InterpTables,
} from "./interp.js";
import { HELPERS, type MemStrategy } from "./sem.js";
import { NO_TLB } from "./mmu.js";
import { FlatCode, TlbCode } from "./code-memory.js";
import { Recompiler, type JitOptions } from "../../core/jit/recompiler.js";
import { jitThreshold } from "../../core/jit/hotness.js";
import { JIT_TABLE_BYTES, jitLayoutAt } from "../../core/jit/table.js";
import { RiscvJitIsa, type RiscvInsn } from "./recompiler.js";
import * as S from "./state.js";
import type { Exit } from "./state.js";

const CTABLE_BYTES = 65536 * 4;
/** The bytes of each interpreter made, by key (what a build ahead of time saves). */
const moduleBytes = new Map<string, Uint8Array>();
/** Made ahead of time (usePrebuilt): generating them is most of a short run's start-up. */
const prebuilt = {
  interpreters: new Map<string, () => Uint8Array>(),
  compressedTable: undefined as (() => Uint32Array) | undefined,
};

/**
 * Interpreter modules and the compressed-instruction table computed ahead of time, by the
 * same code, for the CLI's single-file build (scripts/build-dist.js). A key not given is
 * generated as usual.
 */
export function usePrebuilt(
  interpreters: ReadonlyMap<string, () => Uint8Array>,
  ctable?: () => Uint32Array,
): void {
  for (const [key, bytes] of interpreters) prebuilt.interpreters.set(key, bytes); // read when asked for
  if (ctable) prebuilt.compressedTable = ctable;
}

function compressedTableOf(): Uint32Array {
  const t = prebuilt.compressedTable?.() ?? compressedTable();
  if (t.length !== 65536) throw new RangeError("compressed-instruction table: expected 65536 entries");
  return t;
}

/** The interpreter bytes of every module this process has made so far, by key. */
export function interpreterBytes(): ReadonlyMap<string, Uint8Array> {
  return moduleBytes;
}

function interpreterKey(
  tables: InterpTables,
  shared: boolean,
  mem: MemStrategy,
  jit: InterpJit | undefined,
): string {
  return JSON.stringify([tables, shared, mem, jit]);
}

function interpreterBytesOf(
  key: string,
  tables: InterpTables,
  shared: boolean,
  mem: MemStrategy,
  jit: InterpJit | undefined,
): Uint8Array {
  let bytes = moduleBytes.get(key);
  if (!bytes) {
    bytes = prebuilt.interpreters.get(key)?.() ?? buildInterpreter(ALL_INSNS, tables, 1, shared, mem, jit);
    moduleBytes.set(key, bytes);
  }
  return bytes;
}

/** The recompiler's part of an interpreter: where the translation table is, and the threshold (a constant of its code: one module per threshold). */
function interpreterJit(jitTable: number, threshold: number | undefined): InterpJit {
  return { layout: jitLayoutAt(jitTable), threshold: jitThreshold(threshold) };
}

/**
 * The interpreter of an engine that another host thread will attach to `regions` (CpuOptions
 * attach; with the recompiler on, at `threshold`), compiled here by `compile`: a module can be
 * posted to that thread, and V8 flags, which select how a module is compiled, are set safely
 * only where nothing else compiles meanwhile. Undefined when its bytes are neither prebuilt nor
 * made already: generating them is the other thread's work.
 */
export function attachedInterpreter(
  compile: (bytes: Uint8Array) => WebAssembly.Module,
  regions: CpuRegions,
  shared: boolean,
  mem: MemStrategy,
  jit: boolean,
  threshold: number | undefined,
): WebAssembly.Module | undefined {
  const tables = { ctable: regions.ctable };
  const interpJit = jit ? interpreterJit(regions.jitTable, threshold) : undefined;
  const key = interpreterKey(tables, shared, mem, interpJit);
  if (!moduleBytes.has(key) && !prebuilt.interpreters.has(key)) return undefined;
  return compiled(compile, key, () => interpreterBytesOf(key, tables, shared, mem, interpJit))!;
}

type CompileWasm = (bytes: Uint8Array) => WebAssembly.Module;
const compileWasm: CompileWasm = (bytes) => new WebAssembly.Module(bytes as BufferSource);
/** Interpreter modules by the function that compiled them, then by key: every process (and fork) of a run shares them. */
const modules = new WeakMap<CompileWasm, Map<string, WebAssembly.Module>>();

/** The module `compile` made of interpreter `key`; made now (of `bytes()`) if there is none and `bytes` is given. */
function compiled(
  compile: CompileWasm,
  key: string,
  bytes?: () => Uint8Array,
): WebAssembly.Module | undefined {
  let byKey = modules.get(compile);
  if (!byKey) modules.set(compile, (byKey = new Map()));
  let m = byKey.get(key);
  if (!m && bytes) byKey.set(key, (m = compile(bytes())));
  return m;
}

function interpreterRun(
  m: WebAssembly.Module,
  imports: WebAssembly.Imports,
): (hart: number, budget: number) => number {
  return new WebAssembly.Instance(m, imports).exports.run as (hart: number, budget: number) => number;
}

/** Bytes of one hart's TLB (every set). */
const TLB_BYTES = TLB_SETS * S.TLB_SET_BYTES;

/**
 * Bytes of VMM memory the CPU needs for `harts` harts. With the flat strategy (user mode)
 * nothing uses a TLB, and the harts have none.
 */
export function cpuVmmBytes(harts: number, mem: MemStrategy["kind"] = "tlb"): number {
  const tlbs = mem === "flat" ? 0 : harts;
  return (
    CTABLE_BYTES +
    predecodeBytes(mem) +
    JIT_TABLE_BYTES +
    harts * S.HART_STATE_BYTES +
    tlbs * TLB_BYTES +
    4096
  );
}

export interface CpuOptions {
  /** Translate hot code to wasm (core/jit, recompiler.ts). */
  jit?: boolean;
  /** How long translation requests wait to be built together (RecompilerOptions.batchAgeMs). */
  jitBatchAgeMs?: number;
  /** Instructions in one translation of S- or M-mode code at most (TlbCode's kernelInsns; U-mode code gets the default). */
  jitKernelInsns?: number;
  /** How it translates (thresholds, cache, compilation). */
  jitOptions?: JitOptions;
  /** How the engine compiles the interpreter, when the host can say (default: as it compiles any module). */
  interpreterTiers?: InterpreterTiers;
  /** This engine's interpreter, compiled by another thread (attachedInterpreter); else compiled here. */
  interpreterModule?: WebAssembly.Module;
  /**
   * Another engine over harts that already exist (a host thread of its own over the same shared
   * memory): the compressed table and the hart states are those at `attach`, taken as they are;
   * the predecode table and the translation table are its own (at `attach` too).
   */
  attach?: CpuRegions;
}

/** Where a CPU's VMM regions sit in the memory. */
export interface CpuRegions {
  readonly ctable: number;
  readonly predecode: number;
  readonly states: number;
  /** The translation table (JIT_TABLE_BYTES), with the recompiler on. */
  readonly jitTable: number;
}

/**
 * A quick compile of the interpreter that the engine never optimizes on its own, then an
 * optimized one once the run proves long. A short run ends before an optimizing compile (V8's
 * TurboFan: about 200 ms of CPU and 30 MB for the interpreter) would pay for itself, and V8's
 * own tiering asks for one within the first ~20,000 instructions and makes the process wait for
 * it at exit. After `optimizeAfterInsns` instructions (Infinity: never) the CPU runs the
 * interpreter `optimized` compiles instead; all its state is in memory.
 */
export interface InterpreterTiers {
  readonly quick: (bytes: Uint8Array) => WebAssembly.Module;
  readonly optimizeAfterInsns: number;
  readonly optimized: (bytes: Uint8Array) => WebAssembly.Module;
  /**
   * The interpreter of an engine on another host thread (attachedInterpreter), whose guest code
   * runs translated: never optimized either. Left to that thread, the engine's own tiering
   * optimized it within its first turn (README, Speed, "The nineteenth session: threads").
   */
  readonly attached?: (bytes: Uint8Array) => WebAssembly.Module;
}

export class RiscvCpu {
  readonly harts: Hart[] = [];
  private run: (hart: number, budget: number) => number;
  /** The module `run` is an instance of. */
  private module: WebAssembly.Module;
  /** Until the interpreter is recompiled (InterpreterTiers): what is left to run first, and what the new instance needs. */
  private optimizing:
    { left: number; tiers: InterpreterTiers; key: string; imports: WebAssembly.Imports } | undefined;
  private readonly stateBase: number;
  /** The recompiler, when it is on. */
  readonly jit: Recompiler<Hart, RiscvInsn> | undefined;
  /** Calls of the host's `helper` import by HELPERS index, and of `raise` (last): what the wasm fast paths leave to the host. */
  readonly hostCalls = new Float64Array(HELPERS.length + 1);
  /** Where the recompiler reads code, when it is on. */
  readonly code: FlatCode | TlbCode | undefined;
  /** Where its VMM regions are (what an engine on another thread attaches to). */
  readonly regions: CpuRegions;

  /**
   * `mem` selects how guest addresses reach memory; with "flat" the host supplies the
   * slow paths (`overrides`) for the accesses its fast path declines.
   */
  constructor(
    layout: Pick<MemoryLayout, "memory" | "shared" | "alloc">,
    host: HartHost,
    hartCount: number,
    mem: MemStrategy = { kind: "tlb" },
    overrides: Partial<InterpImports> = {},
    opts: CpuOptions = {},
  ) {
    const at = opts.attach;
    const ctable = at?.ctable ?? layout.alloc(CTABLE_BYTES, 4096);
    if (!at) new Uint32Array(layout.memory.buffer, ctable, 65536).set(compressedTableOf());
    const predecode = at?.predecode ?? layout.alloc(predecodeBytes(mem.kind), 64);
    const stateBase = (this.stateBase = at?.states ?? layout.alloc(hartCount * S.HART_STATE_BYTES, 64));
    for (let i = 0; i < hartCount; i++) {
      const tlb = mem.kind === "flat" ? NO_TLB : layout.alloc(TLB_BYTES, 64);
      this.harts.push(
        new Hart(i, stateBase + i * S.HART_STATE_BYTES, layout.memory, tlb, host, at !== undefined),
      );
    }
    let jitTable = at?.jitTable ?? -1;
    const hartAt = (base: number) => this.hartAt(base);
    const imports: InterpImports = {
      load: (h, kind) => hartAt(h).mmu.load(kind),
      store: (h, bytes) => hartAt(h).mmu.store(bytes),
      translate: (h, arg) => hartAt(h).mmu.translateAtomic(arg),
      fetch: (h) => hartAt(h).mmu.fetch(),
      raise: (h, cause) => {
        this.hostCalls[HELPERS.length]++;
        const hart = hartAt(h);
        hart.trap(cause, false, hart.getI64(S.SCRATCH));
      },
      helper: (h, which) => {
        this.hostCalls[which]++;
        return hartAt(h).helper(HELPERS[which]);
      },
      now: (h) => hartAt(h).timeToScratch(),
      ...overrides,
    };
    const hostImports = imports as unknown as WebAssembly.ModuleImports;
    let interpJit: InterpJit | undefined;
    if (opts.jit) {
      if (jitTable < 0) jitTable = layout.alloc(JIT_TABLE_BYTES, 64);
      interpJit = interpreterJit(jitTable, opts.jitOptions?.threshold);
      const jitLayout = interpJit.layout;
      const flush = () => this.jit?.flush();
      const code = (this.code =
        mem.kind === "flat"
          ? new FlatCode(layout.memory, mem.permTable, mem.hostOffset)
          : new TlbCode(
              host.phys,
              this.harts,
              (page) => this.jit?.invalidatePage(page),
              opts.jitKernelInsns,
            ));
      const isa = new RiscvJitIsa(layout.memory, ctable, ALL_INSNS, mem);
      this.jit = new Recompiler(layout.memory, jitLayout, isa, code, hostImports, {
        ...opts.jitOptions,
        batchAgeMs: opts.jitBatchAgeMs,
      });
      this.jit.hartAt = hartAt;
      for (const h of this.harts) {
        h.codeChanged = flush;
        h.addressSpaceChanged = () => h.setI32(S.JIT_SWITCHED, this.jit?.switchedAddressSpace() ?? 0);
      }
    }
    const jit = this.jit;
    const translateAt = (h: number): void => {
      const hart = hartAt(h);
      // The indirect jump that left a translation for this pc (dispatch.ts), read once.
      const site = hart.getI64(S.JIT_EXIT_SITE);
      const learn = site !== 0n && hart.getI64(S.JIT_EXIT_TARGET) === hart.getI64(S.PC);
      if (site !== 0n) hart.setI64(S.JIT_EXIT_SITE, 0n);
      jit?.translate(hart.pc, hart, learn ? Number(site) : undefined);
    };
    const tables = { ctable };
    this.regions = { ctable, predecode, states: stateBase, jitTable };
    const key = interpreterKey(tables, layout.shared, mem, interpJit);
    const interpImports = {
      env: { memory: layout.memory, ...(jit ? { table: jit.table.functions } : {}) },
      host: jit ? { ...hostImports, compile: (h: number) => translateAt(h) } : hostImports,
    };
    const bytes = () => interpreterBytesOf(key, tables, layout.shared, mem, interpJit);
    const tiers = opts.interpreterTiers;
    const optimized = tiers && compiled(tiers.optimized, key);
    const given = opts.interpreterModule;
    this.module = given ?? optimized ?? compiled(tiers?.quick ?? compileWasm, key, bytes)!;
    this.run = interpreterRun(this.module, interpImports);
    if (tiers && !given && !optimized && Number.isFinite(tiers.optimizeAfterInsns))
      this.optimizing = { left: tiers.optimizeAfterInsns, tiers, key, imports: interpImports };
  }

  /** Runs the optimized interpreter from now on (InterpreterTiers). */
  private optimize(): void {
    const { tiers, key, imports } = this.optimizing!;
    this.optimizing = undefined;
    this.module = compiled(tiers.optimized, key, () => moduleBytes.get(key)!)!;
    this.run = interpreterRun(this.module, imports);
  }

  /**
   * Without the recompiler, the interpreter module for engines attached on other host threads:
   * this one's, optimized from now on if it was not yet (a program that starts them runs long).
   * Posted to those threads, the module shares its compiled code with them, so V8 compiles it
   * once (each engine compiled and optimized its own before: docs/speed-sessions.md, "The
   * twenty-first session: the interpreter's threads"); the hart's state names each engine's
   * predecode table.
   */
  sharedInterpreter(): WebAssembly.Module | undefined {
    if (this.jit) return undefined;
    if (this.optimizing) this.optimize();
    return this.module;
  }

  /** The hart whose state starts at host offset `base` (the engines' `hart` argument). */
  hartAt(base: number): Hart {
    return this.harts[((base >>> 0) - this.stateBase) / S.HART_STATE_BYTES]; // an i32 from wasm: unsigned
  }

  /** Runs `hart` for at most `budget` instructions. */
  step(hart: Hart, budget: number): Exit {
    const jit = this.jit;
    hart.setI32(S.PREDECODE, this.regions.predecode); // this engine's (the hart may have run on another)
    const exit = hart.run(this.run, budget);
    const ran = budget - hart.getI32(S.BUDGET); // what is left of the slice's budget
    if (this.optimizing && (this.optimizing.left -= ran) <= 0) this.optimize();
    if (!jit) return exit;
    jit.ran(ran);
    jit.commitDue(); // translations asked for during the slice
    return exit;
  }
}
