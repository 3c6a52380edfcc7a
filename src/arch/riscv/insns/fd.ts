// RV64F and RV64D (Unprivileged ISA ch. 11-12): one family, parameterized by format.
//
// Each instruction has an exact definition (`slow`, on the softfloat module) and, where it
// pays, an inline fast path that uses the host's IEEE arithmetic when that provably gives the
// same bits and flags (typically: round-to-nearest-even with NX already accrued, so that
// exactness need not be known, and a result that cannot hide an overflow or underflow; the
// rules are in fpfast.ts). Everything else falls back to `slow` through the "fp" helper.
import { F32, F64, I32, I64, type FunctionBuilder, type Local } from "../../../core/wasm.js";
import { enc, insn, MASK_F3, MASK_F7, type InsnDef, type Sem } from "../insn.js";
import * as SF from "../softfloat.js";
import { addrRs1Imm } from "./i.js";
import {
  effectiveRm,
  fma64Fast,
  getF,
  requireNx,
  requireRneNx,
  setFChecked,
  withSlow,
  type Fmt,
} from "./fpfast.js";

const sfx = (fmt: Fmt) => (fmt === 32 ? "s" : "d");
const fmtBits = (fmt: Fmt) => (fmt === 32 ? 0 : 1);

/** The exact semantics, run by the "fp" helper. Register values are raw bit patterns. */
export interface FpSlow {
  readonly rd: number;
  readonly rs1: number;
  readonly rs2: number;
  readonly rs3: number;
  /** The effective rounding mode (already validated). */
  readonly rm: number;
  /** f[r] read as `fmt` (a binary32 that is not NaN-boxed reads as the canonical NaN). */
  f(r: number, fmt: Fmt): bigint;
  setF(r: number, fmt: Fmt, bits: bigint): void;
  x(r: number): bigint;
  setX(r: number, v: bigint): void;
  /** Accrues the softfloat flags of the last operation and returns `v`. */
  sf<T>(v: T): T;
}

export interface FpInsnDef extends InsnDef {
  readonly slow: (f: FpSlow) => void;
  readonly usesRm: boolean;
}

function fp(
  name: string,
  mask: number,
  match: number,
  syntax: string,
  exec: (s: Sem) => void,
  slow: (f: FpSlow) => void,
): FpInsnDef {
  const ext = name.endsWith(".d") || name.includes(".d.") || name === "fld" || name === "fsd" ? "D" : "F";
  return { ...insn(ext, name, mask, match, syntax, exec), slow, usesRm: syntax.includes("rm") };
}

const OP_FP = 0x53;

/**
 * When a tiny result is exact: sums and differences always are (a sum that underflows is
 * exact); a product is when an operand is zero, a quotient when the dividend is.
 */
type TinyRule = "sum" | "product" | "quotient";

function arith(
  name: string,
  f7: number,
  fmt: Fmt,
  tiny: TinyRule,
  host: (w: FunctionBuilder) => void,
  exact: (fmt: Fmt, a: bigint, b: bigint, rm: number) => bigint,
): FpInsnDef {
  return fp(
    `${name}.${sfx(fmt)}`,
    0xfe00007f,
    enc(OP_FP, 0, f7 | fmtBits(fmt)),
    "rd,rs1,rs2,rm",
    (s) =>
      withSlow(s, (w) => {
        const t = w.local(I64);
        const a = w.local(fmt === 64 ? F64 : F32);
        const b = w.local(fmt === 64 ? F64 : F32);
        requireRneNx(s);
        getF(s, "rs1", fmt, t);
        w.tee(a);
        getF(s, "rs2", fmt, t);
        w.tee(b);
        host(w);
        const isZero = (x: Local) => {
          w.get(x);
          if (fmt === 64) w.f64_const(0).f64_eq();
          else w.f32_const(0).f32_eq();
        };
        setFChecked(s, fmt, t, () => {
          if (tiny === "sum") return void w.i32_const(1);
          // the result must be zero itself (a zero operand gives exactly zero)
          w.get(t)
            .i64_const(fmt === 64 ? 0x7fffffffffffffffn : 0x7fffffff)
            .i64_and()
            .i64_eqz();
          isZero(a);
          if (tiny === "product") {
            isZero(b);
            w.i32_or();
          }
          w.i32_and();
        });
        w.release(t);
        w.release(a);
        w.release(b);
      }),
    (f) => f.setF(f.rd, fmt, f.sf(exact(fmt, f.f(f.rs1, fmt), f.f(f.rs2, fmt), f.rm))),
  );
}

