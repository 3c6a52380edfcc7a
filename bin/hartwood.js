#!/usr/bin/env node
// CommonJS (bin/package.json): Node sets up its ES module loader only for the fallback below.
const { existsSync, readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

// bin/hartwood (the installed bin) sets MALLOC_ARENA_MAX for Node's own allocations: the guest
// gets the user's environment without it.
if (process.env.HARTWOOD_SET_MALLOC_ARENA_MAX === "1") {
  delete process.env.MALLOC_ARENA_MAX;
  delete process.env.HARTWOOD_SET_MALLOC_ARENA_MAX;
}

/**
 * v8.setFlagsFromString. The node:v8 module loads node:stream (for its heap-snapshot streams),
 * 3-5 ms of a short run that uses neither; its native half, which Node still hands out as
 * process.binding("v8") (deprecated, with a warning that is kept quiet here), sets the flags
 * alone. Where a Node version no longer does, node:v8 serves.
 */
function v8Flags() {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    const set = process.binding("v8").setFlagsFromString;
    if (typeof set === "function") return (flags) => set(String(flags));
  } catch {
    // no such binding
  } finally {
    process.noDeprecation = quiet;
  }
  return require("node:v8").setFlagsFromString;
}
const setFlagsFromString = v8Flags();
const { loadBundle } = require("./code-cache.js");
const { bundleWorker, threadsLikely } = require("./worker-ahead.js");

// V8 recompiles a wasm function with its optimizing compiler, in the background, once it has
// used up a "tiering budget" of work (default 1,800,000). A process cannot exit before such a
// compile ends: for the interpreter (one large function) it took longer than a whole
// hello-world run. And the recompiler makes thousands of functions, most of them warm for a
// moment only, which the optimizing compiler would work through beside the guest, competing
// for the host's cores: the smoke boot with --jit used 7.8-11.1 s of CPU time at the default,
// 4.2-5.9 s at a budget 100 times larger. The largest budget V8 takes (2^31 - 1, about 1,200
// times the default): short runs end first, code that stays hot is still optimized, later
// (README, "Start-up"). Liftoff charges a loop's back edge with the bytes of code it jumps
// back over, and the interpreter's handlers lie up to 100 KB past its loop's start: at 10^9 a
// static hello-world (21,700 instructions) used its budget up and waited about 200 ms at exit.
// A budget given on Node's command line or in NODE_OPTIONS wins.
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
if (!given.some((a) => a.startsWith("--wasm-tiering-budget")))
  setFlagsFromString("--wasm-tiering-budget=2147483647");
// The generated code marks its slow paths (failed memory checks, host calls) as rarely taken
// (FunctionBuilder.rarely): V8 lays them out of line and allocates registers for the fast path.
// Node 20's V8 reads those hints only with this flag.
setFlagsFromString("--experimental-wasm-branch-hinting");
// `hartwood run` compiles the interpreter (one large wasm function) itself, through the hooks
// below (InterpreterTiers in src/arch/riscv/cpu.ts; README, "Start-up"). TurboFan compiles its
// loop in about 75 ms of CPU (the whole module 150 ms and 30 MB of memory), as much as a
// hello-world's whole run, and V8's own tiering would ask for that within the first ~20,000
// instructions (Liftoff charges the interpreter's back edges with the 100 KB of handlers they
// jump over), after which the process cannot exit before the compile ends. So the interpreter
// starts on Liftoff's code, which V8 is told never to tier up (its tiering flags are off while
// that module compiles, eagerly, and back on for every other module: the recompiler's
// translations still tier up). Liftoff's code interprets 3-4 times slower: without the
// recompiler, whose runs interpret everything, the interpreter is compiled by TurboFan once
// the guest has run a million instructions (about 11 ms on Liftoff's code; lazily, see
// optimizedInterpreter); with it, the interpreter runs cold code only and stays on Liftoff.
// A liftoff, tiering, lazy-compilation or stack-check flag given to Node wins: V8 then compiles as told.
const INTERPRET_ONLY_OPTIMIZE_AFTER_INSNS = 1_000_000;
const ownTiers = !given.some((a) =>
  /^--(no-)?(liftoff|wasm-tier-up|wasm-dynamic-tiering|wasm-lazy-compilation|wasm-stack-checks)$/.test(a),
);

