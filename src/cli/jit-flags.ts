// The recompiler's options, the same on every command that runs guest code (run, baremetal, boot).
import { InvalidArgumentError, type Command } from "commander";
import type { JitOptions } from "../core/jit/recompiler.js";

export interface JitFlags {
  jitThreshold?: number;
}

function wholeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a whole number");
  return n;
}

/** Adds the --jit-* options to `cmd`. */
export function addJitFlags(cmd: Command): Command {
  return cmd.option(
    "--jit-threshold <n>",
    "translate code once n jumps have reached it (default 32; 0 or 1: at first sight, entry points and trap vectors included)",
    wholeNumber,
  );
}

export function jitOptions(f: JitFlags): JitOptions {
  return { threshold: f.jitThreshold };
}
