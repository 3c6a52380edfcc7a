// One RISC-V hart: the architectural state that lives on the TypeScript side (CSRs,
// privilege), trap entry and return, interrupts, and the host helpers the engines call.
import type { PhysMap } from "../../core/physmem.js";
import { csrAccess } from "./csr.js";
import { fpHelper } from "./fpu.js";
import { fieldValue, FIELDS } from "./insn.js";
import { Mmu } from "./mmu.js";
import * as S from "./state.js";
import { Exit } from "./state.js";
import { HelperResult } from "./sem.js";
import { CAUSE, IRQ, IRQ_PRIORITY, MSTATUS, PRV_M, PRV_S, PRV_U } from "./priv.js";

export { CAUSE, IRQ, MSTATUS, PRV_M, PRV_S, PRV_U };

const TRACE_TRAPS = typeof process !== "undefined" && process.env.HARTWOOD_TRACE_TRAPS === "1";

/** What the hart needs from the machine around it. */
export interface HartHost {
  readonly phys: PhysMap;
  /** The time CSR / mtime, in timebase ticks. */
  now(): number;
  /** stimecmp was written: the machine's next timer deadline may have moved. */
  timerArmed?(): void;
  /** An ecall the machine serves itself (built-in SBI, Linux syscalls); false = take the trap. */
  ecall?(hart: Hart): boolean;
  /**
   * Sees every trap before it is taken; true = handled by the host (user mode turns
   * exceptions into signals), and the architectural trap is not taken.
   */
  trap?(hart: Hart, cause: number, interrupt: boolean, tval: bigint): boolean;
  /**
   * True when `ecall` and `trap` return false for every trap taken in U-mode and delegated to
   * S (the guest's kernel handles them): the engines may then take those in wasm (sem.ts).
   * Without it, only a host with neither hook allows that.
   */
  readonly passesDelegatedUserTraps?: boolean;
}

export class Hart {
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly dv: DataView;
  readonly mmu: Mmu;
  /**
   * Called when translated code may no longer mean what it did: fence.i, a change of satp,
   * sfence.vma, PMP or privilege (see core/jit/recompiler.ts).
   */
  codeChanged: (() => void) | undefined;
  /** Called when satp takes a new value (the recompiler counts translations reused across it). */
  addressSpaceChanged: (() => void) | undefined;

  /** The privilege the hart runs at (the engines change it in wasm too: trap entry, sret). */
  get priv(): number {
    return this.getI32(S.PRIV);
  }
  set priv(v: number) {
    this.setI32(S.PRIV, v);
  }
  /** Device interrupt lines (MSIP, MTIP, MEIP, SEIP); see setIrqLine. */
  private irqLines = 0;
  mtvec = 0n;
  mscratch = 0n;
  mepc = 0n;
  mcause = 0n;
  mtval = 0n;
  private menvcfgValue = 0n;
  /** mcycle = instret + cycleOffset: the two counters are written independently. */
  cycleOffset = 0;
  senvcfg = 0n;
  mcountinhibit = 0;
  /** minstret = instretBase + instructions executed in the current slice. */
  instretBase = 0;
  private sliceBudget = 0;
  /** WFIs in a row that returned at once with no interrupt taken since (see wfi). */
  private wfiPolls = 0;

  constructor(
    readonly hartId: number,
    readonly base: number,
    memory: WebAssembly.Memory,
    tlbBase: number,
    readonly host: HartHost,
    /** The state in memory is another engine's hart, taken as it is (CpuOptions.attach). */
    attach = false,
  ) {
    const buf = memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.dv = new DataView(buf);
    this.mmu = new Mmu(this, tlbBase);
    if (attach) return;
    this.mstatus = (MSTATUS.UXL & (2n << 32n)) | (MSTATUS.SXL & (2n << 34n));
    this.setI64(S.STIMECMP, -1n); // no timer (the host's clock may not run yet)
    // Traps from U-mode delegated to S are the guest's own when the host's hooks let them pass.
    const fast = (host.passesDelegatedUserTraps ?? (!host.ecall && !host.trap)) && !TRACE_TRAPS;
    this.setI32(S.FAST_TRAPS, fast ? 1 : 0);
    this.setI64(S.RES_ADDR, -1n);
    this.mmu.flushAll();
    this.priv = PRV_M;
    this.privChanged();
  }

