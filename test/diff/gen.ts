// Random user-level RV64GC instruction sequences for differential testing (Hartwood vs QEMU).
// A block is: an initial register state (edge-biased), a scratch buffer that the block's
// loads, stores and atomics stay inside (its address lives in `base`, which the sequence
// never writes), and a sequence of instructions as assembly text. Control flow only jumps
// forward to labels inside the block; the only CSRs touched are fflags, frm and fcsr. The
// generator tracks frm, and uses the dynamic rounding mode only while frm is known to hold a
// valid mode (with a reserved one, dyn would be an illegal instruction).
import { fArith, fcsr, fCvt, fFma, type Fmt, fMem, fMisc, fMove, type FpGen, nanBox } from "./gen-fp.js";
import { FREG, RM_NAMES, XREG } from "./names.js";
import { f32Value, f64Value, type FKind, fpValue, imm12, intValue, Rng, sext32, shamt } from "./values.js";

/** Bytes of scratch memory per block that loads, stores and atomics address. */
export const SCRATCH_BYTES = 128;
const SP = 2;
const RA = 1;

/** One line of a block: what the assembler gets, and what a report shows. */
export interface Line {
  asm: string;
  text: string;
}

export interface Block {
  index: number;
  /** The x register that holds the scratch address; never written by the sequence. */
  base: number;
  /** Initial x registers (x0 and the base register are ignored). */
  initX: bigint[];
  /** Initial raw f registers. */
  initF: bigint[];
  /** Initial frm; fflags start clear. */
  frm: number;
  scratch: bigint[];
  lines: Line[];
  insns: number;
}

export interface GenOptions {
  minInsns?: number;
  maxInsns?: number;
  /** Also generate misaligned loads and stores (default true). The spec allows a trap, but
   *  QEMU performs them and Linux user code relies on them working (the kernel emulates them). */
  misaligned?: boolean;
  /** Mostly instructions of one kind. */
  focus?: Category;
}

const RR = "add sub sll slt sltu xor srl sra or and addw subw sllw srlw sraw".split(" ");
const MUL = "mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw".split(" ");
const IMM = "addi slti sltiu xori ori andi addiw".split(" ");
/** Mnemonic and access size in bytes. */
const LOADS = Object.entries({ lb: 1, lh: 2, lw: 4, ld: 8, lbu: 1, lhu: 2, lwu: 4 });
const STORES = Object.entries({ sb: 1, sh: 2, sw: 4, sd: 8 });
const BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"];
const AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"];
const ORDER = ["", ".aq", ".rl", ".aqrl"];
/** Compressed loads and stores: mnemonic (without the "sp" of the sp-based forms), size, FP. */
const C_MEM = [
  ["lw", 4, false],
  ["ld", 8, false],
  ["fld", 8, true],
  ["sw", 4, false],
  ["sd", 8, false],
  ["fsd", 8, true],
] as const;

export type Category = "int" | "fp" | "rvc";

class BlockGen implements FpGen {
  readonly lines: Line[] = [];
  insns = 0;
  private labels = 0;
  /** Registers that must keep their value for the moment (the address of an open LR). */
  private readonly pinned = new Set<number>();
  private recentX: number[] = [];
  forcedF: number | undefined;
  readonly misaligned: boolean;

  constructor(
    readonly rng: Rng,
    private readonly index: number,
    private readonly base: number,
    public frm: number | undefined,
    readonly fkind: FKind[],
    private readonly opts: GenOptions,
  ) {
    this.misaligned = opts.misaligned ?? true;
  }

  emit(asm: string, text = asm): void {
    this.lines.push({ asm, text });
    this.insns++;
  }

  /** A compressed instruction: assembled with RVC on, so it is exactly that encoding. */
  emitC(asm: string): void {
    this.lines.push({ asm: `.option push\n\t.option rvc\n\t${asm}\n\t.option pop`, text: asm });
    this.insns++;
  }

  newLabel(): string {
    return `.Lb${this.index}_${this.labels++}`;
  }

  placeLabel(l: string): void {
    this.lines.push({ asm: `${l}:`, text: `${l}:` });
  }

  // ---- registers ----

  private writable(r: number): boolean {
    return r !== 0 && r !== this.base && !this.pinned.has(r);
  }

  /** A destination x register (x0 now and then: the write is discarded). */
  xd(allowZero = true): number {
    if (allowZero && this.rng.chance(0.03)) return 0;
    let r: number;
    do r = this.rng.range(1, 31);
    while (!this.writable(r));
    this.recentX = [r, ...this.recentX.slice(0, 3)];
    return r;
  }

