// Where things sit in a user-mode process's wasm memory, which is also its guest address
// space (guest address a is wasm offset a). One 32-bit wasm memory of 4 GiB: a null guard
// page, then the guest's window, then the VMM's own state at the very top (hart state,
// TLBs, translation table, the page-permission table). The engines check every access
// against the permission table, which has no bits for the VMM's pages, so the guest cannot
// reach them. Only pages the guest touches become resident: the rest of the memory costs
// address space, not RAM.
import { cpuVmmBytes } from "../../arch/riscv/cpu.js";
import { predecodeBytes } from "../../arch/riscv/interp.js";
import { JIT_TABLE_BYTES } from "../../core/jit/table.js";
import { PERM_TABLE_BYTES, type MemStrategy } from "../../arch/riscv/sem.js";
import { WASM_PAGE } from "../../core/memory.js";
import { PAGE } from "./abi.js";

/** Threads (harts) a process can have at once. */
export const MAX_THREADS = 128;
/** Host worker threads that may run a process's threads beside the main thread (hart-pool.ts), at most. */
export const MAX_WORKERS = 3;
/** The tables of a worker's engine (its predecode and translation tables; it shares the rest). */
export const WORKER_VMM_BYTES = predecodeBytes("flat") + JIT_TABLE_BYTES + 128;
/** The VMM's state at the top of the memory (the flat strategy needs no TLB per hart). */
export const VMM_BYTES =
  cpuVmmBytes(MAX_THREADS, "flat") + PERM_TABLE_BYTES + PAGE + MAX_WORKERS * WORKER_VMM_BYTES;
const MEMORY_BYTES = 2 ** 32; // the most a 32-bit wasm memory holds (65536 pages)

/** The guest's window [WINDOW_LO, WINDOW_HI): everything below the VMM's state. */
export const WINDOW_LO = 0x1_0000;
export const WINDOW_HI = MEMORY_BYTES - Math.ceil(VMM_BYTES / WASM_PAGE) * WASM_PAGE;
/** One page at the top of the window: the rt_sigreturn trampoline signal handlers return to. */
export const VDSO = WINDOW_HI - 0x1_0000;
export const STACK_TOP = VDSO - PAGE; // a guard page between the stack and the vDSO
export const STACK_BYTES = 8 << 20; // RLIMIT_STACK's usual 8 MiB
/** New mappings go top-down from here: room for the stack to be extended by MAP_FIXED. */
export const MMAP_TOP = STACK_TOP - STACK_BYTES - (64 << 20);
/**
 * Where a PIE goes. Low, so that its program break and the mappings that come down from
 * MMAP_TOP share one free range of most of the window (a 3 GiB mapping fits).
 */
export const PIE_BASE = 0x1000_0000;

/**
 * How a process's engines reach guest memory: guest addresses are wasm addresses, checked
 * against the permission table at `permTable`. Main's engine and its workers' alike: the
 * strategy is part of an interpreter's key (cpu.ts), and main compiles its workers' interpreters.
 */
export function flatMem(permTable: number): MemStrategy {
  return { kind: "flat", hostOffset: 0, permTable };
}