  // --- raw state access (cold paths only: BigInt) ---
  getI64(off: number): bigint {
    return this.dv.getBigInt64(this.base + off, true);
  }
  setI64(off: number, v: bigint): void {
    this.dv.setBigInt64(this.base + off, BigInt.asIntN(64, v), true);
  }
  getX(r: number): bigint {
    return r === 0 ? 0n : this.getI64(S.X + 8 * r);
  }
  setX(r: number, v: bigint): void {
    if (r !== 0) this.setI64(S.X + 8 * r, v);
  }
  get pc(): bigint {
    return BigInt.asUintN(64, this.getI64(S.PC));
  }
  set pc(v: bigint) {
    this.setI64(S.PC, v);
  }
  getI32(off: number): number {
    return this.i32[(this.base + off) >>> 2];
  }
  setI32(off: number, v: number): void {
    this.i32[(this.base + off) >>> 2] = v;
  }

  /** Instructions retired so far (exact while a helper runs: the engine saved its budget). */
  get instret(): number {
    return this.instretBase + (this.sliceBudget - this.getI32(S.BUDGET));
  }
  set instret(v: number) {
    this.instretBase = v - (this.sliceBudget - this.getI32(S.BUDGET));
  }

  /** Runs the engine for at most `budget` instructions. */
  run(engine: (hart: number, budget: number) => number, budget: number): Exit {
    this.sliceBudget = budget;
    this.setI32(S.BUDGET, budget);
    const exit = engine(this.base, budget) as Exit;
    this.setI32(S.STOP, 0);
    this.instretBase += budget - this.getI32(S.BUDGET);
    this.sliceBudget = this.getI32(S.BUDGET);
    return exit;
  }

  // --- CSRs kept in the state block, where the engines' wasm fast paths read and write them ---
  /** mstatus without SD; FP instructions may have set FS_DIRTY since (see getMstatus). */
  get mstatus(): bigint {
    return BigInt.asUintN(64, this.getI64(S.MSTATUS));
  }
  set mstatus(v: bigint) {
    this.setI64(S.MSTATUS, v);
  }
  get sscratch(): bigint {
    return BigInt.asUintN(64, this.getI64(S.SSCRATCH));
  }
  set sscratch(v: bigint) {
    this.setI64(S.SSCRATCH, v);
  }
  get sepc(): bigint {
    return BigInt.asUintN(64, this.getI64(S.SEPC));
  }
  set sepc(v: bigint) {
    this.setI64(S.SEPC, v);
  }
  get scause(): bigint {
    return BigInt.asUintN(64, this.getI64(S.SCAUSE));
  }
  set scause(v: bigint) {
    this.setI64(S.SCAUSE, v);
  }
  get stval(): bigint {
    return BigInt.asUintN(64, this.getI64(S.STVAL));
  }
  set stval(v: bigint) {
    this.setI64(S.STVAL, v);
  }
  get stvec(): bigint {
    return BigInt.asUintN(64, this.getI64(S.STVEC));
  }
  set stvec(v: bigint) {
    this.setI64(S.STVEC, v);
  }
  get medeleg(): number {
    return this.getI32(S.MEDELEG);
  }
  set medeleg(v: number) {
    this.setI32(S.MEDELEG, v);
  }
  get mideleg(): number {
    return this.getI32(S.MIDELEG);
  }
  set mideleg(v: number) {
    this.setI32(S.MIDELEG, v);
  }
  get mie(): number {
    return this.getI32(S.MIE);
  }
  set mie(v: number) {
    this.setI32(S.MIE, v);
  }
  get mcounteren(): number {
    return this.getI32(S.MCOUNTEREN);
  }
  set mcounteren(v: number) {
    this.setI32(S.MCOUNTEREN, v);
  }
  get scounteren(): number {
    return this.getI32(S.SCOUNTEREN);
  }
  set scounteren(v: number) {
    this.setI32(S.SCOUNTEREN, v);
  }
  /**
   * Software-writable pending bits (SSIP, STIP, SEIP); device lines are in `irqLines`.
   * While menvcfg.STCE = 1, STIP comes from stimecmp instead (S.TIMER_STIP).
   */
  get mipSw(): number {
    return this.getI32(S.MIP_SW);
  }
  set mipSw(v: number) {
    this.setI32(S.MIP_SW, v);
    this.refreshMip();
  }

