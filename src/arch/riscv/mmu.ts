// Address translation (Sv39/Sv48/Sv57, Priv spec §4.3-4.5), physical memory protection
// (§3.7) and the software TLB the engines probe inline. Everything here is the slow path:
// the engines only come here on a TLB miss, an MMIO access or a misaligned access.
import { LOAD_KIND_BYTES as LOAD_BYTES, LOAD_KIND_SIGNED as LOAD_SIGNED } from "./interp.js";
import { HelperResult } from "./sem.js";
import { CAUSE, MSTATUS, PRV_M, PRV_S, PRV_U } from "./priv.js";
import type { Hart } from "./hart.js";
import * as S from "./state.js";

export const enum Access {
  Read = 0,
  Write = 1,
  Exec = 2,
}

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128; // prettier-ignore
const PMP_R = 1, PMP_W = 2, PMP_X = 4, PMP_L = 0x80; // prettier-ignore
const PMP_ENTRIES = 16;
const TWO32 = 0x100000000;

const FAULT = {
  [Access.Read]: {
    page: CAUSE.LOAD_PAGE_FAULT,
    access: CAUSE.LOAD_ACCESS,
    misaligned: CAUSE.MISALIGNED_LOAD,
  },
  [Access.Write]: {
    page: CAUSE.STORE_PAGE_FAULT,
    access: CAUSE.STORE_ACCESS,
    misaligned: CAUSE.MISALIGNED_STORE,
  },
  [Access.Exec]: {
    page: CAUSE.FETCH_PAGE_FAULT,
    access: CAUSE.FETCH_ACCESS,
    misaligned: CAUSE.MISALIGNED_FETCH,
  },
};

interface PmpRange {
  lo: number;
  hi: number;
  cfg: number;
}

/**
 * Address spaces whose translations the TLB keeps at once. Each holds three sets: S-mode with
 * mstatus.SUM = 0, S-mode with SUM = 1 (Linux flips SUM around every user-memory access) and
 * U-mode; M-mode has one set of its own. An address space is a value of satp (mode, ASID and
 * root page table), so a context switch that writes satp finds its translations again instead
 * of walking the page tables anew, whether or not the OS uses ASIDs.
 */
export const TLB_SPACES = 8;
const SETS_PER_SPACE = 3;
export const TLB_SETS = 1 + TLB_SPACES * SETS_PER_SPACE;
/** The TLB base of a hart that has none (user mode's flat strategy translates nothing). */
export const NO_TLB = -1;
/** Superpage sizes in 4 KiB pages (Sv39..Sv57 levels 1-4); the last two exceed the 32 bits of page number tags hold, and are caught by modulo. */
const SUPERPAGE_SPANS = [512, 512 ** 2, 512 ** 3, 512 ** 4];
/** 4 KiB pages a leaf at each level of a walk maps (Math.pow took a tenth of a page walk's time). */
const LEVEL_SPANS = [1, ...SUPERPAGE_SPANS];
/** The tags of a TLB entry (offsets in bytes). */
const TAGS = [S.TLB_READ, S.TLB_WRITE, S.TLB_EXEC];

export class Mmu {
  private satpValue = 0n;
  /** satp's MODE and root table address as numbers (a page walk should not compute them with BigInt). */
  private satpMode = 0;
  private satpRoot = 0;
  private readonly pmpcfg = new Uint8Array(PMP_ENTRIES);
  private readonly pmpaddr: bigint[] = new Array<bigint>(PMP_ENTRIES).fill(0n);
  private pmp: PmpRange[] = [];
  private readonly tlbI32: number; // index of the first TLB word in hart.i32
  /** Per address space: the satp value it holds (undefined = free), when last used, and the largest page (in 4 KiB pages) entered. */
  private readonly spaceSatp: (bigint | undefined)[] = new Array<bigint | undefined>(TLB_SPACES).fill(
    undefined,
  );
  private readonly spaceUsed = new Array<number>(TLB_SPACES).fill(0);
  /** Per address space: the superpages pages were entered from, by first page (low 32 bits of the page number). */
  private readonly superpages: Set<number>[] = Array.from({ length: TLB_SPACES }, () => new Set<number>());
  /** Per address space: the superpage fill() added to `superpages` last, while it is still there (-1: none). */
  private readonly lastSuperpage = new Array<number>(TLB_SPACES).fill(-1);
  private space = 0;
  private clock = 0;
  /** Size in 4 KiB pages of the leaf the last walk found. */
  private leafSpan = 1;

