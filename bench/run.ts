// The benchmark runner behind `npm run bench`: builds every program in bench/programs for
// riscv64 and for the host from the same source, runs each on Hartwood (recompiler, then
// interpreter), on qemu-riscv64 and natively in the same run, checks that they all print the
// same output, and reports wall time, the ratios, guest instructions per second, the
// recompiler's compile statistics and peak RSS as a Markdown table (stdout and
// bench/RESULTS.md).
//
// The dynamic instruction count comes from one extra QEMU run with a small counting plugin
// (bench/qemu-plugin/insn-count.c): it is a property of the program, so the same count
// gives both emulators' instructions per second.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../test/guest/build.js";
import { buildProgram } from "./build.js";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, "..");
// The bin (bin/hartwood) execs the `node` on PATH: this one.
process.env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;

interface Program {
  name: string;
  kind: "integer" | "memory" | "float" | "calls";
  /**
   * Repetition counts (argv[1]), both measured on qemu-riscv64 on the benchmark's host: `long`
   * (at least 3 s, so start-up does not hide steady-state speed) and `small` (about 0.5 s, the
   * warm-up row); --quick runs only the small one.
   */
  reps: { small: number; long: number };
}

const PROGRAMS: Program[] = [
  { name: "crc32", kind: "integer", reps: { small: 140, long: 1000 } },
  { name: "sha256", kind: "integer", reps: { small: 700, long: 4600 } },
  { name: "sort", kind: "integer", reps: { small: 4, long: 30 } },
  { name: "sieve", kind: "integer", reps: { small: 4, long: 38 } },
  { name: "interp", kind: "integer", reps: { small: 3, long: 17 } },
  { name: "strings", kind: "integer", reps: { small: 5, long: 33 } },
  { name: "list", kind: "memory", reps: { small: 5, long: 40 } },
  { name: "hash", kind: "memory", reps: { small: 1, long: 9 } },
  { name: "matmul", kind: "float", reps: { small: 4, long: 27 } },
  { name: "nbody", kind: "float", reps: { small: 5, long: 31 } },
  { name: "fft", kind: "float", reps: { small: 11, long: 84 } },
  { name: "recurse", kind: "calls", reps: { small: 75, long: 540 } },
  { name: "calls", kind: "calls", reps: { small: 250, long: 1800 } },
  { name: "statemachine", kind: "calls", reps: { small: 575, long: 3800 } },
  { name: "embedded", kind: "calls", reps: { small: 22, long: 145 } },
  { name: "threads", kind: "calls", reps: { small: 530, long: 3800 } },
];

