// Wasm compilation of translated code, counted for `HARTWOOD_JIT_STATS=1` (the benchmark's
// compile columns). Counting costs one clock read per module, next to a compile that costs
// far more. The time is that of the synchronous `new WebAssembly.Module`; an engine that
// compiles functions lazily or tiers up in the background does part of its work later.

export const compileStats = {
  /** Modules compiled. */
  modules: 0,
  /** Their wasm bytes, summed (what the code cache was built from; never decreases). */
  wasmBytes: 0,
  compileMs: 0,
  /**
   * The recompiler's own time building translations: finding and watching regions, emitting
   * their wasm, instantiating and installing the modules (the compile above excluded).
   */
  buildMs: 0,
};

/**
 * Milliseconds on a monotonic clock. Node's global `performance` loads perf_hooks at its first
 * use (2-5 ms, at a user-mode program's first translation); `process.hrtime` is there already.
 */
export const nowMs: () => number =
  typeof process !== "undefined" && typeof process.hrtime?.bigint === "function"
    ? () => Number(process.hrtime.bigint()) / 1e6
    : () => performance.now();

export function compileModule(bytes: Uint8Array): WebAssembly.Module {
  dumpModule(bytes);
  const start = nowMs();
  const module = new WebAssembly.Module(bytes as BufferSource);
  compileStats.compileMs += nowMs() - start;
  compileStats.modules++;
  compileStats.wasmBytes += bytes.length;
  return module;
}

/** The same, compiled in the background (its time is not counted: the guest runs meanwhile). */
export async function compileModuleAsync(bytes: Uint8Array): Promise<WebAssembly.Module> {
  dumpModule(bytes);
  const module = await WebAssembly.compile(bytes as BufferSource);
  compileStats.modules++;
  compileStats.wasmBytes += bytes.length;
  return module;
}

/**
 * `HARTWOOD_JIT_DUMP=DIR` writes every translation module to DIR/NNNN.wasm (for wasm2wat and
 * for reading what the recompiler emits; a debugging aid, off by default).
 */
const DUMP_DIR = typeof process !== "undefined" ? process.env.HARTWOOD_JIT_DUMP : undefined;
function dumpModule(bytes: Uint8Array): void {
  if (!DUMP_DIR) return;
  const fs = process.getBuiltinModule("node:fs");
  fs.mkdirSync(DUMP_DIR, { recursive: true });
  fs.writeFileSync(`${DUMP_DIR}/${String(compileStats.modules).padStart(4, "0")}.wasm`, bytes);
}

/** What a recompiler has done (its engine's counts). */
export interface JitCounts {
  /** Translations made. */
  readonly translations: number;
  /** Translations dropped because a store changed their code. */
  readonly invalidations: number;
  /** Times every translation was dropped. */
  readonly flushes: number;
  /** Translations dropped to keep the code cache within its bound (code-cache.ts). */
  readonly evictions: number;
  /** Translations compiled asynchronously but not installed because their code changed meanwhile. */
  readonly discarded: number;
  /** Hot pcs served by a block of a translation made before, with nothing built (Region.entries). */
  readonly entered: number;
  /** Translations built again because one of their indirect jumps went somewhere new (Recompiler.learnAt). */
  readonly rebuilds: number;
  /** Switches whose cases a region took from their jump table (JitIsa.jumpTable), once per region found. */
  readonly tableJumps: number;
  /** The code cache now: wasm bytes of the modules alive, those modules, their translations installed. */
  readonly cacheBytes: number;
  readonly cacheModules: number;
  readonly cacheTranslations: number;
  /** Loops emitted in place (those of several blocks too), and checks shared by several memory accesses (context.ts EmitShapes). */
  readonly loopsInPlace: number;
  readonly longLoopsInPlace: number;
  /** Loops in place that hold another (context.ts EmitShapes). */
  readonly nestedLoopsInPlace: number;
  readonly sharedChecks: number;
  /** Memory accesses of loops in place checked before the loop and at its back edges instead of at each pass, and those of them through a pointer stepped by a register (context.ts EmitShapes). */
  readonly hoistedChecks: number;
  readonly registerSteps: number;
  readonly hoistedAfterStep: number;
  /** Memory accesses of loops in place checked once where the loop is entered, for the whole span their addresses may take (context.ts EmitShapes). */
  readonly rangeChecks: number;
  /** Instructions emitted in a narrower form (context.ts EmitShapes). */
  readonly narrowed: number;
  /** Blocks whose facts are tested where a translation is entered at them (context.ts EmitShapes). */
  readonly guardedEntries: number;
  /** Translations that kept the guest's registers in the hart state, not in wasm locals (CodeView.registersInMemory). */
  readonly registersInMemory: number;
  /** Registers of translations with locals that stayed in the hart state all the same, summed over translations (context.ts EmitShapes). */
  readonly registersInHartState: number;
  /** Guest instructions run in translated code, by the privilege (the ISA's names) entered at. */
  readonly translatedInsns?: Readonly<Record<string, number>>;
  /** Entries (from the interpreter) into translations made before the entering hart's last address-space switch. */
  readonly reusedAfterSwitch?: number;
  /** Calls from either engine to the host's slow paths, by kind (the ISA's helper names). */
  readonly hostCalls?: Readonly<Record<string, number>>;
  /** Returns that went back into the translation their call left, which waited (HartStateLayout.calls). */
  readonly predictedReturns?: number;
}

