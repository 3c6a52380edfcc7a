// A split virtqueue (VIRTIO 1.2 §2.7) seen from the device: descriptor chains taken from the
// available ring, finished ones put on the used ring. The driver is hostile: an index beyond
// the queue, a chain that loops, a ring or buffer outside RAM or a readable descriptor after a
// writable one breaks the queue (`error` is set, nothing more is taken from it) and the
// transport then asks the driver for a reset (§2.1.2). Every walk is bounded by the queue size.
import type { DeviceState, GuestMemory } from "../../core/device.js";

const VIRTQ_DESC_F_NEXT = 1;
const VIRTQ_DESC_F_WRITE = 2;
const VIRTQ_DESC_F_INDIRECT = 4;
const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
const DESC_BYTES = 16;

/** The largest queue a device offers (QueueNumMax). */
export const QUEUE_NUM_MAX = 256;

/** One guest buffer of a chain. */
export interface Segment {
  readonly addr: number;
  readonly len: number;
}

/** A descriptor chain: device-readable buffers, then device-writable ones, each checked to be RAM. */
export interface DescChain {
  readonly head: number;
  readonly readable: readonly Segment[];
  readonly writable: readonly Segment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

/** The parts of a segment list that hold bytes [offset, offset + bytes) of its concatenation. */
export function spans(segments: readonly Segment[], offset: number, bytes: number): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (bytes <= 0) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    const len = Math.min(s.len - offset, bytes);
    out.push({ addr: s.addr + offset, len });
    bytes -= len;
    offset = 0;
  }
  return out;
}

/** The driver-written registers of one queue (address halves as written, 32 bits each). */
const REG_NAMES = ["size", "descLo", "descHi", "driverLo", "driverHi", "deviceLo", "deviceHi"] as const;
type QueueReg = (typeof REG_NAMES)[number];

export class Virtqueue {
  readonly reg: Record<QueueReg, number> = {
    size: 0,
    descLo: 0,
    descHi: 0,
    driverLo: 0,
    driverHi: 0,
    deviceLo: 0,
    deviceHi: 0,
  };
  ready = false;
  /** Why the queue is broken, or null while it works. */
  error: string | null = null;
  private lastAvail = 0; // the next available-ring entry to take
  private usedIdx = 0;
  private interrupt = false; // a used buffer notification is owed

  constructor(readonly mem: GuestMemory) {}

  reset(): void {
    for (const k of REG_NAMES) this.reg[k] = 0;
    this.ready = false;
    this.error = null;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.interrupt = false;
  }

  private addr(lo: number, hi: number): number {
    return hi * 0x1_0000_0000 + lo; // inexact only above 2^53, never RAM there
  }

  /** Marks the queue broken; always answers undefined so callers can `return q.fail(...)`. */
  fail(reason: string): undefined {
    this.error ??= reason;
    return undefined;
  }

  /** The next available chain, or undefined when there is none or the queue is broken. */
  pop(): DescChain | undefined {
    const size = this.reg.size;
    if (!this.ready || this.error !== null) return undefined;
    // §2.7: a split queue's size is a power of 2; ours is at most QueueNumMax.
    if (size === 0 || size > QUEUE_NUM_MAX || (size & (size - 1)) !== 0)
      return this.fail(`queue size ${size}`);
    const driver = this.addr(this.reg.driverLo, this.reg.driverHi);
    const availIdx = this.mem.u16(driver + 2);
    if (availIdx === undefined) return this.fail("available ring outside RAM");
    if (availIdx === this.lastAvail) return undefined;
    if (((availIdx - this.lastAvail) & 0xffff) > size)
      return this.fail("available index ahead by more than the queue");
    const head = this.mem.u16(driver + 4 + 2 * (this.lastAvail % size));
    if (head === undefined) return this.fail("available ring outside RAM");
    const chain = this.walk(head, size);
    if (chain) this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return chain;
  }

