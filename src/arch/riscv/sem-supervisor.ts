// The supervisor's most frequent privileged operations, served in wasm by both engines
// without a host call or BigInt: the CSRs a kernel touches all the time (Zicsr on sstatus,
// sie, sip, sscratch/sepc/scause/stval, satp reads, stimecmp, time), the trap a system call
// takes from U-mode into S-mode, and sret. Every case not handled here goes to the host's
// helper, which serves all of them exactly (csr.ts, hart.ts); the paths here must agree with it.
//
// Pending interrupts: the host re-evaluates mip.STIP against the clock at every run slice
// (Hart.updateTimer); the paths here read S.MIP as it stands, so a timer that expires in the
// middle of a slice is taken at the slice's end (at most a slice later) rather than at the
// next CSR write or sret that enables it.
import { I32, I64, type FunctionBuilder, type Local } from "../../core/wasm.js";
import type { FieldName, HelperName, Operand } from "./insn.js";
import { CAUSE, IRQ, MSTATUS, PRV_M, PRV_S, PRV_U, SSTATUS_MASK } from "./priv.js";
import * as S from "./state.js";

const CSR_SSTATUS = 0x100;
const CSR_SIE = 0x104;
/** sscratch, sepc, scause and stval: CSR numbers 0x140..0x143, kept in the state in that order from S.SSCRATCH. */
const CSR_SSCRATCH = 0x140;
const CSR_SIP = 0x144;
const CSR_STIMECMP = 0x14d;
const CSR_SATP = 0x180;
const CSR_TIME = 0xc01;
/** The mstatus bits a write to sstatus can change. */
const SSTATUS_WRITABLE = MSTATUS.SIE | MSTATUS.SPIE | MSTATUS.SPP | MSTATUS.FS | MSTATUS.SUM | MSTATUS.MXR;
const MIE_WRITABLE = 0xaaa; // SSIE MSIE STIE MTIE SEIE MEIE (csr.ts)
const SSIP = 1 << IRQ.SSI;
const STIP = 1 << IRQ.STI;
const TM = 2; // mcounteren/scounteren bit of the time CSR

/** What the fast paths need from the engine's semantics (AccessSem). */
export interface SupervisorSem {
  readonly w: FunctionBuilder;
  /** The i32 local holding the hart's state base. */
  readonly hart: Local;
  /** The host import that writes the time CSR's value to S.SCRATCH. */
  readonly now: number;
  field(name: FieldName): Operand;
  getX(r: Operand): void;
  setX(r: Operand, value: () => void): void;
  /** Pushes this instruction's pc (i64). */
  pc(): void;
  helper(name: HelperName): void;
  /** Saves what the host reads (registers, this pc, the budget), before a host call or a trap. */
  sync(): void;
  /** Continues at the pc in the state (after a trap or a change of privilege). */
  resume(): void;
}

/** CSRs first..first + count - 1 that one fast path serves. */
interface CsrCase {
  readonly first: number;
  readonly count: number;
  /** Serves the access; branches to "csr_slow" for the host, else falls through when done. */
  readonly body: (csr: Operand) => void;
  /** S-mode only (else also U and M, with a check of its own in the body). */
  readonly sOnly: boolean;
}

export class SupervisorPaths {
  private readonly w: FunctionBuilder;
  private readonly cases: CsrCase[];

  constructor(private readonly s: SupervisorSem) {
    this.w = s.w;
    const one = (first: number, body: (csr: Operand) => void, sOnly = true) => ({
      first,
      count: 1,
      body,
      sOnly,
    });
    this.cases = [
      one(CSR_TIME, () => this.time(), false),
      { first: CSR_SSCRATCH, count: 4, body: (csr) => this.scratch(csr), sOnly: true },
      one(CSR_SSTATUS, () => this.sstatus()),
      one(CSR_SIE, () => this.sie()),
      one(CSR_SIP, () => this.sip()),
      one(CSR_SATP, () => this.satp()),
      one(CSR_STIMECMP, () => this.stimecmp()),
    ];
  }

