// NS16550A UART as QEMU's hw/char/serial.c models it (reg-shift 0, byte registers, 16-byte
// FIFOs). Output leaves at once through `out`; input waits in an unbounded host-side backlog
// and moves into the receive FIFO as the guest drains it, so nothing the host pushes is lost
// and bytes keep their order however early they arrive.
import type { Device, DeviceState, IrqLine } from "../core/device.js";
import { UserError } from "../core/errors.js";

// Register offsets (addr & 7, as QEMU decodes them).
const RBR_THR_DLL = 0;
const IER_DLM = 1;
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

const IER_RDI = 0x01; // received data available
const IER_THRI = 0x02; // transmitter holding register empty
const IER_RLSI = 0x04; // receiver line status
const IER_MSI = 0x08; // modem status

const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c; // character timeout: data below the trigger level
const IIR_FIFO_ENABLED = 0xc0;

const FCR_FE = 0x01;
const FCR_RFR = 0x02;
const FCR_XFR = 0x04;
const FCR_ITL = [1, 4, 8, 14]; // receive trigger level by FCR bits 7:6

const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_INT_ANY = 0x1e; // OE, PE, FE, BI

const MSR_ANY_DELTA = 0x0f;
const FIFO_BYTES = 16;

/** The registers of the UART, all bytes except the 16-bit divisor latch. */
interface UartRegs {
  divisor: number;
  ier: number;
  fcr: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  /** A THR-empty interrupt is owed (QEMU's thr_ipending: cleared by reading it in IIR or by a THR write). */
  thrPending: boolean;
}

const REG_NAMES = ["divisor", "ier", "fcr", "lcr", "mcr", "lsr", "msr", "scr"] as const;

function resetRegs(): UartRegs {
  // QEMU serial_reset: divisor 0x0c, OUT2 set, DCD/DSR/CTS asserted, transmitter empty.
  return {
    divisor: 0x0c,
    ier: 0,
    fcr: 0,
    lcr: 0,
    mcr: 0x08,
    lsr: LSR_TEMT | LSR_THRE,
    msr: 0xb0,
    scr: 0,
    thrPending: false,
  };
}

export class Uart16550 implements Device {
  readonly name = "uart16550";
  private r = resetRegs();
  private rx: number[] = []; // the receive FIFO (one byte deep while FIFOs are off)
  private backlog: Uint8Array[] = []; // host input not yet in the FIFO, oldest first
  private backlogHead = 0; // bytes of backlog[0] already moved

  constructor(
    private readonly out: (bytes: Uint8Array) => void,
    private readonly irq: IrqLine,
  ) {}

  /** Queues host input (a key, a pipe's chunk); it reaches the guest in order, none dropped. */
  pushInput(bytes: Uint8Array): void {
    if (bytes.length > 0) this.backlog.push(bytes.slice());
    this.fill();
  }

  /**
   * One byte of input for a firmware console (the SBI's getchar): the FIFO's first, else the
   * backlog's; -1 when none. Input has one reader: once the guest's own driver has enabled the
   * receive interrupt the UART is its, and a console that polls the firmware (Linux's hvc0 on
   * SBI) gets nothing, else it would take bytes meant for the shell on ttyS0.
   */
  takeInputByte(): number {
    if (this.r.ier & IER_RDI) return -1;
    if (this.rx.length === 0 && this.backlog.length > 0) {
      const chunk = this.backlog[0];
      const b = chunk[this.backlogHead++];
      if (this.backlogHead === chunk.length) {
        this.backlog.shift();
        this.backlogHead = 0;
      }
      return b;
    }
    return this.rx.length === 0 ? -1 : this.readRbr();
  }

  /** True while the guest has unread input (in the FIFO or still in the backlog). */
  hasInput(): boolean {
    return this.rx.length > 0 || this.backlog.length > 0;
  }

  /** True when the backlog is empty, so the host may read more from its input source. */
  wantsInput(): boolean {
    return this.backlog.length === 0;
  }