/** The flags the hooks below change, on by default: none of them was given (ownTiers). */
const TIER_FLAGS = [
  "liftoff",
  "wasm-tier-up",
  "wasm-dynamic-tiering",
  "wasm-lazy-compilation",
  "wasm-stack-checks",
];

/** Compiles `bytes` with V8 flags `off` (of TIER_FLAGS) off; those of `keepOff` stay off after. */
function compileWithout(off, bytes, keepOff = []) {
  for (const f of off) setFlagsFromString(`--no-${f}`);
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    // All back on before anything else compiles, and before the code cache is written (V8
    // checks a cache against its flags): V8 turns others off with some (--no-liftoff turns
    // tier-up off).
    for (const f of TIER_FLAGS) if (!keepOff.includes(f)) setFlagsFromString(`--${f}`);
  }
}

/** TIER_FLAGS all back on (a compile that kept one off, before the code cache is saved). */
function restoreTiers() {
  if (ownTiers) for (const f of TIER_FLAGS) setFlagsFromString(`--${f}`);
}

/** A custom section that makes an interpreter's bytes another module's for V8 (whose native module cache would hand back the one it has). */
const TAG = "hartwood.optimized";
const OPTIMIZED_TAG = Uint8Array.from([
  0,
  TAG.length + 1,
  TAG.length,
  ...Array.from(TAG, (c) => c.charCodeAt(0)),
]);

const quickInterpreter = (bytes) =>
  compileWithout(["wasm-tier-up", "wasm-dynamic-tiering", "wasm-lazy-compilation"], bytes);
const optimizedInterpreter = (bytes) => {
  const tagged = new Uint8Array(bytes.length + OPTIMIZED_TAG.length);
  tagged.set(bytes);
  tagged.set(OPTIMIZED_TAG, bytes.length);
  // Lazily, and Liftoff left off: V8 compiles a function at its first call, with the tier its
  // flags say then, so the loop and the decode function get TurboFan's code when first called
  // and a handler out of the loop only if the guest calls it (all of them eagerly: about 150 ms
  // of CPU, the loop alone 75). Liftoff is back on at the next compileWithout (a recompiler's
  // or another interpreter's module) and before the code cache is saved (restoreTiers).
  // Without stack checks too, until then: V8 puts one at every wasm loop header (a compare with
  // the stack limit loaded from memory, and the limit's address kept live), which in the
  // interpreter is every instruction. Only interpreters are compiled meanwhile (this module's
  // functions, and the worker threads' own for guest threads: without the recompiler nothing
  // else is), and none of their functions recurses: the loop calls the decode function, the
  // handlers and host imports (JavaScript, which checks its own stack).
  // A slice ends by its budget, so V8's interrupts (which also use the stack limit) wait at
  // most a slice. README, "The interpreter".
  setFlagsFromString("--wasm-lazy-compilation");
  return compileWithout(["liftoff", "wasm-stack-checks"], tagged, ["liftoff", "wasm-stack-checks"]);
};
// A worker thread's interpreter (--threads parallel) is compiled here too, on the main thread,
// where no other compile races the flags, and posted to the worker: never tiered up, like main's
// (a worker's turns run translated code). Eagerly: V8 reads the tiering flags again when it
// compiles a function lazily, at its first call on the worker. Left to the worker, V8 optimized
// it during its first turn, 130-400 ms of TurboFan on a background thread of a `threads 530`
// run (README, Speed, "The nineteenth session: threads").
const TIERS = {
  interpretOnly: {
    quick: quickInterpreter,
    optimizeAfterInsns: INTERPRET_ONLY_OPTIMIZE_AFTER_INSNS,
    optimized: optimizedInterpreter,
  },
  withRecompiler: {
    quick: quickInterpreter,
    optimizeAfterInsns: Infinity,
    optimized: optimizedInterpreter,
    attached: quickInterpreter,
  },
};

