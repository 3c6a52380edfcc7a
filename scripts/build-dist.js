// The second step of `npm run build` (after tsc): bundles the CLI into one file,
// dist/hartwood.cjs, with the interpreter modules and the compressed-instruction table
// computed now (src/cli/prebuilt.ts). bin/hartwood.js runs it while no other file of dist/ is
// newer, so a later `tsc` alone falls back to dist/cli/main.js instead of running stale code.
// One file instead of ~100 modules and no generation at start-up: about 0.15 s less for
// `hartwood run` (README, "Start-up").
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// Another tsc output directory may be named (the CLI test builds its own).
const DIST = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist"));
// CommonJS, which bin/hartwood.js compiles as a vm.Script with V8's code cache (Node 20 has
// none for ES modules).
const OUT = join(DIST, "hartwood.cjs");
const ENTRY = "hartwood-entry.js"; // the bundle's entry, which exists only in memory
/**
 * What a worker thread of --threads parallel loads (hart-pool.ts): its engine's modules only
 * (a quarter of the CLI's bundle: a worker starts while the guest's threads already run), and
 * the first worker's interpreter.
 */
const WORKER_OUT_NAME = "hart-worker.cjs";

const { computePrebuilt } = await import(join(DIST, "cli", "prebuilt.js"));
const prebuilt = computePrebuilt();

// A module that finds files next to itself (import.meta.url) keeps finding them from the bundle.
const keepModuleUrls = {
  name: "keep-module-urls",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = `./${relative(DIST, args.path)}`;
      const url = `new URL(${JSON.stringify(rel)}, require("node:url").pathToFileURL(__filename)).href`;
      return { contents: text.replaceAll("import.meta.url", url), loader: "js" };
    });
  },
};

// Node modules the bundle loads when first used, not at start-up: commander requires
// node:child_process (for subcommands that are programs, which hartwood has none of), and
// with it node:net, node:dgram and node:tty, a few ms of every run.
const LAZY_BUILTINS = ["node:child_process"];
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      LAZY_BUILTINS.includes(args.path) ? { path: args.path, namespace: "lazy-builtin" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => process.getBuiltinModule(${JSON.stringify(args.path)})[key] });`,
      loader: "js",
    }));
  },
};

/** How both bundles are made: one CommonJS file for Node, in ASCII (see below), kept in memory. */
const NODE_CJS = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  charset: "ascii",
  write: false,
  logLevel: "warning",
};
const workerInterpreters = Object.fromEntries(prebuilt.workerKeys.map((k) => [k, prebuilt.interpreters[k]]));
const workerBundle = await build({
  stdin: {
    contents: [
      `import { brotliDecompressSync } from "node:zlib";`,
      `import { usePrebuilt } from "./arch/riscv/cpu.js";`,
      `const unpack = (text) => new Uint8Array(brotliDecompressSync(Buffer.from(text, "base64")));`,
      // No compressed-instruction table: a worker's engine reads main's, in the shared memory.
      `const PREBUILT = ${JSON.stringify({ interpreters: workerInterpreters })};`,
      `usePrebuilt(new Map(Object.entries(PREBUILT.interpreters).map(([k, v]) => [k, () => unpack(v)])));`,
      `export { runHartWorker } from "./modes/user/hart-worker.js";`,
    ].join("\n"),
    resolveDir: DIST,
    sourcefile: "hart-worker-entry.js",
  },
  ...NODE_CJS,
});
writeFileSync(join(DIST, WORKER_OUT_NAME), workerBundle.outputFiles[0].text);

const { metafile, outputFiles } = await build({
  stdin: {
    contents: [
      `import { installPrebuilt } from "./cli/prebuilt.js";`,
      `export const PREBUILT = ${JSON.stringify(prebuilt)};`,
      `installPrebuilt(PREBUILT);`,
      `export { main } from "./cli/main.js";`,
      // Worker threads (--threads parallel) run their engines from the worker bundle beside it.
      `import { useBundle } from "./modes/user/hart-pool.js";`,
      `export { useWorkerLoader } from "./modes/user/hart-pool.js";`,
      `useBundle(require("node:path").join(__dirname, ${JSON.stringify(WORKER_OUT_NAME)}));`,
    ].join("\n"),
    resolveDir: DIST,
    sourcefile: ENTRY,
  },
  // commander goes in too: its code then comes from the code cache with the rest.
  ...NODE_CJS,
  outfile: OUT,
  plugins: [keepModuleUrls, lazyBuiltins],
  metafile: true,
});

// Pure ASCII (esbuild escapes strings and names; this, the comments it keeps): Node then
// decodes the file and V8 holds the source as one-byte characters, half the size.
const ascii = outputFiles[0].text.replace(
  /[\u0080-\uffff]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
);
// `import * as fs from "node:fs"` becomes a copy of the module's ~100 names as getters
// (esbuild's __toESM), made at start-up once per importing file (2-3 ms of a hello-world) and
// read through a getter at every call. A Node built-in's exports object already holds those
// names: the bundle uses it as the namespace.
const NAMESPACE_COPY = /__toESM\(require\("(node:[a-z_/]+)"\), 1\)/g;
const text = ascii.replace(NAMESPACE_COPY, (_, name) => `require("${name}")`);
writeFileSync(OUT, text);

// The modules in the bundle, for bin/hartwood.js's check in a checkout (not packed).
const inputs = Object.keys(metafile.inputs)
  .map((p) => relative(DIST, resolve(p)))
  .filter((p) => !p.startsWith("..") && p.endsWith(".js") && p !== ENTRY);
writeFileSync(join(DIST, "hartwood.inputs.json"), `${JSON.stringify(inputs)}\n`);