  /**
   * Zicsr: the recompiler knows the CSR number and emits its one path (or only the helper
   * call); the interpreter chooses at run time.
   */
  csr(): void {
    const w = this.w;
    const csr = this.s.field("csr");
    const known = csr.value;
    const cases =
      known === undefined ? this.cases : this.cases.filter((c) => (known - c.first) >>> 0 < c.count);
    if (cases.length === 0) return this.s.helper("csr");
    const num = w.local(I32);
    if (known === undefined) {
      csr.emit();
      w.set(num);
    }
    w.block("csr_done");
    w.block("csr_slow");
    let sChecked = false;
    for (const c of cases) {
      if (c.sOnly && !sChecked) {
        // The rest need S-mode: U-mode traps, and M-mode is rare enough for the host.
        w.get(this.s.hart).i32_load(S.PRIV).i32_const(PRV_S).i32_ne().br_if("csr_slow");
        sChecked = true;
      }
      if (known === undefined) {
        w.block("csr_next");
        w.get(num).i32_const(c.first).i32_sub().i32_const(c.count).i32_ge_u().br_if("csr_next");
      }
      c.body(csr);
      w.br("csr_done");
      if (known === undefined) w.end();
    }
    w.end();
    this.s.helper("csr");
    w.end();
    w.release(num);
  }

  /** The operand (i64): the zero-extended 5-bit immediate, or x[rs1]. */
  private operand(): void {
    const w = this.w;
    const f3 = this.s.field("rm");
    const rs1 = this.s.field("rs1");
    if (f3.value !== undefined) {
      if (f3.value & 4) w.i64_const(rs1.value ?? 0);
      else this.s.getX(rs1);
      return;
    }
    rs1.emit();
    w.i64_extend_i32_u();
    this.s.getX(rs1);
    f3.emit();
    w.i32_const(4).i32_and().select();
  }

  /**
   * Pushes whether the instruction writes (csrrw/csrrwi always, the others unless rs1/uimm is
   * 0), or returns true/false when that is known now.
   */
  private writes(): boolean | undefined {
    const f3 = this.s.field("rm");
    const rs1 = this.s.field("rs1");
    if (f3.value !== undefined && rs1.value !== undefined) return (f3.value & 3) === 1 || rs1.value !== 0;
    rs1.emit();
    f3.emit();
    this.w.i32_const(3).i32_and().i32_const(1).i32_eq().i32_or();
    return undefined;
  }

  /** Pushes the written value (i64) for the old value and operand in locals. */
  private newValue(old: Local, operand: Local): void {
    const w = this.w;
    const f3 = this.s.field("rm");
    const op = f3.value === undefined ? undefined : f3.value & 3;
    if (op === 1) return void w.get(operand);
    if (op === 2) return void w.get(old).get(operand).i64_or();
    if (op === 3) return void w.get(old).get(operand).i64_const(-1).i64_xor().i64_and();
    w.get(operand);
    w.get(old).get(operand).i64_or();
    w.get(old).get(operand).i64_const(-1).i64_xor().i64_and();
    f3.emit();
    w.i32_const(3).i32_and().i32_const(2).i32_eq().select();
    f3.emit();
    w.i32_const(3).i32_and().i32_const(1).i32_eq().select();
  }

  /** Runs `write` when the instruction writes. */
  private ifWrites(write: () => void): void {
    const writes = this.writes();
    if (writes === false) return;
    if (writes === undefined) this.w.if_();
    write();
    if (writes === undefined) this.w.end();
  }

