// The bare-metal runner's command line on bad input: every failure is one line on stderr
// that starts with "hartwood: ", never a stack trace, with a non-zero exit status.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildProgram } from "../bench/build.js";
import { buildGuest } from "./guest/build.js";
import { ISA_DIR, runOnQemuSpike } from "./guest/isa.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Compiles src/ into a private directory keyed by the sources' content and bundles it as
 * `npm run build` does, next to a copy of bin/hartwood.js (which runs the bundle there), so
 * the test runs the CLI built from the sources it sees, whatever state a concurrent build has
 * left dist/ in. It lives under node_modules so that the compiled code resolves its npm
 * dependencies as dist/ does.
 */
function buildCli(): string {
  const files = ["tsconfig.json", "bin/hartwood", "bin/hartwood.js", "bin/code-cache.js", "bin/worker-ahead.js", "bin/package.json", "scripts/build-dist.js", ...listTs(join(ROOT, "src"))]; // prettier-ignore
  const h = createHash("sha256");
  for (const f of files) h.update(f).update(readFileSync(join(ROOT, f)));
  const cache = join(ROOT, "node_modules", ".cache", "hartwood-cli-test");
  const dir = join(cache, h.digest("hex").slice(0, 16));
  const bin = join(dir, "bin", "hartwood.js");
  if (existsSync(bin)) return bin;
  // Builds of other (older) sources, once a day old.
  for (const old of existsSync(cache) ? readdirSync(cache) : []) {
    if (Date.now() - statSync(join(cache, old)).mtimeMs > 86_400_000)
      rmSync(join(cache, old), { recursive: true, force: true });
  }
  const tmp = `${dir}.tmp${process.pid}`;
  try {
    // Type errors are the type-check step's business (tsc emits anyway); only a missing
    // output stops the test.
    const tsc = spawnSync(
      join(ROOT, "node_modules", ".bin", "tsc"),
      ["-p", "tsconfig.json", "--outDir", join(tmp, "dist")],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (!existsSync(join(tmp, "dist", "cli", "main.js")))
      throw new Error(`tsc emitted no CLI:\n${tsc.stdout}${tsc.stderr}`);
    execFileSync(process.execPath, [join(ROOT, "scripts", "build-dist.js"), join(tmp, "dist")], {
      stdio: "inherit",
    });
    mkdirSync(join(tmp, "bin"));
    for (const f of ["hartwood", "hartwood.js", "code-cache.js", "worker-ahead.js", "package.json"])
      copyFileSync(join(ROOT, "bin", f), join(tmp, "bin", f));
    if (!existsSync(dir)) renameSync(tmp, dir); // a concurrent run may have built the same sources
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => relative(ROOT, join(dir, f)))
    .sort();
}

function buildCliGuest(name: string, march = "rv64gc", mabi = "lp64d"): string {
  return buildGuest({
    sources: [`cli/${name}.S`],
    deps: ["isa/test.h", "isa/link.ld"],
    cc: "riscv64-unknown-elf-gcc",
    flags: [
      `-march=${march}`,
      `-mabi=${mabi}`,
      "-nostdlib",
      "-nostartfiles",
      "-static",
      `-I${ISA_DIR}`,
      "-T",
      join(ISA_DIR, "link.ld"),
    ],
    name: `${name}.elf`,
  });
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let cli = "";
let work = "";

/**
 * Runs the CLI. `virtualMemoryKb` caps its address space (ulimit -v), for inputs that could
 * otherwise make it take all the machine's memory.
 */
function hartwood(args: string[], virtualMemoryKb?: number): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const command =
      virtualMemoryKb === undefined
        ? [process.execPath, cli, ...args]
        : ["/bin/sh", "-c", `ulimit -v ${virtualMemoryKb} && exec "$0" "$@"`, process.execPath, cli, ...args];
    const child = spawn(command[0], command.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (status, signal) => resolvePromise({ status, signal, stdout, stderr }));
  });
}

