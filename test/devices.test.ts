// The virt board's device models driven through their MMIO registers, as a guest driver
// would, with expectations from the datasheets and specs they follow (NS16550A as QEMU's
// serial.c models it, the RISC-V PLIC spec, goldfish RTC, SiFive test device, VIRTIO 1.2).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { GuestMemory, type DeviceState } from "../src/core/device.js";
import { UserError } from "../src/core/errors.js";
import { PhysMap } from "../src/core/physmem.js";
import { GoldfishRtc } from "../src/devices/goldfish-rtc.js";
import { Plic } from "../src/devices/plic.js";
import { Syscon, type SysconEvent } from "../src/devices/syscon.js";
import { Uart16550 } from "../src/devices/uart16550.js";
import { VirtioBlk } from "../src/devices/virtio/blk.js";
import { VirtioMmio, type VirtioBackend } from "../src/devices/virtio/mmio.js";
import { VirtioRng } from "../src/devices/virtio/rng.js";

// ---------------------------------------------------------------- UART

const THR = 0,
  IER = 1,
  IIR = 2,
  LCR = 3,
  MCR = 4,
  LSR = 5,
  MSR = 6,
  SCR = 7;

function uart() {
  const out: number[] = [];
  const irq = { level: false };
  const dev = new Uart16550(
    (b) => out.push(...b),
    (l) => (irq.level = l),
  );
  const rd = (reg: number) => dev.read(reg, 1);
  const wr = (reg: number, v: number) => dev.write(reg, 1, v);
  /** Reads RBR while LSR.DR says there is data. */
  const drain = () => {
    const got: number[] = [];
    for (let n = 0; rd(LSR) & 1 && n < 10_000; n++) got.push(rd(THR));
    return got;
  };
  return { dev, out, irq, rd, wr, drain };
}