  /**
   * The common shape: `read` pushes the old value (i64); on a write, `write` gets the new
   * value in a local; then rd receives the old value (rd may be rs1); then, on a write, the
   * host is asked to take a pending interrupt when `interruptIf` pushes non-zero (i32).
   */
  private readWrite(
    read: () => void,
    write?: (next: Local) => void,
    interruptIf?: (next: Local) => void,
  ): void {
    const w = this.w;
    const old = w.local(I64);
    const operand = w.local(I64);
    const next = w.local(I64);
    read();
    w.set(old);
    this.operand();
    w.set(operand);
    this.ifWrites(() => {
      if (!write) return void w.br("csr_slow");
      this.newValue(old, operand);
      w.set(next);
      write(next);
    });
    this.s.setX(this.s.field("rd"), () => w.get(old));
    // After rd is written: taking an interrupt leaves this instruction.
    if (interruptIf)
      this.ifWrites(() => {
        interruptIf(next);
        w.if_();
        this.s.helper("irq");
        w.end();
      });
    w.release(old);
    w.release(operand);
    w.release(next);
  }

  /** Pushes S.MIP & S.MIE (i32): interrupts pending and enabled in mie. */
  private pendingEnabled(): void {
    const h = this.s.hart;
    this.w.get(h).i32_load(S.MIP).get(h).i32_load(S.MIE).i32_and();
  }

  /** sscratch, sepc, scause, stval: plain registers (sepc[0] is always 0 with C). */
  private scratch(csr: Operand): void {
    const w = this.w;
    const hart = this.s.hart;
    const addr = w.local(I32);
    const known = csr.value;
    if (known === undefined) {
      csr.emit();
      w.i32_const(CSR_SSCRATCH).i32_sub().i32_const(3).i32_shl().get(hart).i32_add().set(addr);
    } else
      w.get(hart)
        .i32_const(8 * (known - CSR_SSCRATCH))
        .i32_add()
        .set(addr);
    this.readWrite(
      () => w.get(addr).i64_load(S.SSCRATCH),
      (next) => {
        w.get(addr).get(next);
        // sepc: bit 0 reads as zero (IALIGN = 16)
        if (known === undefined) {
          w.i64_const(-2).i64_const(-1).get(addr).get(hart).i32_sub().i32_const(8).i32_eq().select();
          w.i64_and();
        } else if (known === CSR_SSCRATCH + 1) w.i64_const(-2).i64_and();
        w.i64_store(S.SSCRATCH);
      },
    );
    w.release(addr);
  }

  /**
   * sstatus: a view of mstatus. Writes that change SIE, SPIE, SPP, FS or SUM are served
   * here (SUM moves the data TLB between the hart's two S-mode sets, mmu.ts); MXR changes
   * go to the host, which flushes the TLB. Enabling SIE with an interrupt pending and
   * enabled in mie asks the host to take it, as a write on the slow path does.
   */
  private sstatus(): void {
    const w = this.w;
    const hart = this.s.hart;
    const ms = w.local(I64);
    // Fold the FP instructions' dirty flag into FS, as Hart.getMstatus does.
    w.get(hart).i64_load(S.MSTATUS).set(ms);
    w.get(hart).i32_load(S.FS_DIRTY).if_();
    w.get(hart).get(ms).i64_const(MSTATUS.FS).i64_or().tee(ms).i64_store(S.MSTATUS);
    w.get(hart).i32_const(0).i32_store(S.FS_DIRTY);
    w.end();
    const read = () => {
      // SD summarises FS = Dirty.
      w.get(ms)
        .i64_const(SSTATUS_MASK & ~MSTATUS.SD)
        .i64_and();
      w.i64_const(MSTATUS.SD).i64_const(0);
      w.get(ms).i64_const(MSTATUS.FS).i64_and().i64_const(MSTATUS.FS).i64_eq().select();
      w.i64_or();
    };
    this.readWrite(
      read,
      (next) => {
        w.get(ms).i64_const(~SSTATUS_WRITABLE).i64_and();
        w.get(next).i64_const(SSTATUS_WRITABLE).i64_and().i64_or().set(next);
        // MXR changes what every translated load may do: the host flushes the TLB.
        w.get(next)
          .get(ms)
          .i64_xor()
          .i64_const(MSTATUS.MXR)
          .i64_and()
          .i64_const(0)
          .i64_ne()
          .br_if("csr_slow");
        w.get(hart).get(next).i64_store(S.MSTATUS);
        w.get(hart).get(next).i64_const(MSTATUS.FS).i64_and().i64_eqz().i32_store(S.FS_OFF);
        // In S-mode loads and stores use set 0 (SUM = 0) or the set after it (SUM = 1).
        w.get(next).get(ms).i64_xor().i64_const(MSTATUS.SUM).i64_and().i64_const(0).i64_ne().if_();
        w.get(hart).get(hart).i32_load(S.TLB_DATA);
        w.i32_const(S.TLB_SET_BYTES).i32_const(-S.TLB_SET_BYTES);
        w.get(next).i64_const(MSTATUS.SUM).i64_and().i64_const(0).i64_ne().select();
        w.i32_add().i32_store(S.TLB_DATA);
        w.end();
      },
      // SIE goes from 0 to 1 with something pending: the host decides whether it is taken.
      (next) => {
        w.get(next).get(ms).i64_const(-1).i64_xor().i64_and().i64_const(MSTATUS.SIE).i64_and();
        w.i64_const(0).i64_ne();
        this.pendingEnabled();
        w.i32_const(0).i32_ne().i32_and();
      },
    );
    w.release(ms);
  }

