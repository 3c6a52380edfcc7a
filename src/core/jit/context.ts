// What an ISA's semantics emit through inside a translation, besides their own arithmetic:
// guest registers as wasm locals (regcache.ts), jumps (a loop back to the start, a followed
// jump, a skip forward, or an exit), and the bookkeeping around host calls (registers written
// back, pc and budget saved before; budget rebased and registers reloaded after).
import type { FunctionBuilder, Local } from "../wasm.js";
import type { ControlFlow, GuestInsn, HartStateLayout } from "./isa.js";
import type { RegCache } from "./regcache.js";
import { JIT_CONTINUE } from "./table.js";

/** The locals and facts one translation function is emitted with. */
export interface TranslationFrame {
  readonly w: FunctionBuilder;
  /** i32: the hart state's base; i32: the budget left; i64: the pc an exit goes to; i32: instructions run by this pass at an exit. */
  readonly hart: Local;
  readonly budget: Local;
  readonly npc: Local;
  readonly done: Local;
  /** The guest pc the translation starts at, and its length in instructions. */
  readonly start: number;
  readonly count: number;
  readonly regs: RegCache;
  /** Forward branches that skip within the translation: instruction index -> target index. */
  readonly skips: ReadonlyMap<number, number>;
  /** i32: instructions skipped in this pass (when there are skips). */
  readonly skipped: Local | undefined;
}

export class TranslationContext {
  readonly w: FunctionBuilder;
  readonly hart: Local;
  /** The instruction being emitted, its index, its control flow, and the pc of the next one in the translation. */
  private insn!: GuestInsn;
  private k = 0;
  private flow: ControlFlow = { kind: "fallthrough" };
  private next: number | undefined;

  constructor(
    private readonly f: TranslationFrame,
    private readonly state: HartStateLayout,
  ) {
    this.w = f.w;
    this.hart = f.hart;
  }

  /** Starts instruction `k` of the translation. */
  begin(k: number, insn: GuestInsn, flow: ControlFlow, next: GuestInsn | undefined): void {
    this.insn = insn;
    this.k = this.f.regs.k = k;
    this.flow = flow;
    this.next = next?.pc;
    this.f.regs.baseDepth = this.w.blockDepth;
  }

  /** The local caching guest register `reg` (reading it, or writing it when `write`). */
  reg(reg: number, write: boolean): Local {
    return this.f.regs.local(this.w, reg, write);
  }

  /** Pushes how many instructions this pass has run up to and including this one (i32). */
  private charged(): void {
    this.w.i32_const(this.k + 1);
    if (this.f.skipped) this.w.get(this.f.skipped).i32_sub();
  }

  /**
   * The instruction transfers control (taken): to its declared target when it has one, else
   * to the i64 `target` pushes.
   */
  jump(target: () => void): void {
    const { w, skipped } = this.f;
    const to = this.flow.kind === "branch" || this.flow.kind === "jump" ? this.flow.target : undefined;
    if (to === this.f.start) return this.loopBack();
    if (to !== undefined && to === this.next) return; // a followed jump: the translation goes on there
    const skipTo = this.f.skips.get(this.k);
    if (skipTo !== undefined && skipped) {
      // A forward branch to code later in this translation: skip to it.
      w.get(skipped)
        .i32_const(skipTo - this.k - 1)
        .i32_add()
        .set(skipped);
      w.br(`skip${this.k}`);
      return;
    }
    if (to !== undefined) w.i64_const(to);
    else target();
    w.set(this.f.npc);
    this.leave();
  }

  /** Back to the start: loop here while the slice lasts and nobody asks to stop. */
  private loopBack(): void {
    const { w, hart, budget, skipped, regs } = this.f;
    w.get(budget);
    this.charged();
    w.i32_sub().set(budget);
    if (skipped) w.i32_const(0).set(skipped);
    w.get(budget).i32_const(this.f.count).i32_lt_s();
    w.get(hart).i32_load(this.state.stop).i32_or();
    w.if_();
    regs.writeBack(w, hart, this.k);
    w.get(hart).i64_const(this.f.start).i64_store(this.state.pc);
    w.get(hart).get(budget).i32_store(this.state.budget);
    w.i32_const(JIT_CONTINUE).return_();
    w.end();
    regs.lastBackEdge = Math.max(regs.lastBackEdge, this.k);
    if (regs.iterated) w.i32_const(1).set(regs.iterated);
    w.br("top");
  }

  /** Leaves through the exit block, this instruction done; the jump target is in npc. */
  private leave(): void {
    this.f.regs.writeBack(this.w, this.hart, this.k);
    this.charged();
    this.w.set(this.f.done);
    this.w.br("exit");
  }

  /** Ends the translation after the current instruction: continue at the next one. */
  fallOut(): void {
    this.w.i64_const(this.insn.pc + this.insn.len).set(this.f.npc);
    this.leave();
  }

  /** Before a host call: the host (a signal frame, a trap) sees every register, this pc and the budget. */
  beforeHostCall(): void {
    const { w, hart, budget } = this.f;
    this.f.regs.writeBack(w, hart, this.k - 1);
    w.get(hart).i64_const(this.insn.pc).i64_store(this.state.pc);
    w.get(hart).get(budget);
    this.charged();
    w.i32_sub().i32_store(this.state.budget);
  }

  /** The host has set a new pc in the state (a trap, a redirect): the interpreter goes on there. */
  resumeAtStatePc(): void {
    this.w.i32_const(JIT_CONTINUE).return_();
  }

  /** After a helper, which may have changed the budget (a blocking syscall) and any register. */
  afterHelper(): void {
    const { w, hart, budget } = this.f;
    w.get(hart).i32_load(this.state.budget);
    this.charged();
    w.i32_add().set(budget);
    this.f.regs.reloadAll(w, hart);
  }
}