  private walk(head: number, size: number): DescChain | undefined {
    const table = this.addr(this.reg.descLo, this.reg.descHi);
    const readable: Segment[] = [];
    const writable: Segment[] = [];
    let readableBytes = 0;
    let writableBytes = 0;
    for (let i = head, n = 0; ; n++) {
      if (i >= size) return this.fail(`descriptor index ${i} beyond the queue size ${size}`);
      if (n >= size) return this.fail("descriptor chain longer than the queue (a loop)");
      const d = table + DESC_BYTES * i;
      const addr = this.mem.u64(d);
      const len = this.mem.u32(d + 8);
      const flags = this.mem.u16(d + 12);
      const next = this.mem.u16(d + 14);
      if (addr === undefined || len === undefined || flags === undefined || next === undefined)
        return this.fail("descriptor table outside RAM");
      if (flags & VIRTQ_DESC_F_INDIRECT)
        return this.fail("indirect descriptor (VIRTIO_F_INDIRECT_DESC not offered)");
      if (this.mem.view(addr, len) === undefined)
        return this.fail(`buffer 0x${addr.toString(16)}+${len} outside RAM`);
      if (flags & VIRTQ_DESC_F_WRITE) {
        writable.push({ addr, len });
        writableBytes += len;
      } else {
        // §2.7.4.2: readable descriptors come first; QEMU treats the opposite as a device error.
        if (writable.length > 0) return this.fail("device-readable descriptor after a writable one");
        readable.push({ addr, len });
        readableBytes += len;
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) return { head, readable, writable, readableBytes, writableBytes };
      i = next;
    }
  }

  /** Puts a finished chain on the used ring with `written` bytes written into its writable part. */
  push(chain: DescChain, written: number): void {
    if (this.error !== null) return;
    const size = this.reg.size;
    const device = this.addr(this.reg.deviceLo, this.reg.deviceHi);
    const elem = device + 4 + 8 * (this.usedIdx % size);
    const len = Math.min(written, chain.writableBytes);
    const next = (this.usedIdx + 1) & 0xffff;
    if (
      !this.mem.setU32(elem, chain.head) ||
      !this.mem.setU32(elem + 4, len) ||
      !this.mem.setU16(device + 2, next)
    ) {
      this.fail("used ring outside RAM");
      return;
    }
    this.usedIdx = next;
    const flags = this.mem.u16(this.addr(this.reg.driverLo, this.reg.driverHi)) ?? 0;
    if (!(flags & VIRTQ_AVAIL_F_NO_INTERRUPT)) this.interrupt = true;
  }

  /** Whether a used buffer notification is owed since the last call. */
  takeInterrupt(): boolean {
    const owed = this.interrupt;
    this.interrupt = false;
    return owed;
  }

  /** Bytes [offset, offset + bytes) of the chain's readable part, or undefined when it is shorter. */
  read(chain: DescChain, offset: number, bytes: number): Uint8Array | undefined {
    if (offset + bytes > chain.readableBytes) return undefined;
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const s of spans(chain.readable, offset, bytes)) {
      const v = this.mem.view(s.addr, s.len);
      if (v === undefined) return undefined;
      out.set(v, at);
      at += s.len;
    }
    return out;
  }

  /** Writes `data` at `offset` of the chain's writable part; false when it does not fit. */
  write(chain: DescChain, offset: number, data: Uint8Array): boolean {
    if (offset + data.length > chain.writableBytes) return false;
    let at = 0;
    for (const s of spans(chain.writable, offset, data.length)) {
      if (!this.mem.write(s.addr, data.subarray(at, at + s.len))) return false;
      at += s.len;
    }
    return true;
  }

  save(): DeviceState {
    return {
      ...this.reg,
      ready: this.ready,
      error: this.error,
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
      interrupt: this.interrupt,
    };
  }

  /** Restores a saved queue; answers why the state does not fit, or undefined. */
  restore(state: DeviceState): string | undefined {
    if (typeof state !== "object" || state === null || Array.isArray(state) || state instanceof Uint8Array)
      return "not a record";
    const s = state as Record<string, DeviceState>;
    const uint = (k: string, max: number) => {
      const v = s[k];
      return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max;
    };
    for (const k of REG_NAMES) if (!uint(k, 0xffff_ffff)) return `${k} is not a register value`;
    if (!uint("lastAvail", 0xffff) || !uint("usedIdx", 0xffff)) return "ring index out of range";
    if (typeof s.ready !== "boolean" || typeof s.interrupt !== "boolean") return "flags are not booleans";
    if (s.error !== null && typeof s.error !== "string") return "error is not a string";
    for (const k of REG_NAMES) this.reg[k] = s[k] as number;
    this.ready = s.ready;
    this.error = s.error;
    this.lastAvail = s.lastAvail as number;
    this.usedIdx = s.usedIdx as number;
    this.interrupt = s.interrupt;
    return undefined;
  }
}