  // --- mstatus views ---
  getMstatus(): bigint {
    if (this.getI32(S.FS_DIRTY)) {
      this.setI32(S.FS_DIRTY, 0);
      this.mstatus |= MSTATUS.FS;
    }
    const fs = (this.mstatus & MSTATUS.FS) === MSTATUS.FS;
    return fs ? this.mstatus | MSTATUS.SD : this.mstatus & ~MSTATUS.SD;
  }
  setMstatus(v: bigint): void {
    const old = this.getMstatus();
    const writable =
      MSTATUS.SIE | MSTATUS.MIE | MSTATUS.SPIE | MSTATUS.MPIE | MSTATUS.SPP | MSTATUS.MPP | MSTATUS.FS |
      MSTATUS.MPRV | MSTATUS.SUM | MSTATUS.MXR | MSTATUS.TVM | MSTATUS.TW | MSTATUS.TSR; // prettier-ignore
    let next = (old & ~writable) | (v & writable);
    if ((next & MSTATUS.MPP) === 2n << 11n) next = (next & ~MSTATUS.MPP) | (old & MSTATUS.MPP); // MPP is WARL: 2 is not a mode
    this.mstatus = next & ~MSTATUS.SD;
    this.setI32(S.FS_OFF, (next & MSTATUS.FS) === 0n ? 1 : 0);
    // SUM selects one of two S-mode TLB sets (mmu.ts); MXR changes what loads may do everywhere.
    // Neither changes what fetch may do, and translated code reads the data TLB set from the
    // state at each access: translations stay.
    if ((old ^ next) & MSTATUS.MXR) this.mmu.flushTranslatedTlb();
    if ((old ^ next) & MSTATUS.SUM) this.selectTlbSets();
    if ((old ^ next) & (MSTATUS.MPRV | MSTATUS.MPP)) this.privChanged();
  }

  get mip(): number {
    return this.getI32(S.MIP);
  }
  /** Recomputes mip as read (S.MIP) after one of its sources changed. */
  private refreshMip(): void {
    const sw = this.stce ? (this.mipSw & ~(1 << IRQ.STI)) | this.getI32(S.TIMER_STIP) : this.mipSw;
    this.setI32(S.MIP, sw | this.irqLines);
  }

  // --- Sstc: stimecmp and menvcfg.STCE ---
  get menvcfg(): bigint {
    return this.menvcfgValue;
  }
  set menvcfg(v: bigint) {
    this.menvcfgValue = v;
    this.setI32(S.STCE, Number((v >> 63n) & 1n)); // STCE is bit 63
    this.updateTimer();
  }
  /** menvcfg.STCE (Sstc): stimecmp is usable below M and drives mip.STIP. */
  get stce(): boolean {
    return this.getI32(S.STCE) !== 0;
  }
  get stimecmp(): bigint {
    return BigInt.asUintN(64, this.getI64(S.STIMECMP));
  }
  set stimecmp(v: bigint) {
    this.setI64(S.STIMECMP, v);
    this.updateTimer();
    this.host.timerArmed?.();
  }
  /** stimecmp in ticks (a double: exact below 2^53, and far beyond any time a machine reaches there). */
  private stimecmpTicks(): number {
    const i = (this.base + S.STIMECMP) >>> 2;
    return this.u32[i + 1] * 2 ** 32 + this.u32[i];
  }