interface Options {
  quick: boolean;
  only?: Set<string>;
  runs: number;
  timeoutS: number;
  output: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--only a,b] [--runs N] [--timeout S] [--output FILE]
  --quick        only the small size of each program (about 0.5 s under QEMU)
  --only a,b     run only these programs (${PROGRAMS.map((p) => p.name).join(", ")})
  --runs N       time each runner N times and keep the fastest (default 1)
  --timeout S    give up on one run after S seconds (default 600)
  --output FILE  where the Markdown report goes (default bench/RESULTS.md)`;

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, runs: 1, timeoutS: 600, output: join(BENCH_DIR, "RESULTS.md") };
  const num = (v: string | undefined, flag: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--only") o.only = new Set((argv[++i] ?? "").split(",").filter((s) => s !== ""));
    else if (a === "--runs") o.runs = num(argv[++i], a);
    else if (a === "--timeout") o.timeoutS = num(argv[++i], a);
    else if (a === "--output") o.output = resolve(argv[++i] ?? "");
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  for (const n of o.only ?? []) {
    if (!PROGRAMS.some((p) => p.name === n)) throw new Error(`no benchmark named '${n}'`);
  }
  return o;
}

function buildInsnPlugin(): string {
  return buildGuest({
    sources: [join(BENCH_DIR, "qemu-plugin", "insn-count.c")],
    cc: "gcc",
    flags: ["-O2", "-shared", "-fPIC"],
    name: "insn-count.so",
  });
}

interface Measured {
  ok: boolean;
  /** Why it failed: exit status, signal, time-out. */
  error?: string;
  stdout: string;
  stderr: string;
  wallS: number;
  peakRssKiB: number;
}

/** Runs a command under GNU time (for peak RSS) and coreutils timeout (kills the whole group). */
function measure(cmd: string[], timeoutS: number, scratch: string, env?: NodeJS.ProcessEnv): Measured {
  const timeFile = join(scratch, "time.out");
  rmSync(timeFile, { force: true });
  const start = process.hrtime.bigint();
  const r = spawnSync(
    "timeout",
    ["-s", "KILL", String(timeoutS), "/usr/bin/time", "-q", "-o", timeFile, "-f", "%M", ...cmd],
    { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"], env },
  );
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  let peakRssKiB = NaN;
  try {
    peakRssKiB = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop());
  } catch {
    // killed before GNU time could write
  }
  const stdout = r.stdout ?? "";
  const stderr = r.stderr ?? "";
  const fail = (error: string): Measured => ({ ok: false, error, stdout, stderr, wallS, peakRssKiB });
  if (r.error) return fail(r.error.message);
  if (r.status === 137 && wallS >= timeoutS) return fail(`timed out after ${timeoutS} s`);
  if (r.status !== 0) {
    const why =
      stderr
        .trim()
        .split("\n")
        .filter((l) => !STATS_LINE.test(l))
        .slice(-1)[0] ?? "";
    return fail(`exit status ${r.status}${why ? `: ${why}` : ""}`);
  }
  return { ok: true, stdout, stderr, wallS, peakRssKiB };
}

/** Best of `runs` (by wall time); the first failure ends the series. */
function measureBest(cmd: string[], o: Options, scratch: string, env?: NodeJS.ProcessEnv): Measured {
  let best: Measured | undefined;
  for (let i = 0; i < o.runs; i++) {
    const m = measure(cmd, o.timeoutS, scratch, env);
    if (!m.ok) return m;
    if (best === undefined || m.wallS < best.wallS) best = m;
  }
  return best as Measured;
}

function countInsns(plugin: string, elf: string, args: string[], scratch: string): number {
  const log = join(scratch, "insns.log");
  rmSync(log, { force: true });
  const r = spawnSync("qemu-riscv64", ["-plugin", plugin, "-d", "plugin", "-D", log, elf, ...args], {
    stdio: "ignore",
  });
  if (r.status !== 0) return NaN;
  const m = /insns: (\d+)/.exec(readFileSync(log, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/**
 * What `HARTWOOD_JIT_STATS=1 hartwood run` prints at exit (src/cli/main.ts,
 * core/jit/compile-stats.ts): the fields read here, among others.
 */
const STATS_LINE =
  /^hartwood: jit stats: translations (\d+), .*modules (\d+), compile ([\d.]+) ms, (?:build [\d.]+ ms, )?code (\d+) bytes$/m;

interface JitStats {
  translations: number;
  modules: number;
  compileMs: number;
  codeBytes: number;
}

function jitStats(m: Measured): JitStats | undefined {
  const g = STATS_LINE.exec(m.stderr);
  if (!g) return undefined;
  return {
    translations: Number(g[1]),
    modules: Number(g[2]),
    compileMs: Number(g[3]),
    codeBytes: Number(g[4]),
  };
}

/** One program at one size. */
interface Run {
  program: Program;
  size: "small" | "long";
  args: string[];
}

function runsOf(p: Program, quick: boolean): Run[] {
  const small: Run = { program: p, size: "small", args: [String(p.reps.small)] };
  return quick ? [small] : [small, { program: p, size: "long", args: [String(p.reps.long)] }];
}

interface Row {
  run: Run;
  native: Measured;
  qemu: Measured;
  hartwood: Measured;
  interp: Measured;
  insns: number;
  stats?: JitStats;
  /** Small rows: Hartwood/QEMU at the small size ÷ Hartwood/QEMU at the long size. */
  warmup?: number;
  status: string;
}

const fmtS = (m: Measured) => (m.ok ? m.wallS.toFixed(2) : "—");
const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 2 : 1)}×` : "—");
const fmtMips = (insns: number, m: Measured) =>
  m.ok && insns > 0 ? (insns / m.wallS / 1e6).toFixed(0) : "—";
