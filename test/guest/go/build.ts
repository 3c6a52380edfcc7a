// Cross-builds the Go guest program (this folder) for linux/riscv64 with Debian's golang-go,
// cached outside the repository by a hash of the Go version and every file that goes in.
// Go's own build cache (GOCACHE) and GOPATH live in the same cache directory.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CACHE_DIR } from "../build.js";

const GO_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Returns the path of the static linux/riscv64 Go program in `dir` (default: this folder's),
 * building it on first use.
 */
export function buildGoGuest(dir = GO_DIR): string {
  const env = {
    ...process.env,
    GOOS: "linux",
    GOARCH: "riscv64",
    CGO_ENABLED: "0",
    GOCACHE: join(CACHE_DIR, "go", "cache"),
    GOPATH: join(CACHE_DIR, "go", "path"),
    GOFLAGS: "",
  };
  let version: string;
  try {
    version = execFileSync("go", ["version"], { encoding: "utf8", env }).trim();
  } catch {
    throw new Error("the go command is missing: run scripts/setup.sh (Debian package golang-go)");
  }
  const h = createHash("sha256").update(version);
  const inputs = readdirSync(dir)
    .filter((f) => f.endsWith(".go") || f === "go.mod")
    .sort();
  for (const f of inputs) h.update(f).update(readFileSync(join(dir, f)));
  const cache = join(CACHE_DIR, "guests", `goguest-${h.digest("hex").slice(0, 16)}`);
  const out = join(cache, "goguest");
  if (existsSync(out)) return out;
  mkdirSync(cache, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  execFileSync("go", ["build", "-trimpath", "-o", tmp, "."], {
    cwd: dir,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  renameSync(tmp, out); // atomic: concurrent builders of the same key agree on the result
  return out;
}
