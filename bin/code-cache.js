// V8's code cache for a CommonJS bundle of hartwood's (bin/hartwood.js's dist/hartwood.cjs, and
// dist/hart-worker.cjs, which the worker threads of --threads parallel load: hart-pool.ts).
const {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { homedir } = require("node:os");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");
const { crc32 } = require("node:zlib");

// V8 compiles the bundle's 19,000 lines at every start (about 35 ms of a hello-world, and more
// for the functions first called). Its code cache saves most of that: the bytecode of the
// functions a run compiled, written after the first run of each build and Node version to
// $XDG_CACHE_HOME/hartwood (default ~/.cache/hartwood), one file per bundle path. The file
// starts with the source's length and the CRC-32s of its two halves (node:crypto's hashes
// would load a module the run does not otherwise need: ~4 ms), and V8 checks its own version,
// flags and the source's length; anything else (unreadable, stale, rejected) means compiling
// anew and writing it again. HARTWOOD_NO_CODE_CACHE=1 neither reads nor writes it.
const CHECK_BYTES = 12;
const WEEK_MS = 7 * 86_400_000;

function cachePath(file) {
  if (process.env.HARTWOOD_NO_CODE_CACHE === "1") return undefined;
  const root = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const slot = crc32(file).toString(16).padStart(8, "0");
  return join(root, "hartwood", `bundle-${slot}-${process.version}-${process.arch}.v8cache`);
}

/** What a cache made from `bytes` starts with. */
function check(bytes) {
  const half = bytes.length >>> 1;
  const out = new DataView(new ArrayBuffer(CHECK_BYTES));
  out.setUint32(0, bytes.length);
  out.setUint32(4, crc32(bytes.subarray(0, half)));
  out.setUint32(8, crc32(bytes.subarray(half)));
  return new Uint8Array(out.buffer);
}

/** Runs the bundle `file` (CommonJS) and returns its exports and a function that saves the code cache when it needs to be. */
function loadBundle(file) {
  const bytes = readFileSync(file);
  const expected = check(bytes);
  const cache = cachePath(file);
  let cachedData;
  try {
    const data = cache && readFileSync(cache);
    if (data && data.length > CHECK_BYTES && data.subarray(0, CHECK_BYTES).equals(expected))
      cachedData = data.subarray(CHECK_BYTES);
  } catch {
    // no cache yet, or unreadable: compile
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${bytes.toString("utf8")}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} };
  // The bundle requires Node's built-in modules only (everything else is in it): this file's
  // `require` serves, and a require of its own would cost a module-path walk (~1.5 ms).
  script.runInThisContext()(module.exports, require, module, file, dirname(file));
  const save = () => {
    if (!cache || (cachedData && !script.cachedDataRejected)) return;
    // Several threads may write one (the workers of --threads parallel): a name of each one's.
    const tmp = `${cache}.${process.pid}.${Math.floor(Math.random() * 2 ** 32)}.tmp`;
    try {
      mkdirSync(dirname(cache), { recursive: true });
      const data = script.createCachedData();
      const out = new Uint8Array(CHECK_BYTES + data.length);
      out.set(expected);
      out.set(data, CHECK_BYTES);
      writeFileSync(tmp, out);
      renameSync(tmp, cache); // whole or not at all, whatever runs beside it
      // Caches of bundles gone or not run for a week (test builds, old checkouts) go, and files
      // left by a write cut short (a worker thread ended by the exit of its process).
      for (const f of readdirSync(dirname(cache))) {
        const old = join(dirname(cache), f);
        if (/^bundle-.*\.(v8cache|tmp)$/.test(f) && Date.now() - statSync(old).mtimeMs > WEEK_MS)
          rmSync(old, { force: true });
      }
    } catch {
      // a cache that cannot be written costs the next run its compile, nothing else
      rmSync(tmp, { force: true });
    }
  };
  return { exports: module.exports, save };
}

module.exports = { loadBundle };
