// The guest console on a real terminal: hartwood runs under a pseudo-terminal (util-linux
// `script`), what is typed reaches the guest's shell and its output comes back, an idle guest
// costs the host (almost) no CPU, and Ctrl-A x ends the machine.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { buildGuestImage } from "../src/modes/system/image.js";

/** Host CPU seconds (user + system) that process `pid` has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** The process `script` runs the command in (`exec` makes it script's own child). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
  return Number(children[0]);
}

async function waitFor(get: () => string, what: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!what.test(get())) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; output so far:\n${get().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("typed input reaches the guest's shell through a terminal, an idle guest sleeps, and Ctrl-A x quits", async () => {
  const image = buildGuestImage({ quiet: true });
  const cmd = `exec ${process.execPath} bin/hartwood.js boot --kernel ${image.kernel} --initrd ${image.initramfs} --append console=ttyS0`;
  const child: ChildProcessWithoutNullStreams = spawn("script", ["-qfec", cmd, "/dev/null"], {
    stdio: "pipe",
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString("latin1")));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    await waitFor(() => out, /'exit' powers off/, 120_000);
    await new Promise((r) => setTimeout(r, 1000)); // the shell prints its prompt
    child.stdin.write("echo hello-$((6*7))\r");
    await waitFor(() => out, /hello-42/, 30_000);

    // Idle at the prompt: the guest waits in WFI and the host sleeps until its next timer.
    const vmm = childOf(child.pid!);
    const before = cpuSeconds(vmm);
    await new Promise((r) => setTimeout(r, 3000));
    const used = cpuSeconds(vmm) - before;
    expect(used, `host CPU used in 3 s of guest idling: ${used} s`).toBeLessThan(0.3);

    child.stdin.write("\x01h");
    await waitFor(() => out, /C-a x +exit the machine/, 10_000);
    child.stdin.write("\x01x");
    const status = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
    expect(out).toContain("terminated by C-a x");
    expect(status).toBe(0);
  } finally {
    child.kill("SIGKILL");
  }
}, 180_000);

test("bytes piped in before the guest reads reach its shell in order, none lost (built-in SBI and OpenSBI)", () => {
  const image = buildGuestImage({ quiet: true });
  for (const bios of ["builtin", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"]) {
    const r = spawnSync(
      process.execPath,
      [
        "bin/hartwood.js",
        "boot",
        "--bios",
        bios,
        "--kernel",
        image.kernel,
        "--initrd",
        image.initramfs,
        "--append",
        "console=ttyS0",
      ],
      { input: "echo piped-$((1+2))\necho second-$((2*2))\nexit\n", encoding: "latin1", timeout: 120_000 },
    );
    expect(r.stdout).toContain("piped-3");
    expect(r.stdout).toContain("second-4");
    expect(r.stdout).not.toMatch(/sh: .*not found/);
    expect(r.status).toBe(0);
  }
}, 240_000);
