// The system-mode section of `npm run bench`: boots the built-in guest's kernel and test
// initramfs to power-off on Hartwood (`hartwood boot`) and on qemu-system-riscv64 -M virt, in
// the same run, with the same kernel, initramfs, command line and OpenSBI firmware, and reports
// the whole-process wall time, the ratio, peak RSS and the time to the kernel's `Run /init`
// line as a Markdown table (stdout and bench/RESULTS-system.md). Then a CPU-bound program of
// the user-mode suite runs inside the booted guest on both (from an ext4 disk), timed by the
// guest's own clock, beside the same binary under `hartwood run` and qemu-riscv64. Last, one
// boot per engine under V8's profiler says where Hartwood's time goes (bench/profile.ts).
//
// The initramfs's /init has no do-nothing test, so it runs `hwtest=smoke`, which sleeps for
// one second of guest time: that second is in both emulators' figures.
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuestImage, type GuestImage } from "../src/modes/system/image.js";
import { buildProgram } from "./build.js";
import { splitTable } from "./profile.js";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, "..");
const REPORT = join(BENCH_DIR, "RESULTS-system.md");
/** Debian's OpenSBI (package opensbi), the firmware both emulators boot. */
const OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
const HWTEST = "smoke";
const CMDLINE = `console=ttyS0 panic=-1 hwtest=${HWTEST}`;
const MEMORY = "256M";
/** Printed by the kernel just before it starts /init: the end of the kernel's own boot. */
const INIT_LINE = "Run /init";

interface Config {
  label: string;
  bios: string;
  smp: number;
  extraArgs: string[];
}

/**
 * The QEMU row for each hart count always boots OpenSBI; a built-in-SBI row is compared with it.
 * Rows without an engine flag measure `hartwood boot`'s default engine (the recompiler, which
 * translates little of a boot); the last row has it translate the kernel's code at the
 * threshold that was the default before (512), what a boot with the kernel translated costs.
 */
const CONFIGS: Config[] = [
  { label: "OpenSBI fw_dynamic, 1 hart", bios: OPENSBI, smp: 1, extraArgs: [] },
  { label: "OpenSBI fw_dynamic, 2 harts", bios: OPENSBI, smp: 2, extraArgs: [] },
  { label: "built-in SBI, 1 hart", bios: "builtin", smp: 1, extraArgs: [] },
  { label: "built-in SBI, 2 harts", bios: "builtin", smp: 2, extraArgs: [] },
  { label: "OpenSBI fw_dynamic, 1 hart, `--no-jit`", bios: OPENSBI, smp: 1, extraArgs: ["--no-jit"] },
  {
    label: "OpenSBI fw_dynamic, 1 hart, `--jit-threshold 512`",
    bios: OPENSBI,
    smp: 1,
    extraArgs: ["--jit-threshold", "512"],
  },
];

interface Options {
  runs: number;
  timeoutS: number;
}

const USAGE = `usage: npx vite-node bench/system.ts -- [--quick] [--runs N] [--timeout S]
  --quick        one boot per configuration
  --runs N       boot each configuration N times and keep the fastest (default 3)
  --timeout S    give up on one boot after S seconds (default 300)
The report goes to bench/RESULTS-system.md. bench/run.ts's --only and --output are ignored here
(scripts/bench.sh passes its arguments to both).`;

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 3, timeoutS: 300 };
  let quick = false;
  const num = (v: string | undefined, flag: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") quick = true;
    else if (a === "--runs") o.runs = num(argv[++i], a);
    else if (a === "--timeout") o.timeoutS = num(argv[++i], a);
    else if (a === "--only" || a === "--output") i++;
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  if (quick && !argv.includes("--runs")) o.runs = 1;
  return o;
}

interface Boot {
  ok: boolean;
  /** Why it failed: exit status, time-out, no pass line. */
  error?: string;
  wallS: number;
  /** Seconds from spawn to the first `Run /init` on the console; NaN if it never came. */
  initS: number;
  peakRssKiB: number;
  stdout: string;
}

/**
 * Boots once under GNU time (for peak RSS) and coreutils timeout (kills the whole group). A
 * boot counts only if the guest printed the pass line and the emulator exited 0 at power-off.
 */
