// Random F and D instructions for the differential generator (gen.ts): arithmetic with every
// rounding mode, fused multiply-add, min/max, sign injection, compares, classify, conversions,
// moves, loads/stores, the fflags/frm/fcsr CSRs, and NaN-boxing of non-boxed patterns.
import { f32Value, f64Value, boxed, unboxed, type FKind, type Rng } from "./values.js";
import { FREG, XREG } from "./names.js";

export type Fmt = "s" | "d";

/** What the FP generators need from the block generator. */
export interface FpGen {
  readonly rng: Rng;
  readonly fkind: FKind[];
  readonly misaligned: boolean;
  /** frm as the generator knows it (undefined: depends on a branch). */
  frm: number | undefined;
  /** The source that the next fs() returns. */
  forcedF: number | undefined;
  emit(asm: string, text?: string): void;
  xd(allowZero?: boolean): number;
  xs(): number;
  fs(fmt?: Fmt | "any"): number;
  fd(kind: FKind): number;
  rm(): { code: number; suffix: string };
  addr(size: number, aligned?: boolean): { reg: number; off: number };
}

export function fArith(g: FpGen, fmt: Fmt = g.rng.pick(["s", "d"])): void {
  const op = g.rng.pick(["fadd", "fsub", "fmul", "fdiv", "fadd", "fmul", "fsqrt"]);
  const a = g.fs(fmt);
  const { suffix } = g.rm();
  if (op === "fsqrt") {
    g.emit(`fsqrt.${fmt} ${FREG[g.fd(fmt)]}, ${FREG[a]}${suffix}`);
    return;
  }
  const b = g.rng.chance(0.1) ? a : g.fs(fmt);
  g.emit(`${op}.${fmt} ${FREG[g.fd(fmt)]}, ${FREG[a]}, ${FREG[b]}${suffix}`);
}

export function fFma(g: FpGen, fmt: Fmt = g.rng.pick(["s", "d"])): void {
  const op = g.rng.pick(["fmadd", "fmsub", "fnmsub", "fnmadd"]);
  const [a, b, c] = [g.fs(fmt), g.fs(fmt), g.fs(fmt)];
  const { suffix } = g.rm();
  g.emit(`${op}.${fmt} ${FREG[g.fd(fmt)]}, ${FREG[a]}, ${FREG[b]}, ${FREG[c]}${suffix}`);
}

/** min/max, sign injection, compares, classify. */
export function fMisc(g: FpGen, fmt: Fmt = g.rng.pick(["s", "d"])): void {
  const a = g.fs(fmt);
  const b = g.rng.chance(0.15) ? a : g.fs(fmt);
  switch (g.rng.below(4)) {
    case 0:
      g.emit(`${g.rng.pick(["fmin", "fmax"])}.${fmt} ${FREG[g.fd(fmt)]}, ${FREG[a]}, ${FREG[b]}`);
      break;
    case 1: {
      const op = g.rng.pick(["fsgnj", "fsgnjn", "fsgnjx"]);
      g.emit(`${op}.${fmt} ${FREG[g.fd(fmt)]}, ${FREG[a]}, ${FREG[b]}`);
      break;
    }
    case 2:
      g.emit(`${g.rng.pick(["feq", "flt", "fle"])}.${fmt} ${XREG[g.xd()]}, ${FREG[a]}, ${FREG[b]}`);
      break;
    default:
      g.emit(`fclass.${fmt} ${XREG[g.xd()]}, ${FREG[a]}`);
  }
}

export function fCvt(g: FpGen): void {
  const fmt: Fmt = g.rng.pick(["s", "d"]);
  const ity = g.rng.pick(["w", "wu", "l", "lu"]);
  const rm = g.rm();
  switch (g.rng.below(3)) {
    case 0:
      g.emit(`fcvt.${ity}.${fmt} ${XREG[g.xd()]}, ${FREG[g.fs(fmt)]}${rm.suffix}`);
      break;
    case 1: {
      const rs = g.xs();
      const fd = g.fd(fmt);
      const text = `fcvt.${fmt}.${ity} ${FREG[fd]}, ${XREG[rs]}`;
      if (fmt === "d" && ity.startsWith("w")) {
        // Exact conversions: binutils 2.40 takes no rounding mode for them (it encodes rne),
        // so any other mode is encoded by hand.
        const rs2 = ity === "w" ? "x0" : "x1";
        const insn = `.insn r 0x53, ${rm.code}, 0x69, ${FREG[fd]}, ${XREG[rs]}, ${rs2}`;
        g.emit(rm.code === 0 ? text : insn, text + rm.suffix);
      } else {
        g.emit(text + rm.suffix);
      }
      break;
    }
    default:
      if (fmt === "s") {
        g.emit(`fcvt.s.d ${FREG[g.fd("s")]}, ${FREG[g.fs("d")]}${rm.suffix}`);
      } else {
        const a = g.fs("s");
        const d = g.fd("d");
        const text = `fcvt.d.s ${FREG[d]}, ${FREG[a]}`;
        const insn = `.insn r 0x53, ${rm.code}, 0x21, ${FREG[d]}, ${FREG[a]}, x0`;
        g.emit(rm.code === 0 ? text : insn, text + rm.suffix);
      }
  }
}

