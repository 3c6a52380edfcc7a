// The built-in SBI (`--bios builtin`): the VMM serves the supervisor's `ecall`s itself, as
// OpenSBI would from M-mode (RISC-V SBI specification v2.0). Extensions: BASE, TIME, IPI,
// RFENCE, HSM, SRST, DBCN and the legacy console, timer and shutdown calls.
// Calling convention: a7 = extension id, a6 = function id, a0..a5 arguments; the result is
// a0 = error, a1 = value (legacy calls: a0 only).
import { CSR, readCsr, writeCsr } from "../../arch/riscv/csr.js";
import type { Hart } from "../../arch/riscv/hart.js";
import { IRQ, MSTATUS, PRV_M, PRV_S } from "../../arch/riscv/priv.js";
import type { Machine } from "../../core/machine.js";
import { HartRun } from "../../core/machine.js";

export const SBI_SUCCESS = 0n;
export const SBI_ERR_FAILED = -1n;
export const SBI_ERR_NOT_SUPPORTED = -2n;
export const SBI_ERR_INVALID_PARAM = -3n;
export const SBI_ERR_INVALID_ADDRESS = -5n;
export const SBI_ERR_ALREADY_AVAILABLE = -6n;

export const EXT = {
  BASE: 0x10,
  TIME: 0x54494d45,
  IPI: 0x735049,
  RFENCE: 0x52464e43,
  HSM: 0x48534d,
  SRST: 0x53525354,
  DBCN: 0x4442434e,
} as const;

/** SBI 2.0: DBCN belongs to it. */
const SPEC_VERSION = (2n << 24n) | 0n;
/** An implementation id no other SBI uses ("HW"). */
const IMPL_ID = 0x4857n;
const IMPL_VERSION = 1n;

const HSM_STARTED = 0n;
const HSM_STOPPED = 1n;
const HSM_SUSPENDED = 4n;
const SUSPEND_RETENTIVE = 0n;
const SUSPEND_NON_RETENTIVE = 0x8000_0000n;

const STIP = 1 << IRQ.STI;
const SSIP = 1 << IRQ.SSI;
const STCE = 1n << 63n;
const CSR_STIMECMP = 0x14d;
/** The largest byte count one DBCN call moves (the caller loops on a short count). */
const DBCN_CHUNK = 4096;

/** What the SBI needs from the board around it. */
export interface SbiBoard {
  readonly machine: Machine;
  readonly harts: readonly Hart[];
  /** Console output (the UART's terminal). */
  write(bytes: Uint8Array): void;
  /** One byte of console input, or -1 when none is waiting. */
  readByte(): number;
  /** Physical memory as devices see it (DBCN buffers). */
  readPhys(pa: number, bytes: number): Uint8Array | undefined;
  writePhys(pa: number, data: Uint8Array): boolean;
}

/** [error, value]; undefined when the call already set the hart's registers (it does not return to the caller). */
type Result = readonly [error: bigint, value: bigint] | undefined;
const ok = (value = 0n): Result => [SBI_SUCCESS, value];
const err = (e: bigint): Result => [e, 0n];

export class BuiltinSbi {
  /** The supervisor timer deadline per hart when Sstc is off (ticks; Infinity = none). */
  private readonly timecmp: number[];
  private readonly suspended: boolean[];

  constructor(private readonly b: SbiBoard) {
    this.timecmp = b.harts.map(() => Infinity);
    this.suspended = b.harts.map(() => false);
  }

  /** Puts hart `h` in the M-mode state OpenSBI leaves before it enters the kernel in S-mode. */
  prepareHart(h: Hart): void {
    h.priv = PRV_M;
    // Every exception but the ecalls from S and M goes straight to S (there is no M-mode code
    // to take it); the supervisor's interrupts are delegated as OpenSBI delegates them.
    writeCsr(h, CSR.medeleg, 0xb1ffn);
    writeCsr(h, CSR.mideleg, BigInt(SSIP | STIP | (1 << IRQ.SEI)));
    writeCsr(h, CSR.mie, 0n);
    // Counters readable below M: Linux's vDSO reads `time` from U-mode, and 6.1 never sets scounteren.
    writeCsr(h, CSR.mcounteren, 7n);
    writeCsr(h, CSR.scounteren, 7n);
    writeCsr(h, CSR.menvcfg, STCE);
    // PMP entry 0: NAPOT over the whole physical space, RWX.
    writeCsr(h, CSR.pmpaddr0, (1n << 54n) - 1n);
    writeCsr(h, CSR.pmpcfg0, 0x1fn);
  }

  /** Enters S-mode at `pc` with a0 = hart id, a1 = `a1`. */
  enterSupervisor(h: Hart, pc: bigint, a1: bigint): void {
    h.mmu.satp = 0n;
    h.mmu.flushAll();
    h.mstatus &= ~(MSTATUS.SIE | MSTATUS.SPIE | MSTATUS.SPP);
    h.priv = PRV_S;
    h.pc = pc;
    h.setX(10, BigInt(h.hartId));
    h.setX(11, a1);
    h.privChanged();
  }

