// Builds guest programs (C or assembly in this repo) with Debian's cross compilers, cached
// outside the repository by a hash of everything that goes into the build.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const GUEST_DIR = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = process.env.HARTWOOD_CACHE ?? join(homedir(), ".cache", "hartwood");

export interface GuestBuild {
  /** Source files (relative to test/guest or absolute). */
  sources: string[];
  /** Extra files whose content affects the build (headers, linker scripts). */
  deps?: string[];
  /** Compiler driver, e.g. riscv64-unknown-elf-gcc. */
  cc: string;
  flags: string[];
  /** Output file name (within the cache entry). */
  name: string;
}

const versions = new Map<string, string>();
function compilerVersion(cc: string): string {
  let v = versions.get(cc);
  if (v === undefined) {
    v = execFileSync(cc, ["--version"], { encoding: "utf8" }).split("\n")[0];
    versions.set(cc, v);
  }
  return v;
}

/** Returns the path of the built program, building it on first use. */
export function buildGuest(b: GuestBuild): string {
  const abs = (p: string) => resolve(GUEST_DIR, p);
  const h = createHash("sha256");
  h.update(compilerVersion(b.cc));
  h.update(JSON.stringify([b.cc, b.flags, b.name]));
  for (const f of [...b.sources, ...(b.deps ?? [])]) {
    h.update(f);
    h.update(readFileSync(abs(f)));
  }
  const key = h.digest("hex").slice(0, 16);
  const dir = join(CACHE_DIR, "guests", `${basename(b.name)}-${key}`);
  const out = join(dir, b.name);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  execFileSync(b.cc, [...b.flags, "-o", tmp, ...b.sources.map(abs)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  renameSync(tmp, out); // atomic: concurrent builders of the same key agree on the result
  return out;
}