function fma(name: string, opcode: number, fmt: Fmt, negProduct: boolean, negAddend: boolean): FpInsnDef {
  const exact = { fmadd: SF.fmadd, fmsub: SF.fmsub, fnmsub: SF.fnmsub, fnmadd: SF.fnmadd }[name]!;
  return fp(
    `${name}.${sfx(fmt)}`,
    0x0600007f,
    (opcode | (fmtBits(fmt) << 25)) >>> 0,
    "rd,rs1,rs2,rs3,rm",
    (s) =>
      withSlow(
        s,
        // binary32: the product is exact in binary64 and the sum is rounded once there; the
        // second rounding to binary32 agrees with a single rounding unless the binary64 sum
        // is a binary32 midpoint, which goes to the slow path.
        fmt === 64
          ? (w) => fma64Fast(s, w, negProduct, negAddend)
          : (w) => {
              const t = w.local(I64);
              const sum = w.local(F64);
              requireRneNx(s);
              getF(s, "rs1", fmt, t);
              w.f64_promote_f32();
              getF(s, "rs2", fmt, t);
              w.f64_promote_f32().f64_mul();
              if (negProduct) w.f64_neg();
              getF(s, "rs3", fmt, t);
              w.f64_promote_f32();
              if (negAddend) w.f64_sub();
              else w.f64_add();
              w.tee(sum).i64_reinterpret_f64().i64_const(0x1fffffff).i64_and().i64_const(0x10000000).i64_eq();
              w.br_if("fpslow");
              w.get(sum).f32_demote_f64();
              setFChecked(s, fmt, t);
              w.release(t);
              w.release(sum);
            },
      ),
    (f) => f.setF(f.rd, fmt, f.sf(exact(fmt, f.f(f.rs1, fmt), f.f(f.rs2, fmt), f.f(f.rs3, fmt), f.rm))),
  );
}

/** Sign injection: exact and flag-free, done inline for binary64 and boxed binary32. */
function sgnj(name: string, f3: number, fmt: Fmt): FpInsnDef {
  const sign = fmt === 64 ? -0x8000000000000000n : 0x80000000n;
  const inject = (a: bigint, b: bigint) =>
    f3 === 0 ? (a & ~sign) | (b & sign) : f3 === 1 ? (a & ~sign) | (~b & sign) : a ^ (b & sign);
  return fp(
    `${name}.${sfx(fmt)}`,
    MASK_F7,
    enc(OP_FP, f3, 0x10 | fmtBits(fmt)),
    "rd,rs1,rs2",
    (s) =>
      withSlow(s, (w) => {
        const a = w.local(I64);
        const b = w.local(I64);
        s.getFBits(s.field("rs1"));
        w.set(a);
        s.getFBits(s.field("rs2"));
        w.set(b);
        if (fmt === 32) {
          for (const l of [a, b])
            w.get(l).i64_const(32).i64_shr_u().i64_const(0xffffffff).i64_ne().br_if("fpslow");
        }
        s.setFBits(s.field("rd"), () => {
          const m = fmt === 64 ? -0x8000000000000000n : 0x80000000n;
          w.get(a).i64_const(~m).i64_and();
          if (f3 === 2) w.get(a).get(b).i64_xor().i64_const(m).i64_and();
          else {
            w.get(b);
            if (f3 === 1) w.i64_const(-1).i64_xor();
            w.i64_const(m).i64_and();
          }
          w.i64_or();
        });
        s.fsDirty();
        w.release(a);
        w.release(b);
      }),
    (f) => {
      const mask = fmt === 64 ? (1n << 64n) - 1n : 0xffffffffn;
      f.setF(f.rd, fmt, inject(f.f(f.rs1, fmt), f.f(f.rs2, fmt)) & mask);
    },
  );
}