  /**
   * Re-evaluates mip.STIP against stimecmp at time `now` (ticks); the machine calls it as
   * time passes, and the engines do the same in wasm when S-mode writes stimecmp (sem.ts).
   * Sstc: STIP is pending while time >= stimecmp (unsigned), when STCE = 1.
   */
  updateTimer(now: number = this.host.now()): void {
    this.setI32(S.TIMER_STIP, this.stce && now >= this.stimecmpTicks() ? 1 << IRQ.STI : 0);
    this.refreshMip();
  }

  /** The engines' rdtime: the time CSR's value to SCRATCH, in two 32-bit halves (no BigInt). */
  timeToScratch(): void {
    const t = this.host.now();
    const i = (this.base + S.SCRATCH) >>> 2;
    this.u32[i] = t >>> 0; // t mod 2^32
    this.u32[i + 1] = Math.floor(t / 2 ** 32);
  }

  /** The time (ticks) at which stimecmp raises STIP next; Infinity when it will not. */
  nextTimerDeadline(): number {
    return this.stce && this.getI32(S.TIMER_STIP) === 0 ? this.stimecmpTicks() : Infinity;
  }

  /** A device raises or lowers an interrupt line (MSIP, MTIP, MEIP, SEIP). */
  setIrqLine(bit: number, level: boolean): void {
    if (level) {
      this.irqLines |= 1 << bit;
      this.refreshMip();
      // Raised while this hart runs (its own device access, a virtio completion): end the
      // slice at the next jump, so the interrupt is taken now rather than up to a slice later.
      if (this.pendingInterrupt() >= 0) this.setI32(S.STOP, 1);
    } else {
      this.irqLines &= ~(1 << bit);
      this.refreshMip();
    }
  }

  /** Re-selects the TLB sets after a change of privilege, MPRV or MPP. */
  privChanged(): void {
    // Translations are keyed by the privilege too (their fetch permissions): no flush.
    this.selectTlbSets();
  }

  /** Points the engines at the TLB sets for the current privilege, address space and SUM. */
  selectTlbSets(): void {
    this.setI32(S.TLB_FETCH, this.mmu.setFor(this.priv, true));
    this.setI32(S.TLB_DATA, this.mmu.setFor(this.dataPriv()));
    // For the engines' trap entry and sret, which change privilege in wasm.
    this.setI32(S.TLB_U, this.mmu.setFor(PRV_U));
    this.setI32(S.TLB_S, this.mmu.setFor(PRV_S, true));
  }

  /** Privilege used by loads and stores (mstatus.MPRV, Priv spec §3.1.6.3). */
  dataPriv(): number {
    const ms = this.mstatus;
    return ms & MSTATUS.MPRV && this.priv === PRV_M ? Number((ms & MSTATUS.MPP) >> 11n) : this.priv;
  }

  // --- traps (Priv spec §3.1.6.1, §3.3.1, §4.1.1) ---
  trap(cause: number, interrupt: boolean, tval: bigint): void {
    if (this.host.trap?.(this, cause, interrupt, tval)) return;
    const pc = this.pc;
    if (TRACE_TRAPS) {
      process.stderr.write(
        `trap hart=${this.hartId} ${interrupt ? "irq" : "exc"}=${cause} pc=0x${pc.toString(16)} tval=0x${BigInt.asUintN(64, tval).toString(16)} priv=${this.priv}\n`,
      );
    }
    const deleg = (interrupt ? this.mideleg : this.medeleg) & (1 << cause);
    const code = (interrupt ? 1n << 63n : 0n) | BigInt(cause);
    this.setI64(S.RES_ADDR, -1n);
    let ms = this.getMstatus();
    if (this.priv <= PRV_S && deleg) {
      this.scause = code;
      this.sepc = pc;
      this.stval = tval;
      const sie = ms & MSTATUS.SIE;
      ms = (ms & ~(MSTATUS.SPP | MSTATUS.SPIE | MSTATUS.SIE)) | (BigInt(this.priv) << 8n);
      if (sie) ms |= MSTATUS.SPIE;
      this.mstatus = ms;
      this.priv = PRV_S;
      this.pc = vector(this.stvec, cause, interrupt);
    } else {
      this.mcause = code;
      this.mepc = pc;
      this.mtval = tval;
      const mie = ms & MSTATUS.MIE;
      ms = (ms & ~(MSTATUS.MPP | MSTATUS.MPIE | MSTATUS.MIE)) | (BigInt(this.priv) << 11n);
      if (mie) ms |= MSTATUS.MPIE;
      this.mstatus = ms;
      this.priv = PRV_M;
      this.pc = vector(this.mtvec, cause, interrupt);
    }
    this.privChanged();
  }