const fmtMiB = (m: Measured) => (Number.isFinite(m.peakRssKiB) ? (m.peakRssKiB / 1024).toFixed(0) : "—");

function geomean(xs: number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  return ok.length === 0 ? NaN : Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length);
}

function label(r: Run): string {
  return `${r.program.name} ${r.size} (${r.args[0]})`;
}

function statCells(s: JitStats | undefined): string {
  if (!s) return "— | — | — | —";
  return `${s.translations} | ${s.modules} | ${s.compileMs.toFixed(0)} | ${(s.codeBytes / 1024).toFixed(0)}`;
}

function table(rows: Row[]): string {
  const lines = [
    "| program | kind | guest insns (M) | native s | QEMU s | Hartwood s | interp s | Hartwood/QEMU | interp/QEMU | Hartwood/native | small÷long | QEMU MIPS | Hartwood MIPS | translations | modules | compile ms | code KiB | peak RSS MiB native / QEMU / Hartwood / interp | result |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${label(r.run)} | ${r.run.program.kind} | ${Number.isFinite(r.insns) ? (r.insns / 1e6).toFixed(0) : "—"} | ` +
        `${fmtS(r.native)} | ${fmtS(r.qemu)} | ${fmtS(r.hartwood)} | ${fmtS(r.interp)} | ` +
        `${fmtRatio(ratio(r.hartwood, r.qemu))} | ${fmtRatio(ratio(r.interp, r.qemu))} | ` +
        `${fmtRatio(ratio(r.hartwood, r.native))} | ${r.warmup === undefined ? "" : fmtRatio(r.warmup)} | ` +
        `${fmtMips(r.insns, r.qemu)} | ${fmtMips(r.insns, r.hartwood)} | ${statCells(r.stats)} | ` +
        `${fmtMiB(r.native)} / ${fmtMiB(r.qemu)} / ${fmtMiB(r.hartwood)} / ${fmtMiB(r.interp)} | ${r.status} |`,
    );
  }
  // The means leave out small (warm-up) rows beside a long row: each program counts once.
  const hasLong = (p: Program) => rows.some((r) => r.run.program === p && r.run.size === "long");
  const steady = rows.filter((r) => r.run.size !== "small" || !hasLong(r.run.program));
  const mean = (f: (r: Row) => number) => `**${fmtRatio(geomean(steady.map(f)))}**`;
  lines.push(
    `| **geometric mean** | | | | | | | ${mean((r) => ratio(r.hartwood, r.qemu))} | ` +
      `${mean((r) => ratio(r.interp, r.qemu))} | ${mean((r) => ratio(r.hartwood, r.native))} | | | | | | | | | |`,
  );
  return lines.join("\n");
}

function ratio(a: Measured, b: Measured): number {
  return a.ok && b.ok ? a.wallS / b.wallS : NaN;
}

function lastLine(s: string): string {
  return s.trim().split("\n").slice(-1)[0] ?? "";
}

/** The status column: the checksum line when all four agree, otherwise what went wrong. */
function verdict(native: Measured, others: [string, Measured][]): string {
  const fails: string[] = [];
  if (!native.ok) fails.push(`native: ${native.error}`);
  for (const [name, m] of others) {
    if (!m.ok) fails.push(`${name}: ${m.error}`);
    else if (native.ok && m.stdout !== native.stdout)
      fails.push(`${name} output differs: ${lastLine(m.stdout) || "(empty)"}`);
  }
  const clean = (s: string) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 160);
  return fails.length === 0 ? `\`${lastLine(native.stdout)}\`` : `**FAIL** ${clean(fails.join("; "))}`;
}

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout ?? "").split("\n")[0].trim() || "unknown";
}

