// Processes: fork/vfork (clone without CLONE_VM|CLONE_THREAD), execve and execveat (with #!
// scripts) and wait4. A child process is a copy of its parent in a wasm memory of its own
// (kernel.ts).
//
// Differs from Linux: execveat of a script through a close-on-exec fd (AT_EMPTY_PATH) runs
// it (Linux fails with ENOENT: the interpreter could not open /dev/fd/N after the exec).
import * as fs from "node:fs";
import { parseElf } from "../../core/elf.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, ERRNO, SIG } from "./abi.js";
import { fdPath, HostFile } from "./files.js";
import { lookup } from "./fs.js";
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

/** The program at guest `path` (relative to `dirfd`; AT_EMPTY_PATH: the file `dirfd` holds): its host file and its guest name. */
function executable(
  p: UserProcess,
  path: string,
  dirfd = AT_FDCWD,
  flags = 0,
): { host: string; guest: string } {
  if (path === "" && flags & AT_EMPTY_PATH) {
    const f = p.fds.get(dirfd);
    if (!(f instanceof HostFile) || f.isDir) throw new SysError(ERRNO.EACCES);
    return { host: fdPath(f.fd) ?? f.hostPath ?? "", guest: f.guestPath ?? `/dev/fd/${dirfd}` };
  }
  const r = lookup(p, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
  const n = r.node;
  let host: string | undefined;
  if (n.kind === "host") {
    if (n.st?.isSymbolicLink()) throw new SysError(ERRNO.ELOOP); // AT_SYMLINK_NOFOLLOW
    host = n.st ? n.host : undefined;
  } else if (n.v.type === "link")
    host = n.v.magic?.host(); // /proc/self/exe, /proc/self/fd/N
  else throw new SysError(ERRNO.EACCES);
  if (host === undefined) throw new SysError(ERRNO.ENOENT);
  const guest = n.kind === "virtual" && n.v.type === "link" ? n.v.target() : r.guest;
  return { host, guest };
}

function readExecutable(path: string): Uint8Array {
  const st = fs.statSync(path);
  if (!st.isFile()) throw new SysError(ERRNO.EACCES);
  fs.accessSync(path, fs.constants.X_OK);
  return fs.readFileSync(path);
}

/** The bytes of a program interpreter (PT_INTERP), a guest path. */
export function readInterpreter(p: UserProcess, path: string): Uint8Array {
  const r = lookup(p, AT_FDCWD, path, true);
  if (r.node.kind !== "host" || !r.node.st) throw new SysError(ERRNO.ENOENT);
  return fs.readFileSync(r.node.host);
}

const SHEBANG = 0x2123; // "#!" little-endian

/** execve, and execveat's `dirfd` and `flags` (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW). */
function execveat(
  p: UserProcess,
  t: Thread,
  dirfd: number,
  pathAt: number,
  argvAt: number,
  envAt: number,
  flags: number,
): SysResult {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) throw new SysError(ERRNO.EINVAL);
  let path = p.as.cstring(pathAt);
  let argv = strings(p, argvAt);
  const env = strings(p, envAt);
  let prog = executable(p, path, dirfd, flags);
  // bprm->filename: what AT_EXECFN and a script's interpreter see.
  const relative = dirfd !== AT_FDCWD && !path.startsWith("/");
  const execfn = !relative ? path : path === "" ? `/dev/fd/${dirfd}` : `/dev/fd/${dirfd}/${path}`;
  path = execfn;
  let bytes = readExecutable(prog.host);
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
    prog = executable(p, path);
    bytes = readExecutable(prog.host);
  }
  let interpBytes: Uint8Array | undefined;
  try {
    const interp = programInterpreter(parseElf(bytes, EM_RISCV_MACHINE, "RISC-V"));
    if (interp !== undefined) interpBytes = readInterpreter(p, interp);
  } catch (e) {
    if (e instanceof SysError || (e as NodeJS.ErrnoException).code) throw new SysError(ERRNO.ENOENT); // no interpreter
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
        hostPath: fs.realpathSync(prog.host),
        hostFd: fs.openSync(prog.host, "r"),
        guestPath: prog.guest,
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

/**
 * wait4 and waitid: reaps (or with `keep`, only looks at) a child that matches and has exited,
 * blocking unless WNOHANG. `report` writes the caller's result and returns the syscall's.
 */
function waitChild(
  p: UserProcess,
  t: Thread,
  matches: (c: UserProcess) => boolean,
  options: number,
  keep: boolean,
  report: (c: UserProcess | undefined, status: number) => number,
): SysResult {
  const attempt = (): number | undefined => {
    const candidates = [...p.children].filter(matches);
    if (candidates.length === 0) return -ERRNO.ECHILD;
    const done = candidates.find((c) => c.result);
    if (!done) return undefined;
    const status = keep ? p.kernel.waitStatus(done) : p.kernel.reap(p, done);
    return report(done, status);
  };
  const r = attempt();
  if (r !== undefined) return r;
  if (options & WNOHANG) return report(undefined, 0);
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

function wait4(p: UserProcess, t: Thread): SysResult {
  const pid = t.argInt(0);
  const wstatus = t.arg(1);
  const rusage = t.arg(3);
  // Every process of the run is in one process group: pid 0 and -pgid mean any child.
  return waitChild(
    p,
    t,
    (c) => pid <= 0 || c.pid === pid,
    t.argInt(2),
    false,
    (c, status) => {
      if (!c) return 0;
      if (wstatus) p.as.setU32(wstatus, status);
      if (rusage) p.as.out(rusage, 144).fill(0);
      return c.pid;
    },
  );
}

const P_ALL = 0, P_PID = 1, P_PGID = 2; // prettier-ignore
const WEXITED = 4;
const WNOWAIT = 0x0100_0000;
const CLD_EXITED = 1, CLD_KILLED = 2; // prettier-ignore

/** waitid: only exits are reported (no stop/continue: guest processes are never stopped). */
function waitid(p: UserProcess, t: Thread): SysResult {
  const idtype = t.argInt(0);
  const id = t.argInt(1);
  const info = t.arg(2);
  const options = t.argInt(3);
  if (idtype !== P_ALL && idtype !== P_PID && idtype !== P_PGID) throw new SysError(ERRNO.EINVAL);
  if (!(options & WEXITED)) throw new SysError(ERRNO.EINVAL);
  const matches = (c: UserProcess) => idtype !== P_PID || c.pid === id;
  return waitChild(p, t, matches, options, (options & WNOWAIT) !== 0, (c, status) => {
    if (info) {
      p.as.out(info, 128).fill(0); // WNOHANG with nothing to report: si_pid 0
      if (c) {
        const signal = status & 0x7f;
        p.as.setU32(info, SIG.SIGCHLD);
        p.as.setU32(info + 8, signal ? CLD_KILLED : CLD_EXITED);
        p.as.setU32(info + 16, c.pid);
        p.as.setU32(info + 20, process.getuid?.() ?? 0);
        p.as.setU32(info + 24, signal || (status >> 8) & 0xff);
      }
    }
    if (t.arg(4)) p.as.out(t.arg(4), 144).fill(0);
    return 0;
  });
}

export const EXEC_SYSCALLS: SyscallDef[] = [
  sys(221, "execve", "spp", (p, t) => execveat(p, t, AT_FDCWD, t.arg(0), t.arg(1), t.arg(2), 0)),
  sys(281, "execveat", "Dsppx", (p, t) =>
    execveat(p, t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3), t.argInt(4)),
  ),
  sys(260, "wait4", "ipxp", wait4),
  sys(95, "waitid", "iipxp", waitid),
];
