// The syscall coverage table (src/modes/user/coverage.ts) against what it describes: the
// riscv64 Linux 6.1 list, the user-mode dispatcher, the test programs and the README's copy.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { COVERAGE, coverageMarkdown } from "../src/modes/user/coverage.js";
import { LINUX_SYSCALLS } from "../src/modes/user/linux-syscalls.js";
import { SYSCALL_TABLE } from "../src/modes/user/process.js";
import { formatCall } from "../src/modes/user/strace.js";
import { GUEST_DIR } from "./guest/build.js";

const linux = new Map(LINUX_SYSCALLS.map(([nr, name]) => [nr, name]));
const handled = SYSCALL_TABLE.flatMap((d) => (d ? [d] : []));
const testSources = readdirSync("test")
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => readFileSync(join("test", f), "utf8"))
  .join("\n");

describe("the syscall coverage table", () => {
  test("has one row for every syscall of riscv64 Linux 6.1, and no other", () => {
    expect(LINUX_SYSCALLS.length).toBe(306);
    expect(
      Object.keys(COVERAGE)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(LINUX_SYSCALLS.map(([nr]) => nr));
  });

  test("calls every syscall the dispatcher handles implemented or partial, by Linux's name", () => {
    for (const d of handled) {
      expect(linux.get(d.nr), `${d.name} (${d.nr}) is not a riscv64 syscall`).toBe(d.name);
      expect(COVERAGE[d.nr].status, d.name).not.toBe("refused");
    }
  });

  test("calls refused exactly what the dispatcher lacks, which gets ENOSYS", () => {
    for (const [nr, name] of LINUX_SYSCALLS) {
      const c = COVERAGE[nr];
      if (c.status !== "refused") continue;
      expect(SYSCALL_TABLE[nr], name).toBeUndefined();
      expect(c.errno, name).toBe("ENOSYS");
    }
  });

  test("names, for each implemented syscall, a guest program that exists and that a test runs", () => {
    for (const [nr, name] of LINUX_SYSCALLS) {
      const c = COVERAGE[nr];
      if (c.status === "refused" || !c.test) continue;
      expect(existsSync(join(GUEST_DIR, c.test)), `${name}: ${c.test}`).toBe(true);
      const [dir, file] = c.test.split("/");
      // user/X.c by its file name, path or stem; the Go programs by their folder (go: buildGoGuest's default).
      const stem = file.replace(/\.\w+$/, "");
      const names = dir === "user" ? [`"${file}"`, `"user/${file}"`, `"${stem}"`] : dir === "go" ? ["buildGoGuest()"] : [`"${dir}"`]; // prettier-ignore
      const ran = names.some((n) => testSources.includes(n));
      expect(ran, `${name}: no test runs ${c.test}`).toBe(true);
    }
  });

  test("is what the README shows (regenerate with node scripts/syscall-table.mjs)", () => {
    const readme = readFileSync("README.md", "utf8");
    const start = readme.indexOf("<!-- syscall-table:start");
    const end = readme.indexOf("<!-- syscall-table:end -->");
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(readme.indexOf("\n", start) + 1, end);
    expect(section).toBe(coverageMarkdown());
  });

  test("--strace names a refused syscall as Linux does, and a number Linux lacks as syscall_N", () => {
    const t = { argBig: (i: number) => BigInt(i) };
    expect(formatCall(undefined as never, t as never, 117, undefined)).toBe(
      "ptrace(0x0, 0x1, 0x2, 0x3, 0x4, 0x5)",
    );
    expect(formatCall(undefined as never, t as never, 38, undefined)).toMatch(/^syscall_38\(/);
  });
});