  read(offset: number, _bytes: 1 | 2 | 4): number {
    const r = this.r;
    switch (offset & 7) {
      case RBR_THR_DLL:
        return r.lcr & LCR_DLAB ? r.divisor & 0xff : this.readRbr();
      case IER_DLM:
        return r.lcr & LCR_DLAB ? r.divisor >> 8 : r.ier;
      case IIR_FCR: {
        const iir = this.iir();
        // Reading IIR acknowledges a THR-empty interrupt when it is the one reported.
        if ((iir & 0x0f) === IIR_THRI) {
          r.thrPending = false;
          this.update();
        }
        return iir;
      }
      case LCR:
        return r.lcr;
      case MCR:
        return r.mcr;
      case LSR: {
        const lsr = r.lsr;
        if (lsr & (LSR_BI | LSR_OE)) {
          r.lsr &= ~(LSR_BI | LSR_OE);
          this.update();
        }
        return lsr;
      }
      case MSR:
        return this.readMsr();
      default:
        return r.scr;
    }
  }

  write(offset: number, _bytes: 1 | 2 | 4, value: number): void {
    const r = this.r;
    const v = value & 0xff;
    switch (offset & 7) {
      case RBR_THR_DLL:
        if (r.lcr & LCR_DLAB) r.divisor = (r.divisor & 0xff00) | v;
        else this.transmit(v);
        return;
      case IER_DLM:
        if (r.lcr & LCR_DLAB) r.divisor = (r.divisor & 0xff) | (v << 8);
        else this.writeIer(v);
        return;
      case IIR_FCR:
        this.writeFcr(v);
        return;
      case LCR:
        r.lcr = v;
        return;
      case MCR: {
        const leftLoopback = r.mcr & MCR_LOOP && !(v & MCR_LOOP);
        r.mcr = v & 0x1f;
        if (leftLoopback) this.fill();
        return;
      }
      case SCR:
        r.scr = v;
        return;
      default: // LSR and MSR are read-only
        return;
    }
  }

  private readRbr(): number {
    const r = this.r;
    const byte = this.rx.shift() ?? 0;
    if (this.rx.length === 0) r.lsr &= ~(LSR_DR | LSR_BI);
    this.fill();
    this.update();
    return byte;
  }

  private readMsr(): number {
    const r = this.r;
    if (r.mcr & MCR_LOOP) {
      // In loopback the modem outputs drive the inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
      return ((r.mcr & 0x0c) << 4) | ((r.mcr & 0x02) << 3) | ((r.mcr & 0x01) << 5);
    }
    const msr = r.msr;
    if (msr & MSR_ANY_DELTA) {
      r.msr &= 0xf0;
      this.update();
    }
    return msr;
  }

  private writeIer(v: number): void {
    const r = this.r;
    const changed = (r.ier ^ v) & 0x0f;
    r.ier = v & 0x0f;
    // As QEMU: enabling THRI while THR is empty owes an interrupt even if an earlier one was
    // acknowledged by reading IIR (Linux's 8250 probe toggles IER to check exactly this).
    if (changed & IER_THRI) r.thrPending = (r.ier & IER_THRI) !== 0 && (r.lsr & LSR_THRE) !== 0;
    if (changed & IER_RDI) this.fill();
    if (changed) this.update();
  }

  private writeFcr(v: number): void {
    const r = this.r;
    if ((v ^ r.fcr) & FCR_FE) v |= FCR_RFR | FCR_XFR; // switching FIFOs on or off flushes them
    if (v & FCR_RFR) {
      this.returnToBacklog();
      this.rx.length = 0;
      r.lsr &= ~(LSR_DR | LSR_BI);
    }
    if (v & FCR_XFR) {
      r.lsr |= LSR_THRE | LSR_TEMT;
      r.thrPending = true;
    }
    r.fcr = v & 0xc9;
    this.fill();
    this.update();
  }

  /**
   * A receiver reset does not discard host input: bytes the FIFO held go back to the front of
   * the backlog (the host's input is never lost, unlike a real line's). Linux resets the FIFOs
   * when it opens the port and again when it switches them on, after it enabled reception.
   */
  private returnToBacklog(): void {
    if (this.rx.length === 0 || this.r.mcr & MCR_LOOP) return;
    if (this.backlogHead > 0) {
      this.backlog[0] = this.backlog[0].subarray(this.backlogHead);
      this.backlogHead = 0;
    }
    this.backlog.unshift(Uint8Array.from(this.rx));
  }

  /** The byte leaves at once, so the holding register is empty again right after the write. */
  private transmit(v: number): void {
    const r = this.r;
    if (r.mcr & MCR_LOOP) this.receive(v);
    else this.out(Uint8Array.of(v));
    r.lsr |= LSR_THRE | LSR_TEMT;
    r.thrPending = true;
    this.update();
  }

