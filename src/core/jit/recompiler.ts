// The recompiler's driver: hot guest code (hotness.ts) becomes a wasm function in the
// translation table (table.ts). Fetch and decode go through the ISA, the region follows the
// control flow its definitions declare (region.ts), the ISA emits each instruction's
// semantics (codegen.ts), and the pages the code came from are watched so that a store there
// flushes every translation (CodeMemory). Requests are batched: one wasm module holds the
// translations of every region asked for since the last one was built (compiling and
// instantiating a module costs far more than a function in it), built when the engine
// returns to the host, when a batch is full or old, or when a pending pc is asked for again.
import { compileModule, type JitCounts } from "./compile-stats.js";
import { emitTranslations, type TranslationRequest } from "./codegen.js";
import { buildDispatch } from "./dispatch.js";
import type { CodeMemory, GuestInsn, JitIsa } from "./isa.js";
import { discoverRegion } from "./region.js";
import { CodeCache, type CachedModule } from "./code-cache.js";
import { countsEntry, jitThreshold } from "./hotness.js";
import { TranslationTable, type JitLayout } from "./table.js";

/** How the recompiler is set up, as a user may choose (the CLI's --jit-* options). */
export interface JitOptions {
  /** Taken jumps to a target before it is translated (hotness.ts; 0 or 1: at first sight). */
  readonly threshold?: number;
  /** Bound on the wasm bytes of the translation modules alive (code-cache.ts). */
  readonly cacheBytes?: number;
}

export interface RecompilerOptions extends JitOptions {
  /**
   * A translation that fails to build throws (a bug to see) instead of leaving its code to
   * the interpreter with a message. On by default under the tests (vitest sets VITEST).
   */
  readonly strict?: boolean;
}

/** Translations in one module at most. */
const MAX_BATCH = 64;
/** A batch older than this is built at the next request (milliseconds). */
const MAX_BATCH_AGE_MS = 2;

const underTests = (): boolean => typeof process !== "undefined" && process.env?.VITEST !== undefined;

/** A region found and watched, waiting for the next module. */
interface Pending<Insn extends GuestInsn> extends TranslationRequest<Insn> {
  readonly key: number;
  /** The pages protect named (those whose stores drop this translation alone). */
  readonly pages: readonly number[];
}

/** What an installed slot holds, for dropping it when its page is written. */
interface Installed {
  readonly pc: number;
  readonly key: number;
  readonly pages: readonly number[];
  readonly module: CachedModule;
}

/** Translates guest code to wasm functions and keeps the table of translations. */
export class Recompiler<Hart, Insn extends GuestInsn> {
  readonly table: TranslationTable;
  /** For statistics: translations made, whole flushes, and translations dropped because their page was written. */
  translations = 0;
  flushes = 0;
  invalidations = 0;
  /** Translations evicted to keep the code cache within its bound. */
  evictions = 0;
  /** The modules alive and their size. */
  readonly cache: CodeCache;
  private readonly strict: boolean;
  /** Translations in one module at most: at first sight one, so that the code runs translated at once. */
  private readonly maxBatch: number;
  /** Pcs whose translation failed to build: the interpreter keeps them. */
  private readonly failed = new Set<number>();
  /** Regions waiting for the next module, their pcs, and when the first came. */
  private pending: Pending<Insn>[] = [];
  private readonly pendingPcs = new Set<number>();
  private pendingSince = 0;
  /** By slot, what was installed there; by page, the slots installed from it. */
  private readonly installed = new Map<number, Installed>();
  private readonly slotsOfPage = new Map<number, Set<number>>();
  /** The function translations chain through (dispatch.ts). */
  private readonly dispatch: WebAssembly.ExportValue;

  constructor(
    private readonly memory: WebAssembly.Memory,
    layout: JitLayout,
    private readonly isa: JitIsa<Insn>,
    private readonly code: CodeMemory<Hart>,
    /** The host functions translations import (module "host"). */
    private readonly imports: WebAssembly.ModuleImports,
    opts: RecompilerOptions = {},
  ) {
    this.table = new TranslationTable(memory, layout);
    this.strict = opts.strict ?? underTests();
    this.cache = new CodeCache(opts.cacheBytes);
    this.maxBatch = countsEntry(jitThreshold(opts.threshold)) ? 1 : MAX_BATCH;
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const dispatcher = new WebAssembly.Instance(
      new WebAssembly.Module(buildDispatch(layout, isa.state, isa.emitCodeKey, shared) as BufferSource),
      { env: { memory, table: this.table.functions } },
    );
    this.dispatch = dispatcher.exports.dispatch as WebAssembly.ExportValue;
    this.flush();
    this.flushes = 0;
  }

  /** What it has done and holds (translated instructions are the ISA's to count). */
  counts(): JitCounts {
    const { translations, invalidations, flushes, evictions, cache } = this;
    const live = {
      cacheBytes: cache.bytes,
      cacheModules: cache.moduleCount,
      cacheTranslations: cache.translationCount(),
    };
    return { translations, invalidations, flushes, evictions, ...live };
  }

