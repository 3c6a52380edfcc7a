// The recompiler's driver: hot guest code (hotness.ts) becomes a wasm function in the
// translation table (table.ts). Fetch and decode go through the ISA, the region follows the
// control flow its definitions declare (region.ts), the ISA emits each instruction's
// semantics (codegen.ts), and the pages the code came from are watched so that a store there
// flushes every translation (CodeMemory). Requests are batched: one wasm module holds the
// translations of every region asked for since the last one was built (compiling and
// instantiating a module costs far more than a function in it), built when the engine
// returns to the host, when a batch is full or old, or when a pending pc is asked for again.
// A hot pc that starts a block of a translation made before (one of its Region.entries) is
// served by that translation, entered there: nothing is built for it.
import { compileModule, compileModuleAsync, compileStats, nowMs, type JitCounts } from "./compile-stats.js";
import {
  buildHostForwarders,
  callsWait,
  emitTranslations,
  ENTRY_TABLE,
  type TranslationRequest,
} from "./codegen.js";
import type { EmitShapes } from "./context.js";
import { buildDispatch } from "./dispatch.js";
import type { CodeMemory, CodeView, GuestInsn, JitIsa } from "./isa.js";
import {
  discoverRegion,
  guessable,
  MAX_SWITCH_INSNS,
  MAX_TABLE_INSNS,
  reachFromEntries,
  type ColdCode,
  type IndirectGuess,
  type Region,
} from "./region.js";
import { CodeCache, type CachedModule } from "./code-cache.js";
import { countsEntry, jitThreshold } from "./hotness.js";
import { jitSlot, TranslationTable, type JitLayout, type TranslationFunction } from "./table.js";

/** How the recompiler is set up, as a user may choose (the CLI's --jit-* options). */
export interface JitOptions {
  /** Taken jumps to a target before it is translated (hotness.ts; 0 or 1: at first sight). */
  readonly threshold?: number;
  /** Bound on the wasm bytes of the translation modules alive (code-cache.ts). */
  readonly cacheBytes?: number;
  /**
   * Compile modules with `WebAssembly.compile` (what a browser needs for large modules): the
   * guest runs on meanwhile, and a module's translations are installed when it is ready,
   * those whose code changed in between left out. The run loop must yield to the event loop.
   */
  readonly async?: boolean;
  /**
   * Guest instructions the machine runs before the recompiler takes requests (default 0;
   * ignored at first sight, threshold 0 or 1). A short run is over before its first
   * translations pay for themselves: a hello-world retires 20-110 thousand instructions, and
   * building its 8-35 translations cost more than interpreting all of them (README,
   * "Start-up"). Code still hot after the warm-up asks again (hotness.ts JIT_RETRY).
   */
  readonly warmupInsns?: number;
  /**
   * Compiles the dispatcher (dispatch.ts), when the program running the recompiler can say how
   * (bin/hartwood.js: optimized at once); by default as any module. Not a user's choice.
   */
  readonly compileDispatcher?: (bytes: Uint8Array) => WebAssembly.Module;
}

export interface RecompilerOptions extends JitOptions {
  /**
   * A translation that fails to build throws (a bug to see) instead of leaving its code to
   * the interpreter with a message. On by default under the tests (vitest sets VITEST).
   */
  readonly strict?: boolean;
  /**
   * How long (ms) requests may wait for the rest of their batch, even across returns to the
   * host (by default a batch is built at the next return, or after 2 ms). Every module costs V8
   * a few milliseconds whatever its size, so a guest that asks for thousands of translations
   * (a booting kernel) is better served by few large modules than by prompt small ones.
   */
  readonly batchAgeMs?: number;
  /** Instructions in one translation at most (region.ts MAX_INSNS by default). */
  readonly regionInsns?: number;
}

/** Translations in one module at most. */
const MAX_BATCH = 64;
/**
 * Modules compiling in the background at most: beyond, requests wait in the batch (and, the
 * batch full, are dropped until the code is hot again), so that code made faster than it
 * compiles cannot pile up work and memory.
 */
const MAX_COMPILING = 8;
/** By default, a batch older than this is built at the next request or engine exit (milliseconds). */
const MAX_BATCH_AGE_MS = 2;

