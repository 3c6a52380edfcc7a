// The npm package as a user gets it: `npm pack` (whose prepack step builds dist/) gives a
// tarball with the built code, its types and the guest-image recipes, and without the tests,
// benchmarks or TypeScript sources; installed into an empty project, its `hartwood` bin runs
// guest programs (from the single-file build, with the interpreters prebuilt as the sources
// generate them now) and its library entry imports and type-checks.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"; // prettier-ignore
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { computePrebuilt } from "../src/cli/prebuilt.js";
import type { Extent, PrebuiltIndex } from "../src/cli/prebuilt-file.js";
import { buildProgram } from "../bench/build.js";
import { buildGuest } from "./guest/build.js";
import { buildBaremetalProgram, runOnQemuSpikeWithOutput } from "./guest/isa.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The node running this test first on PATH, for npm and for the bin's `#!/usr/bin/env node`. */
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };

let work = "";
let checkout = "";
let project = "";
let files: string[] = [];
let tarballBytes = 0;
let hello = "";

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd,
    env: ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "hartwood-package-"));
  // Packs a copy of the checkout, so that prepack's clean build of dist/ cannot disturb tests
  // that run the CLI from the checkout's dist/ meanwhile. The copy shares node_modules (tsc).
  checkout = join(work, "checkout");
  const skip = new Set(["node_modules", "dist", ".git"].map((d) => join(ROOT, d)));
  cpSync(ROOT, checkout, { recursive: true, filter: (src) => !skip.has(src) });
  symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"), "dir");
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", work], checkout)) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  files = packed.files.map((f) => f.path).sort();
  tarballBytes = packed.size;

  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "uses-hartwood", private: true, type: "module" }),
  );
  npm(["install", join(work, packed.filename)], project);

  hello = buildBaremetalProgram("demo/hello.S", "hello.elf");
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the tarball holds the built CLI, the library entry with its types and the guest recipes", () => {
  for (const f of [
    "package.json",
    "README.md",
    "bin/hartwood",
    "bin/hartwood.js",
    "bin/code-cache.js",
    "bin/worker-ahead.js",
    "dist/cli/main.js",
    "dist/hartwood.cjs",
    "dist/hartwood-run.cjs",
    "dist/hartwood-prebuilt.bin",
    "dist/hart-worker.cjs",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/modes/system/image.js",
    "scripts/build-guest.sh",
    "scripts/build-busybox.sh",
    "scripts/guest/kernel.config",
    "scripts/guest/init.sh",
  ])
    expect(files).toContain(f);
  expect(tarballBytes).toBeLessThan(1 << 20);
});

test("the tarball holds no tests, benchmarks, TypeScript sources or set-up scripts", () => {
  const unwanted = files.filter(
    (f) =>
      /^(test|bench|src)\//.test(f) ||
      (f.endsWith(".ts") && !f.endsWith(".d.ts")) ||
      f.endsWith(".map") ||
      (f.startsWith("scripts/") && !/^scripts\/(build-guest\.sh|build-busybox\.sh|guest\/)/.test(f)),
  );
  expect(unwanted).toEqual([]);
});

test("the installed hartwood bin runs a bare-metal program as QEMU does", () => {
  const expected = runOnQemuSpikeWithOutput(hello);
  expect(expected.stdout).toContain("primes below 10000: 1229\n");
  const r = spawnSync(join(project, "node_modules", ".bin", "hartwood"), ["baremetal", hello], {
    cwd: project,
    env: ENV,
    encoding: "utf8",
    timeout: 20_000,
  });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe(expected.stdout);
  expect(r.status).toBe(expected.status);
  expect(r.status).toBe(0);
});

test("the installed library entry exports the modes, the machine and the riscv64 plug-in", () => {
  const script = `
    import { readFileSync } from "node:fs";
    const m = await import("hartwood");
    const kinds = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]));
    const out = [];
    const r = m.runBaremetal(readFileSync(process.argv[1]), { out: (b) => out.push(...b) }, m.riscv64);
    const pkg = JSON.parse(readFileSync(new URL(import.meta.resolve("hartwood/package.json")), "utf8"));
    console.log(JSON.stringify({ kinds, status: r.status, out: String.fromCharCode(...out), version: pkg.version }));
  `;
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script, hello], {
    cwd: project,
    env: ENV,
    encoding: "utf8",
  });
  const got = JSON.parse(stdout) as {
    kinds: Record<string, string>;
    status: number;
    out: string;
    version: string;
  };
  expect(got.kinds).toMatchObject({
    runBaremetal: "function",
    runUser: "function",
    VirtBoard: "function",
    Machine: "function",
    buildGuestImage: "function",
    UserError: "function",
    riscv64: "object",
  });
  expect(got.status).toBe(0);
  expect(got.out).toContain("primes below 10000: 1229\n");
  expect(got.version).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
});

