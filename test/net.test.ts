// Network sockets (src/modes/user/inet.ts, netcalls.ts, netlink.ts) against qemu-riscv64:
// test/guest/user/inet.c's scenarios and a Go net/http program run on loopback under both
// with the same stdout and exit status; Hartwood runs them with the host's network granted.
// Ports are chosen by the host (bind to port 0) and never printed, so runs can overlap.
// Without --net host the guest's socket() fails with EACCES and the user reads one hint line.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { run } from "../src/modes/user/index.js";
import { buildGuest, GUEST_DIR } from "./guest/build.js";
import { buildGoGuest } from "./guest/go/build.js";

interface Outcome {
  stdout: string;
  stderr: string;
  status: number | null;
}

function inet(source = "inet"): string {
  return buildGuest({
    sources: [`user/${source}.c`],
    deps: ["user/check.h"],
    cc: "riscv64-linux-gnu-gcc",
    flags: ["-O2", "-g0", "-pthread", "-static"],
    name: `${source}-static`,
  });
}

function spawnAsync(cmd: string, args: string[]): Promise<Outcome> {
  return new Promise((done, fail) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    c.on("error", fail);
    c.on("close", (status) => done({ stdout, stderr, status }));
  });
}

const qemu = (elf: string, args: string[]) => spawnAsync("qemu-riscv64", [elf, ...args]);

/** The hartwood CLI from source, as a separate process. */
const cli = (args: string[]) =>
  spawnAsync(process.execPath, [resolve("node_modules/vite-node/vite-node.mjs"), resolve("test/guest/user/cli-entry.ts"), "run", ...args]); // prettier-ignore

/** Runs `elf` in this process with the host's network; `binds` are extra host directories. */
async function hartwood(elf: string, args: string[], binds: string[] = []): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "hartwood-net-"));
  try {
    const fds = [openSync("/dev/null", "r"), openSync(join(dir, "out"), "w"), openSync(join(dir, "err"), "w")] as const; // prettier-ignore
    let status: number;
    try {
      const r = await run({
        program: elf,
        args,
        env: ["LC_ALL=C"],
        binds: [{ host: dirname(elf), readOnly: true }, ...binds.map((host) => ({ host }))],
        network: "host",
        stdio: fds,
      });
      status = r.status;
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    return { stdout: readFileSync(join(dir, "out"), "utf8"), stderr: readFileSync(join(dir, "err"), "utf8"), status }; // prettier-ignore
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The host has IPv6 loopback (::1 on an interface): /proc/net/if_inet6 lists it. */
function hasIpv6Loopback(): boolean {
  try {
    return /^0{31}1 /m.test(readFileSync("/proc/net/if_inet6", "utf8"));
  } catch {
    return false;
  }
}

describe.concurrent("network sockets match qemu-riscv64 (--net host)", () => {
  for (const [source, mode, line] of [
    ["inet", "tcp", "server: accepted from 127.0.0.1: 1, peer len 16, echoed 100023 bytes, then EOF"],
    ["inet", "udp", "udp: recvmmsg 3: 'one' (from a 1) 'two!' (from a 1) 'three' (from a 1)"],
    ["inet", "nonblock", "refused: POLLERR 1, SO_ERROR ECONNREFUSED, then OK"],
    ["inet", "options", "  SO_LINGER = 1 0 (len 8)"],
    ["epollet", "tcp", "connection again: 0"],
    ["socktimeo", "tcp", "send gave up: errno EAGAIN, that send waited >= 100 ms: 1, sent > 0: 1"],
  ] as const) {
    test(`${source}.c ${mode}: same output and status, with '${line}'`, async () => {
      const elf = inet(source);
      const [want, got] = await Promise.all([qemu(elf, [mode]), hartwood(elf, [mode])]);
      expect(want.status, `reference: ${want.stderr}`).toBe(0);
      expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
      expect(got.status).toBe(want.status);
      expect(got.stdout).toContain(line);
    });
  }

  // Skipped only where the host has no IPv6 loopback to give (then qemu could not run it either).
  test.skipIf(!hasIpv6Loopback())("inet.c ipv6: an echo over ::1", async () => {
    const elf = inet();
    const [want, got] = await Promise.all([qemu(elf, ["ipv6"]), hartwood(elf, ["ipv6"])]);
    expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
    expect(got.stdout).toContain("ipv6: recv 3 'six'");
    expect(got.status).toBe(0);
  });

  test("a server process and a client process talk over loopback (two hartwood runs, two qemu runs)", async () => {
    const elf = inet();
    const dir = mkdtempSync(join(tmpdir(), "hartwood-net2-"));
    try {
      const pair = (runner: (args: string[]) => Promise<Outcome>, file: string) =>
        Promise.all([runner(["serve", file]), runner(["client", file])]);
      const [qs, qc] = await pair((a) => qemu(elf, a), join(dir, "qemu-port"));
      const hw = (a: string[]) => cli(["--net", "host", "--bind", dir, "--ro-bind", dirname(elf), elf, ...a]);
      const [hs, hc] = await pair(hw, join(dir, "hartwood-port"));
      expect(qs.status).toBe(0);
      expect(hs.stdout, `server stderr: ${hs.stderr}`).toBe(qs.stdout);
      expect(hc.stdout, `client stderr: ${hc.stderr}`).toBe(qc.stdout);
      expect([hs.status, hc.status]).toEqual([qs.status, qc.status]);
      expect(hs.stdout).toBe("server: echoed 100023 bytes\ndone\n");
      expect(hs.stderr + hc.stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without --net host the server fails at socket() with EACCES and the hint is printed once", async () => {
    const elf = inet();
    const r = await cli(["--ro-bind", dirname(elf), elf, "serve", "/nonexistent/port"]);
    expect(r.stdout).toBe("socket: EACCES\n");
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      "hartwood: the guest was refused a network socket; run with --net host to give it the host's network\n",
    );
  });

  test("Go: net/http serves on loopback and fetches from itself; net.Interfaces lists loopback", async () => {
    const program = buildGoGuest(join(GUEST_DIR, "gonet"));
    // In its own process: the Go runtime's busy poller would slow the other guests' event loop here.
    const [want, got] = await Promise.all([qemu(program, []), cli(["--net", "host", program])]);
    expect(want.status, `reference: ${want.stderr}`).toBe(0);
    expect(got.stdout, `stderr: ${got.stderr}`).toBe(want.stdout);
    expect(got.status).toBe(0);
    expect(got.stdout).toContain('post: 200 len 90000 "ABCABCABCABCABCABCABCABC"');
    expect(got.stdout).toMatch(/loopback lo: up true, mtu 65536, addrs err <nil>, has 127.0.0.1\/8 true/);
  });
});

test("--net rejects an unknown mode as a one-line error", () => {
  const r = spawnSync(process.execPath, [resolve("node_modules/vite-node/vite-node.mjs"), resolve("test/guest/user/cli-entry.ts"), "run", "--net", "bridge", "/bin/true"], { encoding: "utf8" }); // prettier-ignore
  expect(r.stderr).toBe("hartwood: --net expects none or host, got 'bridge'\n");
  expect(r.status).toBe(1);
});
