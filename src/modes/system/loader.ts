// Places firmware, kernel, initrd and device tree in RAM the way QEMU's `virt` board does, so
// that the same files boot the same way: firmware at the base of RAM, the kernel at the first
// 2 MiB boundary after it, the initrd half-way into RAM (at most 128 MiB past the kernel), the
// device tree at the top of RAM (below 3 GiB) aligned down to 2 MiB.
import { parseElf, PT_LOAD } from "../../core/elf.js";
import { UserError } from "../../core/errors.js";

const EM_RISCV = 243;
const MiB = 1 << 20;
/** Linux Documentation/riscv/boot.rst: the Image header's magic2 "RSC\x05" at offset 0x38. */
const IMAGE_MAGIC = 0x05435352;
const IMAGE_MAGIC_OFFSET = 0x38;
/** OpenSBI's struct fw_dynamic_info (u64 fields): magic "OSBI", version 2. */
const FW_DYNAMIC_MAGIC = 0x4942534fn;
const FW_DYNAMIC_VERSION = 2n;
const NEXT_MODE_S = 1n;

/** Guest RAM as the loader sees it. */
export interface RamView {
  readonly base: number;
  readonly bytes: Uint8Array;
}

/**
 * A file the loader may read straight into guest RAM instead of copying it from a buffer of its
 * own: a buffer's fresh pages cost a boot as much again as RAM's (page faults; on the machine
 * measured, the default guest's kernel and initramfs took 50-70 ms through buffers, 19-31 ms
 * read straight into RAM).
 */
export interface FileOnDisk {
  readonly sizeBytes: number;
  /** The file's first bytes (at least 64, or all of a shorter file): a kernel Image's header. */
  readonly head: Uint8Array;
  /** Reads the whole file into `dest` (sizeBytes long); a file that no longer reads so is a UserError. */
  copyTo(dest: Uint8Array): void;
}

/** A file to place: its name, its bytes, and when it is on disk, how to read it straight into RAM. */
interface LoadableFile {
  readonly name: string;
  readonly data: Uint8Array;
  readonly onDisk?: FileOnDisk;
}

