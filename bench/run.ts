// The benchmark runner behind `npm run bench`: builds every program in bench/programs for
// riscv64 and for the host from the same source, runs each on Hartwood, on qemu-riscv64 and
// natively in the same run, checks that the three print the same output, and reports wall
// time, the ratios, guest instructions per second and peak RSS as a Markdown table (stdout
// and bench/RESULTS.md).
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

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, "..");
const PROGRAMS_DIR = join(BENCH_DIR, "programs");

interface Program {
  name: string;
  kind: "integer" | "memory" | "float";
  /** The repetition count for --quick; the full size is the program's own default. */
  quickReps: number;
}

const PROGRAMS: Program[] = [
  { name: "crc32", kind: "integer", quickReps: 40 },
  { name: "sha256", kind: "integer", quickReps: 160 },
  { name: "sort", kind: "integer", quickReps: 1 },
  { name: "sieve", kind: "integer", quickReps: 1 },
  { name: "interp", kind: "integer", quickReps: 1 },
  { name: "strings", kind: "integer", quickReps: 2 },
  { name: "list", kind: "memory", quickReps: 2 },
  { name: "hash", kind: "memory", quickReps: 1 },
  { name: "matmul", kind: "float", quickReps: 1 },
  { name: "nbody", kind: "float", quickReps: 1 },
  { name: "fft", kind: "float", quickReps: 3 },
];

interface Options {
  quick: boolean;
  only?: Set<string>;
  runs: number;
  timeoutS: number;
  output: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--only a,b] [--runs N] [--timeout S] [--output FILE]
  --quick        smaller sizes (about an eighth), for a quick look
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

// Same source, same flags on both targets. -ffp-contract=off: GCC would fuse a*b+c into one
// rounding on riscv64 (fmadd.d) but not on baseline x86-64, and the checksums compare bits.
// -fno-math-errno lets sqrt be the instruction on both, without libm.
const CFLAGS = ["-O2", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Werror"];

function buildProgram(name: string): { riscv: string; native: string } {
  const sources = [join(PROGRAMS_DIR, `${name}.c`)];
  const deps = [join(PROGRAMS_DIR, "bench.h")];
  return {
    riscv: buildGuest({ sources, deps, cc: "riscv64-linux-gnu-gcc", flags: [...CFLAGS, "-static"], name }),
    native: buildGuest({ sources, deps, cc: "gcc", flags: CFLAGS, name: `${name}-native` }),
  };
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
  wallS: number;
  peakRssKiB: number;
}

/** Runs a command under GNU time (for peak RSS) and coreutils timeout (kills the whole group). */
function measure(cmd: string[], timeoutS: number, scratch: string): Measured {
  const timeFile = join(scratch, "time.out");
  rmSync(timeFile, { force: true });
  const start = process.hrtime.bigint();
  const r = spawnSync(
    "timeout",
    ["-s", "KILL", String(timeoutS), "/usr/bin/time", "-q", "-o", timeFile, "-f", "%M", ...cmd],
    { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] },
  );
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  let peakRssKiB = NaN;
  try {
    peakRssKiB = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop());
  } catch {
    // killed before GNU time could write
  }
  const stdout = r.stdout ?? "";
  if (r.error) return { ok: false, error: r.error.message, stdout, wallS, peakRssKiB };
  if (r.status === 137 && wallS >= timeoutS)
    return { ok: false, error: `timed out after ${timeoutS} s`, stdout, wallS, peakRssKiB };
  if (r.status !== 0) {
    const why = (r.stderr ?? "").trim().split("\n").slice(-1)[0] ?? "";
    return { ok: false, error: `exit status ${r.status}${why ? `: ${why}` : ""}`, stdout, wallS, peakRssKiB };
  }
  return { ok: true, stdout, wallS, peakRssKiB };
}