// The recompiler's dispatcher (one function of about 180 bytes, entered at every exit from a
// translation to another) is compiled by TurboFan at once, in about 1 ms: at the process's
// tiering budget it ran on Liftoff's code for the first 1.3 s of `statemachine 575`, 229 ms of
// whose 2.6 s of CPU a profile put in it. A gain within this machine's noise: best and median of
// 5 alternating runs, CPU seconds, statemachine 575 2.41 / 2.61 → 2.38 / 2.47, calls 250 and
// embedded 22 unchanged (2026-12-06, load 5-6).
const engine = ownTiers
  ? {
      interpreterTiers: (jit) => (jit ? TIERS.withRecompiler : TIERS.interpretOnly),
      compileDispatcher: (bytes) => compileWithout(["liftoff", "wasm-lazy-compilation"], bytes),
    }
  : {};

// TurboFan gives a function with very many values its quicker mid-tier register allocator,
// which keeps the interpreter's loop state (pc, budget, fetch page) in stack slots; with its
// predecode table the interpreter is such a function, and with the full allocator it ran
// 1.5 times as fast (README, "The interpreter").
if (!given.some((a) => /^--(no-)?turbo-use-mid-tier-regalloc-for-huge-functions$/.test(a)))
  setFlagsFromString("--no-turbo-use-mid-tier-regalloc-for-huge-functions");

const dist = join(__dirname, "..", "dist");

/** What a run used, for the code caches (code-cache.js `save`): the recompiler built translations. */
const RAN_RECOMPILER = 1;

// The single-file build (dist/<name>.cjs, scripts/build-dist.js) or the modules tsc wrote. In
// an installed package (no src/ beside dist/) the build is what was packed. In a checkout it
// runs while none of the modules it was made from is newer, so a `tsc` after `npm run build`
// never leaves stale code running.
function bundleIsCurrent(name) {
  const built = statSync(join(dist, `${name}.cjs`), { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  if (!existsSync(join(dist, "..", "src"))) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(dist, `${name}.inputs.json`), "utf8"));
  } catch {
    return false;
  }
  return inputs.every(
    (f) => (statSync(join(dist, f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= built,
  );
}

// HARTWOOD_NO_BUNDLE=1 runs the modules: a profile then names each function's source file.
async function run(argv) {
  // `hartwood run` has a bundle of its own (src/cli/main-run.ts), without system mode, bare-metal
  // mode and the image builder: a sixth less to load. The other commands come from a second
  // bundle, which takes the modules they share from the first.
  const runOnly = argv[0] === "run";
  if (
    process.env.HARTWOOD_NO_BUNDLE !== "1" &&
    bundleIsCurrent("hartwood-run") &&
    (runOnly || bundleIsCurrent("hartwood"))
  ) {
    // The first worker thread of --threads parallel, started now for a program that will
    // likely need it (worker-ahead.js).
    const spare = threadsLikely(argv) ? bundleWorker(join(dist, "hart-worker.cjs")) : undefined;
    const base = loadBundle(join(dist, "hartwood-run.cjs"));
    const cli = runOnly ? base : loadBundle(join(dist, "hartwood.cjs"), base.exports.SHARED);
    // Worker threads (--threads parallel) load their bundle with its own code cache too.
    base.exports.useWorkerLoader?.(join(__dirname, "worker-ahead.js"), spare);
    process.exitCode = await cli.exports.main(argv, engine);
    restoreTiers();
    // after the run: the functions it compiled are in the caches
    const ran = base.exports.compileStats?.modules > 0 ? RAN_RECOMPILER : 0;
    base.save(ran);
    if (cli !== base) cli.save(ran);
  } else {
    const { main } = await import("../dist/cli/main.js");
    process.exitCode = await main(argv, engine);
  }
  // With nothing left to wait for (no handle, request or timer), exit at once: Node would
  // otherwise first free its heaps and the wasm memory's reservation piece by piece (about 10
  // ms of a hello-world, README "Start-up"), which the kernel does at exit in one go.
  if (process.getActiveResourcesInfo?.().length === 0) process.exit();
}

void run(process.argv.slice(2));