  /** Forgets every translation (code may have changed). */
  flush(): void {
    this.pending = [];
    this.pendingPcs.clear();
    this.installed.clear();
    this.slotsOfPage.clear();
    this.cache.clear();
    this.table.clear();
    this.code.unprotectAll();
    this.failed.clear(); // the code may be other code now
    this.flushes++;
  }

  /** A store changed `page` (as CodeView.protect named it): its translations, made or waiting, go. */
  invalidatePage(page: number): void {
    const slots = this.slotsOfPage.get(page);
    for (const slot of slots ?? []) {
      const t = this.installed.get(slot);
      if (!t) continue;
      this.drop(slot, t);
      this.invalidations++;
    }
    this.slotsOfPage.delete(page);
    if (this.pending.some((p) => p.pages.includes(page))) {
      this.pending = this.pending.filter((p) => !p.pages.includes(page));
      this.pendingPcs.clear();
      for (const p of this.pending) this.pendingPcs.add(p.start);
    }
    this.failed.clear(); // the code may be other code now
    this.code.unprotect?.(page);
  }

  /** True when a store to [addr, addr + bytes) would change translated code (user mode's slow path asks). */
  isCode(addr: number, bytes: number): boolean {
    return this.code.isCode?.(addr, bytes) ?? false;
  }

  /**
   * Asks for a translation of the code at guest pc `pc` (64 bits) of `hart`, for the code key
   * the hart has there now: its region is found and watched now, and its function built with
   * the batch (`commit`). Nothing to run leaves the slot alone.
   */
  translate(pc: bigint, hart: Hart): void {
    const start = Number(BigInt.asIntN(64, pc));
    if (!Number.isSafeInteger(start)) return; // beyond 2^53 either way: not exact in a JS number
    if (this.failed.has(start)) return;
    if (this.pendingPcs.has(start)) return this.commit(); // still hot: build the batch now
    const view = this.code.view(hart);
    const key = view.key(start);
    if (key === -1 || this.table.holds(start, key)) return;
    const region = discoverRegion(this.isa, start, view);
    if (region.size === 0) return;
    // Stores to these pages now reach the host, which drops the translations (and the batch).
    const pages = new Set<number>();
    for (const b of region.blocks)
      for (const i of b.insns) {
        const page = view.protect(i.pc, i.len);
        if (page !== undefined) pages.add(page);
      }
    const now = performance.now();
    if (this.pending.length === 0) this.pendingSince = now;
    this.pending.push({ start, region, key, pages: [...pages] });
    this.pendingPcs.add(start);
    if (this.pending.length >= this.maxBatch || now - this.pendingSince > MAX_BATCH_AGE_MS) this.commit();
  }

  /** Builds the pending translations into one module and installs them. */
  commit(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingPcs.clear();
    const built = this.build(batch);
    if (!built) return;
    this.makeRoom(built.bytes);
    const module = this.cache.add(built.bytes);
    batch.forEach((p, i) => {
      const slot = this.table.install(p.start, p.key, built.functions[i], p.region.size);
      const old = this.installed.get(slot);
      if (old) this.forget(slot, old);
      this.installed.set(slot, { pc: p.start, key: p.key, pages: p.pages, module });
      module.slots.add(slot);
      for (const page of p.pages) {
        let slots = this.slotsOfPage.get(page);
        if (!slots) this.slotsOfPage.set(page, (slots = new Set()));
        slots.add(slot);
      }
    });
    this.translations += batch.length;
  }

  /** Evicts the oldest modules until `bytes` more fit the cache's bound. */
  private makeRoom(bytes: number): void {
    for (const m of this.cache.victims(bytes)) {
      for (const slot of [...m.slots]) {
        const t = this.installed.get(slot);
        if (!t) continue;
        this.drop(slot, t);
        this.evictions++;
      }
    }
  }

  /** Empties `slot`, which holds `t`: nothing enters it again, and its module may be collected. */
  private drop(slot: number, t: Installed): void {
    this.table.evict(slot, t.pc, t.key);
    this.forget(slot, t);
  }

  /** `slot` no longer holds `t`. */
  private forget(slot: number, t: Installed): void {
    this.installed.delete(slot);
    for (const page of t.pages) this.slotsOfPage.get(page)?.delete(slot);
    this.cache.release(t.module, slot);
  }

  /**
   * The translations' functions and their module's size, or undefined when the module failed
   * to build (outside the tests).
   */
  private build(
    batch: readonly TranslationRequest<Insn>[],
  ): { functions: (() => number)[]; bytes: number } | undefined {
    try {
      const target = { layout: this.table.layout, shared: this.memory.buffer instanceof SharedArrayBuffer };
      const bytes = emitTranslations(this.isa, target, batch);
      const module = compileModule(bytes);
      const env = { memory: this.memory, dispatch: this.dispatch };
      const instance = new WebAssembly.Instance(module, { env, host: this.imports });
      return {
        functions: batch.map((_, i) => instance.exports[`t${i}`] as () => number),
        bytes: bytes.length,
      };
    } catch (e) {
      if (this.strict) throw e;
      for (const { start } of batch) {
        this.failed.add(start);
        const at = BigInt.asUintN(64, BigInt(start)).toString(16);
        console.error(`hartwood: recompiler: the code at 0x${at} stays interpreted: ${String(e)}`);
      }
      return undefined;
    }
  }
}