const underTests = (): boolean => typeof process !== "undefined" && process.env?.VITEST !== undefined;

/** A region found and watched, waiting for the next module. */
interface Pending<Insn extends GuestInsn> extends TranslationRequest<Insn> {
  readonly key: number;
  /** The pages protect named (those whose stores drop this translation alone). */
  readonly pages: readonly number[];
  /** The address-space generation it was asked for in. */
  readonly born: number;
  /** Built again for an indirect jump's new targets (rebuildHolder): its entries replace older ones. */
  readonly rebuild: boolean;
}

/** A translation made: what a slot holds, or what was kept when another took its slot. */
interface Installed {
  readonly pc: number;
  readonly key: number;
  readonly pages: readonly number[];
  readonly born: number;
  readonly run: TranslationFunction;
  /** The block `run` begins at: 0, or one of Region.entries for an entry. */
  readonly block: number;
  /** The budget a call needs. */
  readonly needs: number;
  readonly module: CachedModule;
  /** An entry of a translation that begins elsewhere (Region.entries). */
  readonly entry?: boolean;
}

/** Where a translation may be entered at a block besides its first: its function, read from its module's table when first used. */
interface Entry extends Omit<Installed, "run" | "born"> {
  readonly table: WebAssembly.Table;
  readonly index: number;
}

/**
 * Translations that lost their slot to another kept at most (the oldest go first). Two
 * address spaces with different code at one pc would otherwise evict each other's
 * translation at every switch and compile it again (test/guest/virt/asid.c).
 */
const MAX_KEPT = 1024;

/**
 * Targets remembered for one indirect jump at most, and indirect jumps remembered at most
 * (all are forgotten beyond: they are guesses, see `indirectTargets`).
 */
const TARGETS_PER_SITE = 16;
const MAX_SITES = 4096;
/** Times one translation is built again for new targets of its indirect jumps at most. */
const MAX_REBUILDS = 8;
/**
 * The dispatcher's reports (every LEARN_EVERY-th entry from one indirect jump) per look at
 * the jump's holders (rebuildHolder): a jump that keeps leaving translations is worth
 * building them again; one that did so for a moment is not.
 */
const REPORTS_PER_REBUILD = 4;

/** A translation (or an entry of one) that holds an indirect jump, and the targets it holds (Recompiler.holders). */
interface Holder {
  readonly pc: number;
  readonly key: number;
  readonly has: ReadonlySet<number>;
  /** The pc of the translation it is an entry of (its own pc when it is one). */
  readonly owner: number;
}

/** The kept translation's name: its pc and code key. */
const keptId = (pc: number, key: number): string => `${pc}/${key}`;