test("the installed library entry's types resolve and check", () => {
  writeFileSync(
    join(project, "check.ts"),
    `import { runBaremetal, riscv64, VirtBoard, type IsaPlugin, type VirtOptions, type Cpu } from "hartwood";
const isa: IsaPlugin = riscv64;
const status: number = runBaremetal(new Uint8Array(), { maxInsns: 1 }, isa).status;
type Board = InstanceType<typeof VirtBoard>;
export type { Board, VirtOptions, Cpu };
export { status };
`,
  );
  const tsc = spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules", "typescript", "bin", "tsc"),
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--typeRoots",
      relative(project, join(ROOT, "node_modules", "@types")),
      "--types",
      "node",
      "check.ts",
    ],
    { cwd: project, encoding: "utf8" },
  );
  expect(tsc.stdout + tsc.stderr).toBe("");
  expect(tsc.status).toBe(0);
});

/** The installed bin on `args`. */
function installedBin(args: string[]) {
  return spawnSync(join(project, "node_modules", ".bin", "hartwood"), args, {
    cwd: project,
    env: ENV,
    encoding: "utf8",
    timeout: 30_000,
  });
}

test("the installed hartwood bin runs static and dynamic riscv64 Linux programs as qemu-riscv64 does", () => {
  const source = join(ROOT, "bench", "startup", "hello.c");
  for (const [link, flags, qemuFlags] of [
    ["static", ["-static"], []],
    ["dynamic", [], ["-L", "/usr/riscv64-linux-gnu"]],
  ] as const) {
    const elf = buildGuest({ sources: [source], cc: "riscv64-linux-gnu-gcc", flags: ["-O2", ...flags], name: `hello-${link}` }); // prettier-ignore
    const qemu = spawnSync("qemu-riscv64", [...qemuFlags, elf], { encoding: "utf8" });
    expect(qemu.stdout).toBe("hello, world\n");
    for (const engine of [[], ["--no-jit"]]) {
      const r = installedBin(["run", ...engine, elf]);
      expect(r.stderr, `${link} ${engine.join(" ")}`).toBe("");
      expect(r.stdout).toBe(qemu.stdout);
      expect(r.status).toBe(qemu.status);
    }
  }
});

