// The recompiler's driver: hot guest code (hotness.ts) becomes a wasm function in the
// translation table (table.ts). Fetch and decode go through the ISA, the region follows the
// control flow its definitions declare (region.ts), the ISA emits each instruction's
// semantics (codegen.ts), and the pages the code came from are watched so that a store there
// flushes every translation (CodeMemory).
import { compileModule } from "./compile-stats.js";
import { emitTranslation } from "./codegen.js";
import type { CodeMemory, GuestInsn, JitIsa } from "./isa.js";
import { discoverRegion, type Region } from "./region.js";
import { TranslationTable, type JitLayout } from "./table.js";

export interface RecompilerOptions {
  /**
   * A translation that fails to build throws (a bug to see) instead of leaving its code to
   * the interpreter with a message. On by default under the tests (vitest sets VITEST).
   */
  readonly strict?: boolean;
}

const underTests = (): boolean => typeof process !== "undefined" && process.env?.VITEST !== undefined;

/** Translates guest code to wasm functions and keeps the table of translations. */
export class Recompiler<Hart, Insn extends GuestInsn> {
  readonly table: TranslationTable;
  /** Translations made since the start, and flushes (for statistics). */
  translations = 0;
  flushes = 0;
  private readonly strict: boolean;
  /** Pcs whose translation failed to build: the interpreter keeps them. */
  private readonly failed = new Set<number>();

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
    this.flush();
    this.flushes = 0;
  }

  /** Forgets every translation (code may have changed). */
  flush(): void {
    this.table.clear();
    this.code.unprotectAll();
    this.failed.clear(); // the code may be other code now
    this.flushes++;
  }

  /** True when a store to [addr, addr + bytes) would change translated code (user mode's slow path asks). */
  isCode(addr: number, bytes: number): boolean {
    return this.code.isCode?.(addr, bytes) ?? false;
  }

  /** Translates the code at guest pc `pc` of `hart` into its slot; leaves the slot alone if there is nothing to run. */
  translate(pc: bigint, hart: Hart): void {
    if (pc >= 2n ** 32n) return; // translations keep pcs in JS numbers: only the low 4 GiB
    if (this.table.holds(pc)) return;
    const start = Number(pc);
    if (this.failed.has(start)) return;
    const view = this.code.view(hart);
    const region = discoverRegion(this.isa, start, view);
    if (region.insns.length === 0) return;
    const run = this.build(start, region);
    if (!run) return;
    // Stores to these pages now reach the host, which drops the translations.
    for (const i of region.insns) view.protect(i.pc, i.len);
    this.table.install(pc, run, region.insns.length);
    this.translations++;
  }

  /** The translation's function, or undefined when it failed to build (outside the tests). */
  private build(start: number, region: Region<Insn>): (() => number) | undefined {
    try {
      const target = { layout: this.table.layout, shared: this.memory.buffer instanceof SharedArrayBuffer };
      const module = compileModule(emitTranslation(this.isa, target, start, region));
      const env = { memory: this.memory, table: this.table.functions };
      const instance = new WebAssembly.Instance(module, { env, host: this.imports });
      return instance.exports.run as () => number;
    } catch (e) {
      if (this.strict) throw e;
      this.failed.add(start);
      console.error(
        `hartwood: recompiler: the code at 0x${start.toString(16)} stays interpreted: ${String(e)}`,
      );
      return undefined;
    }
  }
}
