// User mode against qemu-riscv64: each program is built with Debian's riscv64 cross
// compilers, run under Hartwood and under qemu-riscv64 with the same arguments, environment
// and stdin, and must print the same stdout and end with the same status.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"; // prettier-ignore
import * as net from "node:net";
import { constants, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { run } from "../src/modes/user/index.js";
import type { JitOptions } from "../src/core/jit/recompiler.js";
import { JIT_THRESHOLD } from "../src/core/jit/hotness.js";
import type { InterpreterTiers } from "../src/arch/riscv/cpu.js";
import type { JitCounts } from "../src/core/jit/compile-stats.js";
import { buildGuest, CACHE_DIR, GUEST_DIR } from "./guest/build.js";

const ROOT = "/usr/riscv64-linux-gnu";
const CC = "riscv64-linux-gnu-gcc";
const CXX = "riscv64-linux-gnu-g++";
const ENV = { HARTWOOD_GREETING: "hi there", LC_ALL: "C" };
const STDIN = "first line\nsecond line\nthird\n";

// (Debian's riscv64 libc ships no rcrt1.o, so -static-pie cannot be built here.)
type Link = "static" | "pie" | "no-pie";
const LINK_FLAGS: Record<Link, string[]> = {
  static: ["-static"],
  pie: ["-fPIE", "-pie"],
  "no-pie": ["-fno-PIE", "-no-pie"],
};

function build(source: string, link: Link): string {
  const cxx = source.endsWith(".cpp");
  return buildGuest({
    sources: [`user/${source}`],
    deps: ["user/check.h", "user/scratch.h", "user/pagefaults.h"],
    cc: cxx ? CXX : CC,
    flags: ["-O2", "-g0", "-pthread", ...LINK_FLAGS[link]],
    name: `${source.replace(/\.\w+$/, "")}-${link}`,
  });
}

/** A static riscv64 Go program (GOOS=linux GOARCH=riscv64), cached like buildGuest's. */
function buildGo(source: string): string {
  const src = join(GUEST_DIR, "user", source);
  const version = execFileSync("go", ["version"], { encoding: "utf8" });
  const key = createHash("sha256").update(version).update(readFileSync(src)).digest("hex").slice(0, 16);
  const dir = join(CACHE_DIR, "guests", `go-${key}`);
  const out = join(dir, source.replace(/\.go$/, ""));
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, GOOS: "linux", GOARCH: "riscv64", CGO_ENABLED: "0", GO111MODULE: "off" };
  execFileSync("go", ["build", "-o", `${out}.tmp${process.pid}`, src], { env, stdio: ["ignore", "inherit", "inherit"] }); // prettier-ignore
  renameSync(`${out}.tmp${process.pid}`, out);
  return out;
}

interface Outcome {
  stdout: string;
  status: number;
}

function qemuArgs(elf: string, args: string[], link: Link): string[] {
  const dynamic = link === "pie" || link === "no-pie";
  return [...(dynamic ? ["-L", ROOT] : []), elf, ...args];
}

// qemu-user dies of the guest's fatal signal itself: a shell would report 128 + n.
function qemuStatus(status: number | null, signal: NodeJS.Signals | null): number {
  return signal ? 128 + constants.signals[signal] : (status ?? -1);
}

function qemu(elf: string, args: string[], link: Link): Outcome {
  const r: SpawnSyncReturns<string> = spawnSync("qemu-riscv64", qemuArgs(elf, args, link), {
    input: STDIN,
    encoding: "utf8",
    env: { ...ENV, PATH: process.env.PATH },
    timeout: 60_000,
  });
  // EPIPE: the guest closed its stdin (close_range, say) before the input was written; it
  // ran on without it, as it does from Hartwood's file.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== "EPIPE") throw r.error;
  return { stdout: r.stdout, status: qemuStatus(r.status, r.signal) };
}

/**
 * Runs a command without blocking the event loop: long runs overlap, and the test worker
 * stays responsive. The status is the exit code, or 128 + n for a death by signal n.
 */
function runInBackground(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Outcome & { stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", fail);
    child.on("close", (status, signal) => done({ stdout, stderr, status: qemuStatus(status, signal) }));
    child.stdin.on("error", () => {}); // EPIPE: the guest closed its stdin first (see qemu)
    child.stdin.end(STDIN);
  });
}

/**
 * Runs `elf` under Hartwood; the guest sees the default sysroot, `elf`'s directory (read-only)
 * and `binds`. `jit`: the recompiler on (with these options) or off. The test programs are
 * short, so the recompiler starts at once unless `jit` names a warm-up (its own test below).
 */
async function hartwood(
  elf: string,
  args: string[],
  binds: string[] = [],
  jit: boolean | JitOptions = true,
  interpreterTiers?: InterpreterTiers,
): Promise<
  Outcome & {
    stderr: string;
    signal?: number;
    instret: number;
    translations: number;
    translatedInsns: number;
    sideExits: number;
    predecoded: number;
    jit?: JitCounts;
  }