  xs(): number {
    if (this.recentX.length && this.rng.chance(0.3)) return this.rng.pick(this.recentX);
    return this.rng.chance(0.04) ? 0 : this.rng.below(32);
  }

  /** A writable register of the compressed set x8..x15. */
  xdC(): number {
    let r: number;
    do r = this.rng.range(8, 15);
    while (!this.writable(r));
    return r;
  }

  xsC(): number {
    return this.rng.range(8, 15);
  }

  fs(fmt: Fmt | "any" = "any"): number {
    if (this.forcedF !== undefined) {
      const f = this.forcedF;
      this.forcedF = undefined;
      return f;
    }
    if (fmt !== "any" && this.rng.chance(0.85)) {
      const same = this.fkind.flatMap((k, i) => (k === fmt ? [i] : []));
      if (same.length) return this.rng.pick(same);
    }
    return this.rng.below(32);
  }

  fd(kind: FKind): number {
    const r = this.rng.below(32);
    this.fkind[r] = kind;
    return r;
  }

  /** A rounding mode: a static one, or dyn when frm is known to be valid. */
  rm(): { code: number; suffix: string } {
    const dynOk = this.frm !== undefined && this.frm <= 4;
    const code = this.rng.pick(dynOk ? [0, 1, 2, 3, 4, 7, 7] : [0, 1, 2, 3, 4]);
    if (code === 7 && this.rng.chance(0.5)) return { code, suffix: "" };
    return { code, suffix: `, ${RM_NAMES[code]}` };
  }

  /** An address inside the scratch buffer as reg+offset; sometimes via a derived pointer. */
  addr(size: number, aligned = true): { reg: number; off: number } {
    const slot = aligned
      ? this.rng.below(SCRATCH_BYTES / size) * size
      : this.rng.below(SCRATCH_BYTES - size + 1);
    if (!this.rng.chance(0.3)) return { reg: this.base, off: slot };
    const lo = Math.max(-2048, slot - 2047);
    const hi = Math.min(2047, slot + 2048);
    const off = this.rng.chance(0.3) ? this.rng.pick([lo, hi]) : this.rng.range(lo, hi);
    const t = this.xd(false);
    this.emit(`addi ${XREG[t]}, ${XREG[this.base]}, ${slot - off}`);
    return { reg: t, off };
  }

  /** A register holding the exact address of an aligned scratch slot (for A instructions). */
  addrReg(size: number): number {
    const slot = this.rng.below(SCRATCH_BYTES / size) * size;
    if (slot === 0 && this.rng.chance(0.5)) return this.base;
    const t = this.xd(false);
    this.emit(`addi ${XREG[t]}, ${XREG[this.base]}, ${slot}`);
    return t;
  }

  // ---- generation ----

  /** One random item; depth > 0 inside a skipped region (no further nesting at depth 2). */
  item(depth: number): void {
    const simple = depth >= 2;
    const gens: [number, Category, () => void][] = [
      [10, "int", () => this.aluRR()],
      [8, "int", () => this.aluImm()],
      [3, "int", () => this.upper()],
      [6, "int", () => this.mul()],
      [6, "int", () => this.intMem()],
      [simple ? 0 : 4, "int", () => this.branch(depth)],
      [simple ? 0 : 2, "int", () => this.jump(depth)],
      [4, "int", () => this.amo()],
      [simple ? 0 : 2, "int", () => this.lrsc()],
      [12, "rvc", () => this.compressed(depth)],
      [10, "fp", () => this.probed(() => fArith(this))],
      [5, "fp", () => this.probed(() => fFma(this))],
      [6, "fp", () => this.probed(() => fMisc(this))],
      [10, "fp", () => this.probed(() => fCvt(this))],
      [4, "fp", () => fMove(this)],
      [4, "fp", () => fMem(this)],
      [5, "fp", () => fcsr(this)],
      [simple ? 0 : 3, "fp", () => this.probed(() => nanBox(this))],
      [1, "int", () => this.fence()],
    ];
    const focus = this.opts.focus;
    const weights = gens.map(([w, c]) => (focus === undefined || c === focus ? w : w / 8));
    gens[this.rng.weighted(weights)][2]();
  }

  /** An FP instruction, sometimes followed by a read of the flags (and a clear, so the next
   *  probe sees only what came after): the flags of single instructions get compared. */
  private probed(gen: () => void): void {
    gen();
    if (this.rng.chance(0.25)) this.emit(`fsflags ${XREG[this.xd(false)]}, zero`);
    else if (this.rng.chance(0.05)) this.emit(`frflags ${XREG[this.xd(false)]}`);
  }