function bootOnce(cmd: string[], timeoutS: number, scratch: string, hwtest = HWTEST): Promise<Boot> {
  const timeFile = join(scratch, "time.out");
  rmSync(timeFile, { force: true });
  return new Promise((done) => {
    const start = performance.now();
    const child = spawn(
      "timeout",
      ["-s", "KILL", String(timeoutS), "/usr/bin/time", "-q", "-o", timeFile, "-f", "%M", ...cmd],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    let initS = NaN;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (Number.isNaN(initS) && stdout.includes(INIT_LINE)) initS = (performance.now() - start) / 1000;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const fail = (error: string, wallS: number, peakRssKiB: number): Boot => ({
      ok: false,
      error,
      wallS,
      initS,
      peakRssKiB,
      stdout,
    });
    child.on("error", (e) => done(fail(e.message, NaN, NaN)));
    child.on("close", (status, signal) => {
      const wallS = (performance.now() - start) / 1000;
      let peakRssKiB = NaN;
      try {
        const last = readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "";
        if (last !== "") peakRssKiB = Number(last);
      } catch {
        // killed before GNU time could write
      }
      const lastLine = (s: string) => s.trim().split("\n").slice(-1)[0]?.trim() ?? "";
      // timeout(1) sends SIGKILL to its own process group, itself included.
      if ((signal === "SIGKILL" || status === 137) && wallS >= timeoutS)
        done(fail(`timed out after ${timeoutS} s`, wallS, peakRssKiB));
      else if (status !== 0) {
        const why = lastLine(stderr) || lastLine(stdout);
        const how = status === null ? `killed by ${signal}` : `exit status ${status}`;
        done(fail(`${how}${why ? `: ${why}` : ""}`, wallS, peakRssKiB));
      } else if (!stdout.includes(`HWTEST PASS ${hwtest}`)) {
        const why =
          /HWTEST FAIL .*/.exec(stdout)?.[0] ?? `no 'HWTEST PASS ${hwtest}'; last line: ${lastLine(stdout)}`;
        done(fail(why, wallS, peakRssKiB));
      } else done({ ok: true, wallS, initS, peakRssKiB, stdout });
    });
  });
}

/** Best of `runs` (by wall time); the first failure ends the series. */
async function bootBest(cmd: string[], o: Options, scratch: string, hwtest = HWTEST): Promise<Boot> {
  let best: Boot | undefined;
  for (let i = 0; i < o.runs; i++) {
    const b = await bootOnce(cmd, o.timeoutS, scratch, hwtest);
    if (!b.ok) return b;
    if (best === undefined || b.wallS < best.wallS) best = b;
  }
  return best as Boot;
}

function hartwoodCommand(c: Config, image: GuestImage): string[] {
  return [
    process.execPath,
    join(ROOT, "bin", "hartwood.js"),
    "boot",
    ...["--bios", c.bios, "--kernel", image.kernel, "--initrd", image.initramfs],
    ...["--append", CMDLINE, "--no-reboot", "-m", MEMORY, "--smp", String(c.smp)],
    ...c.extraArgs,
  ];
}

/** The same board as Hartwood's default: virtio-mmio v2 with an rng, no disk. */
function qemuCommand(smp: number, image: GuestImage): string[] {
  return [
    "qemu-system-riscv64",
    ...["-M", "virt", "-m", MEMORY, "-smp", String(smp), "-nographic", "-bios", OPENSBI],
    ...["-kernel", image.kernel, "-initrd", image.initramfs, "-append", CMDLINE, "-no-reboot"],
    ...["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-rng-device"],
  ];
}

interface Row {
  config: Config;
  hartwood: Boot;
  qemu: Boot;
}

const fmtS = (b: Boot) => (b.ok ? b.wallS.toFixed(2) : "—");
const fmtInit = (b: Boot) => (b.ok && Number.isFinite(b.initS) ? b.initS.toFixed(2) : "—");
const fmtMiB = (b: Boot) => (Number.isFinite(b.peakRssKiB) ? (b.peakRssKiB / 1024).toFixed(0) : "—");
const ratio = (a: Boot, b: Boot) => (a.ok && b.ok ? a.wallS / b.wallS : NaN);
const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "—");

function status(r: Row): string {
  const fails: string[] = [];
  if (!r.hartwood.ok) fails.push(`Hartwood: ${r.hartwood.error}`);
  if (!r.qemu.ok) fails.push(`QEMU: ${r.qemu.error}`);
  const clean = (s: string) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 160);
  return fails.length === 0 ? "pass" : `**FAIL** ${clean(fails.join("; "))}`;
}