/** Best of `runs` (by wall time); the first failure ends the series. */
function measureBest(cmd: string[], o: Options, scratch: string): Measured {
  let best: Measured | undefined;
  for (let i = 0; i < o.runs; i++) {
    const m = measure(cmd, o.timeoutS, scratch);
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

interface Row {
  program: Program;
  native: Measured;
  qemu: Measured;
  hartwood: Measured;
  insns: number;
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

function table(rows: Row[]): string {
  const lines = [
    "| program | kind | guest insns (M) | native s | QEMU s | Hartwood s | Hartwood/QEMU | Hartwood/native | QEMU MIPS | Hartwood MIPS | peak RSS MiB native / QEMU / Hartwood | result |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.program.name} | ${r.program.kind} | ${Number.isFinite(r.insns) ? (r.insns / 1e6).toFixed(0) : "—"} | ` +
        `${fmtS(r.native)} | ${fmtS(r.qemu)} | ${fmtS(r.hartwood)} | ` +
        `${fmtRatio(ratio(r.hartwood, r.qemu))} | ${fmtRatio(ratio(r.hartwood, r.native))} | ` +
        `${fmtMips(r.insns, r.qemu)} | ${fmtMips(r.insns, r.hartwood)} | ` +
        `${fmtMiB(r.native)} / ${fmtMiB(r.qemu)} / ${fmtMiB(r.hartwood)} | ${r.status} |`,
    );
  }
  const gq = geomean(rows.map((r) => ratio(r.hartwood, r.qemu)));
  const gn = geomean(rows.map((r) => ratio(r.hartwood, r.native)));
  lines.push(`| **geometric mean** | | | | | | **${fmtRatio(gq)}** | **${fmtRatio(gn)}** | | | | |`);
  return lines.join("\n");
}

function ratio(a: Measured, b: Measured): number {
  return a.ok && b.ok ? a.wallS / b.wallS : NaN;
}

function lastLine(s: string): string {
  return s.trim().split("\n").slice(-1)[0] ?? "";
}

/** The status column: the checksum line when all three agree, otherwise what went wrong. */
function verdict(native: Measured, qemu: Measured, hartwood: Measured): string {
  const fails: string[] = [];
  if (!native.ok) fails.push(`native: ${native.error}`);
  if (!qemu.ok) fails.push(`QEMU: ${qemu.error}`);
  if (!hartwood.ok) fails.push(`Hartwood: ${hartwood.error}`);
  if (native.ok && qemu.ok && native.stdout !== qemu.stdout) fails.push("QEMU output differs from native");
  if (hartwood.ok && native.ok && hartwood.stdout !== native.stdout)
    fails.push(`Hartwood output differs: ${lastLine(hartwood.stdout) || "(empty)"}`);
  const clean = (s: string) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 160);
  return fails.length === 0 ? `\`${lastLine(native.stdout)}\`` : `**FAIL** ${clean(fails.join("; "))}`;
}

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout ?? "").split("\n")[0].trim() || "unknown";
}

function main(): number {
  const o = parseArgs(process.argv.slice(2));
  const programs = PROGRAMS.filter((p) => o.only === undefined || o.only.has(p.name));
  const scratch = mkdtempSync(join(tmpdir(), "hartwood-bench-"));
  const hartwood = [process.execPath, join(ROOT, "bin", "hartwood.js"), "run"];
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  try {
    log("building programs (cached in ~/.cache/hartwood)");
    const plugin = buildInsnPlugin();
    const rows: Row[] = [];
    for (const p of programs) {
      const bins = buildProgram(p.name);
      const args = o.quick ? [String(p.quickReps)] : [];
      log(`${p.name}: native`);
      const native = measureBest([bins.native, ...args], o, scratch);
      log(`${p.name}: qemu-riscv64`);
      const qemu = measureBest(["qemu-riscv64", bins.riscv, ...args], o, scratch);
      const insns = countInsns(plugin, bins.riscv, args, scratch);
      log(`${p.name}: Hartwood`);
      const hw = measureBest([...hartwood, bins.riscv, ...args], o, scratch);
      const row: Row = {
        program: p,
        native,
        qemu,
        hartwood: hw,
        insns,
        status: verdict(native, qemu, hw),
      };
      log(
        `${p.name}: native ${fmtS(native)} s, QEMU ${fmtS(qemu)} s, Hartwood ${fmtS(hw)} s` +
          (row.status.startsWith("**FAIL**") ? ` — ${row.status}` : ""),
      );
      rows.push(row);
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
        "Guest instructions are counted once with a QEMU plugin; MIPS = that count / wall time. " +
        "Native is the same C source built with the host's gcc at the same optimisation level. " +
        "A row is FAIL unless native, QEMU and Hartwood print the same output.",
      "",
      table(rows),
      "",
      failed === 0 ? "All checksums match." : `${failed} of ${rows.length} rows FAIL.`,
      "",
    ].join("\n");
    process.stdout.write(report);
    writeFileSync(o.output, report);
    log(`report written to ${o.output}`);
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