  private capacity(): number {
    return this.r.fcr & FCR_FE ? FIFO_BYTES : 1;
  }

  /** A byte from the wire (loopback only; host input goes through fill()). A full FIFO overruns. */
  private receive(v: number): void {
    if (this.rx.length < this.capacity()) this.rx.push(v);
    else {
      // Overrun: without FIFOs the new character replaces the unread one in RBR; with FIFOs
      // the FIFO keeps its contents and the new character is lost (PC16550D, LSR bit 1).
      if (!(this.r.fcr & FCR_FE)) this.rx[0] = v;
      this.r.lsr |= LSR_OE;
    }
    this.r.lsr |= LSR_DR;
  }

  /**
   * Moves backlog bytes into the FIFO while it has room, once the guest has enabled the
   * receive interrupt (not in loopback: the wire is cut). Until then input waits on the host:
   * Linux's 8250 start-up flushes the FIFOs and reads RBR once, which would drop bytes that
   * arrived early, and a driver that wants input enables the interrupt first.
   */
  private fill(): void {
    if (this.r.mcr & MCR_LOOP || !(this.r.ier & IER_RDI)) return;
    const cap = this.capacity();
    while (this.rx.length < cap && this.backlog.length > 0) {
      const chunk = this.backlog[0];
      this.rx.push(chunk[this.backlogHead++]);
      if (this.backlogHead === chunk.length) {
        this.backlog.shift();
        this.backlogHead = 0;
      }
    }
    if (this.rx.length > 0) this.r.lsr |= LSR_DR;
    this.update();
  }

  /** The interrupt identification, by QEMU's priorities: line status, RX timeout, RX data, THRE, modem. */
  private iir(): number {
    const r = this.r;
    let id = IIR_NO_INT;
    if (r.ier & IER_RLSI && r.lsr & LSR_INT_ANY) id = IIR_RLSI;
    else if (r.ier & IER_RDI && r.lsr & LSR_DR) {
      // With FIFOs, data below the trigger level is announced by the character timeout; the
      // device has no clock, so the timeout counts as already elapsed.
      const itl = FCR_ITL[r.fcr >> 6];
      id = r.fcr & FCR_FE && this.rx.length < itl ? IIR_CTI : IIR_RDI;
    } else if (r.ier & IER_THRI && r.thrPending) id = IIR_THRI;
    else if (r.ier & IER_MSI && r.msr & MSR_ANY_DELTA) id = IIR_MSI;
    return id | (r.fcr & FCR_FE ? IIR_FIFO_ENABLED : 0);
  }

  private update(): void {
    this.irq((this.iir() & IIR_NO_INT) === 0);
  }

  save(): DeviceState {
    const pending =
      this.backlog.length === 0 ? [] : [this.backlog[0].subarray(this.backlogHead), ...this.backlog.slice(1)];
    const backlog = new Uint8Array(pending.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of pending) {
      backlog.set(b, at);
      at += b.length;
    }
    return { ...this.r, rx: Uint8Array.from(this.rx), backlog };
  }

  restore(state: DeviceState): void {
    const s = state as Record<string, DeviceState>;
    const bad = (why: string) => new UserError(`saved uart16550 state: ${why}`);
    if (typeof state !== "object" || state === null || state instanceof Uint8Array || Array.isArray(state))
      throw bad("not a record");
    const regs = resetRegs();
    for (const k of REG_NAMES) {
      const v = s[k];
      const max = k === "divisor" ? 0xffff : 0xff;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
        throw bad(`${k} is not a register value`);
      regs[k] = v;
    }
    if (typeof s.thrPending !== "boolean") throw bad("thrPending is not a boolean");
    regs.thrPending = s.thrPending;
    const depth = regs.fcr & FCR_FE ? FIFO_BYTES : 1;
    if (!(s.rx instanceof Uint8Array) || s.rx.length > depth) throw bad("rx is not a FIFO's bytes");
    if (!(s.backlog instanceof Uint8Array)) throw bad("backlog is not bytes");
    this.r = regs;
    this.rx = Array.from(s.rx);
    this.backlog = s.backlog.length > 0 ? [s.backlog.slice()] : [];
    this.backlogHead = 0;
    this.update();
  }
}
