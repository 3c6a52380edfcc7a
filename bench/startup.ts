// The start-up section of `npm run bench`: a hello-world (bench/startup/hello.c), linked
// statically and dynamically, run to its exit by each runner, best of N wall times taken in
// turns (one run of each runner per round, so a busy moment hits them all). `node -e 0` is the
// floor under any Node program; native and qemu-riscv64 are the same source's other runners.
// Writes bench/RESULTS-startup.md and prints the table. Options: --runs N (default 10).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../test/guest/build.js";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
// What a user runs: the installed bin, a shell script that execs the `node` on PATH (this one)
// with its environment (docs/speed-sessions.md, "The twenty-second session: launch").
const HARTWOOD = join(resolve(BENCH_DIR, ".."), "bin", "hartwood");
process.env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
const SYSROOT = "/usr/riscv64-linux-gnu";
const SOURCE = join(BENCH_DIR, "startup", "hello.c");
const EXPECTED = "hello, world\n";

interface Runner {
  label: string;
  cmd: string[];
  /** What it must print (default EXPECTED). */
  stdout?: string;
}

function build(cc: string, flags: string[], name: string): string {
  return buildGuest({ sources: [SOURCE], cc, flags: ["-O2", "-Wall", "-Werror", ...flags], name });
}

function runners(): { link: string; list: Runner[] }[] {
  const node = process.execPath;
  const floor = { label: "`node -e 0`", cmd: [node, "-e", "0"], stdout: "" };
  const section = (link: string, elf: string, native: string, qemuArgs: string[]) => ({
    link,
    list: [
      floor,
      { label: "`hartwood run`", cmd: [HARTWOOD, "run", elf] },
      { label: "`hartwood run --no-jit`", cmd: [HARTWOOD, "run", "--no-jit", elf] },
      { label: "`qemu-riscv64`", cmd: ["qemu-riscv64", ...qemuArgs, elf] },
      { label: "native", cmd: [native] },
    ],
  });
  return [
    section(
      "static",
      build("riscv64-linux-gnu-gcc", ["-static"], "hello-static"),
      build("gcc", ["-static"], "hello-static-native"),
      [],
    ),
    section(
      "dynamic",
      build("riscv64-linux-gnu-gcc", [], "hello-dynamic"),
      build("gcc", [], "hello-dynamic-native"),
      ["-L", SYSROOT],
    ),
  ];
}

/** Wall time of one run in ms; throws unless it printed what it should and exited 0. */
function timeOnce(r: Runner): number {
  const start = process.hrtime.bigint();
  const p = spawnSync(r.cmd[0], r.cmd.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (p.status !== 0 || p.stdout !== (r.stdout ?? EXPECTED))
    throw new Error(
      `${r.cmd.join(" ")}: status ${p.status}, stdout ${JSON.stringify(p.stdout)}, stderr ${p.stderr}`,
    );
  return ms;
}

function parseRuns(argv: string[]): number {
  const i = argv.indexOf("--runs");
  const n = i >= 0 ? Number(argv[i + 1]) : 10;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error("--runs expects a positive integer");
  return n;
}

function main(): void {
  const runs = parseRuns(process.argv.slice(2));
  const sections = runners();
  const best = sections.map((s) => s.list.map(() => Infinity));
  for (let i = 0; i < runs; i++)
    sections.forEach((s, j) => s.list.forEach((r, k) => (best[j][k] = Math.min(best[j][k], timeOnce(r)))));
  const lines = [
    "| program | runner | wall ms (best of " + runs + ") | ÷ `node -e 0` |",
    "|---|---|--:|--:|",
  ];
  sections.forEach((s, j) => {
    const floor = best[j][0];
    s.list.forEach((r, k) =>
      lines.push(
        `| hello, ${s.link} | ${r.label} | ${best[j][k].toFixed(0)} | ${(best[j][k] / floor).toFixed(2)}× |`,
      ),
    );
  });
  const table = lines.join("\n");
  const report = [
    "# Start-up",
    "",
    `Command: \`npx vite-node bench/startup.ts${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\` (part of \`npm run bench\`)  `,
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`,
    "",
    "`bench/startup/hello.c` (`puts` and return) built with `-O2`, statically and dynamically " +
      "(`riscv64-linux-gnu-gcc`; the host's `gcc` for native), run to its exit: spawn to exit, " +
      "the best of the runs, every runner once per round. `hartwood run` finds the dynamic " +
      "program's libraries in its default root, " +
      SYSROOT +
      "; qemu-riscv64 gets `-L " +
      SYSROOT +
      "`.",
    "",
    table,
    "",
  ].join("\n");
  writeFileSync(join(BENCH_DIR, "RESULTS-startup.md"), report);
  console.log(table);
}

main();
