// Guest threads in parallel on host worker threads (--threads parallel, hart-pool.ts): the
// results qemu-riscv64 gives, turns run on workers (counted by the process), and a guest that
// never leaves guest code on a worker still ends with its process.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { buildProgram } from "../bench/build.js";
import { JIT_THRESHOLD } from "../src/core/jit/hotness.js";
import { poolSize, useWorkerLoader } from "../src/modes/user/hart-pool.js";
import { run } from "../src/modes/user/index.js";
import { buildGuest } from "./guest/build.js";

function build(source: string): string {
  return buildGuest({
    sources: [`user/${source}`],
    cc: "riscv64-linux-gnu-gcc",
    flags: ["-O2", "-g0", "-pthread", "-static"],
    name: source.replace(/\.c$/, ""),
  });
}

async function parallel(elf: string, args: string[], jit = true) {
  const dir = mkdtempSync(join(tmpdir(), "hartwood-parallel-"));
  try {
    const fds = [openSync("/dev/null", "r"), openSync(join(dir, "out"), "w"), openSync(join(dir, "err"), "w")] as const; // prettier-ignore
    let r;
    try {
      const jitOptions = jit ? { threshold: JIT_THRESHOLD } : undefined; // translate at these small sizes
      r = await run({ program: elf, args, binds: [{ host: dirname(elf), readOnly: true }], jit, jitOptions, stdio: fds, threads: "parallel" }); // prettier-ignore
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    return {
      ...r,
      stdout: readFileSync(join(dir, "out"), "utf8"),
      stderr: readFileSync(join(dir, "err"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function qemu(elf: string, args: string[]) {
  const r = spawnSync("qemu-riscv64", [elf, ...args], { encoding: "utf8", timeout: 60_000 });
  return { stdout: r.stdout, status: r.signal ? 128 + (r.signal === "SIGSEGV" ? 11 : 9) : r.status };
}

// With one core there is no worker to run anything on.
describe.skipIf(poolSize() === 0)("guest threads on worker threads", () => {
  // Long enough for the workers to start (a few hundred ms from the TypeScript sources).
  test("threads 100: turns run on worker threads and print qemu-riscv64's checksum", async () => {
    const elf = buildProgram("threads").riscv;
    const want = qemu(elf, ["100"]);
    const got = await parallel(elf, ["100"]);
    expect(got.stdout, got.stderr).toBe(want.stdout);
    expect(got.status).toBe(0);
    expect(got.workerTurns, "turns run on worker threads").toBeGreaterThan(0);
  });

  for (const jit of [true, false]) {
    test(`threads contending for words (AMO, LR/SC, mutex, spinning barrier, futex hand-off) give qemu-riscv64's totals (${jit ? "recompiler" : "interpreter"})`, async () => {
      const elf = build("contend.c");
      const want = qemu(elf, []);
      const got = await parallel(elf, [], jit);
      expect(got.stdout, got.stderr).toBe(want.stdout);
      expect(got.status).toBe(0);
      expect(got.workerTurns, "turns run on worker threads").toBeGreaterThan(0);
      // Without the recompiler every worker runs main's interpreter module (compiled once for all).
      if (!jit) expect(got.workersGivenInterpreter, "workers given main's interpreter").toBe(poolSize());
    });
  }

  for (const how of ["exit", "segv", "kill", "fork"]) {
    test(`threads spinning in guest code, one on a worker, end with the process (${how})`, async () => {
      const elf = build("spinners.c");
      const want = qemu(elf, [how]);
      const got = await parallel(elf, [how]);
      expect(got.stdout).toBe(want.stdout);
      expect(got.status).toBe(want.status);
      expect(got.workerTurns, "turns run on worker threads").toBeGreaterThan(0);
    });
  }

  test("execve stops the other threads, one spinning on a worker, before the new program starts", async () => {
    const elf = build("spinners.c");
    const got = await parallel(elf, ["exec"]);
    expect(got.stdout).toBe("spinning\nexec'd\n");
    expect(got.status).toBe(5);
    expect(got.workerTurns).toBeGreaterThan(0);
  });
});

/** bin/worker-ahead.js: the bin starts the first worker thread before it loads the CLI (package.test.ts runs it). */
const WORKER_AHEAD = resolve(dirname(fileURLToPath(import.meta.url)), "..", "bin", "worker-ahead.js");
const { threadsLikely } = createRequire(import.meta.url)(WORKER_AHEAD) as {
  threadsLikely(argv: string[], env?: Record<string, string | undefined>): boolean;
};

/** An ELF header whose `shnum` section headers all claim a 1 TiB string table at offset 0. */
function craftedStringTables(shnum: number): Buffer {
  const eh = Buffer.alloc(64);
  eh.writeUInt32BE(0x7f454c46, 0);
  eh[4] = 2; // 64-bit
  eh[5] = 1; // little-endian
  eh.writeBigUInt64LE(64n, 0x28); // e_shoff
  eh.writeUInt16LE(64, 0x3a); // e_shentsize
  eh.writeUInt16LE(shnum, 0x3c);
  const sh = Buffer.alloc(64 * shnum);
  for (let i = 0; i < shnum; i++) {
    sh.writeUInt32LE(3, i * 64 + 4); // SHT_STRTAB
    sh.writeBigUInt64LE(1n << 40n, i * 64 + 0x20); // sh_size
  }
  return Buffer.concat([eh, sh]);
}

test("the hint reads a bounded amount of a crafted ELF's string tables", () => {
  const dir = mkdtempSync(join(tmpdir(), "hartwood-ahead-"));
  try {
    // Read whole (16 MiB each, as many as the headers name), 16,000 of them took minutes.
    for (const shnum of [16_000, 65_535]) {
      const file = join(dir, `crafted-${shnum}`);
      writeFileSync(file, craftedStringTables(shnum));
      const t0 = performance.now();
      expect(threadsLikely(["run", file], {})).toBe(false);
      expect(performance.now() - t0).toBeLessThan(5_000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.skipIf(poolSize() === 0)("a worker thread started ahead", () => {
  test("for `run` of an ELF that names pthread_create, wherever the program is among the arguments", () => {
    const threads = buildProgram("threads").riscv;
    expect(threadsLikely(["run", threads, "360"], {})).toBe(true);
    const dir = dirname(threads);
    const withOptions = ["run", "--root", dir, "--jit-threshold", "64", "--env", "A=1", "--bind", dir, threads]; // prettier-ignore
    expect(threadsLikely(withOptions, {})).toBe(true);
  });

  test("not for a program without threads, threads kept to turns, or another command", () => {
    const threads = buildProgram("threads").riscv;
    expect(threadsLikely(["run", buildProgram("crc32").riscv, "40"], {})).toBe(false);
    expect(threadsLikely(["run", "--threads", "turns", threads], {})).toBe(false);
    expect(threadsLikely(["run", "--threads=turns", threads], {})).toBe(false);
    expect(threadsLikely(["run", threads], { HARTWOOD_THREADS: "turns" })).toBe(false);
    expect(threadsLikely(["boot", "--kernel", threads], {})).toBe(false);
    expect(threadsLikely(["run", "/nonexistent", threads], {})).toBe(true);
  });

  test("one whose bundle failed to load is not taken (its error is reported, not thrown); the threads run as on qemu-riscv64", async () => {
    const spare = new Worker(`require("node:worker_threads").parentPort.on("message", () => { throw new Error("no bundle"); });`, { eval: true }); // prettier-ignore
    const exited = new Promise((done) => spare.once("exit", done));
    useWorkerLoader(WORKER_AHEAD, spare); // the bin's loader; the sources' workers do not use it
    spare.postMessage("load");
    await exited;
    const elf = buildProgram("threads").riscv;
    const want = qemu(elf, ["100"]);
    const got = await parallel(elf, ["100"]);
    expect(got.stdout, got.stderr).toBe(want.stdout);
    expect(got.workersAhead, "the failed one taken").toBe(0);
  });
});