  /** sie: mie's bits that mideleg delegates (Priv spec §4.1.3). */
  private sie(): void {
    const w = this.w;
    const hart = this.s.hart;
    const mie = w.local(I32);
    w.get(hart).i32_load(S.MIE).set(mie);
    this.readWrite(
      () => w.get(mie).get(hart).i32_load(S.MIDELEG).i32_and().i64_extend_i32_u(),
      (next) => {
        w.get(hart);
        w.get(mie).get(hart).i32_load(S.MIDELEG).i32_const(-1).i32_xor().i32_and();
        w.get(next).i32_wrap_i64().get(hart).i32_load(S.MIDELEG).i32_and().i32_const(MIE_WRITABLE).i32_and();
        w.i32_or().i32_store(S.MIE);
      },
      // A newly enabled interrupt that is pending: the host decides whether it is taken.
      () => {
        w.get(hart).i32_load(S.MIE).get(mie).i32_const(-1).i32_xor().i32_and();
        w.get(hart).i32_load(S.MIP).i32_and();
      },
    );
    w.release(mie);
  }

  /** sip: mip's delegated bits; only SSIP is writable here (Priv spec §4.1.3). */
  private sip(): void {
    const w = this.w;
    const hart = this.s.hart;
    const mask = w.local(I32);
    this.updateTimer();
    this.readWrite(
      () => w.get(hart).i32_load(S.MIP).get(hart).i32_load(S.MIDELEG).i32_and().i64_extend_i32_u(),
      (next) => {
        w.get(hart).i32_load(S.MIDELEG).i32_const(SSIP).i32_and().set(mask);
        for (const off of [S.MIP_SW, S.MIP]) {
          w.get(hart);
          w.get(hart).i32_load(off).get(mask).i32_const(-1).i32_xor().i32_and();
          w.get(next).i32_wrap_i64().get(mask).i32_and();
          w.i32_or().i32_store(off);
        }
      },
      (next) => {
        w.get(next).i32_wrap_i64().get(mask).i32_and();
        w.get(hart).i32_load(S.MIE).i32_and();
      },
    );
    w.release(mask);
  }

  /** satp reads (writes change the address space: the host's); TVM traps them (Priv spec §3.1.6.5). */
  private satp(): void {
    const w = this.w;
    const hart = this.s.hart;
    w.get(hart).i64_load(S.MSTATUS).i64_const(MSTATUS.TVM).i64_and().i64_const(0).i64_ne().br_if("csr_slow");
    this.readWrite(() => w.get(hart).i64_load(S.SATP));
  }