function table(rows: Row[]): string {
  const lines = [
    "| configuration | Hartwood s | QEMU s | Hartwood/QEMU | Hartwood peak RSS MiB | QEMU peak RSS MiB | to `Run /init` s Hartwood / QEMU | result |",
    "|---|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.config.label}${r.config.bios === "builtin" ? " ¹" : ""} | ${fmtS(r.hartwood)} | ${fmtS(r.qemu)} | ${fmtRatio(ratio(r.hartwood, r.qemu))} | ` +
        `${fmtMiB(r.hartwood)} | ${fmtMiB(r.qemu)} | ${fmtInit(r.hartwood)} / ${fmtInit(r.qemu)} | ${status(r)} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The in-guest programs: `crc32`, CPU-bound user code (the kernel only starts and reaps it),
 * and `syscalls`, nearly all of whose instructions are the kernel's (system calls moving data
 * through a pipe, /dev/zero and /dev/null), with each engine: the recompiler must serve a
 * running kernel's hot code, not only its programs. Repetitions: about 3 s under
 * qemu-riscv64 for crc32, about 2.5 s inside QEMU's guest for syscalls.
 */
const GUEST_PROGRAMS = [
  { name: "crc32", reps: 960, engines: ["--jit"] },
  { name: "syscalls", reps: 50, engines: ["--jit", "--no-jit"] },
];

interface InGuest {
  program: string;
  engine: string;
  /** Seconds between the guest's two /proc/uptime reads around the program (10 ms steps). */
  hartwoodS: number;
  qemuS: number;
  /** The same binary and arguments in user mode: hartwood run, qemu-riscv64 (wall seconds). */
  userS: number;
  qemuUserS: number;
  result: string;
}

/** The program's output and the guest's seconds around it, from a run= boot's console. */
function guestRun(b: Boot): { out: string; s: number } | undefined {
  const out = /HWTEST output (.*)/.exec(b.stdout)?.[1]?.trim();
  const t = /HWTEST uptime ([\d.]+) ([\d.]+)/.exec(b.stdout);
  return out === undefined || !t ? undefined : { out, s: Number(t[2]) - Number(t[1]) };
}

/** Best wall time of `runs` runs of a user-mode command, and its output. */
function userBest(cmd: string[], runs: number, timeoutS: number): { s: number; out: string } {
  let best = { s: Infinity, out: "" };
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", timeout: timeoutS * 1000 });
    const s = (performance.now() - start) / 1000;
    if (r.status !== 0) throw new Error(`${cmd.join(" ")}: exit status ${r.status}: ${r.stderr}`);
    if (s < best.s) best = { s, out: r.stdout.trim() };
  }
  return best;
}

/** Runs each of GUEST_PROGRAMS inside the guest on both emulators and in user mode. */
async function inGuest(
  image: GuestImage,
  o: Options,
  scratch: string,
  log: (s: string) => void,
): Promise<InGuest[]> {
  const dir = join(scratch, "disk");
  mkdirSync(dir, { recursive: true });
  const binaries = new Map(GUEST_PROGRAMS.map((p) => [p.name, buildProgram(p.name).riscv]));
  for (const [name, binary] of binaries) copyFileSync(binary, join(dir, name));
  const disk = join(scratch, "disk.ext4");
  const mk = spawnSync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", dir, disk, "16M"], { encoding: "utf8" });
  if (mk.status !== 0) throw new Error(`mke2fs: ${mk.stderr}`);
  const rows: InGuest[] = [];
  for (const { name, reps, engines } of GUEST_PROGRAMS) {
    const binary = binaries.get(name)!;
    const cmdline = `console=ttyS0 panic=-1 hwtest=run hwrun=${name} hwargs=${reps}`;
    log(`in-guest ${name} ${reps}: qemu-riscv64 and hartwood run`);
    const qemuUser = userBest(["qemu-riscv64", binary, String(reps)], o.runs, o.timeoutS);
    const user = userBest(
      [process.execPath, join(ROOT, "bin", "hartwood.js"), "run", binary, String(reps)],
      o.runs,
      o.timeoutS,
    );
    log(`in-guest ${name}: QEMU boot`);
    const qemuBoot = await bootBest(
      [
        "qemu-system-riscv64",
        ...["-M", "virt", "-m", MEMORY, "-smp", "1", "-nographic", "-bios", OPENSBI],
        ...["-kernel", image.kernel, "-initrd", image.initramfs, "-append", cmdline, "-no-reboot"],
        ...["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-rng-device"],
        ...[
          "-drive",
          `file=${disk},format=raw,if=none,id=d0,readonly=on`,
          "-device",
          "virtio-blk-device,drive=d0",
        ],
      ],
      o,
      scratch,
      "run",
    );
    const qemu = qemuBoot.ok ? guestRun(qemuBoot) : undefined;
    for (const engine of engines) {
      log(`in-guest ${name}: Hartwood boot ${engine}`);
      const b = await bootBest(
        [
          process.execPath,
          join(ROOT, "bin", "hartwood.js"),
          "boot",
          ...["--bios", OPENSBI, "--kernel", image.kernel, "--initrd", image.initramfs],
          ...["--append", cmdline, "--no-reboot", "-m", MEMORY, engine],
          ...["--drive", `file=${disk},format=raw,readonly=on`],
        ],
        o,
        scratch,
        "run",
      );
      const mine = b.ok ? guestRun(b) : undefined;
      const outs = [mine?.out, qemu?.out, user.out, qemuUser.out];
      const result = !b.ok
        ? `**FAIL** Hartwood: ${b.error}`
        : !qemuBoot.ok
          ? `**FAIL** QEMU: ${qemuBoot.error}`
          : outs.every((x) => x === outs[0])
            ? `\`${outs[0]}\``
            : "**FAIL** outputs differ";
      rows.push({
        program: `${name} ${reps}`,
        engine,
        hartwoodS: mine?.s ?? NaN,
        qemuS: qemu?.s ?? NaN,
        userS: user.s,
        qemuUserS: qemuUser.s,
        result,
      });
    }
  }
  return rows;
}

