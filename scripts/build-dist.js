// The second step of `npm run build` (after tsc): bundles the CLI into dist/hartwood-run.cjs
// (`hartwood run`) and dist/hartwood.cjs (the other commands, on top of the first), and the
// worker threads' engine into dist/hart-worker.cjs, with the interpreter modules and the
// compressed-instruction table computed now (src/cli/prebuilt.ts), raw, in
// dist/hartwood-prebuilt.bin beside them. bin/hartwood.js runs a bundle while none of the
// modules it was made from is newer, so a later `tsc` alone falls back to dist/cli/main.js
// instead of running stale code. A file instead of ~100 modules and no generation at
// start-up: about 0.15 s less for `hartwood run` (README, "Start-up").
import { createHash } from "node:crypto";
import { readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// Another tsc output directory may be named (the CLI test builds its own). Its real path: esbuild
// names the modules by theirs.
const DIST = realpathSync(
  resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist")),
);
// The bundles are CommonJS, which bin/hartwood.js compiles as a vm.Script with V8's code cache
// (Node 20 has none for ES modules).
const ENTRY = "hartwood-entry.js"; // the bundle's entry, which exists only in memory
/**
 * What a worker thread of --threads parallel loads (hart-pool.ts): its engine's modules only
 * (a quarter of the CLI's bundle: a worker starts while the guest's threads already run), and
 * the first worker's interpreter.
 */
const WORKER_OUT_NAME = "hart-worker.cjs";
/** The prebuilt bytes (src/cli/prebuilt.ts), raw, beside the bundles, which all read them. */
const PREBUILT_NAME = "hartwood-prebuilt.bin";

const { SHARED_PREFIX, WRAPPER } = createRequire(import.meta.url)("../bin/code-cache.js");
const { computePrebuilt, layOut } = await import(join(DIST, "cli", "prebuilt.js"));
const prebuilt = computePrebuilt();

/**
 * Writes the prebuilt bytes of `keys` (and the compressed table with `table`) to dist/`name`,
 * by a rename, so that a process that has it open keeps its own (installPrebuilt); returns
 * the index a bundle carries.
 */
function writePrebuilt(name, keys, table) {
  const { index, file } = layOut(prebuilt, keys, table);
  writeFileSync(join(DIST, `${name}.tmp`), file);
  renameSync(join(DIST, `${name}.tmp`), join(DIST, name));
  return index;
}

// Pure ASCII (esbuild escapes strings and names; this, the comments it keeps): Node then
// decodes the file and V8 holds the source as one-byte characters, half the size.
const NON_ASCII = /[\u0080-\uffff]/g;
// `import * as fs from "node:fs"` becomes a copy of the module's ~100 names as getters
// (esbuild's __toESM), made at start-up once per importing file (2-3 ms of a hello-world) and
// read through a getter at every call. A Node built-in's exports object already holds those
// names: the bundle uses it as the namespace.
const NAMESPACE_COPY = /__toESM\(require\("(node:[a-z_/]+)"\),\s*1\)/g;

/**
 * A bundle's text as written: ASCII, the namespace copies gone, with `wrapped` the bin's
 * function wrapper around it (bin/code-cache.js), and a first line that names the build by a
 * hash of the rest, which the bin's code cache is checked against instead of hashing the
 * bundle at each start.
 */
function finished(text, wrapped) {
  const ascii = text
    .replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(NAMESPACE_COPY, (_, name) => `require("${name}")`);
  const out = wrapped ? `${WRAPPER[0]}${ascii}${WRAPPER[1]}` : ascii;
  return `// hartwood build ${createHash("sha256").update(out).digest("hex").slice(0, 16)}\n${out}`;
}

/** `require("node:path").join(__dirname, name)` in a bundle. */
const besideBundle = (name) => `require("node:path").join(__dirname, ${JSON.stringify(name)})`;

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
  // Without indentation, line breaks and comments (names kept): a third smaller (732 KB to 479
  // KB for the run bundle), so a start reads, and copies into a string, 250 KB less.
  minifyWhitespace: true,
  // (lines of at most ~500 characters: an uncaught error's message quotes its line)
  lineLimit: 500,
  write: false,
  logLevel: "warning",
};
const mainIndex = writePrebuilt(PREBUILT_NAME, Object.keys(prebuilt.interpreters), true);
const workerIndex = {
  interpreters: Object.fromEntries(prebuilt.workerKeys.map((k) => [k, mainIndex.interpreters[k]])),
};
const workerBundle = await build({
  stdin: {
    contents: [
      `import { installPrebuilt } from "./cli/prebuilt-file.js";`,
      // No compressed-instruction table: a worker's engine reads main's, in the shared memory.
      `installPrebuilt(${JSON.stringify(workerIndex)}, ${besideBundle(PREBUILT_NAME)});`,
      `export { runHartWorker } from "./modes/user/hart-worker.js";`,
    ].join("\n"),
    resolveDir: DIST,
    sourcefile: "hart-worker-entry.js",
  },
  ...NODE_CJS,
});
// Not wrapped: a plain CommonJS module, which hart-pool.ts can also `require`.
writeFileSync(join(DIST, WORKER_OUT_NAME), finished(workerBundle.outputFiles[0].text, false));