  /**
   * stimecmp (Sstc), usable in S-mode when menvcfg.STCE and mcounteren.TM are set; a write
   * re-evaluates STIP at once (a time in the past makes it pending, one in the future clears
   * it), and the machine's next deadline follows from the state (Hart.nextTimerDeadline). The
   * write also ends the run slice soon (at the next jump), as Hart's setter does through
   * HartHost.timerArmed: the slice was sized for the old deadline (core/machine.ts).
   */
  private stimecmp(): void {
    const w = this.w;
    const hart = this.s.hart;
    w.get(hart).i32_load(S.STCE).i32_eqz().br_if("csr_slow");
    w.get(hart).i32_load(S.MCOUNTEREN).i32_const(TM).i32_and().i32_eqz().br_if("csr_slow");
    this.readWrite(
      () => w.get(hart).i64_load(S.STIMECMP),
      (next) => {
        w.get(hart).get(next).i64_store(S.STIMECMP);
        this.updateTimer();
        w.get(hart).i32_const(1).i32_store(S.STOP);
      },
      () => void w.get(hart).i32_load(S.TIMER_STIP).get(hart).i32_load(S.MIE).i32_and(),
    );
  }

  /** While STCE = 1: STIP = time >= stimecmp (unsigned), as Hart.updateTimer does. */
  private updateTimer(): void {
    const w = this.w;
    const hart = this.s.hart;
    w.get(hart).i32_load(S.STCE).if_();
    w.get(hart).call(this.s.now);
    w.get(hart);
    w.i32_const(STIP).i32_const(0);
    w.get(hart).i64_load(S.SCRATCH).get(hart).i64_load(S.STIMECMP).i64_ge_u().select();
    w.i32_store(S.TIMER_STIP);
    w.get(hart);
    w.get(hart).i32_load(S.MIP).i32_const(~STIP).i32_and();
    w.get(hart).i32_load(S.TIMER_STIP).i32_or();
    w.i32_store(S.MIP);
    w.end();
  }

  /** time (rdtime): M-mode always; below it with mcounteren.TM, and for U-mode scounteren.TM (Priv spec §3.1.11). */
  private time(): void {
    const w = this.w;
    const hart = this.s.hart;
    const priv = w.local(I32);
    w.get(hart).i32_load(S.PRIV).set(priv);
    w.get(priv).i32_const(PRV_M).i32_ne().if_();
    w.get(hart).i32_load(S.MCOUNTEREN).i32_const(TM).i32_and().i32_eqz().br_if("csr_slow");
    w.get(priv).i32_const(PRV_U).i32_eq();
    w.get(hart).i32_load(S.SCOUNTEREN).i32_const(TM).i32_and().i32_eqz().i32_and().br_if("csr_slow");
    w.end();
    w.release(priv);
    // Read-only: a write is illegal (the host raises it).
    this.readWrite(() => {
      w.get(hart).call(this.s.now);
      w.get(hart).i64_load(S.SCRATCH);
    });
  }

  /**
   * ecall from U-mode with medeleg delegating it: the trap into S-mode (a system call), taken
   * here when the host lets such traps pass (S.FAST_TRAPS); every other ecall is the host's.
   */
  ecall(): void {
    const w = this.w;
    const hart = this.s.hart;
    w.block("ecall_host");
    w.get(hart).i32_load(S.PRIV).br_if("ecall_host"); // PRV_U is 0
    w.get(hart).i32_load(S.FAST_TRAPS).i32_eqz().br_if("ecall_host");
    w.get(hart)
      .i32_load(S.MEDELEG)
      .i32_const(1 << CAUSE.ECALL_U)
      .i32_and()
      .i32_eqz()
      .br_if("ecall_host");
    this.s.sync();
    this.trapToS(CAUSE.ECALL_U);
    this.s.resume();
    w.end();
    this.s.helper("ecall");
  }