  fence(): void {
    const [asm, text] = this.rng.pick([
      ["fence", "fence"],
      ["fence rw, rw", "fence rw, rw"],
      ["fence r, w", "fence r, w"],
      ["fence.tso", "fence.tso"],
      ["fence.i", "fence.i"],
      [".4byte 0x0100000f", "pause  # fence w, 0: a HINT"],
    ]);
    this.emit(asm, text);
  }

  aluRR(): void {
    const op = this.rng.pick(RR);
    const a = this.xs();
    const b = this.rng.chance(0.1) ? a : this.xs();
    this.emit(`${op} ${XREG[this.xd()]}, ${XREG[a]}, ${XREG[b]}`);
  }

  aluImm(): void {
    const a = this.xs();
    if (this.rng.chance(0.35)) {
      const op = this.rng.pick(["slli", "srli", "srai", "slliw", "srliw", "sraiw"]);
      this.emit(`${op} ${XREG[this.xd()]}, ${XREG[a]}, ${shamt(this.rng, op.endsWith("w") ? 32 : 64)}`);
    } else {
      this.emit(`${this.rng.pick(IMM)} ${XREG[this.xd()]}, ${XREG[a]}, ${imm12(this.rng)}`);
    }
  }

  upper(): void {
    const imm = this.rng.pick([0, 1, 0x7ffff, 0x80000, 0xfffff, this.rng.below(1 << 20)]);
    const k = this.rng.below(3);
    if (k === 0) this.emit(`lui ${XREG[this.xd()]}, 0x${imm.toString(16)}`);
    else if (k === 1) this.emit(`auipc ${XREG[this.xd()]}, 0x${imm.toString(16)}`);
    else this.emit(`li ${XREG[this.xd(false)]}, 0x${intValue(this.rng).toString(16)}`);
  }

  mul(): void {
    const a = this.xs();
    const b = this.rng.chance(0.1) ? a : this.xs();
    this.emit(`${this.rng.pick(MUL)} ${XREG[this.xd()]}, ${XREG[a]}, ${XREG[b]}`);
  }

  intMem(): void {
    const aligned = !(this.misaligned && this.rng.chance(0.15));
    if (this.rng.chance(0.5)) {
      const [op, size] = this.rng.pick(LOADS);
      const { reg, off } = this.addr(size, aligned);
      this.emit(`${op} ${XREG[this.xd()]}, ${off}(${XREG[reg]})`);
    } else {
      const [op, size] = this.rng.pick(STORES);
      const { reg, off } = this.addr(size, aligned);
      this.emit(`${op} ${XREG[this.xs()]}, ${off}(${XREG[reg]})`);
    }
  }

  /** Items that a forward branch may skip. */
  private skipped(depth: number, min: number): void {
    const frm = this.frm;
    const n = this.rng.range(min, 3);
    for (let i = 0; i < n; i++) this.item(depth + 1);
    if (this.frm !== frm) this.frm = undefined; // the value depends on whether the jump is taken
  }

  branch(depth: number): void {
    const l = this.newLabel();
    const a = this.xs();
    const b = this.rng.chance(0.2) ? a : this.xs();
    this.emit(`${this.rng.pick(BRANCHES)} ${XREG[a]}, ${XREG[b]}, ${l}`);
    this.skipped(depth, 1);
    this.placeLabel(l);
  }

  /** jal, or jalr through a register loaded with a label's address (± offsets, odd targets). */
  jump(depth: number): void {
    const l = this.newLabel();
    if (this.rng.chance(0.4)) {
      this.emit(`jal ${XREG[this.xd()]}, ${l}`);
    } else {
      const t = this.xd(false);
      const off = this.rng.pick([0, 0, 4, -8, 2047, -2048]);
      const odd = this.rng.chance(0.3) ? 1 : 0; // jalr clears bit 0 of the target
      const delta = odd - off;
      this.emit(`lla ${XREG[t]}, ${l}${delta >= 0 ? "+" : ""}${delta}`);
      const rd = this.rng.chance(0.2) ? t : this.xd();
      this.emit(`jalr ${XREG[rd]}, ${off}(${XREG[t]})`);
    }
    this.skipped(depth, 0);
    this.placeLabel(l);
  }