  private stceOn(h: Hart): boolean {
    return ((readCsr(h, CSR.menvcfg) ?? 0n) & STCE) !== 0n;
  }

  /** Raises STIP on harts whose SBI timer came due (Sstc off); ms until the next one. */
  poll(now: number, tickHz: number): number {
    let next = Infinity;
    this.b.harts.forEach((h, i) => {
      const t = this.timecmp[i];
      if (t === Infinity) return;
      if (now >= t) {
        h.mipSw |= STIP;
        this.timecmp[i] = Infinity;
      } else next = Math.min(next, ((t - now) * 1000) / tickHz);
    });
    return next;
  }

  /** Serves an ecall from S-mode; false = not an SBI call (take the trap). */
  ecall(h: Hart): boolean {
    if (h.priv !== PRV_S) return false;
    this.suspended[h.hartId] = false;
    const eid = Number(BigInt.asUintN(32, h.getX(17)));
    const fid = Number(BigInt.asUintN(32, h.getX(16)));
    const a = (i: number) => BigInt.asUintN(64, h.getX(10 + i));
    if (eid <= 8) {
      const r = this.legacy(h, eid, a);
      h.setX(10, r);
      return true;
    }
    const r = this.call(h, eid, fid, a);
    if (r) {
      h.setX(10, r[0]);
      h.setX(11, r[1]);
    }
    return true;
  }

  private call(h: Hart, eid: number, fid: number, a: (i: number) => bigint): Result {
    switch (eid) {
      case EXT.BASE: return this.base(fid, a(0));
      case EXT.TIME: return fid === 0 ? (this.setTimer(h, a(0)), ok()) : err(SBI_ERR_NOT_SUPPORTED);
      case EXT.IPI: return fid === 0 ? this.sendIpi(a(0), a(1)) : err(SBI_ERR_NOT_SUPPORTED);
      case EXT.RFENCE: return this.rfence(fid, a(0), a(1));
      case EXT.HSM: return this.hsm(h, fid, a);
      case EXT.SRST: return this.srst(fid, a(0), a(1));
      case EXT.DBCN: return this.dbcn(fid, a);
      default: return err(SBI_ERR_NOT_SUPPORTED);
    } // prettier-ignore
  }

  private base(fid: number, arg: bigint): Result {
    switch (fid) {
      case 0: return ok(SPEC_VERSION);
      case 1: return ok(IMPL_ID);
      case 2: return ok(IMPL_VERSION);
      case 3: return ok(this.probe(arg) ? 1n : 0n);
      case 4: case 5: case 6: return ok(0n); // mvendorid, marchid, mimpid: Hartwood's are 0
      default: return err(SBI_ERR_NOT_SUPPORTED);
    } // prettier-ignore
  }

  private probe(eid: bigint): boolean {
    if (eid <= 8n) return true;
    return (Object.values(EXT) as number[]).includes(Number(eid));
  }

  private setTimer(h: Hart, t: bigint): void {
    if (this.stceOn(h)) {
      // With Sstc the deadline is the hart's own stimecmp, as OpenSBI programs it.
      writeCsr(h, CSR_STIMECMP, t);
      return;
    }
    h.mipSw &= ~STIP;
    this.timecmp[h.hartId] = t >= 1n << 53n ? Infinity : Number(t);
    this.b.machine.timerArmed();
    this.b.machine.wake();
  }

  /** The harts a (hart_mask, hart_mask_base) pair names, or undefined when it names a hart that does not exist. */
  private targets(mask: bigint, base: bigint): Hart[] | undefined {
    const harts = this.b.harts;
    if (base === (1n << 64n) - 1n) return [...harts];
    const out: Hart[] = [];
    for (let i = 0; i < 64 && mask >> BigInt(i) !== 0n; i++) {
      if (!((mask >> BigInt(i)) & 1n)) continue;
      const id = base + BigInt(i);
      if (id >= BigInt(harts.length)) return undefined;
      out.push(harts[Number(id)]);
    }
    return out;
  }

  private sendIpi(mask: bigint, base: bigint): Result {
    const ts = this.targets(mask, base);
    if (!ts) return err(SBI_ERR_INVALID_PARAM);
    for (const t of ts) {
      t.mipSw |= SSIP;
      this.b.machine.interruptRaised(t.hartId);
    }
    return ok();
  }

  private rfence(fid: number, mask: bigint, base: bigint): Result {
    if (fid > 2) return err(SBI_ERR_NOT_SUPPORTED); // the hypervisor fences: no H extension
    const ts = this.targets(mask, base);
    if (!ts) return err(SBI_ERR_INVALID_PARAM);
    // Harts share this thread: the other harts are between instructions, so acting now is enough.
    for (const t of ts) {
      // remote fence.i: every store to translated code already reached the host (hart.ts)
      if (fid !== 0) t.mmu.flushTranslated();
    }
    return ok();
  }

