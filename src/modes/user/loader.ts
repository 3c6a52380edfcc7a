// Loads a riscv64 Linux ELF and its program interpreter (PT_INTERP) into the address space
// and builds the initial stack (argc, argv, envp, auxv) of RISC-V psABI and Linux.
import { readFileSync } from "node:fs";
import { ET_DYN, parseElf, PT_INTERP, PT_LOAD, PT_PHDR, type ElfFile } from "../../core/elf.js";
import { UserError } from "../../core/errors.js";
import { AT, MAP_PRIVATE, PAGE, pageDown, pageUp, PROT_EXEC, PROT_READ, PROT_WRITE } from "./abi.js";
import { setU64, type AddressSpace } from "./addrspace.js";

const EM_RISCV = 243;
const EF_RISCV_FLOAT_ABI_QUAD = 6;
const EF_RISCV_RVE = 8;
const PF_X = 1, PF_W = 2, PF_R = 4; // prettier-ignore

export interface LoadedImage {
  /** Where execution starts: the interpreter's entry, or the program's. */
  startPc: number;
  /** The program's entry point (AT_ENTRY), its program headers (AT_PHDR...). */
  entry: number;
  phdr: number;
  phent: number;
  phnum: number;
  /** The interpreter's load bias (AT_BASE), 0 without one. */
  interpBase: number;
  /** First address after the program's segments: the program break starts here. */
  end: number;
  /** The interpreter's path as written in PT_INTERP, if any. */
  interp?: string;
}

export interface LoadOptions {
  /** Where an ET_DYN program goes (a PIE; the interpreter goes wherever mmap would put it). */
  pieBase: number;
  /** Reads the interpreter named by PT_INTERP (a guest path). */
  readInterp(path: string): Uint8Array;
  /**
   * The program's file, when the bytes given hold only its first part (its headers): the
   * segments are read from it straight into guest memory, without a copy of the whole file.
   */
  file?: ProgramFile;
}

export interface ProgramFile {
  fd: number;
  sizeBytes: number;
}

/**
 * The program's ELF, parsed from its first bytes when its headers (and PT_INTERP) lie in them,
 * else from the whole file, read now (which also gives a malformed file its error).
 */
function parseProgram(bytes: Uint8Array, file: ProgramFile | undefined): { elf: ElfFile; fd?: number } {
  if (file && file.sizeBytes > bytes.length) {
    try {
      const elf = parseElf(bytes, EM_RISCV, "RISC-V", file.sizeBytes);
      const interp = elf.segments.find((s) => s.type === PT_INTERP);
      if (!interp || interp.offset + interp.fileSize <= bytes.length) return { elf, fd: file.fd };
    } catch {
      // parsed again below, from the whole file
    }
    bytes = readFileSync(file.fd); // from its start: the reads so far were positional
  }
  return { elf: parseElf(bytes, EM_RISCV, "RISC-V") };
}

function segProt(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** Maps `elf` at load bias `bias`; returns the end of its highest segment. */
function mapSegments(as: AddressSpace, elf: ElfFile, bias: number, name: string, fd?: number): number {
  let end = 0;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.memSize === 0) continue;
    const va = seg.vaddr + bias;
    const start = pageDown(va);
    const stop = pageUp(va + seg.memSize);
    if (seg.offset % PAGE !== seg.vaddr % PAGE)
      throw new UserError(`${name}: segment offset and address are not congruent modulo the page size`);
    as.map(start, stop - start, segProt(seg.flags), MAP_PRIVATE, name, pageDown(seg.offset));
    // Linux maps whole file pages: bytes before the segment in its first page come from the file too.
    const fileFrom = seg.offset - (va - start);
    const fileTo = seg.offset + seg.fileSize;
    if (fileTo <= elf.data.length) as.u8.set(elf.data.subarray(fileFrom, fileTo), start);
    // Past the bytes read: from the file into the pages just mapped (fileSize <= memSize, checked).
    else if (fd === undefined || as.readFile(fd, start, fileTo - fileFrom, fileFrom) < fileTo - fileFrom)
      throw new UserError(`${name}: ELF segment is truncated`);
    end = Math.max(end, va + seg.memSize);
  }
  return end;
}

function span(elf: ElfFile): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = 0;
  for (const s of elf.segments) {
    if (s.type !== PT_LOAD || s.memSize === 0) continue;
    lo = Math.min(lo, pageDown(s.vaddr));
    hi = Math.max(hi, pageUp(s.vaddr + s.memSize));
  }
  if (hi === 0) throw new UserError("ELF has no loadable segments");
  return { lo, hi };
}

/** e_flags: the RVE and quad-float ABIs need hardware this hart does not have. */
function checkRiscv(elf: ElfFile, what: string): void {
  const flags = new DataView(elf.data.buffer, elf.data.byteOffset).getUint32(48, true);
  if ((flags & EF_RISCV_FLOAT_ABI_QUAD) === EF_RISCV_FLOAT_ABI_QUAD || flags & EF_RISCV_RVE)
    throw new UserError(`${what}: the RVE and quad-float ABIs are not supported`);
}