export function fMove(g: FpGen): void {
  switch (g.rng.below(4)) {
    case 0:
      g.emit(`fmv.x.w ${XREG[g.xd()]}, ${FREG[g.fs("s")]}`);
      break;
    case 1:
      g.emit(`fmv.x.d ${XREG[g.xd()]}, ${FREG[g.fs("any")]}`);
      break;
    case 2:
      g.emit(`fmv.w.x ${FREG[g.fd("s")]}, ${XREG[g.xs()]}`);
      break;
    default:
      g.emit(`fmv.d.x ${FREG[g.fd("raw")]}, ${XREG[g.xs()]}`);
  }
}

export function fMem(g: FpGen): void {
  const [op, size] = g.rng.pick([
    ["flw", 4],
    ["fld", 8],
    ["fsw", 4],
    ["fsd", 8],
  ] as const);
  const { reg, off } = g.addr(size, !(g.misaligned && g.rng.chance(0.1)));
  const fr = op.startsWith("fs") ? g.fs(size === 4 ? "s" : "any") : g.fd(size === 4 ? "s" : "d");
  g.emit(`${op} ${FREG[fr]}, ${off}(${XREG[reg]})`);
}

/** fflags/frm/fcsr reads and writes; frm is only ever written with a value the generator knows. */
export function fcsr(g: FpGen): void {
  const r = g.rng;
  const rd = () => XREG[g.xd()];
  switch (r.below(8)) {
    case 0:
      g.emit(`${r.pick(["frflags", "frrm", "frcsr"])} ${rd()}`);
      break;
    case 1:
      g.emit(`fsflags ${rd()}, ${XREG[g.xs()]}`);
      break;
    case 2:
      g.emit(`fsflagsi ${rd()}, ${r.below(32)}`);
      break;
    case 3:
      // Now and then a reserved mode (5..7): frm holds it, and only static modes are used.
      g.frm = r.chance(0.15) ? r.range(5, 7) : r.below(5);
      g.emit(`fsrmi ${rd()}, ${g.frm}`);
      break;
    case 4: {
      // A 5-bit immediate reaches only fflags within fcsr, except that csrrwi also clears frm.
      const op = r.pick(["csrrsi", "csrrci", "csrrwi"]);
      const csr = r.pick(["fflags", "fcsr"]);
      if (op === "csrrwi" && csr === "fcsr") g.frm = 0;
      g.emit(`${op} ${rd()}, ${csr}, ${r.below(32)}`);
      break;
    }
    case 5: {
      const imm = r.below(8);
      const set = r.chance(0.3);
      if (g.frm !== undefined) g.frm = set ? g.frm | imm : g.frm & ~imm;
      g.emit(`${set ? "csrrsi" : "csrrci"} ${rd()}, frm, ${imm}`);
      break;
    }
    case 6: {
      const op = r.pick(["csrrs", "csrrc", "csrrw"]);
      g.emit(`${op} ${rd()}, fflags, ${XREG[g.xs()]}`);
      break;
    }
    default: {
      const t = g.xd(false);
      g.frm = r.chance(0.1) ? r.range(5, 7) : r.below(5);
      const fcsr = r.chance(0.5);
      const v = fcsr ? (g.frm << 5) | r.below(32) : (r.below(1 << 20) << 3) | g.frm;
      g.emit(`li ${XREG[t]}, ${v}`);
      g.emit(`${fcsr ? "fscsr" : "fsrm"} ${rd()}, ${XREG[t]}`);
    }
  }
}

/** A 64-bit pattern moved into an f register, then read by a single-precision instruction. */
export function nanBox(g: FpGen): void {
  const r = g.rng;
  const t = g.xd(false);
  const s = f32Value(r);
  const v = r.chance(0.7) ? unboxed(r, s) : r.chance(0.5) ? f64Value(r) : boxed(s);
  const f = r.below(32);
  g.emit(`li ${XREG[t]}, 0x${v.toString(16)}`);
  g.emit(`fmv.d.x ${FREG[f]}, ${XREG[t]}`);
  g.fkind[f] = "raw";
  g.forcedF = f;
  const rm = g.rm().suffix;
  const use: (() => void)[] = [
    () => fArith(g, "s"),
    () => fMisc(g, "s"),
    () => fFma(g, "s"),
    () => g.emit(`fcvt.${r.pick(["w", "wu", "l", "lu"])}.s ${XREG[g.xd()]}, ${FREG[f]}${rm}`),
    () => g.emit(`fcvt.d.s ${FREG[g.fd("d")]}, ${FREG[f]}`),
    () => g.emit(`fmv.x.w ${XREG[g.xd()]}, ${FREG[f]}`),
    () => {
      const { reg, off } = g.addr(4);
      g.emit(`fsw ${FREG[f]}, ${off}(${XREG[reg]})`);
    },
  ];
  r.pick(use)();
  g.forcedF = undefined;
}
