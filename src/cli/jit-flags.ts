// The recompiler's options, the same on every command that runs guest code (run, baremetal, boot).
import { InvalidArgumentError, type Command } from "commander";
import type { JitOptions } from "../core/jit/recompiler.js";
import { JIT_CACHE_BYTES } from "../core/jit/code-cache.js";

export interface JitFlags {
  jitThreshold?: number;
  jitCache?: number;
  jitAsync?: boolean;
  jitWarmup?: number;
}

function wholeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a whole number");
  return n;
}

/** Bytes, or with a suffix K, M or G (KiB, MiB, GiB). */
function bytes(v: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(v.trim());
  const n = m ? Number(m[1]) * { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase() as "" | "K" | "M" | "G"] : NaN; // prettier-ignore
  if (!(n > 0) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a size such as 65536, 512K or 32M");
  return n;
}

/** Adds the --jit-* options to `cmd`. */
export function addJitFlags(cmd: Command): Command {
  return cmd
    .option(
      "--jit-threshold <n>",
      "translate code once n jumps have reached it (default: run 4096, boot 65536, baremetal 32; 0 or 1: at first sight, entry points and trap vectors included)",
      wholeNumber,
    )
    .option(
      "--jit-cache <size>",
      `bound on the wasm bytes of translated code kept alive; the oldest modules are evicted beyond it (default ${JIT_CACHE_BYTES >> 20}M)`,
      bytes,
    )
    .option(
      "--jit-warmup <n>",
      "guest instructions to run before any code is translated (default: run 1000000, others 0)",
      wholeNumber,
    )
    .option(
      "--jit-async",
      "compile translations in the background (WebAssembly.compile, as a browser must); the guest runs on meanwhile",
    );
}

export function jitOptions(f: JitFlags): JitOptions {
  return { threshold: f.jitThreshold, cacheBytes: f.jitCache, async: f.jitAsync, warmupInsns: f.jitWarmup };
}
