#!/usr/bin/env node
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";

// V8 recompiles a wasm function with its optimizing compiler, in the background, once it has
// used up a "tiering budget" of work (default 1,800,000). A process cannot exit before such a
// compile ends: for the interpreter (one large function) it took longer than a whole
// hello-world run. And the recompiler makes thousands of functions, most of them warm for a
// moment only, which the optimizing compiler would work through beside the guest, competing
// for the host's cores: the smoke boot with --jit used 7.8-11.1 s of CPU time at the default,
// 4.2-5.9 s at a budget 100 times larger. About 500 times the default: short runs end first,
// code that stays hot is still optimized, later (README, "Start-up"). A budget given on
// Node's command line or in NODE_OPTIONS wins.
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
if (!given.some((a) => a.startsWith("--wasm-tiering-budget")))
  setFlagsFromString("--wasm-tiering-budget=1000000000");

const dist = join(import.meta.dirname, "..", "dist");

// The single-file build (dist/hartwood.js, scripts/build-dist.js) or the modules tsc wrote. In
// an installed package (no src/ beside dist/) the build is what was packed. In a checkout it
// runs while none of the modules it was made from is newer, so a `tsc` after `npm run build`
// never leaves stale code running.
function bundleIsCurrent() {
  const built = statSync(join(dist, "hartwood.js"), { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  if (!existsSync(join(dist, "..", "src"))) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(dist, "hartwood.inputs.json"), "utf8"));
  } catch {
    return false;
  }
  return inputs.every(
    (f) => (statSync(join(dist, f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= built,
  );
}

// HARTWOOD_NO_BUNDLE=1 runs the modules: a profile then names each function's source file.
const bundle = process.env.HARTWOOD_NO_BUNDLE !== "1" && bundleIsCurrent();
const { main } = await import(bundle ? "../dist/hartwood.js" : "../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
