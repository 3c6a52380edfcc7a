// busybox (static, riscv64, built from Debian's source package by scripts/build-busybox.sh)
// runs the same applets with the same input on qemu-riscv64 and on Hartwood's user mode, and
// both must print the same stdout and stderr and exit with the same status.
//
// busybox starts most applets in-process or in a forked child, but some (cat, sed, tar's
// compressor...) by exec'ing /proc/self/exe or the applet's name on PATH. qemu-riscv64 hands
// every exec to the host kernel, which cannot run a riscv64 ELF without binfmt_misc, so for
// the reference run PATH holds host scripts that run the applet on qemu-riscv64 again; for
// Hartwood, which runs riscv64 ELFs itself, PATH holds links to busybox, as on a riscv64
// Linux system. Neither run ever reaches a host program in place of an applet.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HARTWOOD = join(ROOT, "bin", "hartwood.js");
const RUN_TIMEOUT_MS = 60_000;

let busybox = "";
let qemu = "";
let scratch = "";
let wrappers = "";
let links = "";

beforeAll(() => {
  // First use builds busybox (about 30-100 s on two cores); later runs find it in the cache.
  const out = execFileSync("bash", [join(ROOT, "scripts", "build-busybox.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  busybox = out.trim().split("\n").pop() ?? "";
  qemu = execFileSync("bash", ["-c", "command -v qemu-riscv64"], { encoding: "utf8" }).trim();
  scratch = mkdtempSync(join(tmpdir(), "hartwood-busybox-"));
  wrappers = join(scratch, "qemu-bin");
  links = join(scratch, "riscv64-bin");
  mkdirSync(wrappers);
  mkdirSync(links);
  const applets = execFileSync(qemu, [busybox, "--list"], { encoding: "utf8" }).split("\n");
  for (const a of applets.filter((s) => /^[a-z0-9_.-]+$/.test(s))) {
    const w = join(wrappers, a);
    writeFileSync(w, `#!/bin/sh\nexec ${qemu} -0 ${a} ${busybox} "$@"\n`);
    chmodSync(w, 0o755);
    symlinkSync(busybox, join(links, a));
  }
}, 1_200_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The files every case starts with, made afresh (with fixed times) for each run. */
function makeFixture(dir: string): void {
  const files: Record<string, string> = {
    "fruit.txt": "banana\napple\ncherry\napple\ndate\nbanana\napple\n",
    "data.csv": "name,qty,price\nbolt,120,0.25\nnut,300,0.1\nwasher,75,0.05\ngear,12,4.5\nspring,40,0.8\n",
    "notes.txt": "# header\nfoo bar foo\nBaz qux\n# another comment\nfoo end\n",
    "src/main.c": "int main(void) { return 0; }\n",
    "src/util.c": "int add(int a, int b) { return a + b; }\n",
    "src/include/util.h": "int add(int a, int b);\n",
    "docs/readme.txt": "Hartwood test tree\n".repeat(200),
    "docs/empty.txt": "",
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const t = new Date("2024-01-02T03:04:05Z");
  for (const p of [...Object.keys(files), "src/include", "src", "docs", "."]) utimesSync(join(dir, p), t, t);
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runIn(
  cmd: string,
  args: string[],
  cwd: string,
  path: string,
  stdin: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<Outcome> {
  return new Promise((done) => {
    const child = execFile(
      cmd,
      args,
      {
        cwd,
        encoding: "utf8",
        timeout: timeoutMs,
        killSignal: "SIGKILL", // a hung Hartwood may not act on SIGTERM
        maxBuffer: 16 << 20,
        env: { PATH: path, HOME: "/", LC_ALL: "C", TZ: "UTC", ...env },
      },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        done({ status, stdout, stderr });
      },
    );
    // A program that exits without reading its input closes the pipe: EPIPE is not a failure.
    child.stdin?.on("error", () => {});
    child.stdin?.end(stdin);
  });
}

/** The line `HARTWOOD_JIT_STATS=1` adds to Hartwood's stderr. */
const JIT_STATS = /^hartwood: jit stats: translations (\d+).*\n/m;

/**
 * Runs `busybox args...` on both, each in a fresh copy of the fixture; `jitFlags` go to
 * `hartwood run`, which then reports its translations (taken out of its stderr).
 */
async function both(
  c: Case,
  jitFlags?: string[],
): Promise<{ qemu: Outcome; hartwood: Outcome; translations?: number }> {
  const qdir = mkdtempSync(join(scratch, "q-"));
  const hdir = mkdtempSync(join(scratch, "h-"));
  makeFixture(qdir);
  makeFixture(hdir);
  const [qemuRun, hartwoodRun] = await Promise.all([
    runIn(qemu, [busybox, ...c.args], qdir, wrappers, c.stdin ?? "", RUN_TIMEOUT_MS),
    runIn(
      process.execPath,
      // The guest sees its working directory, the applet links and busybox itself.
      [
        HARTWOOD,
        "run",
        ...(jitFlags ?? []),
        "--ro-bind",
        links,
        "--ro-bind",
        dirname(busybox),
        busybox,
        ...c.args,
      ],
      hdir,
      links,
      c.stdin ?? "",
      c.timeoutMs ?? RUN_TIMEOUT_MS,
      jitFlags ? { HARTWOOD_JIT_STATS: "1" } : {},
    ),
  ]);
  if (!jitFlags) return { qemu: qemuRun, hartwood: hartwoodRun };
  const stats = JIT_STATS.exec(hartwoodRun.stderr);
  const stderr = hartwoodRun.stderr.replace(JIT_STATS, "");
  return {
    qemu: qemuRun,
    hartwood: { ...hartwoodRun, stderr },
    translations: stats ? Number(stats[1]) : undefined,
  };
}

interface Case {
  name: string;
  args: string[];
  stdin?: string;
  /** The exit status QEMU must give (so a broken reference cannot pass unnoticed). */
  status?: number;
  timeoutMs?: number;
}

const sh = (script: string): string[] => ["sh", "-c", script];

const CASES: Case[] = [
  {
    name: "sh: loops, arithmetic and a pipeline through sort and head",
    args: sh("for i in $(seq 1 30); do echo $((i * i % 17)) $i; done | sort -n -k1,1 -k2,2 | head -8"),
  },
  {
    name: "sh: functions, case, while-read, here-document and $?",
    args: sh(`classify() { case "$1" in a*) echo "A:$1";; b*|c*) echo "BC:$1";; *) echo "other:$1"; return 3;; esac; }
n=0
while read -r w; do classify "$w"; n=$((n + $?)); done <<EOF
apple
banana
date
cherry
EOF
echo "sum of statuses: $n"`),
  },
  {
    name: "sh: subshells, command substitution, redirections and exit status",
    args: sh(
      'x=$(echo outer; (echo inner; exit 4); echo "sub=$?"); echo "$x"; { echo to-err >&2; } 2>&1; ' +
        "v=0; for w in $(cat fruit.txt | sort -u); do v=$((v + ${#w})); done; echo len=$v; exit 7",
    ),
    status: 7,
  },
  { name: "ls: recursive listing", args: ["ls", "-1aR", "."] },
  {
    name: "ls: long format with fixed times",
    args: ["ls", "-ln", "--full-time", "fruit.txt", "data.csv", "docs"],
  },
  { name: "cat: files and numbered lines", args: ["cat", "-n", "fruit.txt", "notes.txt"] },
  { name: "cat: a missing file fails", args: ["cat", "fruit.txt", "missing.txt"], status: 1 },
  {
    name: "sort: numeric key on CSV, unique and reverse",
    args: sh("sort -t, -k2,2n data.csv; sort -u fruit.txt; sort -r fruit.txt | uniq -c"),
  },
  {
    name: "md5sum: files, stdin and checking a list",
    args: sh("md5sum fruit.txt data.csv > sums; cat sums; echo hello | md5sum; md5sum -c sums"),
  },
  {
    name: "sed: substitution, deletion, ranges and in-place edit",
    args: sh(
      "sed -e 's/foo/FOO/g' -e '/^#/d' notes.txt; sed -n '2,3p' data.csv; sed -i 's/a/A/2' fruit.txt; cat fruit.txt",
    ),
  },
  {
    name: "awk: fields, arithmetic, arrays and printf",
    args: [
      "awk",
      "-F,",
      'NR > 1 { total += $2 * $3; n[$1] = $2 } END { printf "total %.2f\\n", total; for (k in n) c++; print c, n["gear"]; print length("hartwood"), substr("riscv64", 1, 5), 2^10, int(7 / 2) }',
      "data.csv",
    ],
  },
  {
    name: "find: names, types and sizes",
    args: sh(
      "find . -name '*.c' | sort; find . -type d | sort; find . -size +1k | sort; find . -empty | sort",
    ),
  },
  {
    name: "tar: create, list and extract a tree",
    args: sh(
      "tar cf t.tar src docs && tar tf t.tar | sort && mkdir out && tar xf t.tar -C out && md5sum out/src/*.c out/docs/*",
    ),
  },
  {
    name: "gzip: compress, test and round-trip through tar",
    args: sh(
      "gzip -c docs/readme.txt > r.gz && gzip -t r.gz && wc -c < r.gz && gzip -dc r.gz | md5sum && " +
        "tar cf - src | gzip -9 > s.tgz && tar xzf s.tgz -C docs && find docs/src -type f | sort",
    ),
  },
  {
    name: "grep, wc, tr, cut and tail in one pipeline",
    args: sh(
      "grep -v '^#' notes.txt | tr 'a-z' 'A-Z' | grep -n FOO; grep -c apple fruit.txt; " +
        "cut -d, -f1,3 data.csv | tail -n 3; wc -l -w -c notes.txt; grep -q nothing fruit.txt; echo grep=$?",
    ),
  },
  {
    name: "a larger workload: 20000 generated lines sorted and summed",
    args: sh(
      "seq 1 20000 | awk '{ print ($1 * 7919) % 10007, $1 }' | sort -n | md5sum; seq 1 20000 | awk '{ s += $1 } END { print s }'",
    ),
  },
  { name: "stdin is passed through", args: ["sort", "-r"], stdin: "one\ntwo\nthree\n" },
  {
    name: "tar: z compresses through gzip started with vfork and exec",
    args: sh("tar czf s.tgz src docs && tar tzf s.tgz | sort && gzip -t s.tgz && echo tested"),
    // A vfork that never returns hangs; a slow one is not a failure: 6-8 s alone, 15 s with
    // the rest of the suite on 2 cores (where 15 s timed out).
    timeoutMs: 45_000,
  },
];

async function runCase(
  c: Case,
  jitFlags?: string[],
): Promise<{ qemu: Outcome; hartwood: Outcome; translations?: number }> {
  const r = await both(c, jitFlags);
  expect(r.qemu.status, `reference status (stderr: ${r.qemu.stderr})`).toBe(c.status ?? 0);
  return r;
}

describe.concurrent("busybox applets give the same result on qemu-riscv64 and Hartwood", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const r = await runCase(c);
      expect(r.hartwood).toEqual(r.qemu);
    });
  }
});

/** Cases that run again with every jump target translated at first sight. */
const FIRST_SIGHT = [1, 10, 13, 17];

describe.concurrent(
  "busybox applets translated at first sight (--jit-threshold 0) give qemu-riscv64's result",
  () => {
    for (const c of FIRST_SIGHT.map((i) => CASES[i])) {
      test(c.name, async () => {
        // Every process translates its code anew, one module per jump target: slower than usual.
        const r = await runCase({ ...c, timeoutMs: RUN_TIMEOUT_MS }, ["--jit-threshold", "0"]);
        expect(r.hartwood).toEqual(r.qemu);
        expect(r.translations, "the recompiler translated").toBeGreaterThan(0);
      });
    }
  },
);

test("a host path the guest cannot see gets one hint naming --bind; with the bind the guest reads it", async () => {
  // The scratch directory is under the host's /tmp, which is private to the guest (the guest
  // starts in the repository, which it sees).
  const file = join(scratch, "hint.txt");
  writeFileSync(file, "seen\n");
  const run = (binds: string[]) =>
    runIn(
      process.execPath,
      [HARTWOOD, "run", "--ro-bind", dirname(busybox), ...binds, busybox, "cat", file],
      ROOT,
      links,
      "",
      RUN_TIMEOUT_MS,
    );
  const hidden = await run([]);
  expect(hidden.status).toBe(1);
  expect(hidden.stderr).toContain("No such file");
  const hints = hidden.stderr.split("\n").filter((l) => l.startsWith("hartwood:"));
  expect(hints).toEqual([`hartwood: ${file} exists on the host but not in the guest's file namespace; --bind ${scratch} exposes it`]); // prettier-ignore
  const bound = await run(["--bind", scratch]);
  expect(bound).toEqual({ status: 0, stdout: "seen\n", stderr: "" });
});
