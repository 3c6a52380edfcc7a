// Processes: fork/vfork (clone without CLONE_VM|CLONE_THREAD), execve (with #! scripts) and
// wait4. A child process is a copy of its parent in a wasm memory of its own (kernel.ts).
import * as fs from "node:fs";
import { parseElf } from "../../core/elf.js";
import { AT_FDCWD, ERRNO } from "./abi.js";
import { hostPath, rootPath } from "./fs.js";
import { EM_RISCV_MACHINE, programInterpreter } from "./loader.js";
import type { UserProcess } from "./process.js";
import { REDIRECTED, sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";

const CLONE_VFORK = 0x4000;
const WNOHANG = 1;
const MAX_ARGS = 1 << 16;

/** fork, vfork, posix_spawn's clone: a new process; a vfork parent waits until the child execs or exits. */
export function forkProcess(
  p: UserProcess,
  t: Thread,
  flags: number,
  stack: number,
  ctid: number,
): SysResult {
  const child = p.kernel.fork(p, t, flags, stack, ctid);
  p.kernel.start(child);
  if (!(flags & CLONE_VFORK)) return child.pid;
  child.vforkParent = { p, t };
  return p.block(t, { cancel: () => {}, restartable: false, uninterruptible: true });
}

/** A NULL-terminated array of strings in guest memory (argv, envp). */
function strings(p: UserProcess, addr: number): string[] {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let i = 0; ; i++) {
    if (i >= MAX_ARGS) throw new SysError(ERRNO.E2BIG);
    const ptr = p.as.u64(addr + 8 * i);
    if (ptr === 0) return out;
    out.push(p.as.cstring(ptr, 128 * 1024));
  }
}

function readExecutable(path: string): Uint8Array {
  const st = fs.statSync(path);
  if (!st.isFile()) throw new SysError(ERRNO.EACCES);
  fs.accessSync(path, fs.constants.X_OK);
  return fs.readFileSync(path);
}

const SHEBANG = 0x2123; // "#!" little-endian

function execve(p: UserProcess, t: Thread): SysResult {
  let path = p.as.cstring(t.arg(0));
  let argv = strings(p, t.arg(1));
  const env = strings(p, t.arg(2));
  const execfn = path;
  let host = /^\/proc\/(self|\d+)\/exe$/.test(path) ? p.programPath : hostPath(p, AT_FDCWD, path);
  let bytes = readExecutable(host);
  // #! scripts (up to 4 deep, like Linux's binfmt_script): interpreter, one optional argument, the script.
  for (let depth = 0; bytes.length >= 2 && (bytes[0] | (bytes[1] << 8)) === SHEBANG; depth++) {
    if (depth === 4) throw new SysError(ERRNO.ELOOP);
    let end = bytes.indexOf(0x0a);
    if (end < 0) end = Math.min(bytes.length, 256);
    const line = new TextDecoder().decode(bytes.subarray(2, end)).trim();
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) throw new SysError(ERRNO.ENOEXEC);
    argv = [m[1], ...(m[2] ? [m[2].trim()] : []), path, ...argv.slice(1)];
    path = m[1];
    host = hostPath(p, AT_FDCWD, path);
    bytes = readExecutable(host);
  }
  let interpBytes: Uint8Array | undefined;
  try {
    const interp = programInterpreter(parseElf(bytes, EM_RISCV_MACHINE, "RISC-V"));
    if (interp !== undefined) interpBytes = fs.readFileSync(rootPath(p.root, interp));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw new SysError(ERRNO.ENOENT); // no interpreter
    throw new SysError(ERRNO.ENOEXEC);
  }
  // The point of no return: the old image goes.
  p.fds.closeOnExec();
  p.actions.resetForExec();
  t.pending = 0n;
  try {
    p.exec(
      {
        bytes,
        hostPath: fs.realpathSync(host),
        argv,
        env,
        execfn,
        readInterp: () => interpBytes ?? new Uint8Array(),
      },
      t,
    );
  } catch {
    p.exit(0, 11); // a program that cannot be loaded after all: Linux kills with SIGSEGV
    return REDIRECTED;
  }
  p.releaseVforkParent();
  return REDIRECTED;
}

function wait4(p: UserProcess, t: Thread): SysResult {
  const pid = t.argInt(0);
  const wstatus = t.arg(1);
  const options = t.argInt(2);
  const rusage = t.arg(3);
  // Every process of the run is in one process group: pid 0 and -pgid mean any child.
  const matches = (c: UserProcess) => pid <= 0 || c.pid === pid;
  const attempt = (): number | undefined => {
    const candidates = [...p.children].filter(matches);
    if (candidates.length === 0) return -ERRNO.ECHILD;
    const done = candidates.find((c) => c.result);
    if (!done) return undefined;
    const status = p.kernel.reap(p, done);
    if (wstatus) p.as.setU32(wstatus, status);
    if (rusage) p.as.out(rusage, 144).fill(0);
    return done.pid;
  };
  const r = attempt();
  if (r !== undefined) return r;
  if (options & WNOHANG) return 0;
  const waiter = () => {
    let r: number | undefined;
    try {
      r = attempt();
    } catch {
      r = -ERRNO.EFAULT;
    }
    if (r === undefined) return;
    p.childWaiters.delete(waiter);
    p.complete(t, r);
  };
  p.childWaiters.add(waiter);
  return p.block(t, { cancel: () => p.childWaiters.delete(waiter), restartable: true });
}

export const EXEC_SYSCALLS: SyscallDef[] = [
  sys(221, "execve", "spp", execve),
  sys(260, "wait4", "ipxp", wait4),
  sys(95, "waitid", "iipxp", (p) => (p.children.size ? -ERRNO.ENOSYS : -ERRNO.ECHILD)),
];
