// The first worker thread of `hartwood run --threads parallel` (src/modes/user/hart-pool.ts),
// started by the bin before it loads the CLI's bundle, for a program that will likely make
// threads: Node's own start of a worker thread (50-90 ms of CPU, most of its readiness) then
// overlaps this thread's loading of the bundle instead of following the guest's first clone
// (README, Speed, "The seventeenth session: threads").
const { closeSync, openSync, readSync } = require("node:fs");
const { Buffer } = require("node:buffer");
const { availableParallelism } = require("node:os");

const SHT_STRTAB = 3;
const NAME = Buffer.from("pthread_create");

/**
 * Will `hartwood <argv>` run a program that makes threads? A hint, never a rule: `run` of an ELF
 * that names pthread_create (a static one links it only if called; a dynamic one imports it),
 * on a host with a core for a worker thread, threads not kept to turns. The program is the
 * first argument naming an ELF file (the options' values are directories, mappings, numbers).
 */
function threadsLikely(argv, env = process.env) {
  if (argv[0] !== "run" || availableParallelism() < 2 || env.HARTWOOD_THREADS === "turns") return false;
  for (const a of argv.slice(1)) {
    if (a === "turns" || a === "--threads=turns") return false;
    if (a.startsWith("-")) continue;
    let fd;
    try {
      fd = openSync(a, "r");
      const named = namesPthreadCreate(fd);
      if (named !== undefined) return named;
    } catch {
      // not a file
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return false;
}

/** At most this many bytes of section headers and of string tables are read for the hint. */
const MAX_HEADERS_BYTES = 1 << 20;
const MAX_TABLES_BYTES = 16 << 20;

/**
 * Does the 64-bit little-endian ELF open as `fd` hold the name in a string table (.dynstr, or
 * .strtab unless stripped)? Only those are read (a few tens of KB, where the whole file of a
 * static libc program is 500 KB: 2-18 ms on a loaded machine), and at most MAX_TABLES_BYTES of
 * them whatever the headers claim (a crafted file must not make the hint slow). Undefined: not
 * such an ELF.
 */
function namesPthreadCreate(fd) {
  const eh = Buffer.alloc(64);
  if (readSync(fd, eh, 0, 64, 0) < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1)
    return undefined;
  const shoff = Number(eh.readBigUInt64LE(0x28));
  const shentsize = eh.readUInt16LE(0x3a);
  const shnum = eh.readUInt16LE(0x3c);
  if (shentsize < 64 || shnum === 0 || shentsize * shnum > MAX_HEADERS_BYTES) return false;
  const sh = Buffer.alloc(shentsize * shnum);
  if (readSync(fd, sh, 0, sh.length, shoff) < sh.length) return false;
  let left = MAX_TABLES_BYTES;
  for (let i = 0; i < shnum && left > 0; i++) {
    const e = i * shentsize;
    if (sh.readUInt32LE(e + 4) !== SHT_STRTAB) continue;
    const table = Buffer.alloc(Math.min(Number(sh.readBigUInt64LE(e + 0x20)), left));
    left -= table.length;
    const got = readSync(fd, table, 0, table.length, Number(sh.readBigUInt64LE(e + 0x18)));
    if (table.subarray(0, got).includes(NAME)) return true;
  }
  return false;
}

/**
 * A worker thread that loads the worker bundle `file` with its code cache (code-cache.js) at
 * its first message: "load" (the bundle only: V8 checks a cache against its flags, which the
 * main thread changes while it compiles the interpreter, so the process says when), or its
 * WorkerInit (hart-pool.ts), after which it runs turns. Unref'd: an unused one never keeps the
 * process alive.
 */
function bundleWorker(file) {
  const { Worker } = require("node:worker_threads");
  const load = `require(${JSON.stringify(require.resolve("./code-cache.js"))}).loadBundle(${JSON.stringify(file)})`;
  const script = [
    `let b;`,
    `require("node:worker_threads").parentPort.on("message", (m) => {`,
    `  b ??= ${load};`,
    `  if (m !== "load") b.exports.runHartWorker(m, b.save);`,
    `});`,
  ].join("\n");
  const worker = new Worker(script, { eval: true, stdout: false, stderr: false });
  worker.unref();
  return worker;
}

module.exports = { bundleWorker, threadsLikely };
