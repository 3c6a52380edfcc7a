// User mode's entry point: run a riscv64 Linux ELF like qemu-riscv64 does, inside a file
// namespace of the user's choosing (vfs.ts).
import { closeSync, constants as fsConstants, existsSync, fstatSync, lstatSync, mkdtempSync, openSync, readSync, realpathSync, rmdirSync, rmSync, statSync, writeSync } from "node:fs"; // prettier-ignore
import { tmpdir } from "node:os";
import { posix, resolve } from "node:path";
import { UserError } from "../../core/errors.js";
import type { JitOptions } from "../../core/jit/recompiler.js";
import type { InterpreterTiers } from "../../arch/riscv/cpu.js";
import { readInterpreter } from "./exec.js";
import { Kernel, type ThreadsMode } from "./kernel.js";
import type { ProgramImage, UserProcess, UserResult } from "./process.js";
import { fdPath } from "./files.js";
import { devTree, procTree } from "./procfs.js";
import { SysError } from "./syscall.js";
import { exists, Vfs, type VNode } from "./vfs.js";

export type { UserResult } from "./process.js";
export { signalName } from "./abi.js";
import { errnoName } from "./abi.js";

/** Debian's riscv64 sysroot: the default root (read-only) when it exists. */
export const DEFAULT_ROOT = "/usr/riscv64-linux-gnu";

/** A host directory (or file) exposed to the guest. */
export interface Bind {
  host: string;
  /** Where the guest sees it (default: the same path as on the host). */
  guest?: string;
  readOnly?: boolean;
}

export interface RunOptions {
  /** The program (a host path) and its arguments; argv[0] is `program` as given. */
  program: string;
  args?: readonly string[];
  /** The guest's environment, "K=V" each (default: the host's). */
  env?: readonly string[];
  /**
   * The host directory the guest sees as "/" (read-write). Default: DEFAULT_ROOT, read-only,
   * when it exists; "" for none (an empty "/" holding only the binds, /dev, /proc and /tmp).
   */
  root?: string;
  /** More host directories or files for the guest to see. */
  binds?: readonly Bind[];
  /**
   * Expose the working directory at its own path, read-write, and start the guest there
   * (default true). When false the guest starts in "/".
   */
  exposeCwd?: boolean;
  /** The host working directory (default: this process's). */
  cwd?: string;
  strace?: boolean;
  /** Translate hot guest code to wasm (default true); false interprets everything. */
  jit?: boolean;
  /** How the recompiler translates. */
  jitOptions?: JitOptions;
  /** "parallel" (default): a process's threads run on worker threads too, over its shared memory, where the host has more than one core; "turns": all on the main thread. */
  threads?: ThreadsMode;
  /** Without the recompiler: when the interpreter is recompiled, faster (CpuOptions.optimize). */
  interpreterTiers?: InterpreterTiers;
  /**
   * The guest's network: "none" (default) refuses internet sockets (EACCES); "host" gives the
   * guest the host's network, its loopback services included.
   */
  network?: "none" | "host";
  /** Host fds for the guest's stdin, stdout and stderr (default 0, 1, 2). */
  stdio?: readonly [number, number, number];
}

function hostDir(path: string, what: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new UserError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return real;
}

function guestName(path: string, what: string): string {
  if (!path.startsWith("/")) throw new UserError(`${what} ${path}: the guest path must be absolute`);
  const norm = posix.normalize(path);
  return norm.length > 1 ? norm.replace(/\/$/, "") : norm;
}

const EMPTY_DIR: VNode = { type: "dir", names: () => [], child: () => undefined };