  constructor(
    private readonly h: Hart,
    private readonly tlbBase: number,
  ) {
    this.tlbI32 = tlbBase >>> 2;
    this.spaceSatp[0] = 0n;
    if (tlbBase === NO_TLB) this.setFilled.fill(0); // nothing to flush, ever
  }

  get satp(): bigint {
    return this.satpValue;
  }

  /** A new satp selects its address space's sets; they are flushed only when the space is new to them. */
  set satp(v: bigint) {
    if (v !== this.satpValue) this.h.addressSpaceChanged?.();
    this.satpValue = v;
    this.satpMode = Number(v >> 60n);
    this.satpRoot = Number(v & ((1n << 44n) - 1n)) * 4096;
    this.h.setI64(S.SATP, v); // the engines read satp there (sem.ts)
    let i = this.spaceSatp.indexOf(v);
    if (i < 0) {
      i = this.spaceUsed.indexOf(Math.min(...this.spaceUsed)); // the least recently used
      this.spaceSatp[i] = v;
      this.flushSpace(i);
    }
    this.space = i;
    this.spaceUsed[i] = ++this.clock;
    this.h.selectTlbSets();
  }

  /**
   * The TLB set for accesses at privilege `priv` in the current address space: for loads and
   * stores in S-mode, the one for the current SUM. Fetch ignores SUM (S-mode never executes
   * user pages), so S-mode fetches use the SUM = 0 set whatever SUM is, and a SUM write moves
   * only the data set (which the engines do in wasm, sem.ts).
   */
  setFor(priv: number, fetch = false): number {
    if (priv === PRV_M) return this.tlbBase;
    const first = 1 + this.space * SETS_PER_SPACE;
    const set = priv === PRV_U ? 2 : !fetch && this.h.mstatus & MSTATUS.SUM ? 1 : 0;
    return this.tlbBase + (first + set) * S.TLB_SET_BYTES;
  }

  /** Forgets every TLB entry; what code means may have changed too (a reset, a restore). */
  flushAll(): void {
    this.flushTlb();
    this.h.codeChanged?.();
  }

  /** Forgets every TLB entry (only that). */
  flushTlb(): void {
    this.flushSets(0, TLB_SETS);
    this.forgetSuperpages();
  }

  /**
   * Drops the store tags of every entry that maps host page `host` (a page that now holds
   * translated code, whose stores must reach the host). Cheaper than a flush: the load and
   * fetch tags stay, and nothing has to be walked again.
   */
  dropStoresTo(host: number): void {
    const i32 = this.h.i32;
    for (let set = 0; set < TLB_SETS; set++) {
      if (!this.setFilled[set]) continue;
      const first = this.tlbI32 + (set * S.TLB_SET_BYTES) / 4;
      for (let e = first; e < first + S.TLB_SET_BYTES / 4; e += S.TLB_ENTRY_BYTES / 4) {
        const w = e + S.TLB_WRITE / 4;
        if (i32[w] !== -1 && ((i32[w] + i32[e + S.TLB_ADDEND / 4]) | 0) === (host | 0)) {
          i32[w] = -1;
          i32[w + 1] = -1;
        }
      }
    }
  }

  private forgetSuperpages(): void {
    for (const r of this.superpages) r.clear();
    this.lastSuperpage.fill(-1);
  }

