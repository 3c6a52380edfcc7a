// Linux user ABI facts for riscv64 (asm-generic numbering): errno values, signal numbers,
// open/mmap/clone flags and auxv tags. Values from include/uapi/asm-generic/*.h.

export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENODATA: 61, ENOTSOCK: 88, EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, ECONNRESET: 104, ENOBUFS: 105,
  EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111, ESTALE: 116, EDQUOT: 122,
  EDESTADDRREQ: 89, EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101, ECONNABORTED: 103,
  EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
} as const; // prettier-ignore

export type ErrnoName = keyof typeof ERRNO;
const ERRNO_NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** The name of errno `e` ("ENOENT"), or its number. */
export function errnoName(e: number): string {
  return ERRNO_NAMES.get(e) ?? String(e);
}

/** Guest errno for a host (Node) error; host errno numbers differ between platforms, names do not. */
export function hostErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EWOULDBLOCK") return ERRNO.EAGAIN;
  if (code === "ENOTSUP") return ERRNO.EOPNOTSUPP;
  if (code !== undefined && code in ERRNO) return ERRNO[code as ErrnoName];
  return ERRNO.EIO;
}

export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31,
} as const; // prettier-ignore
export const NSIG = 64;
const SIG_NAMES = new Map<number, string>(Object.entries(SIG).map(([k, v]) => [v, k]));

/** "SIGSEGV", or "SIGRT<n>" for real-time signals. */
export function signalName(sig: number): string {
  return SIG_NAMES.get(sig) ?? (sig >= 32 && sig <= NSIG ? `SIGRT${sig - 32}` : `signal ${sig}`);
}

// si_code values (include/uapi/asm-generic/siginfo.h)
export const SI_USER = 0;
export const SI_TKILL = -6;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRALN = 1;
export const ILL_ILLOPC = 1;
export const TRAP_BRKPT = 1;

// sigaction flags
export const SA_SIGINFO = 4;
export const SA_ONSTACK = 0x08000000;
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;
export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;

// open(2) flags
export const O = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, ACCMODE: 3, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400,
  TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000, DSYNC: 0o10000, DIRECT: 0o40000,
  LARGEFILE: 0o100000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000, NOATIME: 0o1000000,
  CLOEXEC: 0o2000000, SYNC: 0o4010000, PATH: 0o10000000, TMPFILE: 0o20200000,
} as const; // prettier-ignore
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EMPTY_PATH = 0x1000;

// mmap(2)
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_FIXED_NOREPLACE = 0x100000;
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;

// clone(2)
export const CLONE = {
  VM: 0x100, FS: 0x200, FILES: 0x400, SIGHAND: 0x800, PIDFD: 0x1000, PTRACE: 0x2000,
  VFORK: 0x4000, PARENT: 0x8000, THREAD: 0x10000, NEWNS: 0x20000, SYSVSEM: 0x40000,
  SETTLS: 0x80000, PARENT_SETTID: 0x100000, CHILD_CLEARTID: 0x200000, DETACHED: 0x400000,
  UNTRACED: 0x800000, CHILD_SETTID: 0x1000000,
} as const; // prettier-ignore

// auxv tags (include/uapi/linux/auxvec.h)
export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9, UID: 11,
  EUID: 12, GID: 13, EGID: 14, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25, HWCAP2: 26,
  EXECFN: 31,
} as const; // prettier-ignore

export const PAGE = 4096;
export const pageDown = (a: number): number => a - (a % PAGE);
export const pageUp = (a: number): number => Math.ceil(a / PAGE) * PAGE;
