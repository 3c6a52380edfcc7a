// What the CLI's single-file build (scripts/build-dist.js) computes ahead of time, so that a
// short run does not spend its start-up generating it: the interpreter modules user mode
// asks for (recompiler on, at the default threshold, and off), those of the usual `hartwood
// boot` configurations, and the compressed-instruction table. The build and the bytes come from the same dist/ code at the same moment, and a test
// (test/package.test.ts) checks them against what the sources generate now.
import { brotliCompressSync, brotliDecompressSync } from "node:zlib";
import { interpreterBytes, usePrebuilt } from "../arch/riscv/cpu.js";
import { compressedTable } from "../arch/riscv/insns/c.js";
import { FdTable } from "../modes/user/files.js";
import { Kernel } from "../modes/user/kernel.js";
import { UserProcess } from "../modes/user/process.js";
import { attachedCpu } from "../modes/user/hart-worker.js";
import { Vfs } from "../modes/user/vfs.js";
import { VirtBoard } from "../modes/system/virt.js";

/** Brotli-compressed, as base64 text: string literals in the bundle, a tenth of the table's size. */
export interface Prebuilt {
  /** Interpreter bytes by the key cpu.ts looks them up with. */
  readonly interpreters: Readonly<Record<string, string>>;
  /** The 65536 u32 entries of compressedTable(), in the host's byte order. */
  readonly compressedTable: string;
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
  const interpreters: Record<string, string> = {};
  for (const [key, bytes] of interpreterBytes()) interpreters[key] = pack(bytes);
  const t = compressedTable();
  return {
    interpreters,
    compressedTable: pack(new Uint8Array(t.buffer, t.byteOffset, t.byteLength)),
    workerKeys,
  };
}

/** Hands `p` to the CPU (cpu.ts usePrebuilt); an interpreter is unpacked when asked for. */
export function installPrebuilt(p: Prebuilt): void {
  const interpreters = new Map(Object.entries(p.interpreters).map(([k, v]) => [k, () => unpack(v)]));
  usePrebuilt(interpreters, new Uint32Array(unpack(p.compressedTable).buffer));
}

function pack(bytes: Uint8Array): string {
  return brotliCompressSync(bytes).toString("base64");
}

/** The bytes in an ArrayBuffer of their own (so a Uint32Array view is aligned). */
export function unpack(text: string): Uint8Array {
  return new Uint8Array(brotliDecompressSync(Buffer.from(text, "base64")));
}
