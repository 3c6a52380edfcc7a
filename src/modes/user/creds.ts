// Credentials: the set*id family and capabilities. The guest runs with hartwood's own uid and
// gid (real, effective, saved and filesystem ids alike) and the host process's capability
// sets, read from /proc/self/status. A set*id call that changes nothing succeeds; any change
// fails with EPERM. capget reports the sets; capset accepts only the sets as they are.
//
// Differs from Linux: ids and capabilities never change, even for a guest whose uid is 0 (it
// would be allowed to: EPERM here); supplementary groups are none.
import { readFileSync } from "node:fs";
import { ERRNO } from "./abi.js";
import type { UserProcess } from "./process.js";
import { sys, SysError, type SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";

const uid = (): number => process.getuid?.() ?? 0;
const gid = (): number => process.getgid?.() ?? 0;
/** An id argument: -1 (as u32) leaves it as it is. */
const UNCHANGED = 0xffffffff;

/** setuid/setgid: `id` must be the one there is; -1 is no id at all (EINVAL). */
function setId(current: number, id: number): number {
  if (id === UNCHANGED) throw new SysError(ERRNO.EINVAL);
  if (id !== current) throw new SysError(ERRNO.EPERM);
  return 0;
}

/** setre*id/setres*id: each id -1 or the one there is. */
function setIds(current: number, ids: number[]): number {
  if (ids.some((id) => id !== UNCHANGED && id !== current)) throw new SysError(ERRNO.EPERM);
  return 0;
}

const ids = (t: Thread, n: number): number[] => Array.from({ length: n }, (_, i) => t.argInt(i) >>> 0);

// capget/capset: struct __user_cap_header_struct { u32 version; int pid; } and one
// (_LINUX_CAPABILITY_VERSION_1) or two (_2, _3: low then high words) cap_user_data_t.
const CAP_V1 = 0x19980330, CAP_V2 = 0x20071026, CAP_V3 = 0x20080522; // prettier-ignore

interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** The host process's capability sets (those of hartwood, which qemu-user's guest would have too). */
function hostCaps(): CapSets {
  const caps: CapSets = { effective: 0n, permitted: 0n, inheritable: 0n };
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const field = (name: string): bigint => {
      const m = new RegExp(`^Cap${name}:\\s*([0-9a-f]+)$`, "m").exec(status);
      return m ? BigInt(`0x${m[1]}`) : 0n;
    };
    caps.effective = field("Eff");
    caps.permitted = field("Prm");
    caps.inheritable = field("Inh");
  } catch {
    // not Linux: no capabilities
  }
  return caps;
}

/**
 * The header's version: how many data words it means. Another version is EINVAL, with _3
 * written back; capget without data (`probe`) then succeeds: that is how callers ask.
 */
function capWords(p: UserProcess, header: number, probe: boolean): number | undefined {
  const version = p.as.u32(header);
  if (version === CAP_V1) return 1;
  if (version === CAP_V2 || version === CAP_V3) return 2;
  p.as.setU32(header, CAP_V3);
  if (probe) return undefined;
  throw new SysError(ERRNO.EINVAL);
}

function capPid(p: UserProcess, header: number): number {
  const pid = p.as.i32(header + 4);
  if (pid < 0) throw new SysError(ERRNO.EINVAL);
  return pid;
}

function capget(p: UserProcess, t: Thread): number {
  const [header, data] = [t.arg(0), t.arg(1)];
  const words = capWords(p, header, data === 0);
  if (words === undefined) return 0;
  const pid = capPid(p, header);
  if (pid !== 0 && pid !== p.pid && !p.kernel.processes.has(pid)) throw new SysError(ERRNO.ESRCH);
  if (data === 0) return 0;
  const caps = hostCaps();
  for (let i = 0; i < words; i++) {
    const word = (v: bigint): number => Number((v >> BigInt(32 * i)) & 0xffffffffn);
    p.as.setU32(data + 12 * i, word(caps.effective));
    p.as.setU32(data + 12 * i + 4, word(caps.permitted));
    p.as.setU32(data + 12 * i + 8, word(caps.inheritable));
  }
  return 0;
}

function capset(p: UserProcess, t: Thread): number {
  const [header, data] = [t.arg(0), t.arg(1)];
  const words = capWords(p, header, false) ?? 0;
  const pid = capPid(p, header);
  if (pid !== 0 && pid !== p.pid) throw new SysError(ERRNO.EPERM);
  const want: CapSets = { effective: 0n, permitted: 0n, inheritable: 0n };
  for (let i = 0; i < words; i++) {
    const shift = BigInt(32 * i);
    want.effective |= BigInt(p.as.u32(data + 12 * i)) << shift;
    want.permitted |= BigInt(p.as.u32(data + 12 * i + 4)) << shift;
    want.inheritable |= BigInt(p.as.u32(data + 12 * i + 8)) << shift;
  }
  const have = hostCaps();
  const mask = words === 1 ? 0xffffffffn : (1n << 64n) - 1n;
  const same = (a: bigint, b: bigint): boolean => (a & mask) === (b & mask);
  if (!same(want.effective, have.effective) || !same(want.permitted, have.permitted) || !same(want.inheritable, have.inheritable))
    throw new SysError(ERRNO.EPERM); // prettier-ignore
  return 0;
}

export const CRED_SYSCALLS: SyscallDef[] = [
  sys(146, "setuid", "u", (_p, t) => setId(uid(), t.argInt(0) >>> 0)),
  sys(144, "setgid", "u", (_p, t) => setId(gid(), t.argInt(0) >>> 0)),
  sys(145, "setreuid", "uu", (_p, t) => setIds(uid(), ids(t, 2))),
  sys(143, "setregid", "uu", (_p, t) => setIds(gid(), ids(t, 2))),
  sys(147, "setresuid", "uuu", (_p, t) => setIds(uid(), ids(t, 3))),
  sys(149, "setresgid", "uuu", (_p, t) => setIds(gid(), ids(t, 3))),
  // setfsuid/setfsgid never fail: they return the id there was (and here it stays).
  sys(151, "setfsuid", "u", () => uid()),
  sys(152, "setfsgid", "u", () => gid()),
  sys(90, "capget", "pp", capget),
  sys(91, "capset", "pp", capset),
];
