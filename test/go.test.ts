// A Go program (test/guest/go) cross-built with Debian's golang-go runs on qemu-riscv64 and on
// Hartwood's user mode with the same output: the Go runtime exercises threads, futexes,
// signals, epoll-driven timers and the garbage collector.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, test } from "vitest";
import { buildGoGuest } from "./guest/go/build.js";

const HARTWOOD = fileURLToPath(new URL("../bin/hartwood.js", import.meta.url));
const ARGS = ["first", "with space"];

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Outcome> {
  return new Promise((done) => {
    execFile(cmd, args, { encoding: "utf8", timeout: 120_000 }, (err, stdout, stderr) => {
      done({ status: err === null ? 0 : typeof err.code === "number" ? err.code : null, stdout, stderr });
    });
  });
}

let program = "";
beforeAll(() => {
  program = buildGoGuest(); // the first build compiles Go's runtime for riscv64: about 10 s
}, 600_000);

test("goroutines, channels, maps and timers print the same on qemu-riscv64 and Hartwood", async () => {
  const [qemu, hartwood] = await Promise.all([
    run("qemu-riscv64", [program, ...ARGS]),
    run(process.execPath, [HARTWOOD, "run", program, ...ARGS]),
  ]);
  expect(qemu.status, `reference run failed: ${qemu.stderr}`).toBe(0);
  expect(qemu.stdout).toMatch(/\nok\n$/);
  expect(hartwood.stderr, "Hartwood's stderr").toBe("");
  expect(hartwood.status, "Hartwood's exit status").toBe(0);
  expect(hartwood.stdout).toBe(qemu.stdout);
});