  /** The interrupt to take now, or -1 (Priv spec §3.1.9). */
  pendingInterrupt(): number {
    const pending = this.mip & this.mie;
    if (pending === 0) return -1;
    const ms = this.mstatus;
    const mEnabled = this.priv < PRV_M || (ms & MSTATUS.MIE) !== 0n;
    const sEnabled = this.priv < PRV_S || (this.priv === PRV_S && (ms & MSTATUS.SIE) !== 0n);
    const m = mEnabled ? pending & ~this.mideleg : 0;
    const s = sEnabled ? pending & this.mideleg : 0;
    const ready = m | s;
    if (ready === 0) return -1;
    for (const irq of IRQ_PRIORITY) if (ready & (1 << irq)) return irq;
    return -1;
  }

  /** Takes a pending, enabled interrupt; returns whether one was taken. */
  checkInterrupts(): boolean {
    if (this.stce) this.updateTimer();
    const irq = this.pendingInterrupt();
    if (irq < 0) return false;
    this.wfiPolls = 0;
    this.trap(irq, true, 0n);
    return true;
  }

  /** An exception at the pc saved in the state: the engine continues at the trap vector. */
  raise(cause: number, tval: bigint): HelperResult {
    this.trap(cause, false, tval);
    return HelperResult.Redirect;
  }

  illegal(): HelperResult {
    return this.raise(CAUSE.ILLEGAL_INSTRUCTION, BigInt(this.getI32(S.INSN) >>> 0));
  }

  /** Continues at the instruction after the current one. */
  private advance(): HelperResult {
    this.pc = this.pc + BigInt(this.getI32(S.INSN_LEN));
    return HelperResult.Redirect;
  }

  // --- helpers called by the engines ---
  helper(which: string): number {
    switch (which) {
      case "csr": return csrAccess(this);
      case "ecall": return this.ecall();
      case "ebreak": return this.raise(CAUSE.BREAKPOINT, this.pc);
      case "mret": return this.mret();
      case "sret": return this.sret();
      case "wfi": return this.wfi();
      case "sfence_vma": return this.sfenceVma();
      // Every store to translated code reaches the host, which drops those translations, and
      // the interpreter decodes from memory every time: nothing is stale.
      case "fence_i": return HelperResult.Next;
      case "pause": return this.pause();
      case "fp": return fpHelper(this);
      case "irq": return this.interruptAfter();
      default: return this.illegal();
    } // prettier-ignore
  }

  /** A CSR write served in wasm enabled interrupts: a pending one is taken before the next instruction. */
  private interruptAfter(): HelperResult {
    const here = this.pc;
    this.pc = here + BigInt(this.getI32(S.INSN_LEN));
    if (this.checkInterrupts()) return HelperResult.Redirect;
    this.pc = here;
    return HelperResult.Next;
  }

  private ecall(): HelperResult {
    if (this.host.ecall?.(this)) return this.advance();
    const cause = this.priv === PRV_U ? CAUSE.ECALL_U : this.priv === PRV_S ? CAUSE.ECALL_S : CAUSE.ECALL_M;
    return this.raise(cause, 0n);
  }