/** Where something was loaded: [start, end) physical, and the entry point for programs. */
export interface Placed {
  readonly start: number;
  readonly end: number;
  readonly entry: number;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const size = (n: number) => (n >= MiB ? `${(n / MiB).toFixed(n % MiB ? 1 : 0)} MiB` : `${n} bytes`);

export function isRiscvImage(data: Uint8Array): boolean {
  if (data.length < 64) return false;
  return new DataView(data.buffer, data.byteOffset, 64).getUint32(IMAGE_MAGIC_OFFSET, true) === IMAGE_MAGIC;
}

function isElf(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/** Copies `data` (or the file) to physical `pa`; `what` names it in the error when it does not fit. */
function put(ram: RamView, pa: number, data: Uint8Array | FileOnDisk, memBytes: number, what: string): void {
  const end = ram.base + ram.bytes.length;
  if (pa < ram.base || pa + memBytes > end) {
    throw new UserError(
      `${what} (${size(memBytes)} at ${hex(pa)}) does not fit in RAM (${hex(ram.base)}..${hex(end)}, -m ${size(ram.bytes.length)})`,
    );
  }
  const at = pa - ram.base;
  const bytes = data instanceof Uint8Array ? data.length : data.sizeBytes;
  if (data instanceof Uint8Array) ram.bytes.set(data, at);
  else data.copyTo(ram.bytes.subarray(at, at + bytes));
  ram.bytes.fill(0, at + bytes, at + memBytes);
}

/** Loads an ELF's segments at their physical addresses. */
function loadElf(ram: RamView, data: Uint8Array, what: string): Placed {
  let elf;
  try {
    elf = parseElf(data, EM_RISCV, "RISC-V");
  } catch (e) {
    throw e instanceof UserError ? new UserError(`${what}: ${e.message}`) : e;
  }
  let start = Infinity;
  let end = 0;
  let entry = elf.entry;
  for (const s of elf.segments) {
    if (s.type !== PT_LOAD || s.memSize === 0) continue;
    put(ram, s.paddr, elf.data.subarray(s.offset, s.offset + s.fileSize), s.memSize, what);
    start = Math.min(start, s.paddr);
    end = Math.max(end, s.paddr + s.memSize);
    // A kernel linked at virtual addresses enters at the physical copy of its entry.
    if (elf.entry >= s.vaddr && elf.entry < s.vaddr + s.memSize && s.vaddr !== s.paddr)
      entry = elf.entry - s.vaddr + s.paddr;
  }
  if (start === Infinity) throw new UserError(`${what}: the ELF has nothing to load`);
  if (entry < start || entry >= end)
    throw new UserError(`${what}: entry point ${hex(entry)} is outside its segments`);
  return { start, end, entry };
}

/** Firmware: an ELF at its physical addresses, or a raw binary at the base of RAM. */
export function loadFirmware(ram: RamView, data: Uint8Array, name: string): Placed {
  if (isElf(data)) return loadElf(ram, data, `firmware ${name}`);
  put(ram, ram.base, data, data.length, `firmware ${name}`);
  return { start: ram.base, end: ram.base + data.length, entry: ram.base };
}

/**
 * The kernel: a RISC-V Image at `at` (2 MiB aligned), read straight into RAM when it is on disk,
 * or a RISC-V ELF at its physical addresses.
 */
export function loadKernel(ram: RamView, file: LoadableFile, at: number): Placed {
  const { name, onDisk } = file;
  const head = onDisk ? onDisk.head : file.data;
  if (isRiscvImage(head)) {
    const dv = new DataView(head.buffer, head.byteOffset, 64);
    // image_size (offset 16) includes the bss the kernel clears itself; 0 in old kernels.
    const imageSize = Number(dv.getBigUint64(16, true));
    const bytes = onDisk ? onDisk.sizeBytes : file.data.length;
    const memBytes = Math.max(bytes, imageSize > 2 ** 40 ? 0 : imageSize);
    put(ram, at, onDisk ?? file.data, memBytes, `kernel ${name}`);
    return { start: at, end: at + memBytes, entry: at };
  }
  if (isElf(head)) return loadElf(ram, file.data, `kernel ${name}`);
  throw new UserError(`kernel ${name} is neither a RISC-V Image nor a RISC-V ELF`);
}

/** The first 2 MiB boundary at or after `pa`. */
export function align2M(pa: number): number {
  return Math.ceil(pa / (2 * MiB)) * 2 * MiB;
}

/** QEMU's initrd placement: half-way into RAM after the kernel's start, at most 128 MiB past it. */
export function initrdAddress(ram: RamView, kernelStart: number): number {
  return kernelStart + Math.min(ram.bytes.length / 2, 128 * MiB);
}

/** QEMU's device-tree placement: the top of RAM (not above 3 GiB), aligned down to 2 MiB. */
export function dtbAddress(ram: RamView, dtbBytes: number): number {
  const top = Math.min(ram.base + ram.bytes.length, ram.base < 3 * 1024 * MiB ? 3 * 1024 * MiB : Infinity);
  return Math.floor((top - dtbBytes) / (2 * MiB)) * 2 * MiB;
}

export function loadBlob(ram: RamView, pa: number, data: Uint8Array, what: string): Placed {
  put(ram, pa, data, data.length, what);
  return { start: pa, end: pa + data.length, entry: pa };
}

/** A file at `pa`, read straight into RAM when it is on disk (an initrd). */
export function loadFile(ram: RamView, pa: number, file: LoadableFile, what: string): Placed {
  if (!file.onDisk) return loadBlob(ram, pa, file.data, what);
  const bytes = file.onDisk.sizeBytes;
  put(ram, pa, file.onDisk, bytes, what);
  return { start: pa, end: pa + bytes, entry: pa };
}

/** Fails when two placed ranges overlap. */
export function checkDisjoint(items: readonly (readonly [string, Placed | undefined])[]): void {
  const xs = items.filter((x): x is [string, Placed] => x[1] !== undefined);
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const [an, a] = xs[i];
      const [bn, b] = xs[j];
      if (a.start < b.end && b.start < a.end)
        throw new UserError(
          `${an} (${hex(a.start)}..${hex(a.end)}) overlaps ${bn} (${hex(b.start)}..${hex(b.end)}): give the machine more RAM (-m)`,
        );
    }
  }
}

/** OpenSBI's fw_dynamic_info: the next stage is the kernel in S-mode, booted from hart 0. */
export function fwDynamicInfo(nextAddr: number): Uint8Array {
  const out = new Uint8Array(48);
  const dv = new DataView(out.buffer);
  // boot_hart = -1: any hart may boot (OpenSBI's lottery picks one).
  const fields = [FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, BigInt(nextAddr), NEXT_MODE_S, 0n, (1n << 64n) - 1n];
  fields.forEach((v, i) => dv.setBigUint64(8 * i, v, true));
  return out;
}