/** What every translation module imports besides the memory (Recompiler.links). */
interface TranslationLinks {
  dispatch: WebAssembly.ExportValue;
  hostFns: WebAssembly.Exports;
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
  /** Translations compiled asynchronously but not installed: their code changed meanwhile. */
  discarded = 0;
  /** Hot pcs served by a block of a translation made before (Region.entries), with nothing built. */
  entered = 0;
  /** Translations built again because one of their indirect jumps went somewhere new (learnAt). */
  rebuilds = 0;
  /** Switches whose cases a region took from their jump table (JitIsa.jumpTable), once per region found. */
  tableJumps = 0;
  /**
   * The hart whose state starts at a host offset (the dispatcher's `hart` argument), as the
   * owner of the harts says: without it the dispatcher's reports (learnAt) are ignored.
   */
  hartAt?: (base: number) => Hart;
  /** The modules alive and their size. */
  readonly cache: CodeCache;
  /** Address-space switches of any hart so far: the generation translations are asked for in. */
  private generation = 0;
  private readonly strict: boolean;
  private readonly batchAgeMs: number;
  private readonly regionInsns: number | undefined;
  /** How old a batch must be to be built when the engine returns to the host. */
  private readonly exitAgeMs: number;
  private readonly async: boolean;
  /** Instructions still to run before requests are taken (JitOptions.warmupInsns). */
  private warmup: number;
  /** Asynchronous compilations not finished yet, and the pcs they translate. */
  private readonly compiling = new Set<Promise<void>>();
  private readonly compilingPcs = new Set<number>();
  /** By page, how many times a store has changed it (what an asynchronous compilation checks). */
  private readonly pageWrites = new Map<number, number>();
  /** A failure of an asynchronous compilation under `strict`, thrown at the next commit. */
  private asyncError: unknown;
  /** Translations in one module at most: at first sight one, so that the code runs translated at once. */
  private readonly maxBatch: number;
  /**
   * Code the interpreter counted no taken jump to (TranslationTable.jumpsTo), which regions
   * take in last (region.ts ColdCode); none at first sight, where nothing ran before.
   */
  private readonly coldCode: ColdCode | undefined;
  /** Pcs whose translation failed to build: the interpreter keeps them. */
  private readonly failed = new Set<number>();
  /** Regions waiting for the next module, their pcs, and when the first came. */
  private pending: Pending<Insn>[] = [];
  private readonly pendingPcs = new Set<number>();
  /** The Region.entries of the pending regions, by keptId: true once its pc asked too. */
  private readonly pendingEntries = new Map<string, boolean>();
  private pendingSince = 0;
  /** By slot, what was installed there; by page, the slots installed from it. */
  private readonly installed = new Map<number, Installed>();
  private readonly slotsOfPage = new Map<number, Set<number>>();
  /** Translations that lost their slot, by keptId, oldest first; their pages stay watched. */
  private readonly kept = new Map<string, Installed>();
  /**
   * Where a live translation may be run from a block other than its first (Region.entries),
   * by keptId, and those entries by page: a pc that becomes hot there is placed in its slot
   * as it is. They go with their page's translations, and with their module.
   */
  private readonly entries = new Map<string, Entry>();
  private readonly entriesOfPage = new Map<number, Set<string>>();
  private readonly entriesOfModule = new Map<CachedModule, string[]>();
  /**
   * What every translation module imports: the function translations chain through
   * (dispatch.ts) and the host functions (buildHostForwarders). Made with the first module: a
   * short run that never translates skips the dispatcher's compile by TurboFan (about 5 ms).
   */
  private links: TranslationLinks | undefined;
  private readonly makeLinks: () => TranslationLinks;

  constructor(
    private readonly memory: WebAssembly.Memory,
    layout: JitLayout,
    private readonly isa: JitIsa<Insn>,
    private readonly code: CodeMemory<Hart>,
    /** The host functions translations import (module "host"). */
    imports: WebAssembly.ModuleImports,
    opts: RecompilerOptions = {},
  ) {
    this.table = new TranslationTable(memory, layout);
    this.strict = opts.strict ?? underTests();
    this.batchAgeMs = opts.batchAgeMs ?? MAX_BATCH_AGE_MS;
    this.regionInsns = opts.regionInsns;
    this.exitAgeMs = opts.batchAgeMs ?? 0;
    this.async = opts.async ?? false;
    const firstSight = countsEntry(jitThreshold(opts.threshold));
    this.warmup = firstSight ? 0 : (opts.warmupInsns ?? 0);
    this.cache = new CodeCache(opts.cacheBytes, (m) => this.forgetEntries(m));
    this.maxBatch = firstSight ? 1 : MAX_BATCH;
    this.coldCode = firstSight ? undefined : (pc) => this.table.jumpsTo(pc) === 0;
    this.makeLinks = () => {
      const shared = memory.buffer instanceof SharedArrayBuffer;
      const compileDispatcher = opts.compileDispatcher ?? ((b) => new WebAssembly.Module(b as BufferSource));
      const dispatcher = new WebAssembly.Instance(
        compileDispatcher(buildDispatch(layout, isa.state, isa.emitCodeKey, shared)),
        {
          env: {
            memory,
            table: this.table.functions,
            learn: (hart: number, site: bigint, target: bigint) => this.learnAt(hart, site, target),
          },
        },
      );
      const forwarders = buildHostForwarders((m) => isa.emitterFor(m));
      const hostFns = new WebAssembly.Instance(new WebAssembly.Module(forwarders as BufferSource), {
        host: imports,
      }).exports;
      return { dispatch: dispatcher.exports.dispatch as WebAssembly.ExportValue, hostFns };
    };
    this.flush();
    this.flushes = 0;
  }