/** Asserts the CLI failed cleanly: non-zero status, one "hartwood: " line matching `message`. */
function expectCleanFailure(r: Run, message: RegExp): void {
  const lines = r.stderr.split("\n");
  if (lines.at(-1) === "") lines.pop();
  expect(r.signal, `killed by a signal; stderr: ${r.stderr.slice(0, 300)}`).toBeNull();
  expect(r.stderr).not.toMatch(/internal error|^\s+at |Error:/m);
  expect(lines, "stderr must be exactly one line").toHaveLength(1);
  expect(lines[0]).toMatch(/^hartwood: /);
  expect(lines[0]).toMatch(message);
  expect(r.status).not.toBe(0);
}

/** Writes `bytes` to a new file in the work directory and returns its path. */
function file(name: string, bytes: Uint8Array | string): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

/** An ELF64 image with helpers to patch its header and program headers. */
class Elf {
  readonly bytes: Buffer;
  constructor(path: string) {
    this.bytes = Buffer.from(readFileSync(path));
  }
  get phoff(): number {
    return Number(this.bytes.readBigUInt64LE(32));
  }
  get phentsize(): number {
    return this.bytes.readUInt16LE(54);
  }
  get phnum(): number {
    return this.bytes.readUInt16LE(56);
  }
  /** Byte offset of program header `i`. */
  ph(i: number): number {
    return this.phoff + i * this.phentsize;
  }
  /** Indexes of the PT_LOAD program headers. */
  loads(): number[] {
    return [...Array(this.phnum).keys()].filter((i) => this.bytes.readUInt32LE(this.ph(i)) === 1);
  }
  segment(i: number) {
    const o = this.ph(i);
    return {
      offset: Number(this.bytes.readBigUInt64LE(o + 8)),
      paddr: Number(this.bytes.readBigUInt64LE(o + 24)),
      fileSize: Number(this.bytes.readBigUInt64LE(o + 32)),
      memSize: Number(this.bytes.readBigUInt64LE(o + 40)),
    };
  }
  setSegmentAddress(i: number, addr: number): this {
    this.bytes.writeBigUInt64LE(BigInt(addr), this.ph(i) + 16); // p_vaddr
    this.bytes.writeBigUInt64LE(BigInt(addr), this.ph(i) + 24); // p_paddr
    return this;
  }
  setEntry(addr: number): this {
    this.bytes.writeBigUInt64LE(BigInt(addr), 24);
    return this;
  }
}

const RAM_BASE = 0x8000_0000;
const RAM_BYTES = 128 << 20; // the runner's RAM size (README)

let pass = "";
let fail = "";
let loop = "";

