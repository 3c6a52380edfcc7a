// --strace: one line per syscall, `name(args) = result`, like strace(1). Formats come from
// each syscall's argument letters (see SyscallDef); unknown syscalls show hex arguments.
import { linuxSyscallName } from "./linux-syscalls.js";
import { AT_FDCWD, errnoName, O, signalName } from "./abi.js";
import type { UserProcess } from "./process.js";
import type { SyscallDef } from "./syscall.js";
import type { Thread } from "./thread.js";

const OPEN_FLAGS: [number, string][] = [
  [O.CREAT, "O_CREAT"], [O.EXCL, "O_EXCL"], [O.NOCTTY, "O_NOCTTY"], [O.TRUNC, "O_TRUNC"],
  [O.APPEND, "O_APPEND"], [O.NONBLOCK, "O_NONBLOCK"], [O.DIRECTORY, "O_DIRECTORY"],
  [O.NOFOLLOW, "O_NOFOLLOW"], [O.CLOEXEC, "O_CLOEXEC"], [O.PATH, "O_PATH"],
  [O.LARGEFILE, "O_LARGEFILE"], [O.DSYNC, "O_DSYNC"],
]; // prettier-ignore
const PROT: [number, string][] = [[1, "PROT_READ"], [2, "PROT_WRITE"], [4, "PROT_EXEC"]]; // prettier-ignore
const MAP: [number, string][] = [
  [1, "MAP_SHARED"], [2, "MAP_PRIVATE"], [0x10, "MAP_FIXED"], [0x20, "MAP_ANONYMOUS"],
  [0x100, "MAP_GROWSDOWN"], [0x4000, "MAP_NORESERVE"], [0x8000, "MAP_POPULATE"],
  [0x20000, "MAP_STACK"], [0x100000, "MAP_FIXED_NOREPLACE"],
]; // prettier-ignore
/** The flags of timerfd_create and signalfd4 (O_CLOEXEC and O_NONBLOCK under their own names). */
const FD_FLAGS = (prefix: string): [number, string][] => [[O.CLOEXEC, `${prefix}_CLOEXEC`], [O.NONBLOCK, `${prefix}_NONBLOCK`]]; // prettier-ignore
const TFD_FLAGS = FD_FLAGS("TFD");
const SFD_FLAGS = FD_FLAGS("SFD");
const CLOCKS = ["CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
  "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME"]; // prettier-ignore
const FUTEX_OPS = ["FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE",
  "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET",
  "FUTEX_WAKE_BITSET"]; // prettier-ignore

function bits(v: number, table: [number, string][], zero: string): string {
  const names: string[] = [];
  let rest = v;
  for (const [b, name] of table) {
    if ((v & b) === b && b !== 0) {
      names.push(name);
      rest &= ~b;
    }
  }
  if (rest) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.length ? names.join("|") : zero;
}

function quote(bytes: Uint8Array, max = 32): string {
  let s = "";
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x0a) s += "\\n";
    else if (b === 0x09) s += "\\t";
    else if (b === 0x22 || b === 0x5c) s += "\\" + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\${b.toString(8)}`;
  }
  return `"${s}"${bytes.length > max ? "..." : ""}`;
}

function formatArg(p: UserProcess, t: Thread, kind: string, i: number): string {
  const v = t.arg(i);
  const int = t.argInt(i);
  const hex = () => `0x${t.argBig(i).toString(16)}`;
  try {
    switch (kind) {
      case "i": return String(int);
      case "u": return String(v);
      case "p": return v === 0 ? "NULL" : hex();
      case "s": return v === 0 ? "NULL" : quote(new TextEncoder().encode(p.as.cstring(v)), 256);
      case "D": return int === AT_FDCWD ? "AT_FDCWD" : String(int);
      case "o": return `0${(int >>> 0).toString(8)}`;
      case "f": {
        const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][int & 3];
        const rest = bits(int & ~3, OPEN_FLAGS, "");
        return rest ? `${acc}|${rest}` : acc;
      }
      case "b": return quote(p.as.bytes(v, Math.min(t.arg(i + 1), 64)).slice(), 32);
      case "S": return int > 0 && int <= 64 ? signalName(int) : String(int);
      case "c": return CLOCKS[int] ?? String(int);
      case "F": {
        const name = FUTEX_OPS[int & 127] ?? String(int & 127);
        return `${name}${int & 128 ? "_PRIVATE" : ""}${int & 256 ? "|FUTEX_CLOCK_REALTIME" : ""}`;
      }
      case "m": return bits(int, PROT, "PROT_NONE");
      case "M": return bits(int, MAP, "0");
      case "T": return bits(int, TFD_FLAGS, "0");
      case "Q": return bits(int, SFD_FLAGS, "0");
      default: return hex();
    } // prettier-ignore
  } catch {
    return hex(); // an unreadable pointer: show it raw
  }
}

export function formatCall(p: UserProcess, t: Thread, nr: number, def: SyscallDef | undefined): string {
  if (!def) {
    // One Hartwood refuses (ENOSYS) by its Linux name; a number Linux does not have as syscall_N.
    const args = [0, 1, 2, 3, 4, 5].map((i) => `0x${t.argBig(i).toString(16)}`);
    return `${linuxSyscallName(nr) ?? `syscall_${nr}`}(${args.join(", ")})`;
  }
  const args = [...def.args].map((k, i) => formatArg(p, t, k, i));
  return `${def.name}(${args.join(", ")})`;
}

const HEX_RESULTS = new Set([214, 222, 216]); // brk, mmap, mremap return addresses

export function formatResult(nr: number, r: number): string {
  if (r < 0 && r > -4096) return `-1 ${errnoName(-r)}`;
  return HEX_RESULTS.has(nr) ? `0x${r.toString(16)}` : String(r);
}