describe("uart16550", () => {
  test("resets with the transmitter empty, no interrupt and DCD/DSR/CTS asserted", () => {
    const { rd, irq } = uart();
    expect(rd(LSR)).toBe(0x60);
    expect(rd(IIR)).toBe(0x01);
    expect(rd(MSR)).toBe(0xb0);
    expect(irq.level).toBe(false);
  });

  test("bytes written to THR leave through the output callback", () => {
    const { wr, out } = uart();
    for (const c of "hi\n") wr(THR, c.charCodeAt(0));
    expect(Buffer.from(out).toString()).toBe("hi\n");
  });

  test("with DLAB set, offsets 0 and 1 are the divisor latch and nothing is transmitted", () => {
    const { rd, wr, out } = uart();
    wr(LCR, 0x83);
    wr(0, 0x01);
    wr(1, 0x02);
    expect([rd(0), rd(1)]).toEqual([0x01, 0x02]);
    wr(LCR, 0x03);
    expect(rd(IER)).toBe(0);
    expect(out).toEqual([]);
  });

  test("in loopback a transmitted byte is received and MSR mirrors the modem outputs", () => {
    const { rd, wr, out, drain } = uart();
    wr(MCR, 0x10 | 0x0b); // LOOP, OUT2, RTS, DTR
    wr(THR, 0x41);
    expect(out).toEqual([]);
    expect(rd(LSR) & 0x61).toBe(0x61); // DR, THRE, TEMT
    expect(rd(MSR)).toBe(0x80 | 0x20 | 0x10); // DCD (OUT2), DSR (DTR), CTS (RTS)
    expect(drain()).toEqual([0x41]);
  });

  test("host input waits while in loopback and arrives once loopback ends", () => {
    const { wr, dev, drain } = uart();
    wr(IER, 0x01);
    wr(MCR, 0x10);
    dev.pushInput(Uint8Array.of(1, 2));
    expect(drain()).toEqual([]);
    wr(MCR, 0x08);
    expect(drain()).toEqual([1, 2]);
  });

  test("a loopback byte into a full receiver sets the overrun bit (cleared by reading LSR) and replaces the unread byte", () => {
    const { rd, wr } = uart();
    wr(MCR, 0x10); // FIFOs off: a one-byte receiver
    wr(THR, 1);
    wr(THR, 2);
    expect(rd(LSR) & 0x02).toBe(0x02);
    expect(rd(LSR) & 0x02).toBe(0);
    expect(rd(THR)).toBe(2);
  });

  test("THRE interrupt: raised when enabled, cleared by reading IIR, raised again by a THR write", () => {
    const { rd, wr, irq } = uart();
    wr(IER, 0x02);
    expect(irq.level).toBe(true);
    expect(rd(IIR)).toBe(0x02);
    expect(irq.level).toBe(false);
    expect(rd(IIR)).toBe(0x01);
    wr(THR, 0x58);
    expect(irq.level).toBe(true);
    wr(IER, 0);
    expect(irq.level).toBe(false);
  });

  test("THRE interrupt is re-raised by toggling IER off and on, as Linux's 8250 probe checks", () => {
    const { rd, wr } = uart();
    wr(IER, 0x02);
    const iir1 = rd(IIR);
    wr(IER, 0);
    wr(IER, 0x02);
    const iir2 = rd(IIR);
    wr(IER, 0);
    expect([iir1 & 0x0f, iir2 & 0x0f]).toEqual([0x02, 0x02]);
  });

  test("rewriting IER with THRI already on does not re-raise an acknowledged THRE interrupt", () => {
    const { rd, wr, irq } = uart();
    wr(IER, 0x02);
    rd(IIR);
    wr(IER, 0x03);
    expect(irq.level).toBe(false);
  });

  test("40 bytes pushed before the guest reads arrive in order through the 16-byte FIFO", () => {
    const { dev, wr, rd, drain } = uart();
    wr(2, 0xc7); // FIFOs on, both reset, trigger level 14
    expect(rd(IIR) & 0xc0).toBe(0xc0);
    wr(IER, 0x01);
    const input = Uint8Array.from({ length: 40 }, (_, i) => 0x20 + i);
    dev.pushInput(input.subarray(0, 25));
    dev.pushInput(input.subarray(25));
    expect(dev.wantsInput()).toBe(false);
    expect(drain()).toEqual([...input]);
    expect(dev.hasInput()).toBe(false);
    expect(dev.wantsInput()).toBe(true);
  });

  test("40 bytes pushed arrive in order with the FIFOs off as well", () => {
    const { dev, drain, wr } = uart();
    wr(IER, 0x01);
    const input = Uint8Array.from({ length: 40 }, (_, i) => i * 3);
    dev.pushInput(input);
    expect(drain()).toEqual([...input]);
  });

  test("input waits on the host until the receive interrupt is enabled: a FIFO reset and a stray RBR read before it lose nothing", () => {
    const { dev, drain, wr, rd } = uart();
    dev.pushInput(Uint8Array.of(7, 8, 9));
    wr(2, 0xc7); // as Linux's 8250 start-up: FIFOs on and reset...
    expect(rd(LSR) & 0x01).toBe(0);
    rd(THR); // ...then one read of RBR to clear it
    wr(IER, 0x01);
    expect(drain()).toEqual([7, 8, 9]);
  });

  test("switching the FIFOs on after reception was enabled (Linux's order) loses no host input", () => {
    const { dev, drain, wr } = uart();
    wr(2, 0x00); // FIFOs off: a one-byte receiver
    dev.pushInput(Uint8Array.of(1, 2, 3));
    wr(IER, 0x05); // the first byte moves into RBR
    wr(2, 0x01); // FIFOs on: the receiver is reset
    wr(2, 0x81);
    expect(drain()).toEqual([1, 2, 3]);
  });

  test("a firmware console takes input bytes in order without the receive interrupt", () => {
    const { dev } = uart();
    dev.pushInput(Uint8Array.of(5, 6));
    expect([dev.takeInputByte(), dev.takeInputByte(), dev.takeInputByte()]).toEqual([5, 6, -1]);
  });

  test("a firmware console gets no input once the guest's driver has enabled the receive interrupt", () => {
    const { dev, wr, drain } = uart();
    dev.pushInput(Uint8Array.of(5, 6));
    wr(IER, 0x01);
    expect(dev.takeInputByte()).toBe(-1);
    expect(drain()).toEqual([5, 6]);
  });

  test("received data below the FIFO trigger level reports the character timeout, at it RX data", () => {
    const { dev, wr, rd, irq } = uart();
    wr(2, 0x81); // FIFOs on, trigger level 8
    wr(IER, 0x01);
    expect(irq.level).toBe(false);
    dev.pushInput(Uint8Array.of(1, 2, 3));
    expect(irq.level).toBe(true);
    expect(rd(IIR)).toBe(0xcc);
    dev.pushInput(new Uint8Array(5));
    expect(rd(IIR)).toBe(0xc4);
    for (let i = 0; i < 8; i++) rd(THR);
    expect(rd(IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
  });

  test("a line status interrupt (overrun) takes priority over received data", () => {
    const { wr, rd } = uart();
    wr(MCR, 0x10);
    wr(IER, 0x05);
    wr(THR, 1);
    wr(THR, 2);
    expect(rd(IIR)).toBe(0x06);
    rd(LSR);
    expect(rd(IIR)).toBe(0x04);
  });

  test("a saved UART restored into a new one continues with the same registers and input", () => {
    const a = uart();
    a.wr(2, 0x81);
    a.wr(SCR, 0x5a);
    a.wr(IER, 0x01);
    a.dev.pushInput(Uint8Array.from({ length: 30 }, (_, i) => i));
    for (let i = 0; i < 5; i++) a.rd(THR);
    const b = uart();
    b.dev.restore(a.dev.save());
    expect(b.irq.level).toBe(true);
    expect(b.rd(SCR)).toBe(0x5a);
    expect(b.rd(IIR)).toBe(a.rd(IIR));
    const rest = Array.from({ length: 25 }, (_, i) => i + 5);
    expect(b.drain()).toEqual(rest);
    expect(a.drain()).toEqual(rest);
  });

  test("restoring nonsense into a UART is a UserError", () => {
    const { dev } = uart();
    expect(() => dev.restore(7)).toThrow(UserError);
    expect(() => dev.restore({ ...(dev.save() as object), lcr: 300 })).toThrow(UserError);
    expect(() => dev.restore({ ...(dev.save() as object), rx: new Uint8Array(17) })).toThrow(UserError);
  });
});

// ---------------------------------------------------------------- PLIC

const ENABLE = 0x2000;
const CONTEXT = 0x20_0000;

function plic(harts = 2) {
  const lines = new Map<number, boolean>();
  const dev = new Plic(harts, (ctx, level) => lines.set(ctx, level));
  const line = (ctx: number) => lines.get(ctx) ?? false;
  const claim = (ctx: number) => dev.read(CONTEXT + 0x1000 * ctx + 4, 4);
  const complete = (ctx: number, irq: number) => dev.write(CONTEXT + 0x1000 * ctx + 4, 4, irq);
  const threshold = (ctx: number, t: number) => dev.write(CONTEXT + 0x1000 * ctx, 4, t);
  const enable = (ctx: number, ...irqs: number[]) => {
    for (const irq of irqs) {
      const off = ENABLE + 0x80 * ctx + 4 * (irq >> 5);
      dev.write(off, 4, dev.read(off, 4) | (1 << (irq & 31)));
    }
  };
  const priority = (irq: number, p: number) => dev.write(4 * irq, 4, p);
  return { dev, line, claim, complete, threshold, enable, priority };
}

describe("plic", () => {
  test("claim returns the highest-priority pending source, the lowest id among equals", () => {
    const p = plic();
    p.priority(1, 1);
    p.priority(2, 5);
    p.priority(3, 5);
    p.enable(1, 1, 2, 3);
    for (const irq of [3, 1, 2]) p.dev.setSource(irq, true);
    expect(p.line(1)).toBe(true);
    expect([p.claim(1), p.claim(1), p.claim(1), p.claim(1)]).toEqual([2, 3, 1, 0]);
    expect(p.line(1)).toBe(false);
  });

  test("a context's threshold masks priorities at or below it, for that context only", () => {
    const p = plic();
    p.priority(10, 3);
    p.enable(0, 10);
    p.enable(3, 10);
    p.threshold(0, 3);
    p.dev.setSource(10, true);
    expect([p.line(0), p.line(3)]).toEqual([false, true]);
    expect(p.claim(0)).toBe(0);
    p.threshold(0, 2);
    expect(p.line(0)).toBe(true);
    expect(p.claim(0)).toBe(10);
    expect([p.line(0), p.line(3)]).toEqual([false, false]); // claimed for every context
  });

  test("priority 0 never interrupts and priorities keep 3 bits", () => {
    const p = plic();
    p.enable(1, 4);
    p.dev.setSource(4, true);
    expect(p.line(1)).toBe(false);
    p.priority(4, 0xff);
    expect(p.dev.read(16, 4)).toBe(7);
    expect(p.line(1)).toBe(true);
  });

  test("a claimed level source is not pending again until completed, then only while still high", () => {
    const p = plic();
    p.priority(7, 1);
    p.enable(1, 7);
    p.dev.setSource(7, true);
    expect(p.claim(1)).toBe(7);
    p.dev.setSource(7, false);
    p.dev.setSource(7, true);
    expect(p.dev.read(0x1000, 4)).toBe(0);
    p.complete(1, 7);
    expect(p.dev.read(0x1000, 4)).toBe(1 << 7);
    expect(p.claim(1)).toBe(7);
    p.dev.setSource(7, false);
    p.complete(1, 7);
    expect(p.line(1)).toBe(false);
    expect(p.claim(1)).toBe(0);
  });

  test("a completion for a source not enabled in that context is ignored", () => {
    const p = plic();
    p.priority(5, 1);
    p.enable(1, 5);
    p.dev.setSource(5, true);
    expect(p.claim(1)).toBe(5);
    p.complete(0, 5);
    expect(p.claim(1)).toBe(0);
    p.complete(1, 5);
    expect(p.claim(1)).toBe(5);
  });

  test("source 0, sources beyond 95 and contexts beyond the harts are ignored", () => {
    const p = plic(1);
    p.dev.setSource(0, true);
    p.dev.setSource(96, true);
    p.dev.setSource(-1, true);
    p.dev.write(0, 4, 7);
    expect(p.dev.read(0, 4)).toBe(0);
    p.dev.write(ENABLE, 4, 0xffff_ffff);
    expect(p.dev.read(ENABLE, 4)).toBe(0xffff_fffe);
    p.dev.write(ENABLE + 8, 4, 0xffff_ffff); // sources 64..95
    expect(p.dev.read(ENABLE + 8, 4)).toBe(0xffff_ffff);
    p.dev.write(ENABLE + 12, 4, 0xffff_ffff); // would be 96..127
    expect(p.dev.read(ENABLE + 12, 4)).toBe(0);
    p.dev.write(ENABLE + 0x80 * 2, 4, 0xffff_ffff);
    p.dev.write(CONTEXT + 0x1000 * 5, 4, 1);
    expect(p.dev.read(CONTEXT + 0x1000 * 5 + 4, 4)).toBe(0);
    expect(p.dev.read(0x1000, 4)).toBe(0);
  });

  test("a saved PLIC restored into a new one claims the same sources and drives the same lines", () => {
    const a = plic();
    a.priority(9, 2);
    a.priority(33, 6);
    a.enable(2, 9, 33);
    a.dev.setSource(9, true);
    a.dev.setSource(33, true);
    expect(a.claim(2)).toBe(33);
    const b = plic();
    b.dev.restore(a.dev.save());
    expect(b.line(2)).toBe(true);
    expect(b.claim(2)).toBe(9);
    b.complete(2, 33);
    expect(b.claim(2)).toBe(33);
    expect(() => b.dev.restore({ ...(a.dev.save() as object), threshold: [9, 0, 0, 0] })).toThrow(UserError);
    expect(() => plic(1).dev.restore(a.dev.save())).toThrow(UserError);
  });
});

// ---------------------------------------------------------------- goldfish RTC

describe("goldfish-rtc", () => {
  function rtc(startNs: bigint) {
    const clock = { ns: startNs };
    const irq = { level: false };
    const dev = new GoldfishRtc(
      (l) => (irq.level = l),
      () => clock.ns,
    );
    return { dev, clock, irq };
  }

  test("reading TIME_LOW latches TIME_HIGH, so a carry between the two reads is not seen", () => {
    const { dev, clock } = rtc(0x1_ffff_fff0n);
    expect(dev.read(0x00, 4)).toBe(0xffff_fff0);
    clock.ns = 0x2_0000_0010n;
    expect(dev.read(0x04, 4)).toBe(1);
    expect(dev.read(0x00, 4)).toBe(0x10);
    expect(dev.read(0x04, 4)).toBe(2);
  });

  test("guest writes to the time registers set the clock, which then keeps running", () => {
    const { dev, clock } = rtc(1_000_000n);
    dev.write(0x04, 4, 0x17);
    dev.write(0x00, 4, 0x1234_5678);
    clock.ns += 500n;
    expect(dev.read(0x00, 4)).toBe(0x1234_5678 + 500);
    expect(dev.read(0x04, 4)).toBe(0x17);
  });

  test("an alarm raises the interrupt when polled at its time and CLEAR_INTERRUPT lowers it", () => {
    const { dev, clock, irq } = rtc(4_000_000_000n);
    dev.write(0x10, 4, 1);
    dev.write(0x0c, 4, 1); // 2^32 ns + 0x2000_0000
    dev.write(0x08, 4, 0x2000_0000);
    expect(dev.read(0x18, 4)).toBe(1);
    const dueNs = 0x1_2000_0000n;
    expect(dev.nextDeadlineMs()).toBeCloseTo(Number(dueNs - clock.ns) / 1e6, 6);
    clock.ns = dueNs - 1n;
    dev.poll();
    expect(irq.level).toBe(false);
    clock.ns = dueNs;
    dev.poll();
    expect(irq.level).toBe(true);
    expect(dev.read(0x18, 4)).toBe(0);
    expect(dev.nextDeadlineMs()).toBe(Infinity);
    dev.write(0x1c, 4, 1);
    expect(irq.level).toBe(false);
  });

  test("an alarm already due fires when armed; CLEAR_ALARM disarms a pending one", () => {
    const { dev, irq } = rtc(1_000n);
    dev.write(0x10, 4, 1);
    dev.write(0x08, 4, 10);
    expect(irq.level).toBe(true);
    dev.write(0x1c, 4, 1);
    dev.write(0x08, 4, 5_000);
    dev.write(0x14, 4, 1);
    expect(dev.read(0x18, 4)).toBe(0);
    expect(dev.nextDeadlineMs()).toBe(Infinity);
  });

  test("a saved RTC restored into a new one keeps its time offset and armed alarm", () => {
    const a = rtc(1_000n);
    a.dev.write(0x00, 4, 1_000_000);
    a.dev.write(0x10, 4, 1);
    a.dev.write(0x08, 4, 2_000_000);
    const b = rtc(1_000n);
    b.dev.restore(a.dev.save());
    expect(b.dev.read(0x00, 4)).toBe(1_000_000);
    b.clock.ns += 1_000_000n;
    b.dev.poll();
    expect(b.irq.level).toBe(true);
    expect(() => b.dev.restore({ ...(a.dev.save() as object), alarmNs: "x" })).toThrow(UserError);
  });
});

// ---------------------------------------------------------------- syscon

describe("syscon (sifive,test0)", () => {
  test("0x5555 powers off, 0x3333 | code << 16 fails with the code, 0x7777 resets, others do nothing", () => {
    const events: SysconEvent[] = [];
    const dev = new Syscon((e) => events.push(e));
    dev.write(0, 4, 0x5555);
    dev.write(0, 4, 0x3333 | (42 << 16));
    dev.write(0, 4, 0x7777);
    dev.write(0, 4, 0x1234);
    dev.write(4, 4, 0x5555);
    expect(events).toEqual([{ kind: "poweroff" }, { kind: "fail", code: 42 }, { kind: "reset" }]);
    expect(dev.read(0, 4)).toBe(0);
    dev.restore(dev.save());
    expect(() => dev.restore(3)).toThrow(UserError);
  });

  test("a 16-bit write of 0x5555 powers off too (OpenSBI's driver writes 16 bits); a byte write does nothing", () => {
    const events: SysconEvent[] = [];
    const dev = new Syscon((e) => events.push(e));
    dev.write(0, 1, 0x55);
    dev.write(0, 2, 0x5555);
    expect(events).toEqual([{ kind: "poweroff" }]);
  });
});

// ---------------------------------------------------------------- virtio

const RAM = 0x8000_0000;
const RAM_BYTES = 1 << 20;

function guestMemory(): GuestMemory {
  const memory = new WebAssembly.Memory({ initial: RAM_BYTES / 65536 });
  const phys = new PhysMap();
  phys.addRam({ base: RAM, sizeBytes: RAM_BYTES, hostOffset: 0 });
  return new GuestMemory(phys, new Uint8Array(memory.buffer));
}

// Register offsets, VIRTIO 1.2 §4.2.2.
const R = {
  magic: 0x000,
  version: 0x004,
  deviceId: 0x008,
  vendor: 0x00c,
  devFeatures: 0x010,
  devFeaturesSel: 0x014,
  drvFeatures: 0x020,
  drvFeaturesSel: 0x024,
  queueSel: 0x030,
  queueNumMax: 0x034,
  queueNum: 0x038,
  queueReady: 0x044,
  queueNotify: 0x050,
  intStatus: 0x060,
  intAck: 0x064,
  status: 0x070,
  descLo: 0x080,
  descHi: 0x084,
  driverLo: 0x090,
  deviceLo: 0x0a0,
  config: 0x100,
};
const NEEDS_RESET = 0x40;
const DESC = RAM + 0x0000;
const AVAIL = RAM + 0x1000;
const USED = RAM + 0x2000;
const BUF = RAM + 0x10000;
const QSIZE = 8;

interface Buf {
  addr: number;
  len: number;
  write?: boolean;
}

/** A minimal virtio driver: negotiates, sets up queue 0 and submits descriptor chains. */
class Driver {
  dev: VirtioMmio;
  readonly irq = { level: false };
  private nextDesc = 0;
  private availIdx = 0;

  constructor(
    readonly mem: GuestMemory,
    backend: VirtioBackend | undefined,
  ) {
    this.dev = new VirtioMmio(backend, mem, (l) => (this.irq.level = l));
  }

  rd(off: number): number {
    return this.dev.read(off, 4);
  }
  wr(off: number, v: number): void {
    this.dev.write(off, 4, v);
  }

  features(): bigint {
    this.wr(R.devFeaturesSel, 1);
    const hi = this.rd(R.devFeatures);
    this.wr(R.devFeaturesSel, 0);
    return (BigInt(hi) << 32n) | BigInt(this.rd(R.devFeatures));
  }

  /** §3.1.1 initialisation; answers whether the device accepted the features. */
  init(accept = this.features()): boolean {
    this.wr(R.status, 0);
    this.wr(R.status, 1);
    this.wr(R.status, 3);
    this.wr(R.drvFeaturesSel, 0);
    this.wr(R.drvFeatures, Number(accept & 0xffff_ffffn));
    this.wr(R.drvFeaturesSel, 1);
    this.wr(R.drvFeatures, Number(accept >> 32n));
    this.wr(R.status, 0xb);
    if (!(this.rd(R.status) & 8)) return false;
    this.wr(R.queueSel, 0);
    this.wr(R.queueNum, QSIZE);
    this.wr(R.descLo, DESC);
    this.wr(R.driverLo, AVAIL);
    this.wr(R.deviceLo, USED);
    this.wr(R.queueReady, 1);
    this.wr(R.status, 0xf);
    return true;
  }

  /** Writes a descriptor at table index `i`. */
  desc(i: number, b: Buf, next?: number): void {
    const dv = new DataView(new ArrayBuffer(16));
    dv.setUint32(0, b.addr >>> 0, true);
    dv.setUint32(4, Math.floor(b.addr / 0x1_0000_0000), true);
    dv.setUint32(8, b.len, true);
    dv.setUint16(12, (next !== undefined ? 1 : 0) | (b.write ? 2 : 0), true);
    dv.setUint16(14, next ?? 0, true);
    this.mem.write(DESC + 16 * i, new Uint8Array(dv.buffer));
  }

  /** Makes chain head `head` available and notifies queue 0. */
  kick(head: number): void {
    this.mem.setU16(AVAIL + 4 + 2 * (this.availIdx % QSIZE), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.mem.setU16(AVAIL + 2, this.availIdx);
    this.wr(R.queueNotify, 0);
  }

  submit(bufs: Buf[]): void {
    const head = this.nextDesc;
    bufs.forEach((b, k) => {
      const i = (head + k) % QSIZE;
      this.desc(i, b, k + 1 < bufs.length ? (i + 1) % QSIZE : undefined);
    });
    this.nextDesc = (head + bufs.length) % QSIZE;
    this.kick(head);
  }

  /** Forgets the queue's contents, as a driver does before setting a reset device up again. */
  forgetQueue(): void {
    this.nextDesc = 0;
    this.availIdx = 0;
    this.mem.write(AVAIL, new Uint8Array(4));
    this.mem.write(USED, new Uint8Array(4));
  }

  usedIdx(): number {
    return this.mem.u16(USED + 2) ?? -1;
  }
  usedLen(n: number): number {
    return this.mem.u32(USED + 4 + 8 * (n % QSIZE) + 4) ?? -1;
  }
}

const tmp = mkdtempSync(join(tmpdir(), "hartwood-devices-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function image(name: string, sectors: number, readOnly = false) {
  const path = join(tmp, name);
  const bytes = new Uint8Array(sectors * 512);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  writeFileSync(path, bytes);
  const fd = openSync(path, readOnly ? "r" : "r+");
  return { path, fd, bytes, close: () => closeSync(fd) };
}

const T_IN = 0,
  T_OUT = 1,
  T_FLUSH = 4,
  T_GET_ID = 8;
const HDR = BUF;
const DATA = BUF + 0x100;
const STATUS = BUF + 0x80;

function header(mem: GuestMemory, type: number, sector: number): void {
  mem.setU32(HDR, type);
  mem.setU32(HDR + 4, 0);
  mem.setU32(HDR + 8, sector);
  mem.setU32(HDR + 12, 0);
  mem.write(STATUS, Uint8Array.of(0xff));
}

function blkDriver(sectors = 16, readOnly = false, name = "disk.img") {
  const img = image(name, sectors, readOnly);
  const d = new Driver(guestMemory(), new VirtioBlk(img.fd, { readOnly, serial: "hw-serial-1" }));
  expect(d.init()).toBe(true);
  /** A request: header, data (readable for OUT, writable otherwise), status. */
  const request = (type: number, sector: number, dataBytes: number) => {
    header(d.mem, type, sector);
    const bufs: Buf[] = [{ addr: HDR, len: 16 }];
    if (dataBytes > 0) bufs.push({ addr: DATA, len: dataBytes, write: type !== T_OUT });
    bufs.push({ addr: STATUS, len: 1, write: true });
    d.submit(bufs);
    return d.mem.read(STATUS, 1)![0];
  };
  return { d, img, request };
}

describe("virtio-mmio transport", () => {
  test("identifies as a version 2 virtio-mmio device from QEMU's vendor; an empty slot has DeviceID 0", () => {
    const d = new Driver(guestMemory(), new VirtioRng());
    expect([d.rd(R.magic), d.rd(R.version), d.rd(R.deviceId), d.rd(R.vendor)]).toEqual([
      0x74726976, 2, 4, 0x554d4551,
    ]);
    expect(d.features() & (1n << 32n)).toBe(1n << 32n);
    const empty = new Driver(guestMemory(), undefined);
    expect([empty.rd(R.magic), empty.rd(R.version), empty.rd(R.deviceId)]).toEqual([0x74726976, 2, 0]);
    empty.wr(R.status, 0xf);
    expect(empty.rd(R.status)).toBe(0);
  });

  test("a driver that does not accept VIRTIO_F_VERSION_1 is refused at FEATURES_OK", () => {
    const d = new Driver(guestMemory(), new VirtioRng());
    expect(d.init(0n)).toBe(false);
    expect(d.init(1n << 32n)).toBe(true);
  });

  test("a driver accepting features the device did not offer is refused", () => {
    const d = new Driver(guestMemory(), new VirtioRng());
    expect(d.init((1n << 32n) | (1n << 28n))).toBe(false);
  });

  test("QueueNumMax is 0 for a queue the device does not have", () => {
    const d = new Driver(guestMemory(), new VirtioRng());
    expect(d.rd(R.queueNumMax)).toBe(256);
    d.wr(R.queueSel, 1);
    expect(d.rd(R.queueNumMax)).toBe(0);
  });
});

describe("virtio-blk", () => {
  test("T_IN reads sectors of the image into guest memory and raises the used-buffer interrupt", () => {
    const { d, img, request } = blkDriver();
    expect(d.dev.read(R.config, 4)).toBe(16); // capacity in sectors
    expect(d.dev.read(R.config + 20, 4)).toBe(512); // blk_size
    expect(request(T_IN, 3, 1024)).toBe(0);
    expect(d.mem.read(DATA, 1024)).toEqual(img.bytes.subarray(3 * 512, 5 * 512));
    expect(d.usedIdx()).toBe(1);
    expect(d.usedLen(0)).toBe(1025);
    expect(d.irq.level).toBe(true);
    expect(d.rd(R.intStatus)).toBe(1);
    d.wr(R.intAck, 1);
    expect(d.irq.level).toBe(false);
    img.close();
  });

  test("a request split over several descriptors at odd places is read as one byte stream", () => {
    const { d, img } = blkDriver();
    header(d.mem, T_IN, 1);
    d.submit([
      { addr: HDR, len: 10 },
      { addr: HDR + 10, len: 6 },
      { addr: DATA, len: 100, write: true },
      { addr: DATA + 0x1000, len: 412 + 1, write: true }, // the rest of the sector and the status byte
    ]);
    expect(d.mem.read(DATA + 0x1000 + 412, 1)![0]).toBe(0);
    expect([...d.mem.read(DATA, 100)!, ...d.mem.read(DATA + 0x1000, 412)!]).toEqual([
      ...img.bytes.subarray(512, 1024),
    ]);
    img.close();
  });

  test("T_OUT writes guest data to the image and T_FLUSH completes with OK", () => {
    const { d, img, request } = blkDriver();
    const data = Uint8Array.from({ length: 512 }, (_, i) => 255 - (i & 0xff));
    d.mem.write(DATA, data);
    expect(request(T_OUT, 7, 512)).toBe(0);
    expect(request(T_FLUSH, 0, 0)).toBe(0);
    expect(readFileSync(img.path).subarray(7 * 512, 8 * 512)).toEqual(Buffer.from(data));
    img.close();
  });

  test("T_GET_ID answers the serial string, NUL-padded to 20 bytes", () => {
    const { d, img, request } = blkDriver();
    expect(request(T_GET_ID, 0, 20)).toBe(0);
    const id = d.mem.read(DATA, 20)!;
    expect(Buffer.from(id).toString("latin1")).toBe("hw-serial-1".padEnd(20, "\0"));
    img.close();
  });

  test("a read-only disk offers VIRTIO_BLK_F_RO and answers T_OUT with IOERR, leaving the image alone", () => {
    const { d, img, request } = blkDriver(4, true, "ro.img");
    expect(d.features() & (1n << 5n)).toBe(1n << 5n);
    d.mem.write(DATA, new Uint8Array(512).fill(0xee));
    expect(request(T_OUT, 0, 512)).toBe(1);
    expect(request(T_IN, 0, 512)).toBe(0);
    expect(readFileSync(img.path)).toEqual(Buffer.from(img.bytes));
    img.close();
  });

  test("requests beyond the capacity or not in whole sectors are IOERR; unknown types are UNSUPP", () => {
    const { d, img, request } = blkDriver(4);
    expect(request(T_IN, 3, 1024)).toBe(1);
    expect(request(T_IN, 0xffff_ffff, 512)).toBe(1);
    expect(request(T_IN, 0, 100)).toBe(1);
    expect(request(T_OUT, 0, 700)).toBe(1);
    expect(request(11, 0, 0)).toBe(2); // DISCARD, not offered
    expect(request(T_IN, 3, 512)).toBe(0);
    expect(d.usedIdx()).toBe(6);
    expect(d.rd(R.status) & NEEDS_RESET).toBe(0);
    img.close();
  });

  // Hostile chains: each must end with DEVICE_NEEDS_RESET and a configuration-change interrupt,
  // without an exception and in bounded time.
  const hostile: [string, (d: Driver) => void][] = [
    [
      "a descriptor loop",
      (d) => {
        d.desc(0, { addr: HDR, len: 16 }, 1);
        d.desc(1, { addr: DATA, len: 512, write: true }, 0);
        d.kick(0);
      },
    ],
    [
      "a buffer outside RAM",
      (d) =>
        d.submit([
          { addr: HDR, len: 16 },
          { addr: RAM + RAM_BYTES - 8, len: 512, write: true },
        ]),
    ],
    [
      "a buffer at an address above 2^53",
      (d) =>
        d.submit([
          { addr: 2 ** 60, len: 16 },
          { addr: STATUS, len: 1, write: true },
        ]),
    ],
    ["a head index beyond the queue", (d) => d.kick(QSIZE + 3)],
    [
      "a next index beyond the queue",
      (d) => {
        d.desc(0, { addr: HDR, len: 16 }, 0xffff);
        d.kick(0);
      },
    ],
    [
      "a header shorter than 16 bytes",
      (d) =>
        d.submit([
          { addr: HDR, len: 8 },
          { addr: STATUS, len: 1, write: true },
        ]),
    ],
    ["a request without a status byte", (d) => d.submit([{ addr: HDR, len: 16 }])],
    [
      "a readable descriptor after a writable one",
      (d) =>
        d.submit([
          { addr: STATUS, len: 1, write: true },
          { addr: HDR, len: 16 },
        ]),
    ],
    [
      "an available index far ahead of the device's",
      (d) => {
        d.mem.setU16(AVAIL + 2, 200);
        d.wr(R.queueNotify, 0);
      },
    ],
  ];
  for (const [what, attack] of hostile) {
    test(`${what} ends in DEVICE_NEEDS_RESET with a config-change interrupt, without an exception`, () => {
      const { d, img } = blkDriver(16, false, "hostile.img");
      const t0 = performance.now();
      expect(() => attack(d)).not.toThrow();
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(d.rd(R.status) & NEEDS_RESET).toBe(NEEDS_RESET);
      expect(d.rd(R.intStatus) & 2).toBe(2);
      expect(d.irq.level).toBe(true);
      expect(d.dev.deviceError).toBeTypeOf("string");
      img.close();
    });
  }

  test("after DEVICE_NEEDS_RESET notifies are ignored until the driver resets, then the device works again", () => {
    const { d, img, request } = blkDriver();
    d.kick(QSIZE); // a bad head index
    expect(d.rd(R.status) & NEEDS_RESET).toBe(NEEDS_RESET);
    const used = d.usedIdx();
    d.wr(R.queueNotify, 0);
    expect(d.usedIdx()).toBe(used);
    // The driver resets the device and sets the queue up afresh.
    d.forgetQueue();
    expect(d.init()).toBe(true);
    expect(d.rd(R.status) & NEEDS_RESET).toBe(0);
    expect(d.rd(R.intStatus)).toBe(0);
    expect(d.irq.level).toBe(false);
    expect(request(T_IN, 2, 512)).toBe(0);
    expect(d.mem.read(DATA, 512)).toEqual(img.bytes.subarray(1024, 1536));
    img.close();
  });

  test("a saved transport restored into a new one continues the queue where it stopped", () => {
    const { d, img, request } = blkDriver();
    expect(request(T_IN, 0, 512)).toBe(0);
    const saved: DeviceState = d.dev.save();
    const b = new VirtioMmio(new VirtioBlk(img.fd), d.mem, () => {});
    b.restore(saved);
    expect(b.read(R.status, 4)).toBe(0xf);
    // The driver continues with the restored transport: the next request lands at used index 1.
    d.dev = b;
    expect(request(T_IN, 5, 512)).toBe(0);
    expect(d.usedIdx()).toBe(2);
    expect(d.mem.read(DATA, 512)).toEqual(img.bytes.subarray(5 * 512, 6 * 512));
    expect(() => b.restore({ ...(saved as object), deviceId: 4 })).toThrow(UserError);
    expect(() => b.restore({ ...(saved as object), queues: [{ size: -1 }] })).toThrow(UserError);
    expect(b.read(R.status, 4)).toBe(0xf);
    img.close();
  });
});

describe("virtio-rng", () => {
  test("fills every device-writable buffer of a chain and reports its whole length as used", () => {
    const d = new Driver(guestMemory(), new VirtioRng());
    expect(d.init()).toBe(true);
    d.submit([
      { addr: DATA, len: 64, write: true },
      { addr: DATA + 0x1000, len: 64, write: true },
    ]);
    expect(d.usedIdx()).toBe(1);
    expect(d.usedLen(0)).toBe(128);
    const a = d.mem.read(DATA, 64)!;
    const b = d.mem.read(DATA + 0x1000, 64)!;
    expect(a.some((x) => x !== 0) && b.some((x) => x !== 0)).toBe(true);
    expect(d.irq.level).toBe(true);
  });

  test("a driver that asked for no interrupt (VIRTQ_AVAIL_F_NO_INTERRUPT) gets none", () => {
    const d = new Driver(guestMemory(), new VirtioRng());
    expect(d.init()).toBe(true);
    d.mem.setU16(AVAIL, 1);
    d.submit([{ addr: DATA, len: 16, write: true }]);
    expect(d.usedIdx()).toBe(1);
    expect(d.irq.level).toBe(false);
  });
});

// ---------------------------------------------------------------- hostile guests

describe("a guest writing anything anywhere never makes a device throw or hang", () => {
  /** xorshift32: the same sequence on every run. */
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
  }
  const sizes = [1, 2, 4] as const;

  test("200,000 random register accesses across every device, virtio queues over random RAM", () => {
    const next = rng(0x5eed);
    const mem = guestMemory();
    // Random bytes in RAM: descriptor tables, rings and headers are whatever the queue points at.
    const noise = new Uint8Array(RAM_BYTES);
    for (let i = 0; i < noise.length; i += 4) new DataView(noise.buffer).setUint32(i, next());
    mem.write(RAM, noise);
    const { fd } = image("fuzz.img", 64);
    const blk = new VirtioBlk(fd);
    let processed = 0;
    const process = blk.process.bind(blk);
    blk.process = (q) => {
      processed++;
      process(q);
    };
    const devices = [
      {
        dev: new Uart16550(
          () => {},
          () => {},
        ),
        span: 8,
      },
      { dev: new Plic(2, () => {}), span: 0x60_0000 },
      { dev: new GoldfishRtc(() => {}), span: 0x20 },
      { dev: new Syscon(() => {}), span: 8 },
      { dev: new VirtioMmio(blk, mem, () => {}), span: 0x200 },
      { dev: new VirtioMmio(new VirtioRng(), mem, () => {}), span: 0x200 },
    ];
    /** A driver's set-up, correct but for queues of random sizes over random RAM: then notifies reach the chains. */
    const bringUp = (dev: VirtioMmio) => {
      const w = (o: number, v: number) => dev.write(o, 4, v);
      w(R.status, 0);
      w(R.status, 3);
      w(R.drvFeaturesSel, 1);
      w(R.drvFeatures, 1); // VERSION_1
      w(R.drvFeaturesSel, 0);
      w(R.drvFeatures, next());
      w(R.status, 11);
      w(R.queueSel, 0);
      w(R.queueNum, 1 << (next() % 9));
      w(R.descLo, RAM + (next() % RAM_BYTES));
      w(R.driverLo, RAM + (next() % RAM_BYTES));
      w(R.deviceLo, RAM + (next() % RAM_BYTES));
      w(R.queueReady, 1);
      w(R.status, 15);
    };
    const start = performance.now();
    for (let i = 0; i < 200_000; i++) {
      if (i % 50 === 0) {
        const d = devices[4 + (next() & 1)].dev as VirtioMmio;
        bringUp(d);
        d.write(R.queueNotify, 4, 0);
      }
      const { dev, span } = devices[next() % devices.length];
      const bytes = sizes[next() % 3];
      // Mostly the registers that exist, sometimes anywhere in the window.
      const offset = (next() % 8 === 0 ? next() % span : next() % Math.min(span, 0x200)) & ~(bytes - 1);
      // Queue addresses mostly inside RAM, so chains are walked rather than refused at once.
      const value = next() % 4 === 0 ? RAM + (next() % RAM_BYTES) : next() % 3 === 0 ? next() % 512 : next();
      if (next() & 1) {
        const v = dev.read(offset, bytes);
        expect(Number.isInteger(v)).toBe(true);
      } else dev.write(offset, bytes, value >>> 0);
    }
    expect(performance.now() - start).toBeLessThan(30_000);
    // The fuzzing reached the request path (a queue made ready and notified), not only registers.
    expect(processed).toBeGreaterThan(0);
  });
});