  /** What it has done and holds (translated instructions are the ISA's to count). */
  counts(): JitCounts {
    const cache = this.cache;
    return {
      translations: this.translations,
      invalidations: this.invalidations,
      flushes: this.flushes,
      evictions: this.evictions,
      discarded: this.discarded,
      entered: this.entered,
      rebuilds: this.rebuilds,
      tableJumps: this.tableJumps,
      cacheBytes: cache.bytes,
      cacheModules: cache.moduleCount,
      cacheTranslations: cache.translationCount(),
      ...this.shapes,
    };
  }
  /** The code shapes its translations used (codegen.ts). */
  private readonly shapes: EmitShapes = {
    loopsInPlace: 0,
    longLoopsInPlace: 0,
    sharedChecks: 0,
    nestedLoopsInPlace: 0,
    hoistedChecks: 0,
    registerSteps: 0,
    hoistedAfterStep: 0,
    rangeChecks: 0,
    narrowed: 0,
    guardedEntries: 0,
    registersInMemory: 0,
    registersInHartState: 0,
  };

  /** Forgets every translation (code may have changed). */
  flush(): void {
    this.pending = [];
    this.pendingPcs.clear();
    this.pendingEntries.clear();
    this.installed.clear();
    this.slotsOfPage.clear();
    this.kept.clear();
    this.entries.clear();
    this.entriesOfPage.clear();
    this.entriesOfModule.clear();
    this.holders.clear();
    this.rebuilt.clear();
    this.cache.clear();
    this.table.clear();
    this.code.unprotectAll();
    this.failed.clear(); // the code may be other code now
    this.flushes++;
  }

  /** A store changed `page` (as CodeView.protect named it): its translations, made or waiting, go. */
  invalidatePage(page: number): void {
    this.table.codeChanged();
    const slots = this.slotsOfPage.get(page);
    for (const slot of slots ?? []) {
      const t = this.installed.get(slot);
      if (!t) continue;
      this.drop(slot, t);
      this.invalidations++;
    }
    this.slotsOfPage.delete(page);
    for (const [id, t] of this.kept) if (t.pages.includes(page)) this.unkeep(id, t);
    for (const id of this.entriesOfPage.get(page) ?? []) this.entries.delete(id);
    this.entriesOfPage.delete(page);
    this.pageWrites.set(page, (this.pageWrites.get(page) ?? 0) + 1);
    if (this.pending.some((p) => p.pages.includes(page))) {
      this.pending = this.pending.filter((p) => !p.pages.includes(page));
      this.pendingPcs.clear();
      this.pendingEntries.clear();
      for (const p of this.pending) this.noteWaiting(p);
    }
    this.failed.clear(); // the code may be other code now
    this.code.unprotect?.(page);
  }

  /**
   * A hart switched address space: returns the new generation, which the hart keeps in its
   * state (ReuseCounter.switched) so that entries into older translations are counted.
   */
  switchedAddressSpace(): number {
    return (this.generation = (this.generation + 1) >>> 0);
  }

  /** True when a store to [addr, addr + bytes) would change translated code (user mode's slow path asks). */
  isCode(addr: number, bytes: number): boolean {
    return this.code.isCode?.(addr, bytes) ?? false;
  }

  /** The machine's engines ran `insns` more instructions (what the warm-up counts). */
  ran(insns: number): void {
    if (this.warmup > 0) this.warmup -= insns;
  }

  /**
   * Instructions left in the warm-up (0 when it is over). It is counted when a slice ends, so a
   * run loop keeps its slices within it: a longer first slice would stay interpreted to its end.
   */
  get warmupLeft(): number {
    return Math.max(0, this.warmup);
  }