/** feq/flt/fle: inline when neither operand is NaN (then no flag can be raised). */
function compare(name: string, f3: number, fmt: Fmt, host: (w: FunctionBuilder) => void): FpInsnDef {
  const exact = { feq: SF.feq, flt: SF.flt, fle: SF.fle }[name]!;
  return fp(
    `${name}.${sfx(fmt)}`,
    MASK_F7,
    enc(OP_FP, f3, 0x50 | fmtBits(fmt)),
    "rd,rs1,rs2",
    (s) =>
      withSlow(s, (w) => {
        const t = w.local(I64);
        const a = w.local(F64);
        const b = w.local(F64);
        getF(s, "rs1", fmt, t);
        if (fmt === 32) w.f64_promote_f32();
        w.tee(a).get(a).f64_ne();
        getF(s, "rs2", fmt, t);
        if (fmt === 32) w.f64_promote_f32();
        w.tee(b).get(b).f64_ne().i32_or().br_if("fpslow");
        s.setX(s.field("rd"), () => {
          w.get(a).get(b);
          host(w);
          w.i64_extend_i32_u();
        });
        w.release(t);
        w.release(a);
        w.release(b);
      }),
    (f) => f.setX(f.rd, BigInt(f.sf(exact(fmt, f.f(f.rs1, fmt), f.f(f.rs2, fmt))))),
  );
}

/**
 * fcvt.int.fmt: inline for RNE, RTZ, RDN and RUP when the rounded value is in range: exact
 * conversions raise no flag, inexact ones only NX (so NX must already be accrued).
 */
function cvtToInt(fmt: Fmt, bits: 32 | 64, signed: boolean): FpInsnDef {
  const iname = (bits === 32 ? "w" : "l") + (signed ? "" : "u");
  const rs2 = (bits === 64 ? 2 : 0) | (signed ? 0 : 1);
  const [lo, hi] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1)] : [0, 2 ** bits]; // hi is exclusive
  return fp(
    `fcvt.${iname}.${sfx(fmt)}`,
    0xfff0007f,
    (enc(OP_FP, 0, 0x60 | fmtBits(fmt)) | (rs2 << 20)) >>> 0,
    "rd,rs1,rm",
    (s) =>
      withSlow(s, (w) => {
        const t = w.local(I64);
        const v = w.local(F64);
        const r = w.local(F64);
        const mode = w.local(I32);
        getF(s, "rs1", fmt, t);
        if (fmt === 32) w.f64_promote_f32();
        w.tee(v).get(v).f64_ne().br_if("fpslow"); // NaN
        effectiveRm(s);
        w.tee(mode).i32_const(3).i32_gt_u().br_if("fpslow"); // RMM (or invalid): exact path
        // r = v rounded to an integer in the mode: RNE nearest, RTZ trunc, RDN floor, RUP ceil
        w.block("r0").block("r3").block("r2").block("r1").block("rne");
        w.get(mode).br_table(["rne", "r1", "r2", "r3"], "rne");
        w.end().get(v).f64_nearest().set(r).br("r0");
        w.end().get(v).f64_trunc().set(r).br("r0");
        w.end().get(v).f64_floor().set(r).br("r0");
        w.end().get(v).f64_ceil().set(r);
        w.end();
        w.get(r).f64_const(lo).f64_lt().get(r).f64_const(hi).f64_ge().i32_or().br_if("fpslow"); // NV
        w.get(r).get(v).f64_ne().if_();
        requireNx(s);
        w.end();
        s.setX(s.field("rd"), () => {
          w.get(r);
          if (bits === 64) {
            if (signed) w.i64_trunc_sat_f64_s();
            else w.i64_trunc_sat_f64_u();
          } else {
            if (signed) w.i32_trunc_sat_f64_s();
            else w.i32_trunc_sat_f64_u();
            w.i64_extend_i32_s(); // W results are sign-extended, unsigned ones too
          }
        });
        for (const l of [t, v, r, mode]) w.release(l);
      }),
    (f) => f.setX(f.rd, f.sf(SF.fcvtIntFromFloat(fmt, f.f(f.rs1, fmt), bits, signed, f.rm))),
  );
}

/**
 * fcvt.fmt.int: the host conversion rounds to nearest-even. An exact result (checked by
 * converting back) is right in every mode; an inexact one needs RNE and NX accrued.
 */