  private hsm(h: Hart, fid: number, a: (i: number) => bigint): Result {
    const m = this.b.machine;
    switch (fid) {
      case 0: {
        const id = a(0);
        if (id >= BigInt(this.b.harts.length)) return err(SBI_ERR_INVALID_PARAM);
        const t = this.b.harts[Number(id)];
        if (m.hartRun[t.hartId] !== HartRun.Stopped) return err(SBI_ERR_ALREADY_AVAILABLE);
        if (this.readPhysOk(a(1)) === false) return err(SBI_ERR_INVALID_ADDRESS);
        this.prepareHart(t);
        this.enterSupervisor(t, a(1), a(2));
        m.startHart(t.hartId);
        return ok();
      }
      case 1:
        m.stopHart(h.hartId);
        return undefined; // the caller never sees a result: it restarts at a hart_start address
      case 2: {
        const id = a(0);
        if (id >= BigInt(this.b.harts.length)) return err(SBI_ERR_INVALID_PARAM);
        const i = Number(id);
        if (m.hartRun[i] === HartRun.Stopped) return ok(HSM_STOPPED);
        return ok(this.suspended[i] && m.hartRun[i] === HartRun.Waiting ? HSM_SUSPENDED : HSM_STARTED);
      }
      case 3:
        return this.suspend(h, a(0), a(1), a(2));
      default:
        return err(SBI_ERR_NOT_SUPPORTED);
    }
  }

  private readPhysOk(pa: bigint): boolean {
    return pa < 1n << 53n && this.b.readPhys(Number(pa), 2) !== undefined;
  }

  /** hart_suspend: both default types wait like WFI; a non-retentive one resumes at its address. */
  private suspend(h: Hart, type: bigint, addr: bigint, opaque: bigint): Result {
    if (type !== SUSPEND_RETENTIVE && type !== SUSPEND_NON_RETENTIVE) return err(SBI_ERR_INVALID_PARAM);
    if (type === SUSPEND_NON_RETENTIVE && !this.readPhysOk(addr)) return err(SBI_ERR_INVALID_ADDRESS);
    // Waiting is the machine's WFI; a pending interrupt ends it. A non-retentive resume is
    // modelled as a retentive one that continues at the resume address with a fresh S state.
    this.suspended[h.hartId] = true;
    this.b.machine.park(h.hartId);
    if (type === SUSPEND_RETENTIVE) return ok();
    this.enterSupervisor(h, addr - 4n, opaque); // the ecall's advance adds its 4 bytes
    return undefined;
  }

  private srst(fid: number, type: bigint, reason: bigint): Result {
    if (fid !== 0) return err(SBI_ERR_NOT_SUPPORTED);
    if (type > 2n || reason > 1n) return err(SBI_ERR_INVALID_PARAM);
    const m = this.b.machine;
    if (type === 0n) m.finish(reason === 1n ? { kind: "fail", code: 1 } : { kind: "poweroff" });
    else m.finish({ kind: "reset" });
    return ok();
  }

  private dbcn(fid: number, a: (i: number) => bigint): Result {
    if (fid === 2) {
      this.b.write(Uint8Array.of(Number(a(0) & 0xffn)));
      return ok();
    }
    if (fid > 1) return err(SBI_ERR_NOT_SUPPORTED);
    const n = Number(a(0) > BigInt(DBCN_CHUNK) ? BigInt(DBCN_CHUNK) : a(0));
    const pa = a(1) | (a(2) << 64n);
    if (pa >= 1n << 53n) return err(SBI_ERR_INVALID_PARAM);
    if (fid === 0) {
      const bytes = this.b.readPhys(Number(pa), n);
      if (!bytes) return err(SBI_ERR_INVALID_PARAM);
      this.b.write(bytes);
      return ok(BigInt(n));
    }
    if (!this.b.readPhys(Number(pa), n)) return err(SBI_ERR_INVALID_PARAM);
    const got: number[] = [];
    for (let c; got.length < n && (c = this.b.readByte()) >= 0;) got.push(c);
    this.b.writePhys(Number(pa), Uint8Array.from(got));
    return ok(BigInt(got.length));
  }

  private legacy(h: Hart, eid: number, a: (i: number) => bigint): bigint {
    switch (eid) {
      case 0: this.setTimer(h, a(0)); return 0n;
      case 1: this.b.write(Uint8Array.of(Number(a(0) & 0xffn))); return 0n;
      case 2: return BigInt(this.b.readByte());
      case 3: h.mipSw &= ~SSIP; return 0n;
      case 4: case 5: case 6: case 7: return this.legacyMasked(h, eid, a(0));
      case 8: this.b.machine.finish({ kind: "poweroff" }); return 0n;
      default: return SBI_ERR_NOT_SUPPORTED;
    } // prettier-ignore
  }

  /** Legacy send_ipi and remote fences: a0 points (S-mode virtual) at a hart mask; null means every hart. */
  private legacyMasked(h: Hart, eid: number, maskPtr: bigint): bigint {
    const mask = maskPtr === 0n ? (1n << BigInt(this.b.harts.length)) - 1n : h.mmu.readU64(maskPtr, PRV_S);
    if (mask === undefined) return SBI_ERR_INVALID_ADDRESS;
    const r = eid === 4 ? this.sendIpi(mask, 0n) : this.rfence(eid - 5, mask, 0n);
    return r ? r[0] : SBI_ERR_FAILED;
  }
}