/** The modules a build lists (esbuild's metafile): paths relative to DIST, the entry and shared ones left out. */
const modulesOf = (metafile) =>
  Object.keys(metafile.inputs)
    .map((p) => relative(DIST, resolve(p)))
    .filter((p) => !p.endsWith(ENTRY) && !p.includes(":") && p !== "<stdin>");

/**
 * For the bundle of the CLI's other commands: its imports of modules the run bundle holds
 * (`runModules`) become `require`s of SHARED_PREFIX + the module's path, which the bin answers
 * with the run bundle's own namespace of it (bin/code-cache.js), so that one copy of them is
 * loaded and shipped. `used` collects those paths.
 */
function sharedModules(runModules, used) {
  return {
    name: "shared-modules",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.path.startsWith(SHARED_PREFIX)) return { path: args.path, external: true };
        if (args.pluginData?.inner || args.path.startsWith("node:")) return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { inner: true },
        });
        if (r.errors.length > 0 || r.external || !r.path) return undefined;
        const rel = relative(DIST, r.path);
        if (!runModules.has(rel)) return undefined;
        used.add(rel);
        // (".cjs": a CommonJS stand-in, whatever the module's own name says, commander's esm.mjs)
        return { path: `${rel}.cjs`, namespace: "shared" };
      });
      b.onLoad({ filter: /.*/, namespace: "shared" }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(SHARED_PREFIX + args.path.slice(0, -4))});`,
        loader: "js",
      }));
    },
  };
}

/**
 * Bundles the CLI into dist/`name`.cjs from the entry's `lines`, and lists its modules in
 * dist/`name`.inputs.json for bin/hartwood.js's check in a checkout (not packed); returns them.
 */
async function cliBundle(name, lines, plugins = [], write = true) {
  const { metafile, outputFiles } = await build({
    stdin: { contents: lines.join("\n"), resolveDir: DIST, sourcefile: ENTRY },
    // commander goes in too: its code then comes from the code cache with the rest.
    ...NODE_CJS,
    outfile: join(DIST, `${name}.cjs`),
    plugins: [...plugins, keepModuleUrls, lazyBuiltins],
    metafile: true,
  });
  const modules = modulesOf(metafile);
  if (!write) return modules;
  // Only the bin runs it (loadBundle): wrapped.
  writeFileSync(join(DIST, `${name}.cjs`), finished(outputFiles[0].text, true));
  const inputs = modules.filter((p) => !p.startsWith("..") && p.endsWith(".js"));
  writeFileSync(join(DIST, `${name}.inputs.json`), `${JSON.stringify(inputs)}\n`);
  return modules;
}

// `hartwood run` (cli/main-run.ts): user mode and what every command shares, without system
// mode, bare-metal mode and the image builder (a sixth less to read, deserialize and
// initialize); the other commands (cli/main.ts) come from a second bundle on top of it.
const RUN_ENTRY = [
  `import { installPrebuilt } from "./cli/prebuilt-file.js";`,
  `export const PREBUILT = ${JSON.stringify(mainIndex)};`,
  `installPrebuilt(PREBUILT, ${besideBundle(PREBUILT_NAME)});`,
  `export { main } from "./cli/main-run.js";`,
  // The bin asks whether the recompiler built anything before it saves the code cache.
  `export { compileStats } from "./core/jit/compile-stats.js";`,
  // Worker threads (--threads parallel) run their engines from the worker bundle beside it.
  `import { useBundle } from "./modes/user/hart-pool.js";`,
  `export { useWorkerLoader } from "./modes/user/hart-pool.js";`,
  `useBundle(${besideBundle(WORKER_OUT_NAME)});`,
];
const runModules = new Set(await cliBundle("hartwood-run", RUN_ENTRY, [], false));
const shared = new Set();
await cliBundle("hartwood", [`export { main } from "./cli/main.js";`], [sharedModules(runModules, shared)]);
// The run bundle again, now with the namespaces of the modules the other bundle takes from it.
const sharedList = [...shared].sort();
const importPath = (rel) => JSON.stringify(rel.startsWith("..") ? resolve(DIST, rel) : `./${rel}`);
await cliBundle("hartwood-run", [
  ...RUN_ENTRY,
  ...sharedList.map((rel, i) => `import * as shared${i} from ${importPath(rel)};`),
  `export const SHARED = {${sharedList.map((rel, i) => `${JSON.stringify(rel)}: shared${i}`).join(", ")}};`,
]);
