#!/usr/bin/env node
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";

// V8 recompiles a hot wasm function with its optimizing compiler in the background, and a
// process cannot exit before that compile ends: for the interpreter (one large function) it
// took longer than a whole hello-world run. A larger budget (about 500 times the default)
// lets short runs end first; long runs still tier up (README, "Start-up").
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

const { main } = await import(bundleIsCurrent() ? "../dist/hartwood.js" : "../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