  /**
   * Asks for a translation of the code at guest pc `pc` (64 bits) of `hart`, for the code key
   * the hart has there now: its region is found and watched now, and its function built with
   * the batch (`commit`). Nothing to run leaves the slot alone. `site` is the pc of the
   * indirect jump that left a translation for `pc` (HartStateLayout.exit), when one did.
   */
  translate(pc: bigint, hart: Hart, site?: number): void {
    if (this.warmup > 0) return;
    const start = Number(BigInt.asIntN(64, pc));
    if (!Number.isSafeInteger(start)) return; // beyond 2^53 either way: not exact in a JS number
    if (site !== undefined && this.learn(site, start)) this.rebuildHolder(site, hart);
    if (this.failed.has(start) || this.compilingPcs.has(start) || this.pending.length >= MAX_BATCH) return;
    if (this.pendingPcs.has(start)) return this.commit(); // still hot: build the batch now
    const view = this.code.view(hart);
    const key = view.key(start);
    if (key === -1 || this.table.holds(start, key)) return;
    const id = keptId(start, key);
    // A region waiting for its module will serve it: placed when the module is installed.
    if (this.pendingEntries.has(id)) {
      this.pendingEntries.set(id, true);
      return;
    }
    const kept = this.kept.get(id);
    if (kept) {
      this.place(kept);
      return this.unkeep(id, kept);
    }
    if (this.enter(id)) return;
    this.request(start, key, view);
  }

  /** Finds and watches the region at `start` for code key `key` as `view` fetches it, and puts it in the batch. */
  private request(start: number, key: number, view: CodeView, rebuild = false): Region<Insn> | undefined {
    const began = nowMs();
    const maxInsns = view.maxInsns ?? this.regionInsns;
    // Room for a switch's cases where the size is the default's.
    const switchInsns = maxInsns === undefined ? MAX_SWITCH_INSNS : maxInsns;
    const tableInsns = maxInsns === undefined ? MAX_TABLE_INSNS : maxInsns;
    const region = discoverRegion(
      this.isa,
      start,
      view,
      maxInsns,
      this.guess,
      switchInsns,
      tableInsns,
      callsWait(this.isa),
      this.coldCode,
    );
    if (region.size === 0) return undefined;
    this.tableJumps += region.tableJumps;
    // The entries that reach such a jump hold it too: the loop around it may run from one of them.
    let reach: Set<number>[] | undefined;
    region.blocks.forEach((b, i) => {
      const last = b.insns.length - 1;
      if (!guessable(b.flows[last])) return;
      reach ??= reachFromEntries(region);
      const site = b.insns[last].pc;
      let holders = this.holders.get(site);
      if (!holders) {
        if (this.holders.size >= MAX_SITES) this.holders.clear();
        this.holders.set(site, (holders = new Map()));
      }
      const has = region.indirectTargets;
      holders.set(keptId(start, key), { pc: start, key, has, owner: start });
      region.entries.forEach((j, k) => {
        const pc = region.blocks[j].start;
        if (reach![k].has(i)) holders.set(keptId(pc, key), { pc, key, has, owner: start });
      });
    });
    // Stores to these pages now reach the host, which drops the translations (and the batch).
    const pages = new Set<number>();
    for (const b of region.blocks)
      for (const i of b.insns) {
        const page = view.protect(i.pc, i.len);
        if (page !== undefined) pages.add(page);
      }
    const now = nowMs();
    if (this.pending.length === 0) this.pendingSince = now;
    compileStats.buildMs += now - began;
    const p = {
      start,
      region,
      key,
      pages: [...pages],
      born: this.generation,
      registersInMemory: view.registersInMemory,
      rebuild,
    };
    this.pending.push(p);
    this.noteWaiting(p);
    if (this.pending.length >= this.maxBatch || now - this.pendingSince > this.batchAgeMs) this.commit();
    return region;
  }

  /** `p` waits in the batch: its pc and its entries. */
  private noteWaiting(p: Pending<Insn>): void {
    this.pendingPcs.add(p.start);
    for (const j of p.region.entries) this.pendingEntries.set(keptId(p.region.blocks[j].start, p.key), false);
  }

  /**
   * By guest pc of an indirect jump that is not a call or a return, the pcs it left
   * translations for that then became hot (a switch's cases): translations made later that
   * hold the jump keep those targets inside.
   */
  private readonly indirectTargets = new Map<number, Set<number>>();
  private readonly guess: IndirectGuess = (site) => this.indirectTargets.get(site) ?? [];
  /**
   * By guest pc of an indirect jump with guessed targets (a call through a pointer, a switch),
   * the translations and entries asked for with it inside (by keptId), with the targets they
   * hold: those without every target learnt for the jump are built again (rebuildHolder), so
   * that the callee or case runs inside; an entry whose translation is built again comes with
   * it. A hint: those no longer in their slot are passed over.
   */
  private readonly holders = new Map<number, Map<string, Holder>>();
  /** By guest pc of an indirect jump, the dispatcher's reports since its holders were last looked at. */
  private readonly reports = new Map<number, number>();
  /** By keptId, how many times a translation was built again (MAX_REBUILDS). */
  private readonly rebuilt = new Map<string, number>();

