// openat2(2): openat with a versioned argument struct (struct open_how) and limits on the
// path walk, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS and
// RESOLVE_NO_XDEV, applied by the walk in the guest's namespace (vfs.ts), so the scope is a
// guest directory and a mount is a guest mount. Checks as Linux's build_open_how and
// build_open_flags (fs/open.c).
//
// Differs from Linux: RESOLVE_CACHED never fails with EAGAIN for a lookup that does not
// create (every lookup counts as cached).
import { ERRNO, O, PAGE } from "./abi.js";
import { installOpened } from "./fifo.js";
import { openPath, pathArg } from "./fs.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import type { ResolveLimits } from "./vfs.js";

// struct open_how: flags, mode, resolve (u64 each); the RESOLVE_* flags.
const OPEN_HOW_SIZE_VER0 = 24;
const RESOLVE = { NO_XDEV: 1, NO_MAGICLINKS: 2, NO_SYMLINKS: 4, BENEATH: 8, IN_ROOT: 0x10, CACHED: 0x20 };
/** Every open flag Linux knows (VALID_OPEN_FLAGS): openat2 refuses the others. */
const VALID_OPEN_FLAGS = 0o37777777;

/** openat2: openat with a versioned argument struct and limits on the path walk (vfs.ts). */
function openat2(p: UserProcess, t: Thread): SysResult {
  const [dirfd, how, size] = [t.argInt(0), t.arg(2), t.arg(3)];
  if (size < OPEN_HOW_SIZE_VER0) throw new SysError(ERRNO.EINVAL);
  if (size > PAGE) throw new SysError(ERRNO.E2BIG);
  // A newer struct is fine if what this kernel does not know is zero (copy_struct_from_user).
  if (p.as.bytes(how + OPEN_HOW_SIZE_VER0, size - OPEN_HOW_SIZE_VER0).some((b) => b !== 0))
    throw new SysError(ERRNO.E2BIG);
  const [flags, mode, resolve] = [p.as.big64(how), p.as.big64(how + 8), p.as.big64(how + 16)];
  if (flags & ~BigInt(VALID_OPEN_FLAGS)) throw new SysError(ERRNO.EINVAL);
  const f = Number(flags);
  const creates = (f & O.CREAT) !== 0 || (f & O.TMPFILE) === O.TMPFILE;
  if ((mode !== 0n && !creates) || mode & ~0o7777n) throw new SysError(ERRNO.EINVAL);
  if (resolve & ~0x3fn) throw new SysError(ERRNO.EINVAL);
  const r = Number(resolve);
  if (r & RESOLVE.BENEATH && r & RESOLVE.IN_ROOT) throw new SysError(ERRNO.EINVAL);
  if (r & RESOLVE.CACHED && (f & (O.CREAT | O.TRUNC) || creates)) throw new SysError(ERRNO.EAGAIN);
  const limits: ResolveLimits = {
    scope: r & RESOLVE.BENEATH ? "beneath" : r & RESOLVE.IN_ROOT ? "in-root" : undefined,
    noSymlinks: (r & RESOLVE.NO_SYMLINKS) !== 0,
    noMagicLinks: (r & RESOLVE.NO_MAGICLINKS) !== 0,
    noXdev: (r & RESOLVE.NO_XDEV) !== 0,
  };
  const file = openPath(p, dirfd, pathArg(p, t, 1), f, Number(mode), limits);
  return installOpened(p, t, file, (f & O.CLOEXEC) !== 0);
}

export const OPENAT2_SYSCALLS: SyscallDef[] = [sys(437, "openat2", "Dspu", openat2)];