  amo(): void {
    const w = this.rng.pick(["w", "d"]);
    const a = this.addrReg(w === "w" ? 4 : 8);
    if (this.rng.chance(0.1)) {
      // No reservation is ever open between items, so this SC must fail (A spec: SC without a
      // valid reservation writes a nonzero code and stores nothing).
      this.emit(`sc.${w}${this.rng.pick(ORDER)} ${XREG[this.xd()]}, ${XREG[this.xs()]}, (${XREG[a]})`);
      return;
    }
    const op = this.rng.pick(AMOS);
    this.emit(`${op}.${w}${this.rng.pick(ORDER)} ${XREG[this.xd()]}, ${XREG[this.xs()]}, (${XREG[a]})`);
  }

  /** LR, a few ALU instructions, SC to the same address and width: the SC succeeds. */
  lrsc(): void {
    const w = this.rng.pick(["w", "d"]);
    const a = this.addrReg(w === "w" ? 4 : 8);
    this.pinned.add(a);
    this.emit(`lr.${w}${this.rng.pick(ORDER)} ${XREG[this.xd()]}, (${XREG[a]})`);
    const n = this.rng.below(3);
    for (let i = 0; i < n; i++) this.rng.pick([() => this.aluRR(), () => this.aluImm(), () => this.mul()])();
    this.pinned.delete(a);
    this.emit(`sc.${w}${this.rng.pick(ORDER)} ${XREG[this.xd()]}, ${XREG[this.xs()]}, (${XREG[a]})`);
  }

  compressed(depth: number): void {
    const r = this.rng;
    const rd = () => XREG[this.xd(false)];
    const rdC = () => XREG[this.xdC()];
    const rs = () => XREG[this.xs() || 1];
    const nz6 = () => r.pick([1, -1, 31, -32, r.range(1, 31), -r.range(1, 32)]);
    const shift = () => r.pick([1, 63, 32, 31, r.range(1, 63)]);
    const sp16 = () => r.pick([-512, 496, 16 * r.range(-32, 31) || 16]);
    const alu = ["sub", "xor", "or", "and", "subw", "addw"];
    const gens: [number, () => void][] = [
      [3, () => this.emitC(`c.addi ${rd()}, ${nz6()}`)],
      [2, () => this.emitC(`c.addiw ${rd()}, ${r.range(-32, 31)}`)],
      [2, () => this.emitC(`c.li ${rd()}, ${r.range(-32, 31)}`)],
      [2, () => this.cLui()],
      [this.writable(SP) ? 1 : 0, () => this.emitC(`c.addi16sp sp, ${sp16()}`)],
      [2, () => this.emitC(`c.addi4spn ${rdC()}, sp, ${4 * r.range(1, 255)}`)],
      [2, () => this.emitC(`c.${r.pick(["srli", "srai"])} ${rdC()}, ${shift()}`)],
      [2, () => this.emitC(`c.andi ${rdC()}, ${r.range(-32, 31)}`)],
      [4, () => this.emitC(`c.${r.pick(alu)} ${rdC()}, ${XREG[this.xsC()]}`)],
      [2, () => this.emitC(`c.slli ${rd()}, ${shift()}`)],
      [2, () => this.emitC(`c.mv ${rd()}, ${rs()}`)],
      [2, () => this.emitC(`c.add ${rd()}, ${rs()}`)],
      [
        this.base >= 8 && this.base <= 15 ? 4 : 0,
        () =>
          this.cMem(
            () => this.xdC(),
            () => this.xsC(),
          ),
      ],
      [
        this.base === SP ? 4 : 0,
        () =>
          this.cMem(
            () => this.xd(false),
            () => this.xs() || 1,
          ),
      ],
      [depth >= 1 ? 0 : 2, () => this.cBranch(depth)],
      [depth >= 1 ? 0 : 1, () => this.cJump(depth)],
      [1, () => this.emitC("c.nop")],
      [2, () => this.cHint()],
    ];
    gens[r.weighted(gens.map(([w]) => w))][1]();
  }