function cvtFromInt(fmt: Fmt, bits: 32 | 64, signed: boolean): FpInsnDef {
  const iname = (bits === 32 ? "w" : "l") + (signed ? "" : "u");
  const rs2 = (bits === 64 ? 2 : 0) | (signed ? 0 : 1);
  const alwaysExact = fmt === 64 && bits === 32;
  // The first float past the integer range: converting it back saturates, which could look exact.
  const limit = signed ? 2 ** (bits - 1) : 2 ** bits;
  return fp(
    `fcvt.${sfx(fmt)}.${iname}`,
    0xfff0007f,
    (enc(OP_FP, 0, 0x68 | fmtBits(fmt)) | (rs2 << 20)) >>> 0,
    "rd,rs1,rm",
    (s) =>
      withSlow(s, (w) => {
        const x = w.local(I64);
        const f = w.local(F64);
        s.getX(s.field("rs1"));
        if (bits === 32) w.i64_const(0xffffffff).i64_and(); // the low word, as unsigned bits
        w.set(x);
        // convert in the target format, then widen to f64 (exact) for the checks
        w.get(x);
        const conv = {
          "64-32-s": () => w.i32_wrap_i64().f64_convert_i32_s(),
          "64-32-u": () => w.i32_wrap_i64().f64_convert_i32_u(),
          "64-64-s": () => w.f64_convert_i64_s(),
          "64-64-u": () => w.f64_convert_i64_u(),
          "32-32-s": () => w.i32_wrap_i64().f32_convert_i32_s().f64_promote_f32(),
          "32-32-u": () => w.i32_wrap_i64().f32_convert_i32_u().f64_promote_f32(),
          "32-64-s": () => w.f32_convert_i64_s().f64_promote_f32(),
          "32-64-u": () => w.f32_convert_i64_u().f64_promote_f32(),
        }[`${fmt}-${bits}-${signed ? "s" : "u"}`]!;
        conv();
        w.set(f);
        if (!alwaysExact) {
          // exact iff converting back gives x and f is not the saturating boundary
          w.get(f).f64_abs().f64_const(limit).f64_eq();
          w.get(f);
          if (bits === 64) (signed ? w.i64_trunc_sat_f64_s() : w.i64_trunc_sat_f64_u()).get(x).i64_ne();
          else {
            (signed ? w.i32_trunc_sat_f64_s() : w.i32_trunc_sat_f64_u()).get(x).i32_wrap_i64().i32_ne();
          }
          w.i32_or().if_();
          requireRneNx(s);
          w.end();
        }
        s.setFBits(s.field("rd"), () => {
          w.get(f);
          if (fmt === 64) w.i64_reinterpret_f64();
          else w.f32_demote_f64().i32_reinterpret_f32().i64_extend_i32_u().i64_const(-0x100000000).i64_or();
        });
        s.fsDirty();
        w.release(x);
        w.release(f);
      }),
    (f) => f.setF(f.rd, fmt, f.sf(SF.fcvtFloatFromInt(fmt, f.x(f.rs1), bits, signed, f.rm))),
  );
}