  /** Empties sets [from, to) that hold entries (a full flush of 25 sets would cost what Linux's frequent fences save). */
  private flushSets(from: number, to: number): void {
    for (let set = from; set < to; set++) {
      if (!this.setFilled[set]) continue;
      this.setFilled[set] = 0;
      const first = this.tlbI32 + (set * S.TLB_SET_BYTES) / 4;
      this.h.i32.fill(-1, first, first + S.TLB_SET_BYTES / 4);
    }
  }
  /** Per set: whether fill() entered anything since its last flush. */
  private readonly setFilled = new Uint8Array(TLB_SETS).fill(1);

  private flushSpace(i: number): void {
    this.flushSets(1 + i * SETS_PER_SPACE, 1 + (i + 1) * SETS_PER_SPACE);
    this.superpages[i].clear();
    this.lastSuperpage[i] = -1;
  }

  /**
   * After sfence.vma without operands: forget every translated (S and U) entry. Translated code
   * stays: it runs only where its pc maps to the page it came from (its code key).
   */
  flushTranslated(): void {
    this.flushTranslatedTlb();
  }

  /** After an MXR change: forget every translated (S and U) entry (only that: fetch is not affected). */
  flushTranslatedTlb(): void {
    this.flushSets(1, TLB_SETS);
    this.forgetSuperpages();
  }

  /**
   * sfence.vma with operands (Priv spec §4.2.1): `va` (rs1 != x0) limits it to the leaf that
   * maps va, `asid` (rs2 != x0) to that address space. Flushing more than named is allowed:
   * global mappings are flushed with their ASID, and a page entered from a superpage is found
   * by scanning the space's sets for the largest page size it holds.
   */
  fence(va: bigint | undefined, asid: number | undefined): void {
    if (va === undefined && asid === undefined) return this.flushTranslated();
    // The tags' low 32 bits of the page number.
    const vpn = va === undefined ? 0 : Number(BigInt.asUintN(32, BigInt.asUintN(64, va) >> 12n));
    for (let i = 0; i < TLB_SPACES; i++) {
      const satp = this.spaceSatp[i];
      if (satp === undefined || (asid !== undefined && Number((satp >> 44n) & 0xffffn) !== asid)) continue;
      if (va === undefined) this.flushSpace(i);
      else this.fenceVa(i, vpn);
    }
  }

  private fenceVa(space: number, vpn: number): void {
    this.dropFromSpace(space, vpn, 1);
    // A page entered from a superpage: the fence covers every page entered from that leaf.
    const regions = this.superpages[space];
    for (const size of SUPERPAGE_SPANS) {
      const first = (vpn - (vpn % size)) >>> 0;
      if (!regions.delete(first)) continue;
      this.lastSuperpage[space] = -1;
      this.dropFromSpace(space, first, size);
    }
  }

  private dropFromSpace(space: number, first: number, span: number): void {
    for (let k = 0; k < SETS_PER_SPACE; k++) {
      const set = 1 + space * SETS_PER_SPACE + k;
      if (this.setFilled[set]) this.dropPages(this.tlbI32 + (set * S.TLB_SET_BYTES) / 4, first, span);
    }
  }

  /** Drops the entries of a set (first word `base`) for pages [first, first + span) (low 32 bits of the page number). */
  private dropPages(base: number, first: number, span: number): void {
    const i32 = this.h.i32;
    // Entries are direct-mapped by the low bits of the page number: a small span needs only its own slots.
    const n = Math.min(span, S.TLB_ENTRIES);
    for (let k = 0; k < n; k++) {
      const e =
        base + (((span <= S.TLB_ENTRIES ? first + k : k) & (S.TLB_ENTRIES - 1)) * S.TLB_ENTRY_BYTES) / 4;
      for (let w = e; w < e + S.TLB_ADDEND / 4; w += 2) {
        if (i32[w] === -1) continue;
        const page = ((i32[w] >>> 12) | (i32[w + 1] << 20)) >>> 0;
        if ((page - first) >>> 0 < span) {
          i32[w] = -1;
          i32[w + 1] = -1;
        }
      }
    }
  }

