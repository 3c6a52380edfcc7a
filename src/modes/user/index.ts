// User mode's entry point: run a riscv64 Linux ELF like qemu-riscv64 does.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../core/errors.js";
import { rootPath } from "./fs.js";
import { Kernel } from "./kernel.js";
import type { ProgramImage, UserResult } from "./process.js";

export type { UserResult } from "./process.js";
export { signalName } from "./abi.js";

/** Debian's riscv64 sysroot, the default --root when it exists. */
export const DEFAULT_ROOT = "/usr/riscv64-linux-gnu";

export interface RunOptions {
  /** The program (a host path) and its arguments; argv[0] is `program` as given. */
  program: string;
  args?: readonly string[];
  /** The guest's environment, "K=V" each (default: the host's). */
  env?: readonly string[];
  /** Sysroot for PT_INTERP and absolute paths; default DEFAULT_ROOT when it exists, "" for none. */
  root?: string;
  strace?: boolean;
  /** Host fds for the guest's stdin, stdout and stderr (default 0, 1, 2). */
  stdio?: readonly [number, number, number];
  cwd?: string;
}

export function defaultRoot(): string | undefined {
  return existsSync(DEFAULT_ROOT) ? DEFAULT_ROOT : undefined;
}

function readProgram(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Runs the program to its exit; resolves to its exit status (128 + n when killed by signal n). */
export function run(opts: RunOptions): Promise<UserResult> {
  const root = opts.root === undefined ? defaultRoot() : opts.root || undefined;
  const env = opts.env ?? Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);
  const kernel = new Kernel({ root, strace: opts.strace, traceFd: opts.stdio?.[2] });
  const image: ProgramImage = {
    bytes: readProgram(opts.program),
    hostPath: resolve(opts.program),
    argv: [opts.program, ...(opts.args ?? [])],
    env,
    execfn: opts.program,
    readInterp: (interp) => {
      const host = rootPath(root, interp);
      try {
        return readFileSync(host);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        const hint = root ? `under --root ${root}` : "(no --root: give a riscv64 sysroot with --root)";
        throw new UserError(`cannot load the program interpreter ${interp} ${hint}: ${code}`);
      }
    },
  };
  return kernel.run(image, opts.stdio ?? [0, 1, 2], opts.cwd ?? process.cwd());
}
