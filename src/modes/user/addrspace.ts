// The guest's address space: which pages are mapped (VMAs), where new mappings go, the
// program break, and reading/writing guest memory on behalf of syscalls. Guest address a is
// wasm offset a (the window [lo, hi) of the memory), so the bytes are the wasm memory's own.
import { Buffer } from "node:buffer";
import { readSync } from "node:fs";
import { PAGE_CODE, PERM_TABLE_BYTES } from "../../arch/riscv/sem.js";
import { MAP_FIXED_NOREPLACE, PAGE, pageUp, PROT_EXEC, PROT_READ, PROT_WRITE } from "./abi.js";

export interface Vma {
  start: number;
  end: number;
  prot: number;
  /** MAP_SHARED / MAP_PRIVATE and friends, as given to mmap. */
  flags: number;
  /** "[stack]", "[heap]", "[vdso]", a file path, or "" for anonymous memory. */
  name: string;
  /** File offset of `start` for file mappings (for /proc/self/maps). */
  offset: number;
  /** A shared, writable file mapping: its bytes go back to the file (see `writeBack`). */
  shared?: SharedFile;
}

/** Where a MAP_SHARED file mapping writes its bytes back. */
export interface SharedFile {
  writeBack(data: Uint8Array, fileOffset: number): void;
}

/** Thrown by the guest-memory accessors; syscalls turn it into -EFAULT. */
export class GuestFault extends Error {
  constructor(readonly addr: number) {
    super(`bad guest address 0x${addr.toString(16)}`);
  }
}

const ZERO_RUN = 64 << 10;
/** Pages that stop being known zero together (AddressSpace.written). */
const ZERO_GROUP = 16;
const ZEROS = new Uint8Array(ZERO_RUN);

/** Are the bytes [start, end) of `u8` all zero (at most ZERO_RUN of them)? */
function isZero(u8: Uint8Array, start: number, end: number): boolean {
  return Buffer.compare(u8.subarray(start, end), ZEROS.subarray(0, end - start)) === 0;
}