function inGuestTable(rows: InGuest[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");
  const lines = [
    "| program | engine | in guest: Hartwood s | in guest: QEMU s | Hartwood/QEMU | `hartwood run` s | in guest ÷ `hartwood run` | qemu-riscv64 s | result |",
    "|---|---|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const r of rows)
    lines.push(
      `| \`${r.program}\` | \`${r.engine}\` | ${f(r.hartwoodS)} | ${f(r.qemuS)} | ${fmtRatio(r.hartwoodS / r.qemuS)} | ${f(r.userS)} | ` +
        `${fmtRatio(r.hartwoodS / r.userS)} | ${f(r.qemuUserS)} | ${r.result} |`,
    );
  return lines.join("\n");
}

interface Profiled {
  engine: string;
  path: string;
  wallS: number;
  /** The recompiler's statistics line (HARTWOOD_JIT_STATS), without its prefix. */
  stats: string;
}

/** The smoke boot once per engine under `node --cpu-prof`, with the recompiler's counts. */
function profileBoots(image: GuestImage, o: Options, scratch: string, log: (s: string) => void): Profiled[] {
  const out: Profiled[] = [];
  for (const engine of ["--no-jit", "--jit"]) {
    log(`profile: Hartwood boot ${engine}`);
    const dir = join(scratch, `profile${engine}`);
    const c = CONFIGS[0];
    const cmd = hartwoodCommand({ ...c, extraArgs: [engine] }, image);
    const start = performance.now();
    const r = spawnSync(cmd[0], ["--cpu-prof", `--cpu-prof-dir=${dir}`, ...cmd.slice(1)], {
      encoding: "utf8",
      timeout: o.timeoutS * 1000,
      env: { ...process.env, HARTWOOD_JIT_STATS: "1", HARTWOOD_NO_BUNDLE: "1" },
    });
    const wallS = (performance.now() - start) / 1000;
    if (r.status !== 0 || !r.stdout.includes(`HWTEST PASS ${HWTEST}`)) {
      log(`profile ${engine}: boot failed (status ${r.status})`);
      continue;
    }
    const stats = /jit stats: (.*)/.exec(r.stderr)?.[1] ?? "";
    out.push({ engine, path: join(dir, readdirSync(dir)[0]), wallS, stats });
  }
  return out;
}

/** Counts from the statistics line per second of boot. */
function perSecond(p: Profiled): string {
  const count = (what: string) => Number(new RegExp(`${what} (\\d+)`).exec(p.stats)?.[1] ?? NaN);
  const rate = (what: string) => (count(what) / p.wallS).toFixed(0);
  if (!p.stats.includes("translations")) return `\`${p.engine}\`: no translations (${p.wallS.toFixed(2)} s).`;
  return (
    `\`${p.engine}\` (${p.wallS.toFixed(2)} s under the profiler): per second of boot ${rate("translations")} ` +
    `translations made, ${rate("reused across address-space switches")} entered again after a \`satp\` ` +
    `change, ${rate("invalidated")} invalidated, ${rate("modules")} modules; ` +
    `${(count("run translated in S") / 1e6).toFixed(1)} M S-mode and ${(count("run translated in U") / 1e6).toFixed(1)} M ` +
    "U-mode instructions run translated."
  );
}

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout ?? "").split("\n")[0].trim() || "unknown";
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  const log = (s: string) => process.stderr.write(`bench: system: ${s}\n`);
  log("guest image (built on first use, then cached in ~/.cache/hartwood)");
  const image = buildGuestImage({ quiet: true });
  const scratch = mkdtempSync(join(tmpdir(), "hartwood-bench-system-"));
  try {
    const qemuBySmp = new Map<number, Boot>();
    const rows: Row[] = [];
    for (const c of CONFIGS) {
      let qemu = qemuBySmp.get(c.smp);
      if (qemu === undefined) {
        log(`QEMU, OpenSBI, ${c.smp} hart(s)`);
        qemu = await bootBest(qemuCommand(c.smp, image), o, scratch);
        qemuBySmp.set(c.smp, qemu);
      }
      log(`Hartwood, ${c.label}`);
      const hartwood = await bootBest(hartwoodCommand(c, image), o, scratch);
      const row: Row = { config: c, hartwood, qemu };
      log(`${c.label}: Hartwood ${fmtS(hartwood)} s, QEMU ${fmtS(qemu)} s — ${status(row)}`);
      rows.push(row);
    }
    const guestRows = await inGuest(image, o, scratch, log);
    const profiles = profileBoots(image, o, scratch, log);
    const failed =
      rows.filter((r) => !r.hartwood.ok || !r.qemu.ok).length +
      guestRows.filter((r) => r.result.startsWith("**FAIL")).length;
    const report = [
      "# System mode",
      "",
      `Command: \`npx vite-node bench/system.ts${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}\` ` +
        "(the first part of `npm run bench`)  ",
      `Date: ${new Date().toISOString()}  `,
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ` +
        `${toolVersion("qemu-system-riscv64", ["--version"])}  `,
      `Guest: ${basename(image.dir)} (\`Image\` + test \`initramfs.cpio\`, no disk), \`-m ${MEMORY}\`, ` +
        `command line \`${CMDLINE}\`, OpenSBI \`${OPENSBI}\``,
      "",
      `Wall time from spawn to exit at power-off${o.runs > 1 ? ` (best of ${o.runs})` : ""}, both emulators ` +
        "in the same session; Hartwood's includes Node's start-up. `to Run /init` is the time from spawn to " +
        "that kernel line on the console (firmware and kernel boot). `hwtest=smoke` sleeps 1 s of guest " +
        "time, which is in both totals. QEMU boots with `-global virtio-mmio.force-legacy=false " +
        "-device virtio-rng-device`, the devices of Hartwood's default board. Rows without an engine " +
        "option use `hartwood boot`'s default engine, the recompiler. A row fails unless the guest " +
        `printed \`HWTEST PASS ${HWTEST}\` and the emulator exited 0.`,
      "",
      table(rows),
      "",
      "¹ QEMU has no counterpart of Hartwood's built-in SBI: these rows compare with the same QEMU " +
        "measurement as the OpenSBI row with the same number of harts.",
      "",
      `## Programs inside the guest`,
      "",
      `${GUEST_PROGRAMS.map((p) => `\`${p.name} ${p.reps}\``).join(" and ")} (bench/programs, static binaries; ` +
        "`crc32` is CPU-bound user code, `syscalls` nearly all kernel code) " +
        "on an ext4 disk (virtio-blk), run by the initramfs's `hwtest=run` after boot, with OpenSBI and 1 hart; " +
        "the time is the guest's own (`/proc/uptime` before and after, 10 ms steps), so boot is not in it. " +
        "Beside it, the same binary and arguments in user mode (whole-process wall time).",
      "",
      inGuestTable(guestRows),
      "",
      "## Where the time goes",
      "",
      "The first configuration's boot once more with each engine, under `node --cpu-prof` (which slows it " +
        "a little), its samples split by what ran (bench/profile.ts): the interpreter's and the translations' " +
        "wasm by module name, JavaScript by source file, V8's own entries for compilation, garbage " +
        "collection and idle time (the guest's 1 s sleep, V8's background compiler threads are not in it); " +
        "the CLI runs from its modules, not the single-file build, so that functions keep their source files. " +
        "Recompiler counts from `HARTWOOD_JIT_STATS=1`.",
      "",
      profiles.length > 0
        ? splitTable(profiles.map((p) => ({ label: `\`${p.engine}\``, path: p.path })))
        : "(no profile)",
      "",
      ...profiles.map((p) => `- ${perSecond(p)}`),
      "",
      failed === 0 ? "All boots passed." : `${failed} rows FAIL.`,
      "",
    ].join("\n");
    process.stdout.write(report);
    writeFileSync(REPORT, report);
    log(`report written to ${REPORT}`);
    return failed === 0 ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: system: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