function measureRun(run: Run, o: Options, plugin: string, scratch: string): Row {
  const bins = buildProgram(run.program.name);
  const { args } = run;
  // What a user runs: the installed bin (bin/hartwood, a shell script that execs the `node` on
  // PATH with its environment, docs/speed-sessions.md "The twenty-second session: launch"), on
  // this process's node (PATH, at the top).
  const hartwood = [join(ROOT, "bin", "hartwood"), "run"];
  const name = label(run);
  const log = (s: string) => process.stderr.write(`bench: ${name}: ${s}\n`);
  log("native");
  const native = measureBest([bins.native, ...args], o, scratch);
  log("qemu-riscv64");
  const qemu = measureBest(["qemu-riscv64", bins.riscv, ...args], o, scratch);
  const insns = countInsns(plugin, bins.riscv, args, scratch);
  log("Hartwood");
  const env = { ...process.env, HARTWOOD_JIT_STATS: "1" };
  const hw = measureBest([...hartwood, bins.riscv, ...args], o, scratch, env);
  log("Hartwood --no-jit");
  const interp = measureBest([...hartwood, "--no-jit", bins.riscv, ...args], o, scratch);
  const status = verdict(native, [
    ["QEMU", qemu],
    ["Hartwood", hw],
    ["Hartwood --no-jit", interp],
  ]);
  log(
    `native ${fmtS(native)} s, QEMU ${fmtS(qemu)} s, Hartwood ${fmtS(hw)} s, interpreter ${fmtS(interp)} s` +
      (status.startsWith("**FAIL**") ? ` — ${status}` : ""),
  );
  return { run, native, qemu, hartwood: hw, interp, insns, stats: jitStats(hw), status };
}

function main(): number {
  const o = parseArgs(process.argv.slice(2));
  const programs = PROGRAMS.filter((p) => o.only === undefined || o.only.has(p.name));
  const scratch = mkdtempSync(join(tmpdir(), "hartwood-bench-"));
  try {
    process.stderr.write("bench: building programs (cached in ~/.cache/hartwood)\n");
    const plugin = buildInsnPlugin();
    const rows: Row[] = [];
    for (const p of programs) {
      const mine = runsOf(p, o.quick).map((run) => measureRun(run, o, plugin, scratch));
      const small = mine.find((r) => r.run.size === "small");
      const long = mine.find((r) => r.run.size === "long");
      if (small && long) small.warmup = ratio(small.hartwood, small.qemu) / ratio(long.hartwood, long.qemu);
      rows.push(...mine);
    }
    const failed = rows.filter((r) => r.status.startsWith("**FAIL**")).length;
    const argv = process.argv.slice(2);
    const cmd = `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`;
    const report = [
      "# Benchmark results",
      "",
      `Command: \`${cmd}\`  `,
      `Date: ${new Date().toISOString()}  `,
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ` +
        `${toolVersion("qemu-riscv64", ["--version"])}, ${toolVersion("gcc", ["--version"])}`,
      "",
      `Wall time of one run${o.runs > 1 ? ` (best of ${o.runs})` : ""} per program, all runners in the same session. ` +
        "Hartwood runs with its recompiler; interp is `hartwood run --no-jit`. " +
        "Guest instructions are counted once with a QEMU plugin; MIPS = that count / wall time. " +
        "Native is the same C source built with the host's gcc at the same optimisation level. " +
        "Every program runs at a small size (about 0.5 s on QEMU) and a long one (at least 3 s); " +
        "small÷long is Hartwood/QEMU at the small size divided by Hartwood/QEMU at the long size " +
        "(above 1: start-up and warm-up cost Hartwood more than QEMU). " +
        "translations, modules, compile ms (the synchronous part of `new WebAssembly.Module`) and code KiB " +
        "(the compiled modules' wasm bytes) come from the recompiler's run (`HARTWOOD_JIT_STATS=1`). " +
        "The geometric means leave out a small row when its long row is there. " +
        "A row is FAIL unless native, QEMU, Hartwood and its interpreter print the same output.",
      "",
      table(rows),
      "",
      failed === 0 ? "All checksums match." : `${failed} of ${rows.length} rows FAIL.`,
      "",
    ].join("\n");
    process.stdout.write(report);
    writeFileSync(o.output, report);
    process.stderr.write(`bench: report written to ${o.output}\n`);
    return failed === 0 ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
