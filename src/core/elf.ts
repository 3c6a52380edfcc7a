// ELF64 little-endian parsing: program headers, entry point and symbols. ISA-neutral; the
// caller says which e_machine it accepts. Every field read from the file is bounds-checked.
import { UserError } from "./errors.js";

export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const ET_EXEC = 2;
export const ET_DYN = 3;

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly fileSize: number;
  readonly memSize: number;
  readonly align: number;
}

export interface ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly segments: readonly ElfSegment[];
  readonly symbols: ReadonlyMap<string, number>;
  readonly data: Uint8Array;
}

/** Reads a u64 field as a number; values past 2^53 are rejected. */
function u64(dv: DataView, off: number, what: string): number {
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  if (hi >= 0x200000)
    throw new UserError(
      `ELF ${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is out of range`,
    );
  return hi * 0x100000000 + lo;
}

/**
 * Parses an ELF's headers. `fileBytes` is the file's length when `data` holds only its first
 * bytes (a loader that reads the segments from the file itself): segments are checked against
 * it, the program headers must lie in `data`, and the file has no symbols.
 */
export function parseElf(
  data: Uint8Array,
  expectMachine: number,
  machineName: string,
  fileBytes = data.length,
): ElfFile {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 64 || dv.getUint32(0, false) !== 0x7f454c46) throw new UserError("not an ELF file");
  if (data[4] !== 2) throw new UserError("not a 64-bit ELF file");
  if (data[5] !== 1) throw new UserError("not a little-endian ELF file");
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== expectMachine) throw new UserError(`ELF is for machine ${machine}, not ${machineName}`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new UserError(`ELF type ${type} is not an executable`);
  const entry = u64(dv, 24, "entry point");
  const phoff = u64(dv, 32, "program header offset");
  const shoff = u64(dv, 40, "section header offset");
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  if (phnum === 0) throw new UserError("ELF has no program headers");
  if (phentsize < 56 || phoff + phnum * phentsize > data.length)
    throw new UserError("ELF program headers are truncated");
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const seg: ElfSegment = {
      type: dv.getUint32(o, true),
      flags: dv.getUint32(o + 4, true),
      offset: u64(dv, o + 8, "segment offset"),
      vaddr: u64(dv, o + 16, "segment address"),
      paddr: u64(dv, o + 24, "segment address"),
      fileSize: u64(dv, o + 32, "segment size"),
      memSize: u64(dv, o + 40, "segment size"),
      align: u64(dv, o + 48, "segment alignment"),
    };
    if (seg.type === PT_LOAD) {
      if (seg.offset + seg.fileSize > fileBytes) throw new UserError(`ELF segment ${i} is truncated`);
      if (seg.fileSize > seg.memSize)
        throw new UserError(`ELF segment ${i} has file size larger than memory size`);
    }
    segments.push(seg);
  }
  const loads = segments.filter((s) => s.type === PT_LOAD).sort((a, b) => a.paddr - b.paddr);
  for (let i = 1; i < loads.length; i++) {
    if (loads[i - 1].paddr + loads[i - 1].memSize > loads[i].paddr)
      throw new UserError("ELF segments overlap");
  }
  // The tables are checked now; their names are decoded when first asked for (a static libc
  // has thousands, and user mode never asks).
  const tables = fileBytes > data.length ? [] : symbolTables(data, dv, shoff, shentsize, shnum);
  let symbols: Map<string, number> | undefined;
  return {
    type,
    machine,
    entry,
    phoff,
    phentsize,
    segments,
    get symbols() {
      return (symbols ??= readSymbols(data, dv, tables));
    },
    data,
  };
}

const SHT_SYMTAB = 2;

interface SymbolTable {
  offset: number;
  size: number;
  entsize: number;
  strOffset: number;
  strSize: number;
}

/** The symbol tables and their string tables, checked against the file's bounds. */
function symbolTables(
  data: Uint8Array,
  dv: DataView,
  shoff: number,
  shentsize: number,
  shnum: number,
): SymbolTable[] {
  const tables: SymbolTable[] = [];
  if (shoff === 0 || shnum === 0) return tables;
  if (shentsize < 64 || shoff + shnum * shentsize > data.length)
    throw new UserError("ELF section headers are truncated");
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      type: dv.getUint32(o + 4, true),
      offset: u64(dv, o + 24, "section offset"),
      size: u64(dv, o + 32, "section size"),
      link: dv.getUint32(o + 40, true),
      entsize: u64(dv, o + 56, "section entry size"),
    };
  };
  for (let i = 0; i < shnum; i++) {
    const sh = section(i);
    if (sh.type !== SHT_SYMTAB) continue;
    if (sh.link >= shnum || sh.entsize < 24) throw new UserError("ELF symbol table is malformed");
    const str = section(sh.link);
    if (sh.offset + sh.size > data.length || str.offset + str.size > data.length) {
      throw new UserError("ELF symbol table is truncated");
    }
    tables.push({
      offset: sh.offset,
      size: sh.size,
      entsize: sh.entsize,
      strOffset: str.offset,
      strSize: str.size,
    });
  }
  return tables;
}

function readSymbols(data: Uint8Array, dv: DataView, tables: readonly SymbolTable[]): Map<string, number> {
  const symbols = new Map<string, number>();
  const decoder = new TextDecoder();
  for (const t of tables) {
    for (let o = t.offset; o + 24 <= t.offset + t.size; o += t.entsize) {
      const nameOff = dv.getUint32(o, true);
      if (nameOff === 0 || nameOff >= t.strSize) continue;
      let end = t.strOffset + nameOff;
      while (end < t.strOffset + t.strSize && data[end] !== 0) end++;
      const name = decoder.decode(data.subarray(t.strOffset + nameOff, end));
      const lo = dv.getUint32(o + 8, true);
      const hi = dv.getUint32(o + 12, true);
      if (hi < 0x200000) symbols.set(name, hi * 0x100000000 + lo);
    }
  }
  return symbols;
}