  // --- PMP (Priv spec §3.7) ---
  readPmpcfg(index: number): bigint | undefined {
    if (index & 1) return undefined; // RV64 has only the even pmpcfg registers
    let v = 0n;
    for (let i = 0; i < 8; i++) v |= BigInt(this.pmpcfg[index * 4 + i] ?? 0) << BigInt(8 * i);
    return v;
  }

  writePmpcfg(index: number, v: bigint): boolean {
    if (index & 1) return false;
    for (let i = 0; i < 8; i++) {
      const e = index * 4 + i;
      if (e >= PMP_ENTRIES || this.pmpcfg[e] & PMP_L) continue;
      let cfg = Number((v >> BigInt(8 * i)) & 0x9fn);
      if ((cfg & (PMP_R | PMP_W)) === PMP_W) cfg &= ~PMP_W; // R=0 W=1 is reserved
      this.pmpcfg[e] = cfg;
    }
    this.pmpChanged();
    return true;
  }

  readPmpaddr(index: number): bigint {
    return index < PMP_ENTRIES ? this.pmpaddr[index] : 0n;
  }

  writePmpaddr(index: number, v: bigint): boolean {
    if (index >= PMP_ENTRIES) return true;
    const locked = this.pmpcfg[index] & PMP_L;
    const nextIsLockedTor =
      index + 1 < PMP_ENTRIES && (this.pmpcfg[index + 1] & (PMP_L | 0x18)) === (PMP_L | 0x08);
    if (!locked && !nextIsLockedTor) this.pmpaddr[index] = v & ((1n << 54n) - 1n);
    this.pmpChanged();
    return true;
  }