  /** The indirect jump at `site` left a translation for `target`: true when that is news. */
  private learn(site: number, target: number): boolean {
    let targets = this.indirectTargets.get(site);
    if (!targets) {
      if (this.indirectTargets.size >= MAX_SITES) this.indirectTargets.clear();
      this.indirectTargets.set(site, (targets = new Set()));
    }
    if (targets.size >= TARGETS_PER_SITE || targets.has(target)) return false;
    targets.add(target);
    return true;
  }

  /**
   * The dispatcher's report (dispatch.ts): the indirect jump at guest pc `site` went to
   * `target`, where a translation ran, on the hart whose state is at `base`. A jump whose every
   * target has a translation passes through the dispatcher each time, with the guest's registers
   * written back and loaded again (and, for a call, again at the return): the target is learnt,
   * and every REPORTS_PER_REBUILD-th report the translations holding the jump without all its
   * targets are built again with them inside.
   */
  private learnAt(base: number, site: bigint, target: bigint): void {
    const hart = this.hartAt?.(base);
    const from = Number(BigInt.asIntN(64, site));
    const to = Number(BigInt.asIntN(64, target));
    if (hart === undefined || !Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return;
    this.learn(from, to);
    // The jump still passes through the dispatcher: some translation running it lacks a target.
    if (this.reports.size >= MAX_SITES && !this.reports.has(from)) this.reports.clear();
    const reports = (this.reports.get(from) ?? 0) + 1;
    this.reports.set(from, reports % REPORTS_PER_REBUILD);
    if (reports === REPORTS_PER_REBUILD) this.rebuildHolder(from, hart);
  }

  /**
   * Builds again, with the batch, the translations (or entries) in their slots that hold the
   * indirect jump at `site` without every target learnt for it, for `hart`'s code.
   */
  private rebuildHolder(site: number, hart: Hart): void {
    const holders = this.holders.get(site);
    const targets = this.indirectTargets.get(site);
    if (!holders || !targets || this.warmup > 0) return;
    const view = this.code.view(hart);
    const page = view.pageBytes;
    const samePage = (a: number, b: number) =>
      page === undefined || Math.floor(a / page) === Math.floor(b / page);
    const due = [...holders].filter(
      ([id, { pc, key, has }]) =>
        [...targets].some((t) => !has.has(t) && samePage(t, pc)) &&
        this.table.holds(pc, key) &&
        view.key(pc) === key &&
        (this.rebuilt.get(id) ?? 0) < MAX_REBUILDS &&
        !this.pendingPcs.has(pc) &&
        !this.compilingPcs.has(pc),
    );
    // An entry whose translation is built again comes with it (install): not built on its own.
    const owners = new Set(due.flatMap(([, h]) => (h.owner === h.pc ? [h.pc] : [])));
    const comesWith = (h: Holder) =>
      h.owner !== h.pc &&
      (owners.has(h.owner) || this.pendingPcs.has(h.owner) || this.compilingPcs.has(h.owner));
    for (const [id, h] of due) {
      const { pc, key } = h;
      if (this.pending.length >= MAX_BATCH) return;
      if (comesWith(h)) continue;
      this.rebuilt.set(id, (this.rebuilt.get(id) ?? 0) + 1);
      this.rebuilds++;
      const made = this.request(pc, key, view, true);
      // Built from there, the translation may no longer reach the jump.
      if (!made?.blocks.some((b) => b.insns.at(-1)!.pc === site)) holders.delete(id);
    }
  }

  /** Builds the pending translations if they have waited long enough (the engine returned to the host). */
  commitDue(): void {
    if (this.pending.length > 0 && nowMs() - this.pendingSince >= this.exitAgeMs) this.commit();
  }

  /** Builds the pending translations into one module and installs them (asynchronous: starts that). */
  commit(): void {
    this.throwAsyncError();
    const batch = this.pending;
    if (batch.length === 0) return;
    if (this.async && this.compiling.size >= MAX_COMPILING) return; // the batch waits for the next commit
    const began = nowMs();
    const compiled = compileStats.compileMs;
    this.build(batch);
    compileStats.buildMs += nowMs() - began - (compileStats.compileMs - compiled);
  }

  /** Emits, compiles and installs `batch`, taken from the pending requests. */
  private build(batch: Pending<Insn>[]): void {
    this.pending = [];
    this.pendingPcs.clear();
    const asked = [...this.pendingEntries].flatMap(([id, a]) => (a ? [id] : []));
    this.pendingEntries.clear();
    // before the first module compiles (compileDispatcher may set V8's flags for its compile)
    this.links ??= this.makeLinks();
    if (this.async) return this.compileLater(batch, asked);
    const bytes = this.emit(batch);
    const exports = bytes && this.instantiate(batch, () => compileModule(bytes));
    if (exports) this.install(batch, exports, bytes.length, asked);
  }

  /** Places the entry `id` (keptId) of a live translation in its slot, if there is one. */
  private enter(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    const { pc, key, pages, needs, module, table, index, block } = entry;
    this.place({
      pc,
      key,
      pages,
      needs,
      module,
      born: this.generation,
      run: table.get(index) as TranslationFunction,
      block,
      entry: true,
    });
    this.entered++;
    return true;
  }

  /** Resolves when every asynchronous compilation has been installed or thrown away. */
  async settled(): Promise<void> {
    while (this.compiling.size > 0) await Promise.all(this.compiling);
    this.throwAsyncError();
  }

  private throwAsyncError(): void {
    const e = this.asyncError;
    this.asyncError = undefined;
    if (e !== undefined) throw e;
  }

  /**
   * Compiles `batch` in the background; when it is ready, installs the translations whose
   * code did not change meanwhile (no flush, no store to their pages).
   */
  private compileLater(batch: Pending<Insn>[], asked: readonly string[]): void {
    const bytes = this.emit(batch);
    if (!bytes) return;
    const flushes = this.flushes;
    const writes = (p: Pending<Insn>) => p.pages.map((page) => this.pageWrites.get(page) ?? 0).join();
    const before = batch.map(writes);
    for (const p of batch) this.compilingPcs.add(p.start);
    const done = compileModuleAsync(bytes).then(
      (module) => {
        for (const p of batch) this.compilingPcs.delete(p.start);
        const fresh = batch.map((p, i) => flushes === this.flushes && writes(p) === before[i]);
        const keep = batch.filter((_, i) => fresh[i]);
        this.discarded += batch.length - keep.length;
        const exports = keep.length > 0 ? this.instantiate(batch, () => module) : undefined;
        if (exports) this.install(batch, exports, bytes.length, asked, (_, i) => fresh[i]);
      },
      (e: unknown) => {
        for (const p of batch) this.compilingPcs.delete(p.start);
        this.failedToBuild(batch, e);
      },
    );
    this.compiling.add(done);
    void done.finally(() => this.compiling.delete(done));
  }

  /**
   * Puts the functions of one module (`bytes` long) built for `batch` in the table (those
   * `wanted`), notes where else they may be entered, and enters there the pcs that `asked`
   * (keptIds) while they waited.
   */
  private install(
    batch: readonly Pending<Insn>[],
    exports: WebAssembly.Exports,
    bytes: number,
    asked: readonly string[],
    wanted: (p: Pending<Insn>, i: number) => boolean = () => true,
  ): void {
    this.makeRoom(bytes);
    const module = this.cache.add(bytes);
    const table = exports[ENTRY_TABLE] as WebAssembly.Table;
    const ids: string[] = [];
    batch.forEach((p, i) => {
      if (!wanted(p, i)) return;
      const { key, pages } = p;
      const needs = p.region.size;
      this.place({
        pc: p.start,
        key,
        pages,
        needs,
        module,
        born: p.born,
        run: table.get(i) as TranslationFunction,
        block: 0,
      });
      this.translations++;
      p.region.entries.forEach((j) => {
        const pc = p.region.blocks[j].start;
        const id = keptId(pc, key);
        // An entry made earlier serves it as well, unless this is built again with new targets.
        if (this.entries.has(id) && !p.rebuild) return;
        this.entries.set(id, { pc, key, pages, needs, module, table, index: i, block: j });
        ids.push(id);
        for (const page of p.pages) {
          let onPage = this.entriesOfPage.get(page);
          if (!onPage) this.entriesOfPage.set(page, (onPage = new Set()));
          onPage.add(id);
        }
        // The slot holding an older entry for the pc gets this one.
        if (p.rebuild && this.installed.get(jitSlot(pc))?.entry && this.table.holds(pc, key)) this.enter(id);
      });
    });
    if (ids.length > 0) this.entriesOfModule.set(module, ids);
    for (const id of asked) this.enter(id);
  }

  /** `m` is dead (no slot holds its code, none is kept): its entries go with it. */
  private forgetEntries(m: CachedModule): void {
    for (const id of this.entriesOfModule.get(m) ?? []) {
      const e = this.entries.get(id);
      if (e?.module !== m) continue;
      this.entries.delete(id);
      for (const page of e.pages) this.entriesOfPage.get(page)?.delete(id);
    }
    this.entriesOfModule.delete(m);
  }

  /** Installs `t` in its slot; the translation there before is kept for when its context comes back. */
  private place(t: Installed): void {
    const slot = this.table.install(t.pc, t.key, t.run, t.block, t.needs, t.born);
    const old = this.installed.get(slot);
    if (old) {
      if (old.pc !== t.pc || old.key !== t.key) this.keep(old);
      this.forget(slot, old);
    }
    this.installed.set(slot, t);
    this.cache.hold(t.module, slot);
    for (const page of t.pages) {
      let slots = this.slotsOfPage.get(page);
      if (!slots) this.slotsOfPage.set(page, (slots = new Set()));
      slots.add(slot);
    }
  }

  /** Keeps `t`, which is losing its slot (its module stays alive in the cache while kept). */
  private keep(t: Installed): void {
    const id = keptId(t.pc, t.key);
    const old = this.kept.get(id);
    if (old) this.unkeep(id, old);
    if (this.kept.size >= MAX_KEPT) {
      const [oldestId, oldest] = this.kept.entries().next().value!;
      this.unkeep(oldestId, oldest);
    }
    this.kept.set(id, t);
    this.cache.keep(t.module);
  }

  private unkeep(id: string, t: Installed): void {
    this.kept.delete(id);
    this.cache.unkeep(t.module);
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
      for (const [id, t] of this.kept) if (t.module === m) this.unkeep(id, t);
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

  /** The module's bytes, or undefined when its code could not be emitted (outside the tests). */
  private emit(batch: readonly TranslationRequest<Insn>[]): Uint8Array | undefined {
    try {
      const target = { layout: this.table.layout, shared: this.memory.buffer instanceof SharedArrayBuffer };
      return emitTranslations(this.isa, target, batch, this.shapes);
    } catch (e) {
      this.failedToBuild(batch, e);
      return undefined;
    }
  }

  /** The translations' functions from the module `compile` gives, or undefined when that failed. */
  private instantiate(
    batch: readonly TranslationRequest<Insn>[],
    compile: () => WebAssembly.Module,
  ): WebAssembly.Exports | undefined {
    try {
      const { dispatch, hostFns } = this.links!; // made before the batch's compile (build)
      const env = { memory: this.memory, dispatch };
      return new WebAssembly.Instance(compile(), { env, host: hostFns }).exports;
    } catch (e) {
      this.failedToBuild(batch, e);
      return undefined;
    }
  }

  /**
   * Under the tests a bug to see (thrown; when asynchronous, at the next commit), elsewhere
   * code the interpreter keeps, with one message.
   */
  private failedToBuild(batch: readonly TranslationRequest<Insn>[], e: unknown): void {
    if (this.strict && !this.async) throw e;
    if (this.strict) {
      this.asyncError ??= e;
      return;
    }
    for (const { start } of batch) {
      this.failed.add(start);
      const at = BigInt.asUintN(64, BigInt(start)).toString(16);
      console.error(`hartwood: recompiler: the code at 0x${at} stays interpreted: ${String(e)}`);
    }
  }
}
