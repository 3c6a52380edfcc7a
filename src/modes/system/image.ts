// The default Linux guest (kernel, test initramfs, ext4 root disk), built from Debian
// packages by scripts/build-guest.sh and cached outside the repository; and the user's
// persistent disk made from it.
import { copyFileSync, existsSync, linkSync, readFileSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../core/errors.js";

export const CACHE_DIR = process.env.HARTWOOD_CACHE ?? join(homedir(), ".cache", "hartwood");
/** The same path from src/modes/system and from dist/modes/system. */
const BUILD_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../scripts/build-guest.sh");

export interface GuestImage {
  /** The cache entry directory (holds manifest.json and kernel.config too). */
  dir: string;
  /** Uncompressed RISC-V Linux `Image`. */
  kernel: string;
  /** cpio (newc) test initramfs: `/init` runs the test named by `hwtest=` on the command line. */
  initramfs: string;
  /** The pristine ext4 root disk; boot a copy (see userDisk), never this file. */
  rootfs: string;
}

interface Manifest {
  files: { kernel: string; initramfs: string; rootfs: string };
}

/** Builds the guest on first use (a few minutes) and returns its files; later calls are quick. */
export function buildGuestImage(opts: { defconfig?: boolean; quiet?: boolean }): GuestImage {
  const args = [BUILD_SCRIPT, ...(opts.defconfig ? ["--defconfig"] : [])];
  let stdout: string;
  try {
    stdout = process.getBuiltinModule("node:child_process").execFileSync("bash", args, {
      encoding: "utf8",
      env: { ...process.env, HARTWOOD_CACHE: CACHE_DIR },
      stdio: ["ignore", "pipe", opts.quiet ? "pipe" : "inherit"],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    throw new UserError(`building the guest image failed: ${buildFailure(e)}`);
  }
  const dir = stdout.trim().split("\n").pop() ?? "";
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    throw new UserError(`scripts/build-guest.sh printed '${dir}', which holds no readable manifest.json`);
  }
  const image = {
    dir,
    kernel: join(dir, manifest.files.kernel),
    initramfs: join(dir, manifest.files.initramfs),
    rootfs: join(dir, manifest.files.rootfs),
  };
  for (const file of [image.kernel, image.initramfs, image.rootfs]) {
    if (!existsSync(file)) throw new UserError(`the guest image is incomplete: ${file} is missing`);
  }
  return image;
}

/** One line saying why the build script failed (its own last error line when it was captured). */
function buildFailure(e: unknown): string {
  const err = e as { status?: number | null; stderr?: string | Buffer; message?: string };
  if (typeof err.status !== "number") return err.message?.split("\n")[0] ?? String(e);
  const lines = String(err.stderr ?? "")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const why = lines.filter((l) => l.includes("error")).pop() ?? lines.pop();
  if (why === undefined) return `${BUILD_SCRIPT} exited with status ${err.status} (its messages are above)`;
  return `${why} (run ${BUILD_SCRIPT} to see the whole log)`;
}

/**
 * The user's persistent root disk, ${cache}/guest/disk.ext4: a copy of the pristine rootfs
 * made on first use and never replaced afterwards, so files written in the guest survive
 * reboots and image rebuilds.
 */
export function userDisk(image: GuestImage): string {
  const disk = join(dirname(image.dir), "disk.ext4");
  if (existsSync(disk)) return disk;
  const tmp = `${disk}.tmp${process.pid}`;
  try {
    copyFileSync(image.rootfs, tmp);
    // link() fails if the disk appeared meanwhile (a concurrent first boot): theirs stays.
    linkSync(tmp, disk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new UserError(`cannot create the user disk ${disk}: ${(e as Error).message}`);
    }
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
  return disk;
}