function formatSet(fmt: Fmt): FpInsnDef[] {
  const F = fmt;
  const x = sfx(fmt);
  const fb = fmtBits(fmt);
  return [
    fp(
      fmt === 32 ? "flw" : "fld",
      MASK_F3,
      enc(0x07, fmt === 32 ? 2 : 3),
      "rd,imm:I(rs1)",
      (s) => {
        s.requireFs();
        s.setFBits(s.field("rd"), () => {
          s.load(fmt === 32 ? "u32" : "i64", () => addrRs1Imm(s, "I"));
          if (fmt === 32) s.w.i64_const(-0x100000000).i64_or(); // NaN-box
        });
        s.fsDirty();
      },
      () => {},
    ),
    fp(
      fmt === 32 ? "fsw" : "fsd",
      MASK_F3,
      enc(0x27, fmt === 32 ? 2 : 3),
      "rs2,imm:S(rs1)",
      (s) => {
        s.requireFs();
        s.store(
          fmt === 32 ? 4 : 8,
          () => addrRs1Imm(s, "S"),
          () => s.getFBits(s.field("rs2")),
        );
      },
      () => {},
    ),
    arith("fadd", 0x00, F, "sum", (w) => (F === 64 ? w.f64_add() : w.f32_add()), SF.fadd),
    arith("fsub", 0x04, F, "sum", (w) => (F === 64 ? w.f64_sub() : w.f32_sub()), SF.fsub),
    arith("fmul", 0x08, F, "product", (w) => (F === 64 ? w.f64_mul() : w.f32_mul()), SF.fmul),
    arith("fdiv", 0x0c, F, "quotient", (w) => (F === 64 ? w.f64_div() : w.f32_div()), SF.fdiv),
    fp(
      `fsqrt.${x}`,
      0xfff0007f,
      enc(OP_FP, 0, 0x2c | fb),
      "rd,rs1,rm",
      (s) =>
        withSlow(s, (w) => {
          const t = w.local(I64);
          requireRneNx(s);
          getF(s, "rs1", F, t);
          if (F === 64) w.f64_sqrt();
          else w.f32_sqrt();
          setFChecked(s, F, t);
          w.release(t);
        }),
      (f) => f.setF(f.rd, F, f.sf(SF.fsqrt(F, f.f(f.rs1, F), f.rm))),
    ),
    fma("fmadd", 0x43, F, false, false),
    fma("fmsub", 0x47, F, false, true),
    fma("fnmsub", 0x4b, F, true, false),
    fma("fnmadd", 0x4f, F, true, true),
    sgnj("fsgnj", 0, F),
    sgnj("fsgnjn", 1, F),
    sgnj("fsgnjx", 2, F),
    fp(
      `fmin.${x}`,
      MASK_F7,
      enc(OP_FP, 0, 0x14 | fb),
      "rd,rs1,rs2",
      (s) => withSlow(s, undefined),
      (f) => f.setF(f.rd, F, f.sf(SF.fmin(F, f.f(f.rs1, F), f.f(f.rs2, F)))),
    ),
    fp(
      `fmax.${x}`,
      MASK_F7,
      enc(OP_FP, 1, 0x14 | fb),
      "rd,rs1,rs2",
      (s) => withSlow(s, undefined),
      (f) => f.setF(f.rd, F, f.sf(SF.fmax(F, f.f(f.rs1, F), f.f(f.rs2, F)))),
    ),
    compare("feq", 2, F, (w) => w.f64_eq()),
    compare("flt", 1, F, (w) => w.f64_lt()),
    compare("fle", 0, F, (w) => w.f64_le()),
    fp(
      `fclass.${x}`,
      0xfff0707f,
      enc(OP_FP, 1, 0x70 | fb),
      "rd,rs1",
      (s) => withSlow(s, undefined),
      (f) => f.setX(f.rd, BigInt(SF.fclass(F, f.f(f.rs1, F)))),
    ),
    fp(
      fmt === 32 ? "fmv.x.w" : "fmv.x.d",
      0xfff0707f,
      enc(OP_FP, 0, 0x70 | fb),
      "rd,rs1",
      (s) => {
        s.requireFs();
        s.setX(s.field("rd"), () => {
          s.getFBits(s.field("rs1"));
          if (fmt === 32) s.w.i32_wrap_i64().i64_extend_i32_s();
        });
      },
      () => {},
    ),
    fp(
      fmt === 32 ? "fmv.w.x" : "fmv.d.x",
      0xfff0707f,
      enc(OP_FP, 0, 0x78 | fb),
      "rd,rs1",
      (s) => {
        s.requireFs();
        s.setFBits(s.field("rd"), () => {
          s.getX(s.field("rs1"));
          if (fmt === 32) s.w.i64_const(-0x100000000).i64_or();
        });
        s.fsDirty();
      },
      () => {},
    ),
    cvtToInt(F, 32, true),
    cvtToInt(F, 32, false),
    cvtToInt(F, 64, true),
    cvtToInt(F, 64, false),
    cvtFromInt(F, 32, true),
    cvtFromInt(F, 32, false),
    cvtFromInt(F, 64, true),
    cvtFromInt(F, 64, false),
  ];
}

export const RV64FD: FpInsnDef[] = [
  ...formatSet(32),
  ...formatSet(64),
  fp(
    "fcvt.s.d",
    0xfff0007f,
    enc(OP_FP, 0, 0x20) | (1 << 20),
    "rd,rs1,rm",
    (s) => withSlow(s, undefined),
    (f) => f.setF(f.rd, 32, f.sf(SF.fcvtFloat(32, 64, f.f(f.rs1, 64), f.rm))),
  ),
  fp(
    "fcvt.d.s",
    0xfff0007f,
    enc(OP_FP, 0, 0x21),
    "rd,rs1,rm",
    (s) =>
      withSlow(s, (w) => {
        // Exact for every non-NaN binary32; NaNs need canonicalization and maybe NV.
        const t = w.local(I64);
        const v = w.local(F64);
        getF(s, "rs1", 32, t);
        w.f64_promote_f32().tee(v).get(v).f64_ne().br_if("fpslow");
        s.setFBits(s.field("rd"), () => w.get(v).i64_reinterpret_f64());
        s.fsDirty();
        w.release(t);
        w.release(v);
      }),
    (f) => f.setF(f.rd, 64, f.sf(SF.fcvtFloat(64, 32, f.f(f.rs1, 32), f.rm))),
  ),
];