/** The counts as one line for stderr (`HARTWOOD_JIT_STATS=1`), with the engine's when the caller has them. */
export function compileStatsLine(counts?: Partial<JitCounts>): string {
  const c = compileStats;
  const n = counts ?? {};
  const t =
    (n.translations === undefined ? "" : `translations ${n.translations}, `) +
    (n.entered === undefined ? "" : `entered inside ${n.entered}, `) +
    (n.rebuilds === undefined ? "" : `rebuilt ${n.rebuilds}, `) +
    (n.tableJumps ? `switch tables read ${n.tableJumps}, ` : "") +
    (n.loopsInPlace === undefined
      ? ""
      : `loops in place ${n.loopsInPlace} (${n.longLoopsInPlace} of several blocks, ${n.nestedLoopsInPlace} around others), `) +
    (n.narrowed ? `narrowed ${n.narrowed}, ` : "") +
    (n.guardedEntries ? `guarded entries ${n.guardedEntries}, ` : "") +
    (n.hoistedChecks
      ? `hoisted checks ${n.hoistedChecks} (${n.registerSteps} stepped by a register, ${n.hoistedAfterStep} after a step), `
      : "") +
    (n.rangeChecks ? `range checks ${n.rangeChecks}, ` : "") +
    (n.registersInMemory ? `registers in memory ${n.registersInMemory}, ` : "") +
    (n.registersInHartState ? `registers left in the hart state ${n.registersInHartState}, ` : "") +
    (n.predictedReturns === undefined ? "" : `predicted returns ${n.predictedReturns}, `) +
    (n.invalidations === undefined ? "" : `invalidated ${n.invalidations}, `) +
    (n.flushes === undefined ? "" : `flushes ${n.flushes}, `) +
    (n.evictions === undefined ? "" : `evicted ${n.evictions}, `) +
    (n.discarded ? `discarded ${n.discarded}, ` : "") +
    (n.cacheBytes === undefined
      ? ""
      : `cache ${n.cacheBytes} bytes in ${n.cacheModules} modules (${n.cacheTranslations} translations), `) +
    Object.entries(n.translatedInsns ?? {})
      .map(([mode, count]) => `run translated in ${mode} ${count}, `)
      .join("") +
    (n.reusedAfterSwitch === undefined
      ? ""
      : `reused across address-space switches ${n.reusedAfterSwitch}, `) +
    (n.hostCalls === undefined
      ? ""
      : `host calls ${Object.entries(n.hostCalls)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(" ")}, `);
  return `hartwood: jit stats: ${t}modules ${c.modules}, compile ${c.compileMs.toFixed(1)} ms, build ${c.buildMs.toFixed(1)} ms, code ${c.wasmBytes} bytes\n`;
}