  private pmpChanged(): void {
    const ranges: PmpRange[] = [];
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const cfg = this.pmpcfg[i];
      const a = (cfg >> 3) & 3;
      const addr = this.pmpaddr[i];
      let lo: bigint, hi: bigint;
      if (a === 0) continue;
      if (a === 1) {
        lo = i === 0 ? 0n : this.pmpaddr[i - 1] << 2n;
        hi = addr << 2n;
      } else if (a === 2) {
        lo = addr << 2n;
        hi = lo + 4n;
      } else {
        let ones = 0n;
        while ((addr >> ones) & 1n) ones++;
        lo = (addr & ~((1n << ones) - 1n)) << 2n;
        hi = lo + (1n << (ones + 3n));
      }
      ranges.push({ lo: Number(lo), hi: Number(hi), cfg });
    }
    this.pmp = ranges;
    this.flushAll(); // the TLB, and translated code: fetch permissions are part of it
  }

  /** May `priv` perform `access` on [pa, pa + bytes)? (the lowest-numbered matching entry decides) */
  pmpAllows(pa: number, bytes: number, access: Access, priv: number): boolean {
    for (const r of this.pmp) {
      if (pa + bytes <= r.lo || pa >= r.hi) continue;
      if (pa < r.lo || pa + bytes > r.hi) return false; // only partly inside: fails (§3.7.1)
      if (priv === PRV_M && !(r.cfg & PMP_L)) return true;
      return (r.cfg & (access === Access.Read ? PMP_R : access === Access.Write ? PMP_W : PMP_X)) !== 0;
    }
    return priv === PRV_M; // no match: M-mode succeeds, S and U fail
  }

  // --- translation ---
  /**
   * Translates the virtual address (lo, hi) for `access` at privilege `priv` (no PMP yet).
   * Returns the physical address, or -(cause + 1) for a fault.
   */
  private translate(lo: number, hi: number, access: Access, priv: number): number {
    const mode = priv === PRV_M ? 0 : this.satpMode;
    if (mode !== 0) return this.walk(lo, hi, access, priv, mode === 8 ? 3 : mode === 9 ? 4 : 5);
    const uhi = hi >>> 0;
    if (uhi >= 1 << 24) return -(FAULT[access].access + 1); // beyond the 56-bit physical space
    return uhi * TWO32 + (lo >>> 0);
  }

  /** The Sv39/48/57 page walk of Priv spec §4.3.2, with hardware A/D updates. */
  private walk(lo: number, hi: number, access: Access, priv: number, levels: number): number {
    const h = this.h;
    const vaBits = 12 + 9 * levels;
    const fault = FAULT[access];
    const top = hi >> (vaBits - 1 - 32);
    if (top !== 0 && top !== -1) return -(fault.page + 1); // not sign-extended
    const vpn = (hi & ((1 << (vaBits - 32)) - 1)) * (1 << 20) + (lo >>> 12);
    const ms = h.mstatus;
    let table = this.satpRoot;
    for (let level = levels - 1; level >= 0; level--) {
      const span = LEVEL_SPANS[level];
      const ptePa = table + (Math.floor(vpn / span) % 512) * 8;
      const off = h.host.phys.ramOffset(ptePa, 8);
      if (off < 0 || !this.pmpAllows(ptePa, 8, Access.Read, PRV_S)) return -(fault.access + 1);
      const pteLo = h.u32[off >>> 2];
      const pteHi = h.u32[(off >>> 2) + 1];
      if (!(pteLo & PTE_V) || (pteLo & (PTE_R | PTE_W)) === PTE_W || pteHi >>> 22 !== 0)
        return -(fault.page + 1);
      const ppn = (pteHi & 0x3fffff) * (1 << 22) + (pteLo >>> 10);
      if (!(pteLo & (PTE_R | PTE_X))) {
        table = ppn * 4096;
        continue;
      }
      // A leaf: check permissions (§4.3.1, §4.3.2 step 5).
      const user = (pteLo & PTE_U) !== 0;
      if (priv === PRV_U && !user) return -(fault.page + 1);
      if (priv === PRV_S && user && (access === Access.Exec || !(ms & MSTATUS.SUM))) return -(fault.page + 1);
      const ok =
        access === Access.Exec
          ? pteLo & PTE_X
          : access === Access.Write
            ? pteLo & PTE_W
            : pteLo & PTE_R || (ms & MSTATUS.MXR && pteLo & PTE_X);
      if (!ok) return -(fault.page + 1);
      if (ppn % span !== 0) return -(fault.page + 1); // misaligned superpage
      const ad = PTE_A | (access === Access.Write ? PTE_D : 0);
      if ((pteLo & ad) !== ad) {
        // Set A (and D) atomically; another hart may be changing the same PTE.
        if (Atomics.compareExchange(h.i32, off >>> 2, pteLo | 0, pteLo | ad | 0) !== (pteLo | 0)) {
          return this.walk(lo, hi, access, priv, levels);
        }
      }
      // A load through a clean page must not let a later store skip setting D: stores may
      // use this translation only when D is already set (see fill()).
      this.writable = (pteLo & PTE_W) !== 0 && ((pteLo & PTE_D) !== 0 || access === Access.Write);
      this.leafSpan = span;
      return (ppn + (vpn % span)) * 4096 + (lo & 0xfff);
    }
    return -(fault.page + 1);
  }
  /** Whether the last translation also permits stores without a further walk (W, and D already set). */
  private writable = true;

  /** Enters the page of (lo, hi) into the TLB set `set` for `access`. */
  private fill(set: number, lo: number, hi: number, access: Access, hostPage: number): void {
    if (this.tlbBase === NO_TLB) return;
    const h = this.h;
    const i32 = h.i32;
    const entry = (set + ((lo >>> 12) & (S.TLB_ENTRIES - 1)) * S.TLB_ENTRY_BYTES) >>> 2;
    const tagLo = lo & ~0xfff;
    // An entry maps one page: drop tags of the page it held before.
    for (const t of TAGS) {
      const w = entry + t / 4;
      if (i32[w] !== -1 && (i32[w] !== tagLo || i32[w + 1] !== hi)) {
        i32[w] = -1;
        i32[w + 1] = -1;
      }
    }
    if (access === Access.Exec) this.tag(entry, S.TLB_EXEC, tagLo, hi);
    else {
      this.tag(entry, S.TLB_READ, tagLo, hi);
      // Stores to a watched page (an HTIF mailbox) must reach the host: never cache them.
      if (this.writable && !this.watched) this.tag(entry, S.TLB_WRITE, tagLo, hi);
    }
    i32[entry + S.TLB_ADDEND / 4] = (hostPage - tagLo) | 0;
    this.setFilled[(set - this.tlbBase) / S.TLB_SET_BYTES] = 1;
    // sfence.vma of one address must find every page entered from the same superpage.
    if (set !== this.tlbBase && this.leafSpan > 1) {
      const vpn = ((lo >>> 12) | (hi << 20)) >>> 0;
      const first = (vpn - (vpn % this.leafSpan)) >>> 0;
      // A kernel enters its linear map's pages from a few superpages, again and again.
      if (first !== this.lastSuperpage[this.space]) {
        this.superpages[this.space].add(first);
        this.lastSuperpage[this.space] = first;
      }
    }
  }
  private watched = false;

  private tag(entry: number, t: number, tagLo: number, hi: number): void {
    this.h.i32[entry + t / 4] = tagLo;
    this.h.i32[entry + t / 4 + 1] = hi;
  }

  /** Translates and resolves to RAM or MMIO; caches RAM pages. Returns pa or -(cause+1). */
  private resolve(lo: number, hi: number, bytes: number, access: Access, set: number, priv: number): number {
    this.writable = true;
    this.leafSpan = 1;
    const pa = this.translate(lo, hi, access, priv);
    if (pa < 0) return pa;
    // A load may also enter the write tag, but only if a store would be allowed too.
    if (access !== Access.Write && this.writable)
      this.writable = this.pmpAllows(pa - (pa % 4096), 4096, Access.Write, priv);
    if (!this.pmpAllows(pa, bytes, access, priv)) return -(FAULT[access].access + 1);
    const page = pa - (pa % 4096);
    const host = this.h.host.phys.ramOffset(page, 4096);
    this.watched = this.h.host.phys.isWatched(page);
    // Only a page PMP treats as a whole may be cached: the TLB skips the PMP check.
    if (host >= 0 && this.pmpAllows(page, 4096, access, priv)) this.fill(set, lo, hi, access, host);
    return pa;
  }

  // --- slow paths called by the engines (operands in SCRATCH/SCRATCH2) ---
  private scratch(): [number, number] {
    const h = this.h;
    return [h.getI32(S.SCRATCH), h.getI32(S.SCRATCH + 4)];
  }

  private fault(cause: number, lo: number, hi: number): HelperResult {
    return this.h.raise(cause, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }

  /** Reads `bytes` (1..8) at the virtual address, possibly misaligned or across pages, into [lo, hi]. */
  private readVirt(
    lo: number,
    hi: number,
    bytes: number,
    access: Access,
    priv: number,
    out: number[],
  ): number {
    const h = this.h;
    const set = access === Access.Exec ? this.setFor(h.priv, true) : this.setFor(priv);
    out[0] = 0;
    out[1] = 0;
    const inPage = 4096 - (lo & 0xfff);
    const aligned = (lo & (bytes - 1)) === 0;
    if (aligned || bytes <= inPage) {
      const pa = this.resolve(lo, hi, bytes, access, set, priv);
      if (pa < 0) return pa;
      return this.readPhys(pa, bytes, aligned, access, out);
    }
    // Misaligned across a page boundary: byte by byte, each byte translated.
    for (let i = 0; i < bytes; i++) {
      const blo = (lo + i) | 0;
      const bhi = (lo >>> 0) + i >= TWO32 ? (hi + 1) | 0 : hi;
      const pa = this.resolve(blo, bhi, 1, access, set, priv);
      if (pa < 0) return pa;
      const b: number[] = [0, 0];
      const r = this.readPhys(pa, 1, true, access, b);
      if (r < 0) return r;
      if (i < 4) out[0] |= b[0] << (8 * i);
      else out[1] |= b[0] << (8 * (i - 4));
    }
    return 0;
  }

  private readPhys(pa: number, bytes: number, aligned: boolean, access: Access, out: number[]): number {
    const h = this.h;
    const phys = h.host.phys;
    const off = phys.ramOffset(pa, bytes);
    if (off >= 0) {
      for (let i = 0; i < bytes; i++) {
        if (i < 4) out[0] |= h.u8[off + i] << (8 * i);
        else out[1] |= h.u8[off + i] << (8 * (i - 4));
      }
      return 0;
    }
    const dev = phys.findMmio(pa, bytes);
    if (!dev || !aligned || access === Access.Exec) return -(FAULT[access].access + 1);
    const o = pa - dev.base;
    if (bytes === 8) {
      out[0] = dev.device.read(o, 4);
      out[1] = dev.device.read(o + 4, 4);
    } else out[0] = dev.device.read(o, bytes as 1 | 2 | 4);
    return 0;
  }

  private readonly tmp: number[] = [0, 0];

  load(kind: number): HelperResult {
    const h = this.h;
    const [lo, hi] = this.scratch();
    const bytes = LOAD_BYTES[kind];
    const out = this.tmp;
    const r = this.readVirt(lo, hi, bytes, Access.Read, h.dataPriv(), out);
    if (r < 0) return this.fault(-r - 1, lo, hi);
    let vlo = out[0];
    let vhi = out[1];
    if (bytes < 8) {
      if (bytes < 4) {
        const shift = 32 - 8 * bytes;
        vlo = LOAD_SIGNED[kind] ? (vlo << shift) >> shift : vlo & ((1 << (8 * bytes)) - 1);
      }
      vhi = LOAD_SIGNED[kind] ? vlo >> 31 : 0;
    }
    h.setI32(S.SCRATCH, vlo);
    h.setI32(S.SCRATCH + 4, vhi);
    return HelperResult.Next;
  }

  store(bytes: number): HelperResult {
    const h = this.h;
    const [lo, hi] = this.scratch();
    const vlo = h.getI32(S.SCRATCH2);
    const vhi = h.getI32(S.SCRATCH2 + 4);
    const priv = h.dataPriv();
    const set = this.setFor(priv);
    const inPage = 4096 - (lo & 0xfff);
    const aligned = (lo & (bytes - 1)) === 0;
    if (aligned || bytes <= inPage) {
      const pa = this.resolve(lo, hi, bytes, Access.Write, set, priv);
      if (pa < 0) return this.fault(-pa - 1, lo, hi);
      const r = this.writePhys(pa, bytes, aligned, vlo, vhi);
      return r < 0 ? this.fault(-r - 1, lo, hi) : HelperResult.Next;
    }
    // Across a page boundary: translate every byte first so a fault leaves memory untouched.
    const pas: number[] = [];
    for (let i = 0; i < bytes; i++) {
      const blo = (lo + i) | 0;
      const bhi = (lo >>> 0) + i >= TWO32 ? (hi + 1) | 0 : hi;
      const pa = this.resolve(blo, bhi, 1, Access.Write, set, priv);
      if (pa < 0 || h.host.phys.ramOffset(pa, 1) < 0)
        return this.fault(pa < 0 ? -pa - 1 : CAUSE.STORE_ACCESS, lo, hi);
      pas.push(pa);
    }
    for (let i = 0; i < bytes; i++)
      this.writePhys(pas[i], 1, true, i < 4 ? vlo >>> (8 * i) : vhi >>> (8 * (i - 4)), 0);
    return HelperResult.Next;
  }

  private writePhys(pa: number, bytes: number, aligned: boolean, vlo: number, vhi: number): number {
    const h = this.h;
    const phys = h.host.phys;
    const off = phys.ramOffset(pa, bytes);
    if (off >= 0) {
      for (let i = 0; i < bytes; i++) h.u8[off + i] = i < 4 ? vlo >>> (8 * i) : vhi >>> (8 * (i - 4));
      if (phys.isWatched(pa - (pa % 4096))) phys.notifyStore(pa);
      return 0;
    }
    const dev = phys.findMmio(pa, bytes);
    if (!dev || !aligned) return -(CAUSE.STORE_ACCESS + 1);
    const o = pa - dev.base;
    if (bytes === 8) {
      dev.device.write(o, 4, vlo);
      dev.device.write(o + 4, 4, vhi);
    } else dev.device.write(o, bytes as 1 | 2 | 4, vlo);
    return 0;
  }

  /** Host address of an aligned atomic access; bit 8 of the argument marks a store/AMO. */
  translateAtomic(arg: number): HelperResult {
    const h = this.h;
    const [lo, hi] = this.scratch();
    const bytes = arg & 0xff;
    const access = arg & 0x100 ? Access.Write : Access.Read;
    if (lo & (bytes - 1)) return this.fault(FAULT[access].misaligned, lo, hi);
    const priv = h.dataPriv();
    const pa = this.resolve(lo, hi, bytes, access, this.setFor(priv), priv);
    if (pa < 0) return this.fault(-pa - 1, lo, hi);
    // AMOs need write permission too; an LR needs only read (Unpriv §8.2).
    const phys = h.host.phys;
    const off = phys.ramOffset(pa, bytes);
    if (off < 0) return this.fault(access === Access.Write ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi);
    // The atomic itself runs in wasm: a watched page hears of it just before.
    if (access === Access.Write && phys.isWatched(pa - (pa % 4096))) phys.notifyStore(pa);
    h.setI32(S.SCRATCH, off);
    return HelperResult.Next;
  }

  /** The u64 at virtual `va` as a load at privilege `priv` sees it (firmware calls that take pointers); undefined on a fault. Cold path. */
  readU64(va: bigint, priv: number): bigint | undefined {
    const out = this.tmp;
    const lo = Number(BigInt.asIntN(32, va));
    const hi = Number(BigInt.asIntN(32, va >> 32n));
    if (this.readVirt(lo, hi, 8, Access.Read, priv, out) < 0) return undefined;
    return (BigInt(out[1] >>> 0) << 32n) | BigInt(out[0] >>> 0);
  }

  /**
   * Host offset of the two instruction bytes at virtual `pc` (64 bits held as a signed safe
   * integer) as the hart would fetch them, or -1; never traps.
   */
  fetchHost(pc: number): number {
    const h = this.h;
    const hi = Math.floor(pc / 2 ** 32) | 0;
    const set = this.setFor(h.priv, true);
    // The fetch TLB first: the recompiler asks for every parcel of a region.
    const entry = (set + (((pc | 0) >>> 12) & (S.TLB_ENTRIES - 1)) * S.TLB_ENTRY_BYTES) >>> 2;
    const tag = entry + S.TLB_EXEC / 4;
    if (h.i32[tag] === (pc & ~0xfff) && h.i32[tag + 1] === hi && (pc & 0xfff) <= 4094)
      return (h.i32[entry + S.TLB_ADDEND / 4] + (pc | 0)) >>> 0;
    const pa = this.resolve(pc | 0, hi, 2, Access.Exec, set, h.priv);
    return pa < 0 ? -1 : h.host.phys.ramOffset(pa, 2);
  }

  /** Fetches the instruction at pc (raw bits into SCRATCH). */
  fetch(): HelperResult {
    const h = this.h;
    const lo = h.getI32(S.PC);
    const hi = h.getI32(S.PC + 4);
    const out = this.tmp;
    let r = this.readVirt(lo, hi, 2, Access.Exec, h.priv, out);
    if (r < 0) return this.fault(-r - 1, lo, hi);
    let insn = out[0] & 0xffff;
    if ((insn & 3) === 3) {
      const lo2 = (lo + 2) | 0;
      const hi2 = (lo >>> 0) + 2 >= TWO32 ? (hi + 1) | 0 : hi;
      r = this.readVirt(lo2, hi2, 2, Access.Exec, h.priv, out);
      // Priv spec §3.1.16: a fault on the second half reports the address of that half.
      if (r < 0) return this.fault(-r - 1, lo2, hi2);
      insn |= (out[0] & 0xffff) << 16;
    }
    h.setI32(S.SCRATCH, insn);
    return HelperResult.Next;
  }
}