  /**
   * An exception from U-mode delegated to S (Priv spec §4.1.1, §4.1.2 and Hart.trap): scause,
   * sepc, stval = 0, SPP = U, SPIE = SIE, SIE = 0, S-mode at stvec's base (exceptions never
   * use the vectored mode), no LR reservation, and S-mode's TLB sets.
   */
  private trapToS(cause: number): void {
    const w = this.w;
    const hart = this.s.hart;
    const ms = w.local(I64);
    w.get(hart).i64_const(-1).i64_store(S.RES_ADDR);
    w.get(hart).i64_const(cause).i64_store(S.SCAUSE);
    w.get(hart);
    this.s.pc();
    w.i64_store(S.SEPC);
    w.get(hart).i64_const(0).i64_store(S.STVAL);
    w.get(hart).i64_load(S.MSTATUS).set(ms);
    w.get(hart);
    w.get(ms)
      .i64_const(~(MSTATUS.SPP | MSTATUS.SPIE | MSTATUS.SIE))
      .i64_and();
    w.get(ms).i64_const(MSTATUS.SIE).i64_and().i64_const(4).i64_shl().i64_or(); // SPIE = SIE; SPP = U (0)
    w.i64_store(S.MSTATUS);
    w.get(hart).i32_const(PRV_S).i32_store(S.PRIV);
    w.get(hart).get(hart).i64_load(S.STVEC).i64_const(-4).i64_and().i64_store(S.PC);
    this.sModeTlbSets(ms);
    w.release(ms);
  }

  /** The TLB sets of S-mode: fetch from the SUM = 0 set, loads and stores from the one for mstatus.SUM (i64 local). */
  private sModeTlbSets(ms: Local): void {
    const w = this.w;
    const hart = this.s.hart;
    w.get(hart).get(hart).i32_load(S.TLB_S).i32_store(S.TLB_FETCH);
    w.get(hart).get(hart).i32_load(S.TLB_S);
    w.i32_const(S.TLB_SET_BYTES).i32_const(0);
    w.get(ms).i64_const(MSTATUS.SUM).i64_and().i64_const(0).i64_ne().select();
    w.i32_add().i32_store(S.TLB_DATA);
  }

  /**
   * sret from S-mode (Priv spec §3.3.2): SIE = SPIE, SPIE = 1, privilege = SPP, SPP = U,
   * MPRV = 0, pc = sepc. The host's: sret with TSR set (illegal), from another privilege, and
   * with an interrupt pending and enabled in mie, which may have to be taken right after it.
   */
  sret(): void {
    const w = this.w;
    const hart = this.s.hart;
    const ms = w.local(I64);
    w.block("sret_host");
    w.get(hart).i32_load(S.PRIV).i32_const(PRV_S).i32_ne().br_if("sret_host");
    w.get(hart)
      .i64_load(S.MSTATUS)
      .tee(ms)
      .i64_const(MSTATUS.TSR)
      .i64_and()
      .i64_const(0)
      .i64_ne()
      .br_if("sret_host");
    this.pendingEnabled();
    w.br_if("sret_host");
    this.s.sync();
    w.get(hart);
    w.get(ms)
      .i64_const(~(MSTATUS.SIE | MSTATUS.SPP | MSTATUS.MPRV))
      .i64_and();
    w.get(ms).i64_const(MSTATUS.SPIE).i64_and().i64_const(4).i64_shr_u().i64_or(); // SIE = SPIE
    w.i64_const(MSTATUS.SPIE).i64_or();
    w.i64_store(S.MSTATUS);
    w.get(hart).get(hart).i64_load(S.SEPC).i64_store(S.PC);
    w.get(ms).i64_const(MSTATUS.SPP).i64_and().i64_eqz().if_();
    w.get(hart).i32_const(PRV_U).i32_store(S.PRIV);
    w.get(hart).get(hart).i32_load(S.TLB_U).i32_store(S.TLB_FETCH);
    w.get(hart).get(hart).i32_load(S.TLB_U).i32_store(S.TLB_DATA);
    w.else_();
    w.get(hart).i32_const(PRV_S).i32_store(S.PRIV);
    this.sModeTlbSets(ms);
    w.end();
    this.s.resume();
    w.end();
    w.release(ms);
    this.s.helper("sret");
  }
}