/** A mapping's bits in the permission table: as on Linux/riscv, a writable mapping is readable too. */
function permBits(v: Vma): number {
  return (v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) | (v.prot & PROT_WRITE ? PROT_READ : 0);
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export class AddressSpace {
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** Sorted, non-overlapping. */
  readonly vmas: Vma[] = [];
  /** One byte per page: 1 once the page has been mapped (its bytes may be non-zero). */
  private readonly touched: Uint8Array;
  /**
   * One byte per page: 1 while the page is known to hold only zeros (fresh anonymous memory,
   * or discarded by MADV_DONTNEED) and nothing has written it since. Its permission byte lacks
   * PROT_WRITE meanwhile, so the engines' first store there takes the slow path, which calls
   * `written`; host writes call it through `check` (or directly). MADV_DONTNEED skips these
   * pages: glibc discards the unused megabytes of every exiting thread's stack, most of which
   * was never touched, and reading or zeroing them would make the host commit them.
   */
  private readonly zeroPages: Uint8Array;
  brkStart = 0;
  brk = 0;

  constructor(
    memory: WebAssembly.Memory,
    readonly lo: number,
    readonly hi: number,
    /** New mappings without a usable hint are placed top-down from here. */
    readonly mmapTop: number,
    /** Host offset of the engines' page-permission table (a byte per page, see interp.ts). */
    permTable: number,
  ) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    this.touched = new Uint8Array(Math.ceil(hi / PAGE));
    this.zeroPages = new Uint8Array(Math.ceil(hi / PAGE));
    this.perms = new Uint8Array(memory.buffer, permTable, PERM_TABLE_BYTES);
    this.permWords = new Uint32Array(memory.buffer, permTable, PERM_TABLE_BYTES / 4);
  }

  /** Called when executable pages lose their mapping or protection. */
  onCodeUnmapped: (() => void) | undefined;
  /**
   * Called when bytes on a page holding translated code (PAGE_CODE) are written by a path
   * other than a guest store, which the engines catch themselves: a syscall's output (a
   * `read` into a writable and executable buffer), a signal frame.
   */
  onCodeWritten: (() => void) | undefined;

  /** The engines check every load, store and fetch against this: it mirrors the VMAs. */
  private readonly perms: Uint8Array;
  private readonly permWords: Uint32Array;

  /** Mirrors the protections of [start, end) into the page-permission table. */
  private syncPerms(start: number, end: number): void {
    const p0 = Math.floor(start / PAGE);
    const p1 = Math.ceil(end / PAGE);
    // Code that was executable here may be translated (core/jit): it changes now.
    if (this.onCodeUnmapped && this.anyExecutable(p0, p1)) this.onCodeUnmapped();
    this.perms.fill(0, p0, p1);
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      this.perms.fill(permBits(v), Math.max(p0, v.start / PAGE), Math.min(p1, v.end / PAGE));
    }
    for (let p = p0; p < p1; p++) if (this.zeroPages[p]) Atomics.and(this.perms, p, ~PROT_WRITE);
  }

  /**
   * Copies `length` bytes of file `fd` from `position` into guest memory at `start` (pages the
   * caller has just mapped: a private file mapping, an ELF segment); returns how many there
   * were (fewer: the file ends first).
   */
  readFile(fd: number, start: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, this.u8, start + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** The pages of [start, end) hold only zeros now (see zeroPages). */
  markZero(start: number, end: number): void {
    for (let p = start / PAGE; p < end / PAGE; p++) {
      this.zeroPages[p] = 1;
      Atomics.and(this.perms, p, ~PROT_WRITE);
    }
  }

  /**
   * [addr, addr + len) is being written (by a guest store's slow path or by the host). The
   * pages around it, ZERO_GROUP in all, stop being known zero too: a program that fills a
   * large buffer then takes the slow path once per group, not once per page.
   */
  written(addr: number, len: number): void {
    if (len <= 0) return;
    if (this.onCodeWritten)
      for (let p = Math.floor(addr / PAGE); p <= Math.floor((addr + len - 1) / PAGE); p++)
        if (this.perms[p] & PAGE_CODE) {
          this.onCodeWritten();
          break;
        }
    const zeroPages = this.zeroPages;
    const first = Math.floor(addr / PAGE / ZERO_GROUP) * ZERO_GROUP;
    const last = Math.floor((addr + len - 1) / PAGE / ZERO_GROUP) * ZERO_GROUP + ZERO_GROUP - 1;
    for (let p = first; p <= last; p++) {
      if (!zeroPages[p]) continue;
      zeroPages[p] = 0;
      const v = this.find(p * PAGE);
      if (v) this.setKeepingCode(p, permBits(v));
    }
  }

  /**
   * Page `p`'s permission bits become `bits`, its PAGE_CODE mark kept. An engine on a worker
   * thread may set that mark at the same moment (code-memory.ts, with an atomic OR): a plain
   * read and write here could lose it, and stores to the page would then not drop its
   * translations. So the byte changes only if it still holds what was read.
   */
  private setKeepingCode(p: number, bits: number): void {
    for (;;) {
      const old = this.perms[p];
      if (Atomics.compareExchange(this.perms, p, old, (old & PAGE_CODE) | bits) === old) return;
    }
  }

  /** Does a page in [p0, p1) allow execution? Exec and fork ask this of the whole window: four pages a step. */
  private anyExecutable(p0: number, p1: number): boolean {
    const perms = this.perms;
    const w0 = Math.min(Math.ceil(p0 / 4), Math.floor(p1 / 4));
    const w1 = Math.floor(p1 / 4);
    for (let p = p0; p < w0 * 4; p++) if (perms[p] & PROT_EXEC) return true;
    for (let w = w0; w < w1; w++) if (this.permWords[w] & (PROT_EXEC * 0x01010101)) return true;
    for (let p = Math.max(p0, w1 * 4); p < p1; p++) if (perms[p] & PROT_EXEC) return true;
    return false;
  }

  private indexAfter(addr: number): number {
    // first VMA whose end > addr
    let a = 0;
    let b = this.vmas.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (this.vmas[m].end > addr) b = m;
      else a = m + 1;
    }
    return a;
  }

  find(addr: number): Vma | undefined {
    const v = this.vmas[this.indexAfter(addr)];
    return v && v.start <= addr ? v : undefined;
  }

  /** Are all of [addr, addr + len) mapped (with `prot` bits, if given)? */
  isMapped(addr: number, len: number, prot = 0): boolean {
    if (!(addr >= this.lo && addr + len <= this.hi)) return false;
    let at = addr;
    const end = addr + len;
    let i = this.indexAfter(addr);
    while (at < end) {
      const v = this.vmas[i++];
      if (!v || v.start > at || (v.prot & prot) !== prot) return false;
      at = v.end;
    }
    return true;
  }

  /** How many bytes from `addr` (at most `len`) are mapped with `prot`, contiguously. */
  mappedLength(addr: number, len: number, prot = 0): number {
    if (!(addr >= this.lo && addr < this.hi)) return 0;
    let at = addr;
    const end = Math.min(addr + len, this.hi);
    let i = this.indexAfter(addr);
    while (at < end) {
      const v = this.vmas[i++];
      if (!v || v.start > at || (v.prot & prot) !== prot) break;
      at = v.end;
    }
    return Math.min(at, end) - addr;
  }

  /** Is [start, end) free of mappings and inside the window? */
  isFree(start: number, end: number): boolean {
    if (start < this.lo || end > this.hi || start >= end) return false;
    const v = this.vmas[this.indexAfter(start)];
    return !v || v.start >= end;
  }

  /** A free range of `len` bytes: at the hint if free there, else top-down below mmapTop. */
  findFree(len: number, hint = 0): number {
    if (hint && hint % PAGE === 0 && this.isFree(hint, hint + len)) return hint;
    let top = this.mmapTop;
    for (let i = this.vmas.length - 1; i >= -1; i--) {
      const v = i >= 0 ? this.vmas[i] : undefined;
      if (v && v.start >= top) continue; // above the part still searched
      const gapLo = v ? v.end : this.lo;
      if (top - len >= gapLo) return top - len;
      if (!v) break;
      top = v.start;
    }
    return -1;
  }

  /** Maps [start, start + len) (page-aligned), replacing whatever was there, as zero-filled memory. */
  map(
    start: number,
    len: number,
    prot: number,
    flags: number,
    name: string,
    offset = 0,
    shared?: SharedFile,
  ): void {
    const end = start + len;
    this.unmap(start, len);
    this.zero(start, end);
    this.vmas.splice(this.indexAfter(start), 0, {
      start,
      end,
      prot,
      flags: flags & ~MAP_FIXED_NOREPLACE,
      name,
      offset,
      shared,
    });
    this.syncPerms(start, end);
  }

  /** msync: shared file mappings in [start, end) write their bytes back to their files. */
  writeBack(start = this.lo, end = this.hi): void {
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      if (!v.shared) continue;
      const s = Math.max(v.start, start);
      const e = Math.min(v.end, end);
      v.shared.writeBack(this.u8.subarray(s, e), v.offset + (s - v.start));
    }
  }

  /** fork: the same mappings and bytes as `from` (another process's memory). */
  copyFrom(from: AddressSpace): void {
    this.unmap(this.lo, this.hi - this.lo);
    for (const v of from.vmas) {
      this.vmas.push({ ...v });
      this.zero(v.start, v.end);
      // Copy runs of pages holding anything but zeros (most of a stack never does).
      const words = new Int32Array(from.u8.buffer);
      let run = -1;
      for (let page = v.start; page <= v.end; page += PAGE) {
        let used = false;
        if (page < v.end) {
          for (let w = page >>> 2, end = (page + PAGE) >>> 2; w < end; w++) {
            if (words[w] !== 0) {
              used = true;
              break;
            }
          }
        }
        if (used && run < 0) run = page;
        if (!used && run >= 0) {
          this.u8.set(from.u8.subarray(run, page), run);
          run = -1;
        }
      }
    }
    this.brkStart = from.brkStart;
    this.brk = from.brk;
    this.syncPerms(this.lo, this.hi);
  }

  /** Zero-fills pages that were mapped before (fresh pages of the wasm memory are zero). */
  private zero(start: number, end: number): void {
    const touched = this.touched;
    let runStart = -1;
    for (let p = start / PAGE; p <= end / PAGE; p++) {
      const dirty = p < end / PAGE && touched[p] === 1;
      if (dirty && runStart < 0) runStart = p;
      if (!dirty && runStart >= 0) {
        this.discard(runStart * PAGE, p * PAGE);
        runStart = -1;
      }
      if (p < end / PAGE) touched[p] = 1;
    }
  }

  /** MADV_DONTNEED: the pages of [start, end) read as zero from now on; those known to be zero are not even read. */
  dontNeed(start: number, end: number): void {
    let run = -1;
    for (let p = start / PAGE; p <= end / PAGE; p++) {
      const skip = p === end / PAGE || this.zeroPages[p] === 1;
      if (!skip && run < 0) run = p;
      if (skip && run >= 0) {
        this.discard(run * PAGE, p * PAGE);
        run = -1;
      }
    }
    this.markZero(start, end);
  }

  /**
   * Makes the pages of [start, end) read as zero but writes only those that hold a non-zero
   * byte (a write commits host memory): a run of ZERO_RUN bytes is compared at once (memcmp),
   * then page by page where it is not all zero.
   */
  private discard(start: number, end: number): void {
    const u8 = this.u8;
    for (let run = start; run < end; run += ZERO_RUN) {
      const runEnd = Math.min(end, run + ZERO_RUN);
      if (isZero(u8, run, runEnd)) continue;
      for (let page = run; page < runEnd; page += PAGE)
        if (!isZero(u8, page, page + PAGE)) u8.fill(0, page, page + PAGE);
    }
  }

  unmap(start: number, len: number): void {
    const end = start + len;
    const out: Vma[] = [];
    let i = this.indexAfter(start);
    const first = i;
    for (; i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      if (v.start < start) out.push({ ...v, end: start });
      if (v.end > end) out.push({ ...v, start: end, offset: v.offset + (end - v.start) });
    }
    // Pages outside every mapping already have no permission bits (nor a code bit, nor a zero
    // bit: markZero marks mapped pages, and an unmap clears them): a fresh process's exec unmaps
    // the whole empty window, and need not walk (and make the host commit) its million pages.
    if (i === first) return;
    this.writeBack(start, end);
    this.zeroPages.fill(0, start / PAGE, end / PAGE);
    this.vmas.splice(first, i - first, ...out);
    this.syncPerms(start, end);
  }

  /** Changes the protection of mapped pages; false when part of the range is unmapped. */
  protect(start: number, len: number, prot: number): boolean {
    if (!this.isMapped(start, len)) return false;
    const end = start + len;
    const pieces: Vma[] = [];
    let i = this.indexAfter(start);
    const first = i;
    for (; i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      if (v.start < start) pieces.push({ ...v, end: start });
      const s = Math.max(v.start, start);
      pieces.push({ ...v, start: s, end: Math.min(v.end, end), prot, offset: v.offset + (s - v.start) });
      if (v.end > end) pieces.push({ ...v, start: end, offset: v.offset + (end - v.start) });
    }
    this.vmas.splice(first, i - first, ...pieces);
    this.syncPerms(start, end);
    return true;
  }

  // --- the program break ---
  setBrk(request: number): number {
    if (request < this.brkStart) return this.brk;
    const oldTop = pageUp(this.brk);
    const newTop = pageUp(request);
    if (newTop > oldTop) {
      if (!this.isFree(oldTop, newTop)) return this.brk;
      this.map(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE, 2, "[heap]");
    } else if (newTop < oldTop) this.unmap(newTop, oldTop - newTop);
    this.brk = request;
    return this.brk;
  }

  // --- guest memory for syscalls (throw GuestFault on unmapped memory) ---
  check(addr: number, len: number, prot = 0): void {
    if (len === 0) return;
    if (!this.isMapped(addr, len, prot)) throw new GuestFault(addr);
    if (prot & PROT_WRITE) this.written(addr, len);
  }

  bytes(addr: number, len: number): Uint8Array {
    this.check(addr, len, PROT_READ);
    return this.u8.subarray(addr, addr + len);
  }

  /** A writable view of guest memory (the syscall fills it). */
  out(addr: number, len: number): Uint8Array {
    this.check(addr, len, PROT_WRITE);
    return this.u8.subarray(addr, addr + len);
  }

  write(addr: number, data: Uint8Array): void {
    this.out(addr, data.length).set(data);
  }

  cstring(addr: number, max = 4096): string {
    const u8 = this.u8;
    for (let i = 0; i < max; i++) {
      if ((i === 0 || (addr + i) % PAGE === 0) && !this.isMapped(addr + i, 1)) throw new GuestFault(addr + i);
      if (u8[addr + i] === 0) return utf8.decode(u8.subarray(addr, addr + i));
    }
    throw new GuestFault(addr);
  }

  /** Writes `s` NUL-terminated; returns the bytes written including the NUL. */
  writeCString(addr: number, s: string): number {
    const b = encoder.encode(s + "\0");
    this.write(addr, b);
    return b.length;
  }

  u32(addr: number): number {
    this.check(addr, 4, PROT_READ);
    return this.dv.getUint32(addr, true);
  }
  i32(addr: number): number {
    this.check(addr, 4, PROT_READ);
    return this.dv.getInt32(addr, true);
  }
  /** A u64 as a number (exact below 2^53). */
  u64(addr: number): number {
    this.check(addr, 8, PROT_READ);
    return this.dv.getUint32(addr + 4, true) * 0x100000000 + this.dv.getUint32(addr, true);
  }
  i64(addr: number): number {
    this.check(addr, 8, PROT_READ);
    return this.dv.getInt32(addr + 4, true) * 0x100000000 + this.dv.getUint32(addr, true);
  }
  big64(addr: number): bigint {
    this.check(addr, 8, PROT_READ);
    return this.dv.getBigUint64(addr, true);
  }
  setU32(addr: number, v: number): void {
    this.check(addr, 4, PROT_WRITE);
    this.dv.setUint32(addr, v >>> 0, true);
  }
  setU64(addr: number, v: number): void {
    this.check(addr, 8, PROT_WRITE);
    setU64(this.dv, addr, v);
  }
  setBig64(addr: number, v: bigint): void {
    this.check(addr, 8, PROT_WRITE);
    this.dv.setBigUint64(addr, BigInt.asUintN(64, v), true);
  }

  /** /proc/self/maps text. */
  maps(): string {
    const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
    const perm = (p: number, f: number) =>
      (p & PROT_READ ? "r" : "-") +
      (p & PROT_WRITE ? "w" : "-") +
      (p & PROT_EXEC ? "x" : "-") +
      (f & 1 ? "s" : "p");
    return this.vmas
      .map((v) => {
        const head = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perm(v.prot, v.flags)} ${hex(v.offset, 8)} 00:00 0`;
        return v.name ? `${head.padEnd(72)} ${v.name}\n` : `${head}\n`;
      })
      .join("");
  }
}

/** Stores a number as a little-endian u64 (two's complement for negatives). */
export function setU64(dv: DataView, addr: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  dv.setUint32(addr, (v - hi * 0x100000000) >>> 0, true);
  dv.setUint32(addr + 4, hi >>> 0, true);
}