/** Chooses a load bias: fixed programs load where linked; ET_DYN ones at `want`, or mmap's choice. */
function placeBias(as: AddressSpace, elf: ElfFile, want: number | undefined, what: string): number {
  const { lo, hi } = span(elf);
  if (elf.type !== ET_DYN) {
    if (!as.isFree(lo, hi))
      throw new UserError(
        `${what}: segments at 0x${lo.toString(16)}-0x${hi.toString(16)} are outside the guest address window`,
      );
    return 0;
  }
  let base = want !== undefined && as.isFree(want, want + hi - lo) ? want : as.findFree(hi - lo);
  if (base < 0) throw new UserError(`${what}: no room for ${hi - lo} bytes`);
  base -= lo;
  return base;
}

export const EM_RISCV_MACHINE = EM_RISCV;

export function loadProgram(
  as: AddressSpace,
  bytes: Uint8Array,
  path: string,
  opts: LoadOptions,
): LoadedImage {
  const { elf, fd } = parseProgram(bytes, opts.file);
  checkRiscv(elf, path);
  const bias = placeBias(as, elf, opts.pieBase, path);
  const end = mapSegments(as, elf, bias, path, fd);
  let phdr = 0;
  const ph = elf.segments.find((s) => s.type === PT_PHDR);
  if (ph) phdr = ph.vaddr + bias;
  else {
    const seg = elf.segments.find(
      (s) => s.type === PT_LOAD && elf.phoff >= s.offset && elf.phoff < s.offset + s.fileSize,
    );
    if (seg) phdr = seg.vaddr + (elf.phoff - seg.offset) + bias;
  }
  const image: LoadedImage = {
    startPc: elf.entry + bias,
    entry: elf.entry + bias,
    phdr,
    phent: elf.phentsize,
    phnum: elf.segments.length,
    interpBase: 0,
    end,
  };
  const interp = programInterpreter(elf);
  if (interp !== undefined) {
    const ibytes = opts.readInterp(interp);
    let ielf: ElfFile;
    try {
      ielf = parseElf(ibytes, EM_RISCV, "RISC-V");
    } catch (e) {
      throw new UserError(`interpreter ${interp}: ${(e as Error).message}`);
    }
    const ibias = placeBias(as, ielf, undefined, interp);
    mapSegments(as, ielf, ibias, interp);
    image.interp = interp;
    image.interpBase = ibias + span(ielf).lo;
    image.startPc = ielf.entry + ibias;
  }
  return image;
}

/** The path in PT_INTERP, if the program has one. */
export function programInterpreter(elf: ElfFile): string | undefined {
  const seg = elf.segments.find((s) => s.type === PT_INTERP);
  if (!seg) return undefined;
  const raw = elf.data.subarray(seg.offset, seg.offset + seg.fileSize);
  const nul = raw.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? raw.subarray(0, nul) : raw);
}

/** AT_HWCAP: bit (letter - 'a') for each single-letter extension (Linux arch/riscv/kernel/cpufeature.c). */
export const HWCAP = [..."imafdc"].reduce((a, c) => a | (1 << (c.charCodeAt(0) - 97)), 0);

export interface StackInit {
  argv: readonly string[];
  envp: readonly string[];
  execfn: string;
  image: LoadedImage;
  random: Uint8Array;
}

/**
 * Writes the initial process stack below `top` and returns sp (16-byte aligned, pointing
 * at argc), as Linux's create_elf_tables() lays it out.
 */
export function buildStack(as: AddressSpace, top: number, init: StackInit): number {
  const enc = new TextEncoder();
  const u8 = as.u8;
  let pos = top - 16; // a zero word at the very top, as Linux leaves
  const put = (b: Uint8Array) => {
    pos -= b.length;
    u8.set(b, pos);
    return pos;
  };
  const execfn = put(enc.encode(init.execfn + "\0"));
  const strings = (list: readonly string[]) => {
    const ptrs = new Array<number>(list.length);
    for (let i = list.length - 1; i >= 0; i--) ptrs[i] = put(enc.encode(list[i] + "\0"));
    return ptrs;
  };
  const envPtrs = strings(init.envp);
  const argPtrs = strings(init.argv);
  pos -= pos % 16;
  const random = put(init.random.subarray(0, 16));
  const img = init.image;
  const auxv: [number, number][] = [
    [AT.PHDR, img.phdr],
    [AT.PHENT, img.phent],
    [AT.PHNUM, img.phnum],
    [AT.PAGESZ, PAGE],
    [AT.BASE, img.interpBase],
    [AT.FLAGS, 0],
    [AT.ENTRY, img.entry],
    [AT.UID, 0],
    [AT.EUID, 0],
    [AT.GID, 0],
    [AT.EGID, 0],
    [AT.HWCAP, HWCAP],
    [AT.HWCAP2, 0],
    [AT.CLKTCK, 100],
    [AT.SECURE, 0],
    [AT.RANDOM, random],
    [AT.EXECFN, execfn],
    [AT.NULL, 0],
  ];
  const ids = idsForAux();
  for (const a of auxv) if (a[0] in ids) a[1] = ids[a[0]];
  const words = [init.argv.length, ...argPtrs, 0, ...envPtrs, 0, ...auxv.flat()];
  let sp = pos - words.length * 8;
  sp -= sp % 16;
  words.forEach((w, i) => setU64(as.dv, sp + 8 * i, w));
  return sp;
}

/** The host's user and group ids where it has them (Linux), else root. */
function idsForAux(): Record<number, number> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    [AT.UID]: uid,
    [AT.EUID]: process.geteuid?.() ?? uid,
    [AT.GID]: gid,
    [AT.EGID]: process.getegid?.() ?? gid,
  };
}