/** The guest's namespace for `opts`; `cwd` is where the guest starts, `dispose` removes its private /tmp. */
function namespace(opts: RunOptions): { vfs: Vfs<UserProcess>; cwd: string; dispose: () => void } {
  const vfs = new Vfs<UserProcess>();
  const fds: number[] = [];
  // Each host mount is reached through a descriptor of its directory (or file), opened now.
  const anchored = (real: string) => {
    let fd: number;
    try {
      fd = openSync(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (e) {
      throw new UserError(`cannot open ${real}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    fds.push(fd);
    return { host: fdPath(fd) ?? real, root: real };
  };
  try {
    return build();
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    throw e;
  }

  function build(): { vfs: Vfs<UserProcess>; cwd: string; dispose: () => void } {
    let rootHost: string | undefined;
    if (opts.root === undefined) {
      const isDir = statSync(DEFAULT_ROOT, { throwIfNoEntry: false })?.isDirectory();
      rootHost = isDir ? realpathSync(DEFAULT_ROOT) : undefined;
      vfs.mount("/", rootHost ? anchored(rootHost) : { synthetic: () => EMPTY_DIR }, true);
    } else if (opts.root === "") vfs.mount("/", { synthetic: () => EMPTY_DIR }, true);
    else {
      rootHost = hostDir(opts.root, "--root");
      if (!statSync(rootHost).isDirectory()) throw new UserError(`--root ${opts.root}: not a directory`);
      vfs.mount("/", anchored(rootHost), false);
    }
    // The synthetic trees first: a bind at /dev or /proc is the user's choice and hides them.
    vfs.mount("/dev", { synthetic: () => devTree() }, false);
    vfs.mount("/proc", { synthetic: (p) => procTree(p) }, true);
    for (const b of opts.binds ?? []) {
      const host = hostDir(b.host, "--bind");
      const guest = guestName(b.guest ?? resolve(b.host), "--bind");
      vfs.mount(guest, anchored(host), b.readOnly ?? false);
    }
    // The working directory: inside the root it is just where the guest starts; elsewhere it is
    // bound at its own path unless a bind already shows it there.
    let cwd = "/";
    if (opts.exposeCwd ?? true) {
      const logical = resolve(opts.cwd ?? process.cwd());
      const real = hostDir(logical, "working directory");
      if (rootHost && (real === rootHost || real.startsWith(rootHost === "/" ? "/" : rootHost + "/")))
        cwd = rootHost === "/" ? real : real.slice(rootHost.length) || "/";
      else if (real !== "/") {
        cwd = logical;
        if (!showsAt(vfs, logical, real)) vfs.mount(logical, anchored(real), false);
      }
    }
    // A private, empty /tmp when the root has none and nothing else is mounted there.
    let privateTmp: string | undefined;
    const rootTmp = rootHost ? lstatSync(`${rootHost}/tmp`, { throwIfNoEntry: false }) : undefined;
    if (!vfs.has("/tmp") && !rootTmp?.isDirectory()) {
      privateTmp = mkdtempSync(`${tmpdir()}/hartwood-tmp-`);
      vfs.mount("/tmp", anchored(privateTmp), false);
    }
    const dispose = () => {
      for (const fd of fds) closeSync(fd);
      if (!privateTmp) return;
      // Left empty by most runs: a recursive removal loads Node's rimraf module (~1.5 ms).
      try {
        rmdirSync(privateTmp);
      } catch {
        rmSync(privateTmp, { recursive: true, force: true });
      }
    };
    return { vfs, cwd, dispose };
  }
}

/** True when guest path `guest` already names host directory `host` through the mounts so far. */
function showsAt(vfs: Vfs<UserProcess>, guest: string, host: string): boolean {
  const there = vfs.hostOf(guest);
  try {
    return there !== undefined && realpathSync(there) === host;
  } catch {
    return false;
  }
}

/** Bytes of the program read before it is parsed: its ELF and program headers, PT_INTERP, in a usual layout. */
const PROGRAM_HEAD_BYTES = 4096;

/**
 * The program's host path, a descriptor of it and its first bytes: the loader reads its
 * segments from the descriptor straight into guest memory (a copy of a 500 KB static program
 * first cost its 125 page faults, about 3 ms).
 */
function readProgram(path: string): {
  hostPath: string;
  hostFd: number;
  bytes: Uint8Array;
  sizeBytes: number;
} {
  let hostFd: number | undefined;
  try {
    const hostPath = realpathSync(path);
    hostFd = openSync(hostPath, "r");
    const sizeBytes = fstatSync(hostFd).size;
    const head = Buffer.allocUnsafe(Math.min(sizeBytes, PROGRAM_HEAD_BYTES));
    const bytes = head.subarray(0, readSync(hostFd, head, 0, head.length, 0));
    return { hostPath, hostFd, bytes, sizeBytes };
  } catch (e) {
    if (hostFd !== undefined) closeSync(hostFd);
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Runs the program to its exit; resolves to its exit status (128 + n when killed by signal n). */
export async function run(opts: RunOptions): Promise<UserResult> {
  const env = opts.env ?? Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);
  const { hostPath, hostFd, bytes, sizeBytes } = readProgram(opts.program);
  let ns: ReturnType<typeof namespace>;
  try {
    ns = namespace(opts);
  } catch (e) {
    closeSync(hostFd); // the process takes it over only once it starts
    throw e;
  }
  try {
    const kernel = new Kernel({ vfs: ns.vfs, strace: opts.strace, jit: opts.jit, jitOptions: opts.jitOptions, interpreterTiers: opts.interpreterTiers, traceFd: opts.stdio?.[2], network: opts.network, threads: opts.threads }); // prettier-ignore
    const image: ProgramImage = {
      bytes,
      sizeBytes,
      hostPath,
      hostFd,
      guestPath: ns.vfs.guestPathOf(hostPath) ?? resolve(opts.program),
      argv: [opts.program, ...(opts.args ?? [])],
      env,
      execfn: opts.program,
      readInterp: (interp, p) => {
        try {
          return readInterpreter(p, interp);
        } catch (e) {
          const code =
            e instanceof SysError ? errnoName(e.errno) : ((e as NodeJS.ErrnoException).code ?? String(e));
          throw new UserError(`cannot load the program interpreter ${interp} (it is looked up under the guest's root; give a riscv64 sysroot with --root): ${code}`); // prettier-ignore
        }
      },
    };
    const hint = missingPathHint(ns.vfs, ns.cwd, opts.args ?? []);
    if (hint) writeSync(opts.stdio?.[2] ?? 2, `hartwood: ${hint}\n`);
    return await kernel.run(image, opts.stdio ?? [0, 1, 2], ns.cwd);
  } finally {
    ns.dispose();
  }
}

/**
 * When an argument of the guest's command line names a path that exists on the host but not
 * in the guest's namespace (a file in the host's /tmp, which is private to the guest), the
 * line that says so and names the flag that exposes it; undefined otherwise. The guest still
 * runs and fails as it would.
 */
function missingPathHint(
  vfs: Vfs<UserProcess>,
  guestCwd: string,
  args: readonly string[],
): string | undefined {
  for (const arg of args) {
    if (!arg.includes("/") || arg.startsWith("-")) continue;
    const host = resolve(arg);
    if (!existsSync(host)) continue;
    try {
      if (exists(vfs.resolve(undefined as unknown as UserProcess, guestCwd, arg, true).node)) continue;
    } catch (e) {
      if (!(e instanceof SysError)) continue; // a synthetic tree that needs a process: no opinion
    }
    const dir = statSync(host).isDirectory() ? host : posix.dirname(host);
    return `${arg} exists on the host but not in the guest's file namespace; --bind ${dir} exposes it`;
  }
  return undefined;
}
