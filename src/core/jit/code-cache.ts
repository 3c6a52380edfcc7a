// The code cache's size. A translation module stays alive (its compiled code in the engine)
// as long as one of its functions sits in the translation table, so what the cache holds is
// counted by module: its wasm bytes, and the slots that still hold its translations. A bound
// on those bytes makes room by evicting whole modules, oldest first (hot code that loses its
// translation is counted hot again and comes back in a new module).

/**
 * Default bound on the wasm bytes of live modules. A Linux boot to its shell builds about
 * 12 MB of modules in all (HARTWOOD_JIT_STATS), so it never evicts; the bound keeps a guest
 * that keeps generating or rewriting code (or a table whose 4096 slots each pin a module of
 * 64 translations) from growing the engine's code without end. Machine code is a few times
 * the wasm bytes, so this is on the order of 100 MB of host memory at most.
 */
export const JIT_CACHE_BYTES = 32 << 20;

/** A module whose translations are (partly) installed. */
export interface CachedModule {
  readonly bytes: number;
  /** The table slots that hold its translations now. */
  readonly slots: Set<number>;
  /** Its translations that lost their slot and are kept for their context's return (recompiler.ts). */
  kept: number;
}

export class CodeCache {
  /** Wasm bytes of the modules alive. */
  bytes = 0;
  /** Modules alive, oldest first. */
  private readonly modules = new Set<CachedModule>();

  constructor(
    readonly maxBytes: number = JIT_CACHE_BYTES,
    /** Told when a module dies (nothing may enter its code any more). */
    private readonly died: (m: CachedModule) => void = () => {},
  ) {
    if (!(maxBytes > 0)) throw new RangeError(`jit cache bound ${maxBytes}: expected a positive size`);
  }

  get moduleCount(): number {
    return this.modules.size;
  }

  /** Translations alive (installed in the table). */
  translationCount(): number {
    let n = 0;
    for (const m of this.modules) n += m.slots.size;
    return n;
  }

  /** A module of `bytes` whose translations are about to be installed. */
  add(bytes: number): CachedModule {
    const m = { bytes, slots: new Set<number>(), kept: 0 };
    this.modules.add(m);
    this.bytes += bytes;
    return m;
  }

  /** `slot` holds a translation of `m` (again: a kept one may come back to a dead module). */
  hold(m: CachedModule, slot: number): void {
    m.slots.add(slot);
    if (!this.modules.has(m)) {
      this.modules.add(m);
      this.bytes += m.bytes;
    }
  }

  /** `slot` no longer holds `m`'s translation: a module with none left (installed or kept) is dead. */
  release(m: CachedModule, slot: number): void {
    m.slots.delete(slot);
    this.dieIfUnused(m);
  }

  /** A translation of `m` is kept out of the table, or no longer. */
  keep(m: CachedModule): void {
    m.kept++;
  }
  unkeep(m: CachedModule): void {
    m.kept--;
    this.dieIfUnused(m);
  }

  private dieIfUnused(m: CachedModule): void {
    if (m.slots.size === 0 && m.kept === 0 && this.modules.delete(m)) {
      this.bytes -= m.bytes;
      this.died(m);
    }
  }

  /** The modules to evict, oldest first, for `incoming` more bytes to fit (all of them if it cannot). */
  victims(incoming: number): CachedModule[] {
    const out: CachedModule[] = [];
    let bytes = this.bytes;
    for (const m of this.modules) {
      if (bytes + incoming <= this.maxBytes) break;
      out.push(m);
      bytes -= m.bytes;
    }
    return out;
  }

  clear(): void {
    this.modules.clear();
    this.bytes = 0;
  }
}