// The CLI's workers load the package's own worker bundle (dist/hart-worker.cjs), with a code
// cache of their own beside the CLI's: the tests that run from the sources (parallel.test.ts)
// never load it.
test.skipIf(availableParallelism() < 2)(
  "the installed hartwood bin runs a program's threads on worker threads (--threads parallel) as qemu-riscv64 does, their bundle from V8's code cache from the second run on",
  () => {
    const elf = buildProgram("threads").riscv;
    const qemu = spawnSync("qemu-riscv64", [elf, "1000"], { encoding: "utf8" });
    const cacheHome = join(work, "xdg-cache-threads");
    const dir = join(cacheHome, "hartwood");
    const run = () => {
      const r = spawnSync(join(project, "node_modules", ".bin", "hartwood"), ["run", elf, "1000"], {
        cwd: project,
        env: { ...ENV, HARTWOOD_JIT_STATS: "1", XDG_CACHE_HOME: cacheHome },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.stdout, r.stderr).toBe(qemu.stdout);
      expect(r.status).toBe(0);
      const turns = /(\d+) turns of guest threads on worker threads \((\d+) started ahead\)/.exec(r.stderr);
      expect(Number(turns?.[1]), r.stderr).toBeGreaterThan(0);
      // The program names pthread_create: the bin started the worker before it loaded the CLI.
      expect(Number(turns?.[2]), r.stderr).toBe(1);
    };
    run();
    // The CLI's bundle's cache and the worker bundle's, saved by the worker after its first turn.
    const caches = readdirSync(dir).map((f) => join(dir, f));
    expect(caches, "two caches").toHaveLength(2);
    const past = new Date(Date.now() - 3_600_000);
    for (const f of caches) utimesSync(f, past, past);
    run();
    expect(readdirSync(dir).sort()).toEqual(caches.map((f) => relative(dir, f)).sort());
    for (const f of caches)
      expect(
        Math.abs(statSync(f).mtimeMs - past.getTime()),
        `${f}: accepted, so not written again`,
      ).toBeLessThan(1);
  },
);

test("the single-file builds carry the interpreters and the compressed table the sources generate now", () => {
  const dist = join(project, "node_modules", "hartwood", "dist");
  // The bin runs the bundle (bin/code-cache.js): it is a function of the module's variables.
  const script = `console.log(JSON.stringify(require(process.argv[1]).loadBundle(process.argv[2]).exports.PREBUILT));`;
  const index = JSON.parse(
    execFileSync(
      process.execPath,
      ["-e", script, join(dist, "..", "bin", "code-cache.js"), join(dist, "hartwood-run.cjs")],
      { encoding: "utf8", env: { ...ENV, HARTWOOD_NO_CODE_CACHE: "1" } },
    ),
  ) as PrebuiltIndex;
  const shipped = readFileSync(join(dist, "hartwood-prebuilt.bin"));
  const at = ([offset, length]: Extent) => shipped.subarray(offset, offset + length);
  const now = computePrebuilt();
  // With the recompiler and without, for the first process and for a forked child (their
  // memories differ), as `hartwood run` asks for them, and the first worker thread's with the
  // recompiler (--threads parallel); and `hartwood boot`'s on 1 and 2 harts with the
  // recompiler, and on 1 without.
  expect(Object.keys(now.interpreters)).toHaveLength(8);
  expect(Object.keys(index.interpreters).sort()).toEqual(Object.keys(now.interpreters).sort());
  for (const [key, bytes] of Object.entries(now.interpreters))
    expect(at(index.interpreters[key]).equals(bytes), key).toBe(true);
  expect(at(index.compressedTable!).equals(now.compressedTable)).toBe(true);
});

test("the single-file builds use Node's built-in modules as they are, not esbuild's copies of their names (one a module, 2-3 ms of a start)", () => {
  const dist = join(project, "node_modules", "hartwood", "dist");
  for (const f of ["hartwood-run.cjs", "hartwood.cjs", "hart-worker.cjs"]) {
    const text = readFileSync(join(dist, f), "latin1");
    expect(text, f).toContain('require("node:fs")');
    expect(text.match(/__toESM\(require\("node:[^"]*"\)/g), f).toBeNull();
  }
});

test("the bin runs the single-file build, and in a checkout the modules once one of them is newer", () => {
  // A line in dist/cli/main.js tells which ran.
  const mark = (dist: string) => {
    const main = join(dist, "cli", "main.js");
    writeFileSync(main, `${readFileSync(main, "utf8")}\nprocess.stderr.write("from the modules\\n");\n`);
    return main;
  };
  const run = (bin: string) => spawnSync(process.execPath, [bin, "baremetal", hello], { cwd: project, env: ENV, encoding: "utf8", timeout: 30_000 }); // prettier-ignore
  const installed = join(project, "node_modules", "hartwood");
  mark(join(installed, "dist"));
  const packaged = run(join(installed, "bin", "hartwood.js"));
  expect(packaged.stderr).toBe("");
  expect(packaged.stdout).toContain("primes below 10000: 1229\n");

  const bin = join(checkout, "bin", "hartwood.js");
  const main = mark(join(checkout, "dist"));
  const bundled = statSync(join(checkout, "dist", "hartwood.cjs")).mtimeMs;
  const at = (ms: number) => utimesSync(main, new Date(ms), new Date(ms));
  at(bundled - 2000); // as `npm run build` leaves it
  const built = run(bin);
  expect(built.stderr).toBe("");
  expect(built.stdout).toContain("primes below 10000: 1229\n");
  at(bundled + 2000); // as a later `tsc` leaves it
  const stale = run(bin);
  expect(stale.stderr).toBe("from the modules\n");
  expect(stale.stdout).toBe(built.stdout);
});

test("the bin keeps V8's code cache of each bundle: written by the first run, used by the next, rewritten when it belongs to another build", () => {
  const cacheHome = join(work, "xdg-cache");
  const env = { ...ENV, XDG_CACHE_HOME: cacheHome };
  const bin = join(project, "node_modules", "hartwood", "bin", "hartwood.js");
  const run = () => spawnSync(process.execPath, [bin, "baremetal", hello], { cwd: project, env, encoding: "utf8", timeout: 30_000 }); // prettier-ignore
  const cached = () => readdirSync(join(cacheHome, "hartwood")).map((f) => join(cacheHome, "hartwood", f));
  const first = run();
  expect(first.stderr).toBe("");
  expect(first.stdout).toContain("primes below 10000: 1229\n");
  // `run`'s bundle, which the other commands' bundle builds on, and that one.
  const files = cached();
  expect(files).toHaveLength(2);
  const written = files.map((f) => readFileSync(f));
  const past = new Date(Date.now() - 3_600_000);
  for (const f of files) utimesSync(f, past, past);
  expect(run().stdout).toBe(first.stdout);
  for (const f of files)
    expect(
      Math.abs(statSync(f).mtimeMs - past.getTime()),
      `${f}: accepted, so not written again`,
    ).toBeLessThan(1);
  // Another build's cache (its check bytes differ) is ignored and replaced.
  files.forEach((f, i) => {
    const foreign = Buffer.from(written[i]);
    foreign[5] ^= 0xff;
    writeFileSync(f, foreign);
  });
  const again = run();
  expect(again.stderr).toBe("");
  expect(again.stdout).toBe(first.stdout);
  files.forEach((f, i) =>
    expect(
      readFileSync(f).subarray(0, 16).equals(written[i].subarray(0, 16)),
      `${f}: this build's check again`,
    ).toBe(true),
  );
  // A cache that cannot be read is no error either.
  for (const f of files) writeFileSync(f, "");
  expect(run().stdout).toBe(first.stdout);
});

test("a run with --no-jit, whose interpreter V8 compiles again mid-run with other flags, leaves V8's flags as they were: the code cache it writes serves the next run, with the recompiler or without", () => {
  const cacheHome = join(work, "xdg-cache-interpreter");
  const env = { ...ENV, XDG_CACHE_HOME: cacheHome };
  const bin = join(project, "node_modules", "hartwood", "bin", "hartwood.js");
  // crc32 of 1 MiB: several million instructions, past the million after which the
  // interpreter is compiled again (bin/hartwood.js).
  const elf = buildGuest({ sources: [join(ROOT, "bench", "programs", "crc32.c")], cc: "riscv64-linux-gnu-gcc", flags: ["-O2", "-static", `-I${join(ROOT, "bench", "programs")}`], name: "crc32" }); // prettier-ignore
  const run = (...engine: string[]) => spawnSync(process.execPath, [bin, "run", ...engine, elf, "1"], { cwd: project, env, encoding: "utf8", timeout: 60_000 }); // prettier-ignore
  const dir = join(cacheHome, "hartwood");
  const first = run("--no-jit");
  expect(first.stderr).toBe("");
  expect(first.stdout).toMatch(/^crc32 checksum: [0-9a-f]{16}\n$/);
  const [name] = readdirSync(dir);
  expect(readdirSync(dir)).toHaveLength(1);
  const file = join(dir, name);
  const past = new Date(Date.now() - 3_600_000);
  const untouched = () => Math.abs(statSync(file).mtimeMs - past.getTime()) < 1;
  utimesSync(file, past, past);
  expect(run("--no-jit").stdout).toBe(first.stdout);
  expect(untouched(), "accepted, so not written again").toBe(true);
  // The first run that builds translations writes it once more, with the recompiler's code
  // (code-cache.js `save`); after that neither kind of run finds it rejected.
  expect(run().stdout).toBe(first.stdout);
  expect(untouched(), "written again with the recompiler's code").toBe(false);
  utimesSync(file, past, past);
  expect(run().stdout).toBe(first.stdout);
  expect(run("--no-jit").stdout).toBe(first.stdout);
  expect(readdirSync(dir), "one cache for both").toEqual([name]);
  expect(untouched(), "accepted by both, so not written again").toBe(true);
});