> {
  const dir = mkdtempSync(join(tmpdir(), "hartwood-io-"));
  try {
    writeFileSync(join(dir, "in"), STDIN);
    const fds = [openSync(join(dir, "in"), "r"), openSync(join(dir, "out"), "w"), openSync(join(dir, "err"), "w")] as const; // prettier-ignore
    let r;
    try {
      r = await run({
        program: elf,
        args,
        env: Object.entries(ENV).map(([k, v]) => `${k}=${v}`),
        binds: [{ host: dirname(elf), readOnly: true }, ...binds.map((host) => ({ host }))],
        jit: jit !== false,
        // The recompiler at work from the start: no warm-up, and hotness.ts's threshold (user
        // mode's own would leave most of these short programs interpreted).
        jitOptions:
          jit === false
            ? undefined
            : { warmupInsns: 0, threshold: JIT_THRESHOLD, ...(jit === true ? {} : jit) },
        interpreterTiers,
        stdio: fds,
      });
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    return {
      stdout: readFileSync(join(dir, "out"), "utf8"),
      stderr: readFileSync(join(dir, "err"), "utf8"),
      status: r.status,
      signal: r.signal,
      instret: r.instret,
      translations: r.translations,
      translatedInsns: r.translatedInsns,
      sideExits: r.sideExits,
      predecoded: r.predecoded,
      jit: r.jit,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `elf` on both and compares; `args(dir)` gets a fresh scratch directory per run. */
async function compare(
  elf: string,
  link: Link,
  args: (dir: string) => string[] = () => [],
  jit = true,
): Promise<Outcome & { translations: number; predecoded: number; instret: number }> {
  const dirs = [mkdtempSync(join(tmpdir(), "hartwood-q-")), mkdtempSync(join(tmpdir(), "hartwood-h-"))];
  try {
    const want = qemu(elf, args(dirs[0]), link);
    const got = await hartwood(elf, args(dirs[1]), [dirs[1]], jit);
    expect(got.stdout, `stdout (stderr was: ${got.stderr})`).toBe(want.stdout);
    expect(got.status, "exit status").toBe(want.status);
    return got;
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

describe.concurrent("user mode matches qemu-riscv64", () => {
  for (const link of ["static", "pie", "no-pie"] as const) {
    test(`C on glibc (${link}): file I/O in a temp dir, args, env and stdin`, async () => {
      const got = await compare(build("fileio.c", link), link, (dir) => [dir, "one", "two words"]);
      expect(got.stdout).toContain("entry b.txt");
      expect(got.stdout).toContain("stdin: 3 lines, 29 bytes");
      expect(got.status).toBe(7);
    });
  }

  test("interval timers: alarm ends pause, a periodic timer ticks, getitimer, an unhandled SIGALRM kills", async () => {
    const got = await compare(build("itimer.c", "static"), "static");
    expect(got.stdout).toContain("periodic: 3 ticks, interval 20000 us, armed 1");
    expect(got.status).toBe(128 + 14);
  });

  // Descriptors for time and signals: each program under both engines against qemu-riscv64.
  for (const [source, name, line] of [
    ["timerfd.c", "timerfd: an epoll loop on a periodic timer, EAGAIN, an absolute timer, settime/gettime values, poll and pselect", "absolute: read 8, expirations 1, waited >= 25 ms: 1, other thread ran: 1"],
    ["signalfd.c", "signalfd: a child's SIGCHLD (status 7), raised SIGUSR1, a widened mask on the same fd, poll and epoll readiness", "read 128: ssi_signo 17 ssi_code 1 (CLD_EXITED 1) ssi_status 7 pid matches 1 uid matches 1"],
    ["posixtimers.c", "POSIX timers: SIGEV_SIGNAL ticks, SIGEV_THREAD_ID, overruns while blocked, rt_sigtimedwait EAGAIN and a timer signal", "ticks >= 1: 1, expirations >= 10: 1, elapsed >= 95 ms: 1, si_code SI_TIMER: 1, si_value 42: 1"],
  ] as const) {
    for (const jit of [true, false]) {
      test(`${name} (${jit ? "recompiler" : "interpreter"})`, async () => {
        const elf = build(source, "static");
        const want = qemu(elf, [], "static");
        const got = await hartwood(elf, [], [], jit);
        expect(got.stdout, `stdout (stderr was: ${got.stderr})`).toBe(want.stdout);
        expect(got.status, "exit status").toBe(want.status);
        expect(got.stdout).toContain(line);
        expect(got.translations > 0, "translations made: the recompiler ran, and only when on").toBe(jit);
      });
    }
  } // prettier-ignore

  test("path limits give ENAMETOOLONG; chdir through /proc/self/fd/N of a directory", async () => {
    const got = await compare(build("pathlimits.c", "static"), "static", (dir) => [dir]);
    expect(got.stdout).toContain("chdir magic: 0 errno=0 ends with dd: 1");
  });

  test("a loop left after many passes keeps a register written only on its untaken path", async () => {
    expect((await compare(build("loopexit.S", "static"), "static")).status).toBe(77);
  });

  test("a register is taken for a 32-bit word only where every path brings one, or where a test of it enters a loop (sext.w, OR, XOR, AND in i32)", async () => {
    const elf = build("words.S", "static");
    const got = await compare(elf, "static");
    expect(got.stdout).toContain("carried: ");
    expect(got.translations, "translated").toBeGreaterThan(0);
    const jit = await hartwood(elf, [], [], true);
    expect(jit.jit?.narrowed, "instructions emitted in i32 (counted by the engine)").toBeGreaterThan(0);
    expect(
      jit.jit?.guardedEntries,
      "a loop's entry whose words are tested (counted by the engine)",
    ).toBeGreaterThan(0);
    expect(jit.sideExits, "entries with a wider value left for the interpreter").toBeGreaterThan(0);
  });

  test("a switch's cases come from its jump table; its jump follows the table as the program rewrites it, and its bounds check sends out-of-range indices to the default", async () => {
    const elf = build("switch.c", "static");
    const got = await compare(elf, "static");
    expect(got.stdout).toContain("rewritten: rel ");
    expect(got.translations, "translated").toBeGreaterThan(0);
    const jit = await hartwood(elf, [], [], true);
    expect(
      jit.jit?.tableJumps,
      "switches whose cases were read from their table (counted by the engine)",
    ).toBeGreaterThanOrEqual(2);
  });

  test("loops whose pointer walks onto a page without access fault where qemu-riscv64 does, with their checks hoisted out of the loop", async () => {
    const elf = build("walkfault.c", "static");
    const got = await compare(elf, "static");
    expect(got.stdout).toContain("faults 54, ");
    const jit = await hartwood(elf, [], [], true);
    expect(jit.stdout).toBe(got.stdout);
    expect(
      jit.jit?.hoistedChecks,
      "checks hoisted out of loops in place (counted by the engine)",
    ).toBeGreaterThan(0);
    expect(jit.jit?.registerSteps, "pointers stepped by a register among them").toBeGreaterThan(0);
    expect(jit.jit?.nestedLoopsInPlace, "a loop in place around another").toBeGreaterThan(0);
  });

  test("loops whose table accesses are checked once for the span a masked index reaches, and whose pointer is loaded after its step, fault where qemu-riscv64 does; a span reaching a page without access that the loop never touches does not fault, and stores through such a span into translated code are seen", async () => {
    const elf = build("rangefault.c", "static");
    const got = await compare(elf, "static");
    expect(got.stdout).toContain("faults 18, ");
    expect(got.stdout).toContain("round 11: sum 2105000"); // the eleventh rewrite: addi a0, a0, 53
    const jit = await hartwood(elf, [], [], true);
    expect(jit.stdout).toBe(got.stdout);
    expect(
      jit.jit?.rangeChecks,
      "accesses checked once for their loop's span (counted by the engine)",
    ).toBeGreaterThan(0);
    expect(jit.jit?.hoistedAfterStep, "walking accesses after their pointer's step").toBeGreaterThan(0);
  });

  test("calls that leave their translation get their returns back there, and returns elsewhere (past the call site, to rewritten code, longjmp and a fault 100 calls deep) and a recursion 20,000 calls deep go where qemu-riscv64 goes", async () => {
    const elf = build("returns.c", "static");
    const got = await compare(elf, "static");
    expect(got.stdout).toContain("depth 100, fault: ");
    expect(got.stdout).toContain("depth 20000: ");
    const jit = await hartwood(elf, [], [], true);
    expect(jit.stdout).toBe(got.stdout);
    expect(
      jit.jit?.predictedReturns,
      "returns that went back into the waiting translation (counted by the engine)",
    ).toBeGreaterThan(1000);
  });

  test("self-modifying code runs as rewritten: after clear_cache, fence.i, no flush, an atomic store, after a return site, by read()", async () => {
    const got = await compare(build("smc.c", "static"), "static");
    expect(got.stdout).toContain("round 7 (atomic store)");
    expect(got.stdout).toContain("return site round 3: sum 6025000");
    expect(got.stdout).toContain("read round 1: sum 2201000"); // code a read() wrote
    expect(got.stdout).toContain("rewritten two ahead: sum 3000");
  });

  test("the interpreter runs code rewritten after it was predecoded as rewritten, and decodes far fewer instructions than it runs", async () => {
    const got = await compare(build("smc.c", "static"), "static", () => ["100000"], false);
    expect(got.stdout).toContain("round 7 (atomic store)");
    expect(got.stdout).toContain("rewritten two ahead: sum 3000"); // a store two instructions ahead
    expect(got.translations).toBe(0);
    expect(got.predecoded).toBeGreaterThan(0);
    expect(got.predecoded, `${got.predecoded} decoded of ${got.instret} run`).toBeLessThan(got.instret / 50);
  });

  test("a compressed instruction in a page's last two bytes is decoded once, interpreted; one across two pages runs as on QEMU", async () => {
    const c = await compare(build("pageend.c", "static"), "static", () => ["c", "100000"], false);
    expect(c.stdout).toContain("compressed in a page's last two bytes: 100000 calls, sum 600000");
    expect(c.predecoded, `${c.predecoded} decoded of ${c.instret} run`).toBeLessThan(c.instret / 50);
    const w = await compare(build("pageend.c", "static"), "static", () => ["w", "1000"], false);
    expect(w.stdout).toContain("32-bit across two pages: 1000 calls, sum 6000");
  });

  test("straight-line code interpreted into a page that lost PROT_EXEC faults at the page's first byte", async () => {
    const x = await compare(build("pageend.c", "static"), "static", () => ["x", "1000"], false);
    expect(x.stdout).toContain("into the next page: 1000 calls, sum 5000");
    expect(x.stdout).toContain("SIGSEGV at the next page's byte 0");
  });

  for (const link of ["static", "pie"] as const) {
    test(`page protections (${link}): unmapped, read-only, PROT_NONE, code and page-straddling accesses`, async () => {
      const got = await compare(build("pageprot.c", link), link);
      expect(got.stdout).toContain("faults 7");
    });
  }

  for (const link of ["static", "pie"] as const) {
    test(`C++ with libstdc++ (${link}): exceptions, iostreams, std::thread, std::async`, async () => {
      const got = await compare(build("cxx.cpp", link), link);
      expect(got.stdout).toContain("exception across threads: 42");
    });

    test(`pthreads (${link}): mutex counter, condvar producer/consumer, timed wait`, async () => {
      const got = await compare(build("pthreads.c", link), link);
      expect(got.stdout).toContain("counter=80000");
    });

    test(`signals (${link}): SIGSEGV caught with siglongjmp and by fixing the ucontext`, async () => {
      const got = await compare(build("signals.c", link), link);
      expect(got.stdout).toContain("round 2: caught signal 11 at 0x28");
      expect(got.stdout).toContain("fixed up: a0=1234");
    });
  }

  for (const [how, sig] of [
    ["segv", 11],
    ["abort", 6],
    ["ill", 4],
    ["kill", 15],
  ] as const) {
    test(`a guest killed by ${how} exits with 128 + ${sig}`, async () => {
      const got = await compare(build("fatal.c", "static"), "static", () => [how]);
      expect(got.status).toBe(128 + sig);
      expect(got.stdout).toBe(`about to die: ${how}\n`);
    });
  }

  test("Go runtime: goroutines, channels, timers, GC, recover, stdin", async () => {
    const got = await compare(buildGo("gohello.go"), "static", () => ["a", "b"]);
    expect(got.stdout).toContain("total 28000 chan 5 args [a b]");
    expect(got.stdout).toContain("lines 3");
    expect(got.status).toBe(3);
  });

  // qemu-riscv64 cannot run an exec'd riscv64 program without binfmt_misc, so the reference
  // for processes is the same source built for the host and run natively.
  for (const link of ["static", "pie"] as const) {
    test(`processes (${link}): fork, pipe, execve, vfork, posix_spawn, wait statuses`, async () => {
      const native = buildGuest({
        sources: ["user/procs.c"],
        cc: "gcc",
        flags: ["-O2"],
        name: "procs-native",
      });
      const want = spawnSync(native, [], { encoding: "utf8", timeout: 60_000 });
      const got = await hartwood(build("procs.c", link), []);
      expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
      expect(got.status).toBe(want.status);
      expect(got.stdout).toContain("faulting child: killed by signal 11");
    });
  }

  // `hartwood run` starts on a quickly compiled interpreter and, without the recompiler, moves to
  // an optimized compile of it once the run proves long (InterpreterTiers): the guest must not
  // notice.
  test("an interpret-only run moves to its optimized interpreter mid-run, in the parent and in forked children, and prints what it prints natively", async () => {
    const native = buildGuest({ sources: ["user/procs.c"], cc: "gcc", flags: ["-O2"], name: "procs-native" });
    const want = spawnSync(native, [], { encoding: "utf8", timeout: 60_000 });
    const quick: Uint8Array[] = [];
    const optimized: Uint8Array[] = [];
    const tiers: InterpreterTiers = {
      quick: (bytes) => (quick.push(bytes), new WebAssembly.Module(bytes as BufferSource)),
      optimizeAfterInsns: 5_000,
      optimized: (bytes) => (optimized.push(bytes), new WebAssembly.Module(bytes as BufferSource)),
    };
    const got = await hartwood(build("procs.c", "static"), [], [], false, tiers);
    expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
    expect(got.status).toBe(want.status);
    // The first process's memory is shared and its children's are not: two interpreters, each
    // compiled once by each tier however many children ran.
    expect(quick).toHaveLength(2);
    expect(optimized).toEqual(quick);
  });

  // The recompiler (src/core/jit, src/arch/riscv/recompiler.ts) against the interpreter: the same output, status and
  // instruction count, through faults in translated code (signals, pageprot) and syscalls;
  // with the default threshold, translating every jump target at first sight, with a code
  // cache so small that translations are evicted, and compiling in the background (for a
  // program that runs long enough for modules to be ready: smc.c rewriting its function every
  // 2000000 calls; a rewrite flushes and so discards the modules compiling then).
  const configs: [string, JitOptions][] = [["", {}], [" at --jit-threshold 0", { threshold: 0 }], [" at --jit-threshold 0 with --jit-cache 16K", { threshold: 0, cacheBytes: 16 << 10 }], [" with --jit-async", { async: true }]]; // prettier-ignore
  const runsLong = new Set(["smc.c"]);
  for (const source of [
    "hotfault.c",
    "groupfault.c",
    "walkfault.c",
    "rangefault.c",
    "returns.c",
    "smc.c",
    "loopexit.S",
    "words.S",
    "switch.c",
    "signals.c",
    "pageprot.c",
    "fileio.c",
  ])
    for (const [how, opts] of configs.filter(([, o]) => !o.async || runsLong.has(source))) {
      test(`the recompiler${how} leaves what the interpreter leaves (${source}): output, status, instructions retired`, async () => {
        const elf = build(source, "static");
        const dirs = [mkdtempSync(join(tmpdir(), "hartwood-i-")), mkdtempSync(join(tmpdir(), "hartwood-j-"))];
        try {
          const args = (d: string) => (source === "fileio.c" ? [d] : source === "smc.c" && opts.async ? ["2000000"] : []); // prettier-ignore
          const interp = await hartwood(elf, args(dirs[0]), [dirs[0]], false);
          const jit = await hartwood(elf, args(dirs[1]), [dirs[1]], opts);
          expect(interp.translations).toBe(0);
          expect(jit.translations, "hot code was translated").toBeGreaterThan(0);
          expect(jit.translatedInsns, "and ran translated").toBeGreaterThan(0);
          // Faults in translated code: the access leaves for the interpreter (a side exit).
          if (["hotfault.c", "groupfault.c", "walkfault.c", "rangefault.c"].includes(source))
            expect(jit.sideExits, "faulting accesses left through side exits").toBeGreaterThan(0);
          // Its blocks share page checks, and its one-block loop runs in place (counts from the engine).
          if (source === "groupfault.c") {
            expect(jit.jit?.sharedChecks, "checks shared by access groups").toBeGreaterThan(0);
            // A group's check covers both pages of a span across them (case 2's 3,000 calls):
            // only the accesses that fault (6 cases, every 500th of 3,000 calls) leave.
            expect(jit.sideExits, "a span across two pages that allow it stays inside").toBeLessThan(200);
            expect(jit.jit?.loopsInPlace, "one-block loops in place").toBeGreaterThan(0);
          }
          // Its loops' accesses are checked before the loop and at the back edge (counted by the engine).
          if (source === "walkfault.c")
            expect(jit.jit?.hoistedChecks, "checks hoisted out of loops in place").toBeGreaterThan(0);
          // Its caller's return site runs inside the caller's translation (Region.entries),
          // which must go when the code after it is rewritten.
          if (source === "smc.c" && !opts.async)
            expect(jit.jit?.entered, "a return site served inside a translation").toBeGreaterThan(0);
          expect(interp.sideExits).toBe(0);
          if (opts.cacheBytes) expect(jit.jit?.evictions, "translations were evicted").toBeGreaterThan(0);
          expect(jit.stdout.replaceAll(dirs[1], "DIR")).toBe(interp.stdout.replaceAll(dirs[0], "DIR"));
          expect(jit.status).toBe(interp.status);
          expect(jit.instret).toBe(interp.instret);
        } finally {
          for (const d of dirs) rmSync(d, { recursive: true, force: true });
        }
      });
    }

  test("by default a process runs its first million instructions interpreted: a short program is not translated (nor the recompiler's dispatcher compiled), a long one is after the warm-up and no later", async () => {
    const elf = build("smc.c", "static");
    const dir = mkdtempSync(join(tmpdir(), "hartwood-w-"));
    try {
      let dispatchers = 0;
      const byDefault = {
        // user mode's own, not the helper's
        warmupInsns: undefined,
        threshold: undefined,
        compileDispatcher: (bytes: Uint8Array) => (
          dispatchers++,
          new WebAssembly.Module(bytes as BufferSource)
        ),
      };
      const short = await hartwood(elf, [], [dir], byDefault);
      expect(short.instret).toBeLessThan(1_000_000);
      expect(short.translations, "nothing translated within the warm-up").toBe(0);
      expect(dispatchers, "a run that translates nothing compiles no dispatcher").toBe(0);
      const long = await hartwood(elf, ["2000000"], [dir], byDefault);
      expect(long.instret).toBeGreaterThan(2_000_000);
      expect(long.translations, "hot code translated after it").toBeGreaterThan(0);
      expect(dispatchers, "the dispatcher compiled once, with the first module").toBe(1);
      // The warm-up ends after its million, not at the end of a longer first slice (4 Mi instructions).
      expect(long.instret - long.translatedInsns, "instructions interpreted").toBeLessThan(2_000_000);
      expect(long.stdout).toBe((await hartwood(elf, ["2000000"], [dir], false)).stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("exit status passes through", async () => {
    expect((await compare(build("fatal.c", "pie"), "pie", () => ["exit"])).status).toBe(99);
  });

  test("sockets: socketpair streams across fork and threads, datagram boundaries, shutdown, poll, EPIPE", async () => {
    const got = await compare(build("sockets.c", "static"), "static");
    expect(got.stdout).toContain("child exited 13");
    expect(got.stdout).toContain("recv 2 with MSG_TRUNC: returns 5, buffer 'th'");
    expect(got.stdout).toContain("recvmsg 3 iovecs: 9 'ab' 'cde' 'fghi' namelen=0 controllen=0 flags=0x0");
    expect(got.stdout).toContain("write with SIGPIPE ignored: err=EPIPE");
    expect(got.stdout).toContain("blocking read got: 4 'late'");
    expect(got.stdout).toContain("done");
  });

  test("SO_RCVTIMEO and SO_SNDTIMEO on AF_UNIX sockets: set and get, recv, read, recvfrom and accept give up with EAGAIN, a signal gives EINTR", async () => {
    const got = await compare(build("socktimeo.c", "static"), "static", () => ["unix"]);
    expect(got.stdout).toContain("recv with nothing sent: -1 errno EAGAIN, waited >= 100 ms: 1");
    expect(got.stdout).toContain("recv interrupted by a signal: -1 errno EINTR");
    expect(got.stdout).toContain("done");
  });

  test("sendmmsg and recvmmsg on AF_UNIX datagram, seqpacket and stream pairs: msg_len, MSG_TRUNC, MSG_WAITFORONE, waiting for all, SCM_RIGHTS, a failure part-way", async () => {
    const got = await compare(build("mmsg.c", "static"), "static");
    expect(got.stdout).toContain("recvmmsg 2, waiting for a thread's two sends: 2 errno - [len 5 flags 0 'late1'+''] [len 5 flags 0 'late2'+'']"); // prettier-ignore
    expect(got.stdout).toContain("  message 0: controllen 24, a file: 1, writes to the pipe: '!'");
    expect(got.stdout).toContain("done");
  });

  test("the smaller syscalls: metadata, sync, vectored and positional I/O, sendfile, ids, sessions, limits, clocks, uname, prctl, mremap, sigsuspend, tkill; no renameat on riscv64", async () => {
    const got = await compare(build("sysmisc.c", "static"), "static", (dir) => [dir]);
    expect(got.stdout).toContain("renameat (not on riscv64): -1 errno 38");
    expect(got.stdout).toContain("faccessat2 bad flags: -1 errno 22");
    expect(got.stdout).toContain("done");
  });

  test("madvise(MADV_DONTNEED) zeroes private anonymous and break pages, even those whose one non-zero byte is the first or last, or whose first writer was read(2), an atomic, a signal frame or a store across pages; keeps the pages around them and a shared mapping's", async () => {
    const { stdout } = await compare(build("madvise.c", "static"), "static");
    for (const what of ["first", "second"])
      expect(stdout).toContain(`${what}: non-zero bytes in the range 0, changed bytes outside 0`);
    expect(stdout).toContain("heap: zero 16384 of 16384, kept 16384 of 16384");
    expect(stdout).toContain("first writers: non-zero bytes 0");
    expect(stdout).toContain("done");
  });

  test("futex queues: a waiter on each of 200 addresses in turn while another stays parked, FUTEX_CMP_REQUEUE, FUTEX_WAKE_BITSET", async () => {
    const { stdout } = await compare(build("futexqueues.c", "static"), "static");
    expect(stdout).toContain("the waiter parked meanwhile is woken: 1");
    expect(stdout).toContain("wake_bitset 0xa woke 1 and 3, not 0 and 2: 1");
    expect(stdout).toContain("done");
  });

  // Between guest processes, in a scratch directory: each program under both engines.
  for (const [source, name, line] of [
    ["fifolock.c", "FIFOs and flock: opens that wait for the other side (one thread waits, others run), O_NONBLOCK, ENXIO, lock contention between processes", "file: 'parent child'"],
    ["files.c", "files: memfd_create and seals, copy_file_range, preadv2/pwritev2, splice and tee, close_range, set*id, capget, membarrier, sched_getattr", "tee'd copy: splice me"],
    ["unixsock.c", "AF_UNIX: a path server and client, datagrams to paths, the abstract namespace, autobind, accept in a thread, SO_PEERCRED, SCM_RIGHTS and SCM_CREDENTIALS", "recvmsg 5 'trunc' controllen 0 fds 0 ctrunc 1"],
  ] as const) {
    for (const jit of [true, false]) {
      test(`${name} (${jit ? "recompiler" : "interpreter"})`, async () => {
        const got = await compare(build(source, "static"), "static", (dir) => [dir], jit);
        expect(got.stdout).toContain(line);
        expect(got.stdout).toContain("done");
        expect(got.translations > 0, "translations made: the recompiler ran, and only when on").toBe(jit);
      });
    }
  } // prettier-ignore
});

describe.concurrent("epoll's EPOLLET and EPOLLONESHOT match qemu-riscv64", () => {
  for (const jit of [true, false]) {
    test(`reports once per wake-up, disables after one report until MOD: pipes, a FIFO, eventfd, AF_UNIX pairs, timerfd, signalfd (${jit ? "recompiler" : "interpreter"})`, async () => {
      const got = await compare(build("epollet.c", "static"), "static", (dir) => ["local", dir], jit);
      expect(got.stdout).toContain("pipe again, data still there: 0");
      expect(got.stdout).toContain("stream after a reads it all: 1 b:0x4");
      expect(got.stdout).toContain("oneshot re-armed by MOD: 1 o:0x1");
      expect(got.stdout).toContain("done");
    });
  }
});

describe("user mode keeps AF_UNIX names inside the guest", () => {
  test("a host server's abstract name and its socket file in a bound directory refuse the guest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hartwood-h-"));
    const abstract = `hartwood-host-${process.pid}-${Date.now()}`;
    const servers = [net.createServer(), net.createServer()];
    try {
      await Promise.all([
        new Promise((ok) => servers[0].listen(`\0${abstract}`, () => ok(0))),
        new Promise((ok) => servers[1].listen(join(dir, "host.sock"), () => ok(0))),
      ]);
      const got = await hartwood(build("unixprobe.c", "static"), [abstract, join(dir, "host.sock")], [dir]);
      expect(got.stdout).toBe("abstract: -1 errno 111\npath: -1 errno 111\n");
    } finally {
      await Promise.all(servers.map((s) => new Promise((ok) => s.close(() => ok(0)))));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Debian's qemu-riscv64 (7.2) lacks openat2 and execveat and refuses RWF_NOWAIT: for these the
// reference is Linux itself, running the same source built for the host.
describe("user mode matches the host's Linux", () => {
  for (const jit of [true, false]) {
    test(`openat2 RESOLVE_* limits, execveat, RWF_NOWAIT and RWF_APPEND (${jit ? "recompiler" : "interpreter"})`, async () => {
      const flags = ["-O2", "-g0"];
      const deps = ["user/check.h", "user/scratch.h"];
      const native = buildGuest({
        sources: ["user/openat2.c"],
        deps,
        cc: "gcc",
        flags,
        name: "openat2-native",
      });
      const elf = buildGuest({ sources: ["user/openat2.c"], deps, cc: CC, flags: [...flags, "-static"], name: "openat2-static" }); // prettier-ignore
      const dirs = [mkdtempSync(join(tmpdir(), "hartwood-n-")), mkdtempSync(join(tmpdir(), "hartwood-h-"))];
      try {
        const want = spawnSync(native, [dirs[0]], { encoding: "utf8", timeout: 60_000 });
        const got = await hartwood(elf, [dirs[1]], [dirs[1]], jit);
        expect(got.stdout, `stdout (stderr was: ${got.stderr})`).toBe(want.stdout);
        expect(got.status, "exit status").toBe(want.status);
        expect(got.stdout).toContain("IN_ROOT absolute link: 0 errno 0");
        expect(got.stdout).toContain("execveat AT_EMPTY_PATH: status 9");
        expect(got.translations > 0, "translations made: the recompiler ran, and only when on").toBe(jit);
      } finally {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  }
});

describe("hartwood run (the CLI)", () => {
  const cli = (args: string[], input = "") =>
    spawnSync(process.execPath, [resolve("node_modules/vite-node/vite-node.mjs"), resolve("test/guest/user/cli-entry.ts"), "run", ...args], { input, encoding: "utf8", timeout: 60_000 }); // prettier-ignore

  test("prints the fatal signal and exits with 128 + n; stdin, --env and --strace pass through", () => {
    const dead = cli([build("fatal.c", "pie"), "segv"]);
    expect(dead.stdout).toBe("about to die: segv\n");
    expect(dead.stderr).toContain("hartwood: guest killed by signal 11 (SIGSEGV)");
    expect(dead.status).toBe(139);

    const dir = mkdtempSync(join(tmpdir(), "hartwood-cli-"));
    try {
      const r = cli(
        [
          "--bind",
          dir,
          "--env",
          "HARTWOOD_GREETING=from cli",
          "--strace",
          build("fileio.c", "pie"),
          dir,
          "-x",
        ],
        STDIN,
      );
      expect(r.stdout).toContain("env HARTWOOD_GREETING=from cli");
      expect(r.stdout).toContain("arg[2]=-x");
      expect(r.stdout).toContain("stdin: 3 lines, 29 bytes");
      expect(r.stderr).toContain('openat(AT_FDCWD, "a.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3');
      expect(r.stderr).toMatch(/^syscall_4000\(.*\) = -1 ENOSYS$/m);
      expect(r.status).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the guest sees only what the flags expose: an unbound directory is missing, --ro-bind is read-only, --bind and --no-cwd", () => {
    // prettier-ignore
    const dir = mkdtempSync(join(tmpdir(), "hartwood-ns-"));
    const elf = build("fileio.c", "static");
    try {
      // The scratch directory is not the working directory and not bound: chdir fails with ENOENT.
      const hidden = cli(["--no-cwd", elf, dir]);
      expect(hidden.stdout).toMatch(/FAIL line \d+: chdir\(argv\[1\]\) == 0 \(errno 2\)/);
      expect(hidden.status).toBe(1);
      // Read-only: creating a.txt fails with EROFS, and nothing appears on the host.
      const ro = cli(["--ro-bind", dir, elf, dir]);
      expect(ro.stdout).toContain("cwd matches: 1");
      expect(ro.stdout).toContain("(errno 30)");
      expect(existsSync(join(dir, "a.txt"))).toBe(false);
      // Bound read-write at another guest path: the guest sees the host's file there and works in it.
      writeFileSync(join(dir, "from-host.txt"), "");
      const moved = cli(["--no-cwd", "--bind", `${dir}:/work`, elf, "/work"], STDIN);
      expect(moved.stdout).toContain("cwd matches: 1");
      expect(moved.stdout).toContain("entry from-host.txt");
      expect(moved.stdout).toContain("stdin: 3 lines, 29 bytes");
      expect(moved.status).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [flags, message] of [
    [["--root", "/nonexistent-root"], "hartwood: --root /nonexistent-root: ENOENT"],
    [["--bind", "/nonexistent-dir"], "hartwood: --bind /nonexistent-dir: ENOENT"],
    [["--root", "/etc/hostname"], "hartwood: --root /etc/hostname: not a directory"],
    [["--ro-bind", ":/x"], "hartwood: --ro-bind expects src[:dst], got ':/x'"],
  ] as const) {
    test(`${flags.join(" ")} is a one-line error`, () => {
      const r = cli([...flags, build("fatal.c", "static"), "exit"]);
      expect(r.stderr).toBe(`${message}\n`);
      expect(r.status).toBe(1);
    });
  }
});

// The guest's window is most of the 4 GiB wasm memory (src/modes/user/layout.ts): stack and
// mappings sit above 2 GiB, where every guest address must still be taken as unsigned.
describe("user mode above 2 GiB", () => {
  test("3 GiB allocated at once (break, malloc's mappings, one mmap), every page written then read back, as on qemu-riscv64; then one 3 GiB mmap", async () => {
    const elf = build("bigmem.c", "static");
    // Each run faults in 3 GiB of host memory, which takes a while: QEMU's overlaps Hartwood's,
    // and Hartwood runs as the CLI so that this worker's event loop is never held up.
    const env = { ...ENV, PATH: process.env.PATH };
    const reference = runInBackground("qemu-riscv64", qemuArgs(elf, [], "static"), env);
    const cli = (flags: string[]) =>
      runInBackground(process.execPath, [resolve("node_modules/vite-node/vite-node.mjs"), resolve("test/guest/user/cli-entry.ts"), "run", ...flags, elf], { ...env, HARTWOOD_JIT_STATS: "1" }); // prettier-ignore
    const interp = await cli(["--no-jit"]);
    const jit = await cli([]);
    const want = await reference;
    expect(want.stdout).toContain("786432 pages written and read back, 0 wrong");
    for (const got of [interp, jit]) {
      expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
      expect(got.status).toBe(want.status);
    }
    const translations = (r: { stderr: string }) =>
      Number(/jit stats: translations (\d+)/.exec(r.stderr)?.[1]);
    expect(translations(jit), "the page loops ran translated").toBeGreaterThan(0);
    expect(translations(interp)).toBe(0);
  }, 900_000);

  for (const jit of [true, false]) {
    test(`syscalls with buffers at and above 2 GiB: read, write, readv, writev, futex, execve, mprotect, munmap, mremap, si_addr, /proc/self/maps (${jit ? "recompiler" : "interpreter"})`, async () => {
      const native = buildGuest({
        sources: ["user/highaddr.c"],
        deps: ["user/check.h"],
        cc: "gcc",
        flags: ["-O2", "-pthread"],
        name: "highaddr-native",
      });
      const want = spawnSync(native, [], { encoding: "utf8", timeout: 60_000 });
      const got = await hartwood(build("highaddr.c", "static"), [], [], jit);
      expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
      expect(got.status).toBe(want.status);
      expect(got.stdout).toContain(
        "exec'd with an argument from above 2 GiB, an environment from above 2 GiB",
      );
    });
  }

  for (const link of ["static", "pie"] as const) {
    test(`the stack, a thread's stack and TLS and new mappings are above 2 GiB (${link})`, async () => {
      const got = await hartwood(build("highaddr.c", link), ["layout"]);
      expect(got.stdout, `stderr: ${got.stderr}`).toBe("stack 1, mmap 1\nthread stack 1, thread TLS 1\n");
    });
  }
});
