// V8's code cache for a CommonJS bundle of hartwood's: bin/hartwood.js's dist/hartwood-run.cjs
// and dist/hartwood.cjs, and dist/hart-worker.cjs, which the worker threads of --threads
// parallel load (hart-pool.ts).
const {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { homedir } = require("node:os");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");
const { Buffer } = require("node:buffer");

// V8 compiles the bundle's 19,000 lines at every start (about 35 ms of a hello-world, and more
// for the functions first called). Its code cache saves most of that: the bytecode of the
// functions a run compiled, written after the first run of each build and Node version to
// $XDG_CACHE_HOME/hartwood (default ~/.cache/hartwood), one file per bundle path. The file
// starts with the source's length and the hash of its text that the build wrote on its first
// line (BUILD_LINE; hashing a megabyte here took 1-2 ms, and node:zlib's CRC-32 loaded a module
// the run does not otherwise need), and V8 checks its own version, flags and the source's
// length; anything else (unreadable, stale, rejected) means compiling anew and writing it
// again. A bundle without that line is run without a cache. HARTWOOD_NO_CODE_CACHE=1 neither
// reads nor writes it.
// 16, not 12: V8 copies a cache that does not start 8-byte aligned (0.5 MB more memory touched).
const CHECK_BYTES = 16;
/** The byte after the source's length and hash: what the run that wrote the cache ran (`save`). */
const RAN_AT = 12;
const WEEK_MS = 7 * 86_400_000;
/** The first line of a bundle: `// hartwood build ` and 16 hex digits (scripts/build-dist.js). */
const BUILD_LINE = /^\/\/ hartwood build ([0-9a-f]{16})\n/;

/**
 * How the text of a CommonJS bundle becomes a function of the module's variables. The CLI's
 * bundles have it around them in the file (scripts/build-dist.js): V8 then compiles the text as
 * read, where a wrapper joined here made it copy all of it into one string first (0.7 MB of
 * memory touched: 2-4 ms of a short run on a machine whose page faults are dear).
 */
const WRAPPER = ["(function (exports, require, module, __filename, __dirname) {", "\n})"];

/**
 * What the bundle of the CLI's commands other than `run` requires a module of the run bundle as
 * (scripts/build-dist.js): the prefix, then the module's path.
 */
const SHARED_PREFIX = "hartwood-run:";

/** FNV-1a of a path's UTF-16 units, as 8 hex digits: the cache file's name. */
function slotOf(file) {
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function cachePath(file) {
  if (process.env.HARTWOOD_NO_CODE_CACHE === "1") return undefined;
  const root = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(root, "hartwood", `bundle-${slotOf(file)}-${process.version}-${process.arch}.v8cache`);
}

/** What a cache made from `text` starts with; undefined: the text names no build. */
function check(text) {
  const hash = BUILD_LINE.exec(text.slice(0, 64))?.[1];
  if (hash === undefined) return undefined;
  const out = Buffer.alloc(CHECK_BYTES);
  out.writeUInt32BE(text.length, 0);
  out.write(hash, 4, "hex");
  return out;
}

/**
 * The bytes of file `path`, read into `buf` when they fit (else into a new buffer of at least
 * `reserve` bytes): a view of it. Undefined: no such file, or unreadable.
 */
function readInto(path, buf, reserve = 0) {
  let fd;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const out =
      size <= buf.length
        ? buf.subarray(0, size)
        : Buffer.allocUnsafeSlow(Math.max(size, reserve)).subarray(0, size);
    let got = 0;
    for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, out, got, size - got, got);
    return out.subarray(0, got);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Runs the bundle `file` (CommonJS) and returns its exports and a function that saves the code
 * cache when it needs to be. `shared`: the modules it takes from another bundle, by path.
 */
function loadBundle(file, shared = {}) {
  // One buffer for the bundle's bytes and then the cache's, as large as the larger of them (the
  // cache of a bundle without whitespace is): the memory the first read touched serves the
  // second (0.5 MB less to touch, 1-3 ms).
  const cacheFile = cachePath(file);
  const cacheSize = cacheFile ? (statSync(cacheFile, { throwIfNoEntry: false })?.size ?? 0) : 0;
  const bytes = readInto(file, Buffer.alloc(0), cacheSize);
  if (bytes === undefined) throw new Error(`cannot read ${file}`);
  const text = bytes.toString("latin1"); // the bundle is ASCII (scripts/build-dist.js)
  const expected = check(text);
  const cache = expected && cacheFile;
  const data = cache && readInto(cache, Buffer.from(bytes.buffer, bytes.byteOffset));
  // (its CHECK_BYTES keep the rest 8-byte aligned in the buffer, which starts so)
  const cachedData =
    data && data.length > CHECK_BYTES && data.subarray(0, RAN_AT).equals(expected.subarray(0, RAN_AT))
      ? data.subarray(CHECK_BYTES)
      : undefined; // no cache yet, unreadable or another build's: compile
  const cachedRan = cachedData ? data[RAN_AT] : 0;
  const wrapped = text.startsWith(WRAPPER[0], text.indexOf("\n") + 1)
    ? text
    : `${WRAPPER[0]}${text}${WRAPPER[1]}`;
  const script = new Script(wrapped, { filename: file, cachedData });
  const module = { exports: {} };
  // The bundle requires Node's built-in modules only (everything else is in it): this file's
  // `require` serves, and a require of its own would cost a module-path walk (~1.5 ms). Each
  // module of the bundle asks for its own (about 45 calls for 9 modules), each call of
  // `require` a walk through Node's module loader: the bundle gets each once.
  const loaded = new Map();
  const requireOnce = (id) => {
    let m = loaded.get(id);
    if (m === undefined)
      loaded.set(
        id,
        (m = id.startsWith(SHARED_PREFIX) ? shared[id.slice(SHARED_PREFIX.length)] : require(id)),
      );
    return m;
  };
  script.runInThisContext()(module.exports, requireOnce, module, file, dirname(file));
  /**
   * `ran`: bits for the parts of the bundle this run used that a short run may not (RAN_*
   * in bin/hartwood.js). V8 caches the bytecode of the functions compiled when the cache is
   * made, so a cache written by a run that used less lacks the rest, which every later run
   * that uses it compiles again: written by a hello-world, whose code the recompiler has not
   * translated yet, the cache lacked the recompiler's 160 KB of bytecode (README, Speed, "The
   * twentieth session: building"). Such a run writes the cache again, once.
   */
  const save = (ran = 0) => {
    const kept = cachedData && !script.cachedDataRejected;
    if (!cache || (kept && (ran & ~cachedRan) === 0)) return;
    // Several threads may write one (the workers of --threads parallel): a name of each one's.
    const tmp = `${cache}.${process.pid}.${Math.floor(Math.random() * 2 ** 32)}.tmp`;
    try {
      mkdirSync(dirname(cache), { recursive: true });
      const data = script.createCachedData();
      const out = new Uint8Array(CHECK_BYTES + data.length);
      out.set(expected);
      // What was loaded from the cache is in the new one too (unless V8 flushed it, unused).
      out[RAN_AT] = ran | (kept ? cachedRan : 0);
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

module.exports = { loadBundle, SHARED_PREFIX, WRAPPER };