beforeAll(() => {
  cli = buildCli();
  work = mkdtempSync(join(tmpdir(), "hartwood-cli-"));
  pass = buildCliGuest("pass");
  fail = buildCliGuest("fail");
  loop = buildCliGuest("loop");
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.concurrent("hartwood baremetal", () => {
  test("a passing HTIF program exits with status 0 and prints nothing on stderr", async () => {
    expect(runOnQemuSpike(pass), "reference: QEMU spike").toBe(0);
    const r = await hartwood(["baremetal", pass]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("a failing HTIF program exits with the failing test number and prints it", async () => {
    expect(runOnQemuSpike(fail), "reference: QEMU spike").toBe(7);
    const r = await hartwood(["baremetal", fail]);
    expect(r.stderr).toBe("hartwood: guest reported failure of test 7\n");
    expect(r.status).toBe(7);
  });

  test("an empty PT_LOAD outside RAM loads nothing and is accepted", async () => {
    const elf = new Elf(pass);
    const i = [...Array(elf.phnum).keys()].find((k) => !elf.loads().includes(k));
    expect(i, "the test program has a non-PT_LOAD header to reuse").toBeDefined();
    const o = elf.ph(i!);
    elf.bytes.writeUInt32LE(1, o); // p_type = PT_LOAD
    for (const f of [16, 24]) elf.bytes.writeBigUInt64LE(0x1000n, o + f); // vaddr, paddr
    for (const f of [32, 40]) elf.bytes.writeBigUInt64LE(0n, o + f); // filesz, memsz
    const path = file("empty-load.elf", elf.bytes);
    expect(runOnQemuSpike(path), "reference: QEMU spike").toBe(0);
    const r = await hartwood(["baremetal", path]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  describe("truncated ELF", () => {
    const cuts: [string, (e: Elf) => number, RegExp][] = [
      ["after 10 bytes", () => 10, /not an ELF file|truncated/],
      ["after 63 bytes (inside the ELF header)", () => 63, /not an ELF file|truncated/],
      [
        "inside the program headers",
        (e) => e.phoff + Math.floor((e.phnum * e.phentsize) / 2),
        /program headers are truncated/,
      ],
      [
        "inside a segment",
        (e) => {
          const seg = e.segment(e.loads()[0]);
          return seg.offset + Math.floor(seg.fileSize / 2);
        },
        /segment \d+ is truncated/,
      ],
    ];
    for (const [where, at, message] of cuts) {
      test(`cut ${where} is rejected`, async () => {
        const elf = new Elf(pass);
        const path = file(`cut-${at(elf)}.elf`, elf.bytes.subarray(0, at(elf)));
        expectCleanFailure(await hartwood(["baremetal", path]), message);
      });
    }
  });

  // `run` parses a program from its first 4 KB and reads its segments from the file into guest memory.
  test("`run` rejects a static program cut inside its last segment, past its first 4 KB", async () => {
    const elf = new Elf(helloStatic());
    const seg = elf.segment(elf.loads().at(-1)!);
    const at = seg.offset + Math.floor(seg.fileSize / 2);
    expect(at, "the cut is past the bytes read before parsing").toBeGreaterThan(4096);
    const path = file("cut-static.elf", elf.bytes.subarray(0, at));
    expectCleanFailure(await hartwood(["run", path]), /segment \d+ is truncated/);
  });

  test("an x86-64 ELF (/bin/true) is rejected as not RISC-V", async () => {
    expectCleanFailure(await hartwood(["baremetal", "/bin/true"]), /machine 62, not (RISC-V|riscv64)/i);
  });

  test("a 32-bit RISC-V ELF is rejected", async () => {
    const rv32 = buildCliGuest("rv32", "rv32i", "ilp32");
    expectCleanFailure(await hartwood(["baremetal", rv32]), /not a 64-bit ELF/);
  });

  test("a big-endian ELF header is rejected", async () => {
    const elf = new Elf(pass);
    elf.bytes[5] = 2; // EI_DATA = ELFDATA2MSB
    expectCleanFailure(
      await hartwood(["baremetal", file("big-endian.elf", elf.bytes)]),
      /not a little-endian ELF/,
    );
  });

  test("a text file is rejected as not an ELF file", async () => {
    const path = file("notes.txt", "#!/bin/sh\necho this is not an ELF file\n");
    expectCleanFailure(await hartwood(["baremetal", path]), /not an ELF file/);
  });

  test("an empty file is rejected as not an ELF file", async () => {
    expectCleanFailure(await hartwood(["baremetal", file("empty.elf", "")]), /not an ELF file|empty/);
  });

  test("a missing file is reported with its name", async () => {
    const path = join(work, "no-such-file.elf");
    expectCleanFailure(await hartwood(["baremetal", path]), /no-such-file\.elf.*(ENOENT|no such file)/i);
  });

  test("a directory is reported as unreadable", async () => {
    expectCleanFailure(
      await hartwood(["baremetal", work]),
      /not a regular file|cannot read .*(EISDIR|directory)/i,
    );
  });

  test("a character device (/dev/zero) is rejected without reading it to the end", async () => {
    expectCleanFailure(await hartwood(["baremetal", "/dev/zero"], 3_000_000), /\/dev\/zero/);
  });

  test("overlapping PT_LOAD segments are rejected", async () => {
    const elf = new Elf(pass);
    const [first, second] = elf.loads();
    const seg = elf.segment(first);
    expect(seg.memSize, "first segment is large enough to overlap").toBeGreaterThan(8);
    elf.setSegmentAddress(second, seg.paddr + 8);
    expectCleanFailure(await hartwood(["baremetal", file("overlap.elf", elf.bytes)]), /segments overlap/);
  });

  test("an entry point outside RAM is rejected", async () => {
    const elf = new Elf(pass).setEntry(0x1000);
    expectCleanFailure(
      await hartwood(["baremetal", file("entry.elf", elf.bytes)]),
      /entry point 0x1000 is outside RAM/,
    );
  });

  test("a segment below RAM is rejected", async () => {
    const elf = new Elf(pass);
    elf.setSegmentAddress(elf.loads()[0], 0x1000);
    expectCleanFailure(
      await hartwood(["baremetal", file("low.elf", elf.bytes)]),
      /segment at 0x1000 .*outside RAM/,
    );
  });

  test("a segment that runs past the end of RAM is rejected", async () => {
    const elf = new Elf(pass);
    const last = elf.loads().at(-1)!;
    const at = RAM_BASE + RAM_BYTES - 8;
    expect(elf.segment(last).memSize).toBeGreaterThan(8);
    elf.setSegmentAddress(last, at);
    expectCleanFailure(
      await hartwood(["baremetal", file("high.elf", elf.bytes)]),
      new RegExp(`segment at 0x${at.toString(16)} .*outside RAM`),
    );
  });

  test("an ELF without a tohost symbol is rejected", async () => {
    const stripped = join(work, "stripped.elf");
    execFileSync("riscv64-unknown-elf-objcopy", ["--strip-all", pass, stripped]);
    expectCleanFailure(await hartwood(["baremetal", stripped]), /no 'tohost' symbol/);
  });

  test("--max-insns stops a program that never exits", async () => {
    expectCleanFailure(
      await hartwood(["baremetal", "--max-insns", "1000", loop]),
      /instruction limit reached \(1000 instructions\)/,
    );
  });

  test("a wfi that nothing can wake is reported", async () => {
    expectCleanFailure(await hartwood(["baremetal", "--max-insns", "1000000", buildCliGuest("wfi")]), /wfi/);
  });

  describe("bad flags", () => {
    const cases: [string[], RegExp][] = [
      [["--max-insns", "-5"], /--max-insns.*'-5'.*positive integer/],
      [["--max-insns", "abc"], /--max-insns.*'abc'.*positive integer/],
      [["--max-insns", "0"], /--max-insns.*'0'.*positive integer/],
      [["--frobnicate"], /unknown option '--frobnicate'/],
    ];
    for (const [flags, message] of cases) {
      test(`${flags.join(" ")} is rejected`, async () => {
        expectCleanFailure(await hartwood(["baremetal", ...flags, pass]), message);
      });
    }
  });
});

/** mulberry32: a small seeded PRNG, so a failing mutation can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Runs `main()` of the CLI under test on each file in one child process (a process per file
 * would take most of this test's time budget starting Node), capturing what it writes to
 * stderr. Prints one JSON line per file, and "start k" before each so a hang is attributable.
 */
const FUZZ_DRIVER = `
import { writeSync } from "node:fs";
const { main } = await import(process.env.HARTWOOD_MAIN);
let stderr = "";
process.stderr.write = (s) => ((stderr += s), true);
process.stdout.write = () => true;
const files = JSON.parse(process.env.HARTWOOD_FILES);
for (let k = 0; k < files.length; k++) {
  stderr = "";
  writeSync(1, "start " + k + "\\n");
  let status;
  try {
    status = await main(["baremetal", "--max-insns", "100000", files[k]]);
  } catch (e) {
    stderr += "main() threw: " + (e && e.stack);
  }
  writeSync(1, JSON.stringify({ k, status, stderr }) + "\\n");
}
`;

interface Mutant {
  path: string;
  /** The bytes changed, for reproducing a failure: "[offset]=value ...". */
  changes: string;
}

/** `count` copies of `base`, each with one to four random bytes in `[lo, hi)` changed. */
function mutate(base: Buffer, lo: number, hi: number, count: number, seed: number, tag: string): Mutant[] {
  const rnd = prng(seed);
  return Array.from({ length: count }, (_, k) => {
    const bytes = Buffer.from(base);
    const changes: string[] = [];
    for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) {
      const at = lo + Math.floor(rnd() * (hi - lo));
      bytes[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : bytes[at] ^ (1 << Math.floor(rnd() * 8));
      changes.push(`[${at}]=0x${bytes[at].toString(16)}`);
    }
    return { path: file(`${tag}-${k}.elf`, bytes), changes: changes.join(" ") };
  });
}

/** Runs every mutant; returns a description of each that did not end cleanly. */
function fuzzProblems(mutants: Mutant[]): string[] {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", FUZZ_DRIVER], {
    env: {
      ...process.env,
      HARTWOOD_MAIN: join(dirname(dirname(cli)), "dist", "cli", "main.js"),
      HARTWOOD_FILES: JSON.stringify(mutants.map((m) => m.path)),
    },
    encoding: "utf8",
    timeout: 100_000,
  });
  const problems: string[] = [];
  let started = -1;
  let finished = 0;
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("start ")) started = Number(line.slice(6));
    if (!line.startsWith("{")) continue;
    const { k, status, stderr } = JSON.parse(line) as { k: number; status: unknown; stderr: string };
    finished++;
    const lines = stderr.split("\n").filter((l) => l !== "");
    const clean =
      typeof status === "number" &&
      status >= 0 &&
      status <= 255 &&
      !/internal error|^\s+at |Error:/m.test(stderr) &&
      lines.length <= 1 &&
      lines.every((l) => l.startsWith("hartwood: "));
    if (!clean) problems.push(`mutant ${k} (${mutants[k].changes}): status ${String(status)}: ${stderr}`);
  }
  if (finished < mutants.length) {
    const m = mutants[started];
    problems.push(
      `driver stopped (${r.signal ?? r.status}) in mutant ${started} (${m?.changes}): ${r.stderr}`,
    );
  }
  return problems;
}

test("200 random mutations of the ELF and program headers end cleanly", () => {
  const base = new Elf(pass);
  const end = base.phoff + base.phnum * base.phentsize;
  expect(fuzzProblems(mutate(base.bytes, 0, end, 200, 0x4857_4f44, "ph"))).toEqual([]);
});

test("200 random mutations of the section headers and symbol table end cleanly", () => {
  const base = new Elf(pass);
  // Section headers, then .symtab and .strtab (which the linker puts just before them).
  const shoff = Number(base.bytes.readBigUInt64LE(40));
  const shnum = base.bytes.readUInt16LE(60);
  const symtab = [...Array(shnum).keys()]
    .map((i) => shoff + i * 64)
    .find((o) => base.bytes.readUInt32LE(o + 4) === 2); // SHT_SYMTAB
  expect(symtab, "the test program has a symbol table").toBeDefined();
  const symOff = Number(base.bytes.readBigUInt64LE(symtab! + 24));
  const mutants = [
    ...mutate(base.bytes, shoff, shoff + shnum * 64, 100, 0x5348_4452, "sh"),
    ...mutate(base.bytes, symOff, shoff, 100, 0x5359_4d53, "sym"),
  ];
  expect(fuzzProblems(mutants)).toEqual([]);
});

/** bench/startup's static hello-world, built for riscv64 Linux. */
function helloStatic(): string {
  return buildGuest({
    sources: [join(ROOT, "bench", "startup", "hello.c")],
    cc: "riscv64-linux-gnu-gcc",
    flags: ["-O2", "-static"],
    name: "hello-static",
  });
}

test("a short `hartwood run` with its output on a pipe or /dev/null loads neither the other commands' code nor a Node module it does not use", () => {
  const hello = helloStatic();
  // What Node loaded beyond its own start (`node -e 0`), listed at exit.
  const floor = new Set(
    JSON.parse(
      execFileSync(process.execPath, ["-e", "console.log(JSON.stringify(process.moduleLoadList))"], {
        encoding: "utf8",
      }),
    ) as string[],
  );
  const list = join(work, "loaded.json");
  // The bundles the bin compiles (bin/code-cache.js makes a vm.Script of each) and Node's modules.
  const report = file(
    "loaded.js",
    [
      `const vm = require("vm");`,
      `const bundles = [];`,
      `vm.Script = class extends vm.Script { constructor(text, o) { super(text, o); bundles.push(o.filename); } };`,
      `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify({ bundles, modules: process.moduleLoadList })));`,
    ].join("\n"),
  );
  for (const stdout of ["pipe", "/dev/null"]) {
    const out = stdout === "pipe" ? "pipe" : openSync(stdout, "w");
    const r = spawnSync(process.execPath, ["-r", report, cli, "run", hello], {
      encoding: "utf8",
      stdio: ["ignore", out, "pipe"],
      timeout: 20_000,
    });
    if (typeof out === "number") closeSync(out);
    expect(r.stderr).toBe("");
    if (stdout === "pipe") expect(r.stdout).toBe("hello, world\n");
    const { bundles, modules } = JSON.parse(readFileSync(list, "utf8")) as {
      bundles: string[];
      modules: string[];
    };
    // `run`'s own bundle, which holds no system-mode, bare-metal or image-builder module.
    expect(bundles.map((f) => basename(f))).toEqual(["hartwood-run.cjs"]);
    const inputs = JSON.parse(readFileSync(join(dirname(cli), "..", "dist", "hartwood-run.inputs.json"), "utf8")) as string[]; // prettier-ignore
    expect(inputs).toContain("modes/user/index.js");
    expect(inputs.filter((f) => /^(modes\/system|devices)\/|baremetal|cli\/boot/.test(f))).toEqual([]);
    const loaded = modules.filter((m) => !floor.has(m));
    // node:zlib (the bundle's prebuilt bytes were Brotli text, the code cache's check a CRC-32),
    // node:tty (isatty of stdout) and node:stream (which node:v8 and both of those load) cost a
    // short run 5-10 ms.
    for (const m of ["NativeModule zlib", "NativeModule tty", "NativeModule net", "NativeModule stream"])
      expect(loaded, stdout).not.toContain(m);
  }
});

// README, Speed, "The twentieth session: building": V8's code cache holds the bytecode of the
// functions compiled when it is written; written after a run that translated nothing, it lacked
// the recompiler's, which every later run then compiled again.
test("a run that built translations writes again a code cache that a run without any wrote, once", () => {
  const hello = helloStatic();
  const home = mkdtempSync(join(tmpdir(), "hartwood-cache-"));
  try {
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [cli, "run", ...args, hello], {
        encoding: "utf8",
        env: { ...process.env, XDG_CACHE_HOME: home, HARTWOOD_JIT_STATS: "1" },
        timeout: 20_000,
      });
      expect(r.stdout, r.stderr).toBe("hello, world\n");
      const dir = join(home, "hartwood");
      const [name] = readdirSync(dir).filter((f) => f.endsWith(".v8cache"));
      const bytes = readFileSync(join(dir, name));
      const translations = Number(/translations (\d+)/.exec(r.stderr)?.[1]);
      return { bytes, translations, mtimeMs: statSync(join(dir, name)).mtimeMs };
    };
    // A short run is over before its warm-up ends: nothing translated.
    const plain = run();
    expect(plain.translations).toBe(0);
    // At first sight (threshold 0) the same program has its code translated at once.
    const built = run("--jit-threshold", "0");
    expect(built.translations).toBeGreaterThan(0);
    expect(built.bytes.length).toBeGreaterThan(plain.bytes.length + 50_000);
    // The cache now says what its run used: neither kind of run writes it again.
    for (const args of [[], ["--jit-threshold", "0"]]) expect(run(...args).mtimeMs).toBe(built.mtimeMs);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

// README, Speed, "The nineteenth session: threads": left to compile its own interpreter, the
// worker had V8 optimize it within its first turn (hundreds of ms of TurboFan beside the guest).
test.skipIf(availableParallelism() < 2)(
  "the CLI's worker thread runs an interpreter that V8 never optimizes, as main's",
  () => {
    const elf = buildProgram("threads").riscv;
    const qemu = spawnSync("qemu-riscv64", [elf, "100"], { encoding: "utf8" });
    const r = spawnSync(process.execPath, ["--trace-wasm-compilation-times", cli, "run", elf, "100"], {
      encoding: "utf8",
      // V8 checks a code cache against its flags: this run must not replace the usual one.
      env: { ...process.env, HARTWOOD_JIT_STATS: "1", HARTWOOD_NO_CODE_CACHE: "1" },
      timeout: 60_000,
    });
    // V8's trace shares stdout: "Compiled function 0x...#8 using Liftoff, took 9 ms and ...
    // bytes; bodysize 17349 ...". The interpreter's loop is the largest function compiled.
    expect(r.stdout, r.stderr).toContain(qemu.stdout);
    expect(
      Number(/(\d+) turns of guest threads on worker threads/.exec(r.stderr)?.[1]),
      r.stderr,
    ).toBeGreaterThan(0);
    const compiles = [...r.stdout.matchAll(/using (Liftoff|TurboFan),.*bodysize (\d+)/g)].map((m) => ({
      tier: m[1],
      bodySize: Number(m[2]),
    }));
    const loop = Math.max(...compiles.filter((c) => c.tier === "Liftoff").map((c) => c.bodySize));
    expect(loop, "the interpreter's loop, compiled").toBeGreaterThan(10_000);
    expect(compiles.filter((c) => c.tier === "TurboFan" && c.bodySize === loop)).toEqual([]);
  },
);

// bin/hartwood, the installed bin, is a shell script that execs Node with MALLOC_ARENA_MAX=1 on
// itself as CommonJS (docs/speed-sessions.md, "The twenty-second session: launch").
test("the installed bin execs node on itself with MALLOC_ARENA_MAX=1 unless the user set it", () => {
  const launcher = join(dirname(cli), "hartwood");
  const fake = join(work, "fake-node");
  mkdirSync(fake, { recursive: true });
  file("fake-node/node", `#!/bin/sh\nprintf '%s\\n' "MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX-unset}" "$@"\n`);
  execFileSync("chmod", ["+x", join(fake, "node")]);
  const { MALLOC_ARENA_MAX: _, ...env } = process.env;
  const exec = (extra: Record<string, string>) =>
    execFileSync(launcher, ["run", "a b", "c"], {
      encoding: "utf8",
      env: { ...env, ...extra, PATH: `${fake}:${process.env.PATH}` },
    });
  expect(exec({})).toBe(`MALLOC_ARENA_MAX=1\n${launcher}\nrun\na b\nc\n`);
  expect(exec({ MALLOC_ARENA_MAX: "4" })).toBe(`MALLOC_ARENA_MAX=4\n${launcher}\nrun\na b\nc\n`);
});

test("a guest run by the installed bin sees the user's environment, without the launcher's variables", () => {
  const envlist = buildGuest({ sources: ["user/envlist.c"], cc: "riscv64-linux-gnu-gcc", flags: ["-O2", "-static"], name: "envlist" }); // prettier-ignore
  const launcher = join(dirname(cli), "hartwood");
  const { MALLOC_ARENA_MAX: _, ...env } = process.env;
  const bin = dirname(process.execPath);
  const guestEnv = (extra: Record<string, string>) =>
    execFileSync(launcher, ["run", envlist], {
      encoding: "utf8",
      env: { ...env, ...extra, PATH: `${bin}:${process.env.PATH}`, HARTWOOD_TEST_MARK: "x" },
      timeout: 20_000,
    }).split("\n");
  const plain = guestEnv({});
  expect(plain).toContain("HARTWOOD_TEST_MARK=x");
  expect(plain.filter((v) => /MALLOC_ARENA_MAX/.test(v))).toEqual([]);
  expect(guestEnv({ MALLOC_ARENA_MAX: "4" }).filter((v) => /MALLOC_ARENA_MAX/.test(v))).toEqual([
    "MALLOC_ARENA_MAX=4",
  ]);
});
