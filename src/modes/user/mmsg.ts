// sendmmsg and recvmmsg on AF_UNIX sockets (internet sockets have theirs in netcalls.ts):
// each struct mmsghdr in turn goes through sendmsg's or recvmsg's code, and msg_len gets
// what that message moved. As Linux's __sys_sendmmsg and do_recvmmsg: a failure after the
// first message ends the call with the count so far; recvmmsg waits for every message
// unless MSG_DONTWAIT, MSG_WAITFORONE (only the first) or its timeout, which, as in Linux,
// is looked at only after each message received.
import { ERRNO } from "./abi.js";
import { retryWhen, scatter } from "./io.js";
import type { UserProcess } from "./process.js";
import { checkReceive, msghdr, reportMessage, sendMessage, socketOf, type Socket } from "./sockets.js";
import { sys, type SyscallDef, type SysResult } from "./syscall.js";
import type { Thread } from "./thread.js";
import { CLOCK, clockNs, readTimespec } from "./time.js";

/** struct mmsghdr on riscv64: a struct msghdr (56 bytes), then unsigned msg_len, padded to 64. */
const MMSGHDR_BYTES = 64;
const MMSG_LEN = 56;
const UIO_MAXIOV = 1024;
const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, MSG_WAITFORONE = 0x10000; // prettier-ignore

function sendmmsg(p: UserProcess, t: Thread): number {
  const s = socketOf(p, t.argInt(0));
  const [vec, vlen, flags] = [t.arg(1), Math.min(t.arg(2), UIO_MAXIOV), t.argInt(3)];
  let sent = 0;
  for (; sent < vlen; sent++) {
    const at = vec + MMSGHDR_BYTES * sent;
    let n: number;
    try {
      n = sendMessage(p, t, s, at, flags);
    } catch (e) {
      if (sent > 0) return sent;
      throw e;
    }
    p.as.setU32(at + MMSG_LEN, n);
  }
  return sent;
}

/** Receives one message into the mmsghdr at `at`: its msg_len, or undefined when none is there. */
function receiveOne(p: UserProcess, s: Socket, at: number, flags: number): number | undefined {
  const m = msghdr(p, at);
  let total = 0;
  for (const [addr, len] of m.iovs) {
    p.as.out(addr, len); // EFAULT before anything is taken
    total += len;
  }
  // A buffer no larger than what is queued (a hostile iovec length allocates nothing).
  const dst = new Uint8Array(Math.min(total, Math.max(s.unread(), 1)));
  const r = s.recv(dst, flags, true);
  if (!r) return undefined;
  scatter(p, m.iovs, dst.subarray(0, r.n));
  reportMessage(p, s, at, m, flags, r);
  const n = flags & MSG_TRUNC ? r.full : r.n;
  p.as.setU32(at + MMSG_LEN, n);
  return n;
}

function recvmmsg(p: UserProcess, t: Thread): SysResult {
  const s = socketOf(p, t.argInt(0));
  const [vec, vlen, flags, tsp] = [t.arg(1), Math.min(t.arg(2), UIO_MAXIOV), t.argInt(3), t.arg(4)];
  const nonblock = checkReceive(s, flags & ~MSG_WAITFORONE);
  let endNs: number | undefined;
  if (tsp) {
    endNs = clockNs(CLOCK.MONOTONIC) + readTimespec(p, tsp);
  }
  let got = 0;
  const attempt = (): number | undefined => {
    while (got < vlen) {
      const once = nonblock || (got > 0 && (flags & MSG_WAITFORONE) !== 0);
      let n: number | undefined;
      try {
        n = receiveOne(p, s, vec + MMSGHDR_BYTES * got, flags & ~(MSG_WAITFORONE | MSG_DONTWAIT));
      } catch (e) {
        if (got > 0) return got;
        throw e;
      }
      if (n === undefined) {
        if (!once) return undefined;
        return got > 0 ? got : -ERRNO.EAGAIN;
      }
      got++;
      if (endNs !== undefined && clockNs(CLOCK.MONOTONIC) >= endNs) break;
    }
    return got;
  };
  const r = attempt();
  if (r !== undefined) return r;
  // SO_RCVTIMEO ends a wait: EAGAIN, or what has come by then.
  const expired = () => (got > 0 ? got : -ERRNO.EAGAIN);
  return retryWhen(p, t, (fn) => s.onReadable(fn), attempt, { timeoutUs: s.recvTimeoutUs, expired });
}

export const UNIX_MMSG_SYSCALLS: SyscallDef[] = [
  sys(269, "sendmmsg", "ipux", sendmmsg),
  sys(243, "recvmmsg", "ipuxp", recvmmsg),
];