  private mret(): HelperResult {
    if (this.priv < PRV_M) return this.illegal();
    let ms = this.getMstatus();
    const mpp = Number((ms & MSTATUS.MPP) >> 11n);
    ms = (ms & ~(MSTATUS.MIE | MSTATUS.MPP)) | MSTATUS.MPIE | (ms & MSTATUS.MPIE ? MSTATUS.MIE : 0n);
    if (mpp !== PRV_M) ms &= ~MSTATUS.MPRV;
    this.mstatus = ms;
    this.priv = mpp;
    this.pc = this.mepc;
    this.privChanged();
    this.checkInterrupts();
    return HelperResult.Redirect;
  }

  private sret(): HelperResult {
    if (this.priv < PRV_S || (this.priv === PRV_S && this.mstatus & MSTATUS.TSR)) return this.illegal();
    let ms = this.getMstatus();
    const spp = ms & MSTATUS.SPP ? PRV_S : PRV_U;
    ms =
      (ms & ~(MSTATUS.SIE | MSTATUS.SPP | MSTATUS.MPRV)) |
      MSTATUS.SPIE |
      (ms & MSTATUS.SPIE ? MSTATUS.SIE : 0n);
    this.mstatus = ms;
    this.priv = spp;
    this.pc = this.sepc;
    this.privChanged();
    this.checkInterrupts();
    return HelperResult.Redirect;
  }

  private wfi(): HelperResult {
    // Priv spec §3.3.3: TW traps WFI below M-mode; S-mode WFI is otherwise allowed, U-mode is not.
    if (this.priv < PRV_M && (this.mstatus & MSTATUS.TW || this.priv === PRV_U)) return this.illegal();
    this.advance();
    if (this.stce) this.updateTimer();
    // Priv spec §3.3.3: a locally enabled interrupt that is pending ends the wait even when it
    // is globally disabled. A hart whose second WFI in a row returns so, with no interrupt
    // taken between, polls memory with that interrupt left pending (OpenSBI 1.1's HSM start
    // wait, whose cold-boot IPI stays pending until the hart is started): its turn ends there,
    // so it does not spin through its slice while the hart it waits for has the thread. A
    // first WFI still goes on at once: Linux's idle loop takes the interrupt right after it.
    if (this.mip & this.mie)
      return ++this.wfiPolls < 2 ? HelperResult.Redirect : HelperResult.ExitBase + Exit.Budget;
    this.wfiPolls = 0;
    return HelperResult.ExitBase + Exit.Wfi;
  }

  /**
   * PAUSE says the hart spins waiting for another (a lock, an IPI's answer): harts take turns
   * on one host thread, so the one it waits for can only get on once this turn ends.
   */
  private pause(): HelperResult {
    this.advance();
    return HelperResult.ExitBase + Exit.Budget;
  }

  private sfenceVma(): HelperResult {
    if (this.priv < PRV_S || (this.priv === PRV_S && this.mstatus & MSTATUS.TVM)) return this.illegal();
    // Priv spec §4.2.1: rs1 = x0 means every address, rs2 = x0 every address space.
    const rs1 = this.field("rs1");
    const rs2 = this.field("rs2");
    this.mmu.fence(rs1 ? this.getX(rs1) : undefined, rs2 ? Number(this.getX(rs2) & 0xffffn) : undefined);
    return HelperResult.Next;
  }

  /** Operand fields of the instruction a helper is serving. */
  field(name: keyof typeof FIELDS): number {
    return fieldValue(this.getI32(S.INSN), FIELDS[name]);
  }
}

/** Priv spec §3.1.7: vectored mode sends interrupts to BASE + 4 * cause. */
function vector(tvec: bigint, cause: number, interrupt: boolean): bigint {
  const base = tvec & ~3n;
  return interrupt && (tvec & 3n) === 1n ? base + BigInt(4 * cause) : base;
}