  /** An RVC HINT encoding (C spec, "RVC HINT instructions"): it must execute as a no-op. */
  private cHint(): void {
    const r = this.rng;
    const ci = (f3: number, rd: number, imm: number, op: number) =>
      (f3 << 13) | (((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2) | op;
    const nz = r.pick([1, 31, -32, -1, r.range(1, 31)]);
    const rd = this.xd(false);
    const rdC = this.xdC();
    const rs2 = r.range(1, 31);
    const sh = r.range(1, 63);
    const [enc, text] = r.pick<[number, string]>([
      [ci(0, 0, nz, 1), `c.nop ${nz}`],
      [ci(0, rd, 0, 1), `c.addi ${XREG[rd]}, 0`],
      [ci(2, 0, nz, 1), `c.li zero, ${nz}`],
      [ci(3, 0, nz, 1), `c.lui zero, ${nz & 0x3f}`],
      [ci(0, 0, sh, 2), `c.slli zero, ${sh}`],
      [ci(0, rd, 0, 2), `c.slli ${XREG[rd]}, 0`],
      [(4 << 13) | ((rdC - 8) << 7) | 1, `c.srli ${XREG[rdC]}, 0`],
      [(4 << 13) | (1 << 10) | ((rdC - 8) << 7) | 1, `c.srai ${XREG[rdC]}, 0`],
      [(0b1000 << 12) | (rs2 << 2) | 2, `c.mv zero, ${XREG[rs2]}`],
      // c.add zero, x2..x5 are Zihintntl's c.ntl.*: also no-ops, but keep to the plain HINTs.
      [(0b1001 << 12) | (Math.max(rs2, 6) << 2) | 2, `c.add zero, ${XREG[Math.max(rs2, 6)]}`],
    ]);
    this.lines.push({ asm: `.2byte 0x${enc.toString(16)}`, text: `${text}  # HINT 0x${enc.toString(16)}` });
    this.insns++;
  }

  private cLui(): void {
    let rd: number;
    do rd = this.xd(false);
    while (rd === SP);
    const v = this.rng.pick([1, 31, -32, -1, this.rng.range(1, 31), -this.rng.range(1, 32)]);
    this.emitC(`c.lui ${XREG[rd]}, 0x${(v < 0 ? v + 0x100000 : v).toString(16)}`);
  }

  /** Compressed loads and stores off the base register (x8..x15) or sp. */
  private cMem(dst: () => number, src: () => number): void {
    const sp = this.base === SP;
    const b = XREG[this.base];
    const [op, size, fp] = this.rng.pick(C_MEM);
    const off = this.rng.below(SCRATCH_BYTES / size) * size;
    const store = op.startsWith("s") || op === "fsd";
    const mn = `c.${op}${sp ? "sp" : ""}`;
    if (fp) {
      // c.fld/c.fsd name f8..f15; c.fldsp/c.fsdsp any f register.
      const fr = sp ? (store ? this.fs("d") : this.fd("d")) : this.rng.range(8, 15);
      if (!store) this.fkind[fr] = "d";
      this.emitC(`${mn} ${FREG[fr]}, ${off}(${b})`);
    } else {
      this.emitC(`${mn} ${XREG[store ? src() : dst()]}, ${off}(${b})`);
    }
  }

  private cBranch(depth: number): void {
    const l = this.newLabel();
    this.emitC(`c.${this.rng.pick(["beqz", "bnez"])} ${XREG[this.xsC()]}, ${l}`);
    this.skipped(1 + depth, 1);
    this.placeLabel(l);
  }

  private cJump(depth: number): void {
    const l = this.newLabel();
    if (this.rng.chance(0.4)) {
      this.emitC(`c.j ${l}`);
    } else {
      const t = this.xd(false);
      this.emit(`lla ${XREG[t]}, ${l}`);
      const link = this.rng.chance(0.5);
      this.emitC(`c.${link ? "jalr" : "jr"} ${XREG[t]}`);
      if (link) this.recentX = [RA, ...this.recentX];
    }
    this.skipped(1 + depth, 0);
    this.placeLabel(l);
  }
}

/** Generates a block with its own initial state and sequence. */
export function generateBlock(rng: Rng, index: number, opts: GenOptions = {}): Block {
  const base = rng.pick([SP, 8, 9, 10, 11, 12, 13, 14, 15]);
  const initX = Array.from({ length: 32 }, (_, i) => (i === 0 ? 0n : intValue(rng)));
  const kinds: FKind[] = Array.from({ length: 32 }, () =>
    rng.pick(["s", "s", "d", "d", "d", "raw"] as const),
  );
  const initF = kinds.map((k) => fpValue(rng, k));
  const frm = rng.below(5);
  const scratch = Array.from({ length: SCRATCH_BYTES / 8 }, () => {
    const k = rng.below(4);
    if (k === 0) return intValue(rng);
    if (k === 1) return f64Value(rng);
    if (k === 2) return (BigInt(f32Value(rng)) << 32n) | BigInt(f32Value(rng));
    return sext32(BigInt(rng.u32()));
  });
  const gen = new BlockGen(rng, index, base, frm, [...kinds], opts);
  const n = rng.range(opts.minInsns ?? 4, opts.maxInsns ?? 24);
  while (gen.insns < n) gen.item(0);
  return { index, base, initX, initF, frm, scratch, lines: gen.lines, insns: gen.insns };
}

export function generateBlocks(seed: number, count: number, opts: GenOptions = {}): Block[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => generateBlock(rng, i, opts));
}
