// What the CLI's single-file build (scripts/build-dist.js) computes ahead of time, so that a
// short run does not spend its start-up generating it: the interpreter modules user mode
// asks for (recompiler on, at the default threshold, and off), those of the usual `hartwood
// boot` configurations, and the compressed-instruction table. The build and the bytes come from the same dist/ code at the same moment, and a test
// (test/package.test.ts) checks them against what the sources generate now.
import { interpreterBytes } from "../arch/riscv/cpu.js";
import { compressedTable } from "../arch/riscv/insns/c.js";
import { FdTable } from "../modes/user/files.js";
import { Kernel } from "../modes/user/kernel.js";
import { UserProcess } from "../modes/user/process.js";
import { attachedCpu } from "../modes/user/hart-worker.js";
import { Vfs } from "../modes/user/vfs.js";
import type { Extent, PrebuiltIndex } from "./prebuilt-file.js";
import { VirtBoard } from "../modes/system/virt.js";

/**
 * The bytes, raw: the build writes them to a file of their own beside the bundle (PrebuiltIndex
 * says where each lies), read when asked for. Read raw, the compressed table costs a short run
 * about a third of what Brotli-decoding it from the bundle did, and node:zlib is not loaded.
 */
export interface Prebuilt {
  /** Interpreter bytes by the key cpu.ts looks them up with. */
  readonly interpreters: Readonly<Record<string, Uint8Array>>;
  /** The 65536 u32 entries of compressedTable(), in the host's byte order. */
  readonly compressedTable: Uint8Array;
  /** The keys of `interpreters` a worker thread's engine asks for (the worker bundle carries those). */
  readonly workerKeys: readonly string[];
}

/**
 * `hartwood boot`'s interpreters worth carrying: an interpreter's code holds the addresses of
 * the VMM's tables, which depend on the number of harts (not on the RAM size), and the
 * recompiler's threshold. Generating one costs a boot 50-100 ms of start-up (README, "System
 * mode"); other configurations still generate theirs.
 */
const BOOT_CONFIGS = [
  { harts: 1, jit: true },
  { harts: 2, jit: true },
  { harts: 1, jit: false },
];

/**
 * Makes user-mode processes with and without the recompiler, as `hartwood run` does (the first
 * process and a forked child: their memories differ, see UserProcess), with the recompiler the
 * first worker thread's engine (--threads parallel on a host of two cores), and system boards as
 * `hartwood boot` does by default (BOOT_CONFIGS), and keeps the interpreters they built.
 */
export function computePrebuilt(): Prebuilt {
  const workerKeys: string[] = [];
  for (const jit of [true, false]) {
    const kernel = new Kernel({ vfs: new Vfs(), jit });
    const first = new UserProcess(kernel, undefined, new FdTable([-1, -1, -1]), "/");
    if (jit) {
      const before = new Set(interpreterBytes().keys());
      attachedCpu(first.workerEngine(0), { now: () => 0, trap: () => true }, () => 0);
      for (const key of interpreterBytes().keys()) if (!before.has(key)) workerKeys.push(key);
    }
    new UserProcess(kernel, first, new FdTable([-1, -1, -1]), "/");
  }
  for (const { harts, jit } of BOOT_CONFIGS) {
    // The smallest board: what it boots does not matter, only the CPU it makes.
    const firmware = { name: "prebuilt", data: new Uint8Array(4) };
    new VirtBoard({ ramBytes: 16 << 20, harts, bios: firmware, drives: [], jit, write: () => {} }).close();
  }
  const t = compressedTable();
  return {
    interpreters: Object.fromEntries(interpreterBytes()),
    compressedTable: new Uint8Array(t.buffer, t.byteOffset, t.byteLength),
    workerKeys,
  };
}

/** The file the build writes (the bytes of `keys` and, with `table`, the compressed table) and its index. */
export function layOut(
  p: Prebuilt,
  keys: readonly string[],
  table: boolean,
): { index: PrebuiltIndex; file: Uint8Array } {
  const parts: Uint8Array[] = [];
  let at = 0;
  const place = (bytes: Uint8Array): Extent => {
    parts.push(bytes);
    at += bytes.length;
    return [at - bytes.length, bytes.length];
  };
  const interpreters = Object.fromEntries(keys.map((k) => [k, place(p.interpreters[k])]));
  const compressed = table ? place(p.compressedTable) : undefined;
  const file = new Uint8Array(at);
  parts.reduce((o, b) => (file.set(b, o), o + b.length), 0);
  return { index: { interpreters, ...(compressed && { compressedTable: compressed }) }, file };
}
