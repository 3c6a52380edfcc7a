// Building blocks of the inline floating-point fast paths (see insns/fd.ts): each emits wasm
// that either finishes the instruction with bits and flags the exact definition would give,
// or branches to "fpslow" (the exact definition through the "fp" helper).
import { F64, I32, I64, type FunctionBuilder, type Local } from "../../../core/wasm.js";
import type { Sem } from "../insn.js";
import * as SF from "../softfloat.js";
import { FFLAGS, FRM } from "../state.js";

export type Fmt = 32 | 64;

/** Fast path, else the helper. `fast` branches to "fpslow" whenever it is not sure. */
export function withSlow(s: Sem, fast: ((w: FunctionBuilder) => void) | undefined): void {
  s.requireFs();
  if (!fast) {
    s.helper("fp");
    return;
  }
  const w = s.w;
  w.block("fpdone");
  w.block("fpslow");
  fast(w);
  w.br("fpdone");
  w.end();
  s.helper("fp");
  w.end();
}

/** Branches to "fpslow" unless the effective rounding mode is RNE and fflags.NX is set. */
export function requireRneNx(s: Sem): void {
  const rm = s.field("rm").value;
  if (rm !== undefined && rm !== 0 && rm !== 7) {
    s.w.br("fpslow");
    return;
  }
  effectiveRm(s);
  s.w.br_if("fpslow");
  requireNx(s);
}

/** Pushes f[r] as a host float of `fmt`; a binary32 that is not NaN-boxed goes to the slow path. */
export function getF(s: Sem, r: "rs1" | "rs2" | "rs3", fmt: Fmt, tmp: Local): void {
  const w = s.w;
  s.getFBits(s.field(r));
  if (fmt === 64) {
    w.f64_reinterpret_i64();
    return;
  }
  w.tee(tmp).i64_const(32).i64_shr_u().i64_const(0xffffffff).i64_ne().br_if("fpslow");
  w.get(tmp).i32_wrap_i64().f32_reinterpret_i32();
}

/**
 * Writes the host float on the stack to f[rd] unless it is infinite or NaN, or tiny (zero,
 * subnormal, or the smallest normal, where underflow may hide): those go to the slow path,
 * except a tiny result for which `tinyExact` pushes true (i32) — it is then exact, no flag.
 */
export function setFChecked(s: Sem, fmt: Fmt, tmp: Local, tinyExact?: () => void): void {
  const w = s.w;
  const [shift, max] = fmt === 64 ? [52, 0x7ff] : [23, 0xff];
  const e = w.local(I32);
  if (fmt === 64) w.i64_reinterpret_f64();
  else w.i32_reinterpret_f32().i64_extend_i32_u();
  w.tee(tmp).i64_const(shift).i64_shr_u().i32_wrap_i64().i32_const(max).i32_and().tee(e);
  w.i32_const(max).i32_eq().br_if("fpslow");
  w.get(e).i32_const(1).i32_le_u();
  if (tinyExact) {
    w.if_();
    tinyExact();
    w.i32_eqz().br_if("fpslow");
    w.end();
  } else w.br_if("fpslow");
  w.release(e);
  s.setFBits(s.field("rd"), () => {
    w.get(tmp);
    if (fmt === 32) w.i64_const(-0x100000000).i64_or();
  });
  s.fsDirty();
}

/** Pushes the effective rounding mode (i32): the static rm field, or frm when it is DYN. */
export function effectiveRm(s: Sem): void {
  const w = s.w;
  const rm = s.field("rm");
  if (rm.value !== undefined) {
    if (rm.value === 7) {
      s.hart();
      w.i32_load(FRM);
    } else w.i32_const(rm.value);
    return;
  }
  rm.emit();
  w.i32_const(7).i32_eq().if_(I32);
  s.hart();
  w.i32_load(FRM).else_();
  rm.emit();
  w.end();
}

/** Branches to "fpslow" unless fflags.NX is already accrued. */
export function requireNx(s: Sem): void {
  s.hart();
  s.w.i32_load(FFLAGS).i32_const(SF.NX).i32_and().i32_eqz().br_if("fpslow");
}

/** Exponent field of the f64 in local `x` (i32). */
export function expField(w: FunctionBuilder, x: Local): void {
  w.get(x).i64_reinterpret_f64().i64_const(52).i64_shr_u().i32_wrap_i64().i32_const(0x7ff).i32_and();
}

/** Pushes x + y and sets `err` to the exact error (Knuth's TwoSum; exact without overflow). */
export function twoSum(w: FunctionBuilder, x: Local, y: Local, sum: Local, err: Local, tmp: Local): void {
  w.get(x).get(y).f64_add().set(sum);
  w.get(sum).get(x).f64_sub().set(tmp);
  w.get(x).get(sum).get(tmp).f64_sub().f64_sub();
  w.get(y).get(tmp).f64_sub().f64_add().set(err);
}

/**
 * binary64 fused multiply-add without a host FMA: the product is split exactly (Dekker's
 * TwoProduct with Veltkamp splitting, exact while both exponents stay within ±480), the
 * three-term sum is carried exactly with TwoSum, and the final rounding is accepted only
 * when the discarded tail cannot move it across a rounding boundary.
 */
export function fma64Fast(s: Sem, w: FunctionBuilder, negProduct: boolean, negAddend: boolean): void {
  const L = () => w.local(F64);
  const [a, b, c, p, t, ah, al, bh, bl, pe, sh, sl, tt, terr, r, rerr] = Array.from({ length: 16 }, L);
  const bits = w.local(I64);
  requireRneNx(s);
  getF(s, "rs1", 64, bits);
  if (negProduct) w.f64_neg();
  w.set(a);
  getF(s, "rs2", 64, bits);
  w.set(b);
  getF(s, "rs3", 64, bits);
  if (negAddend) w.f64_neg();
  w.set(c);
  for (const x of [a, b]) {
    expField(w, x);
    w.i32_const(1023 - 480)
      .i32_sub()
      .i32_const(960)
      .i32_gt_u()
      .br_if("fpslow");
  }
  expField(w, c);
  w.i32_const(0x7ff).i32_eq().br_if("fpslow");
  w.get(a).get(b).f64_mul().set(p);
  for (const [x, hi, lo] of [
    [a, ah, al],
    [b, bh, bl],
  ] as const) {
    w.f64_const(134217729).get(x).f64_mul().tee(t).get(t).get(x).f64_sub().f64_sub().tee(hi);
    w.get(x).get(hi).f64_sub().set(lo);
    w.drop();
  }
  // pe = ((ah*bh - p) + ah*bl + al*bh) + al*bl: a*b = p + pe exactly
  w.get(ah).get(bh).f64_mul().get(p).f64_sub();
  w.get(ah).get(bl).f64_mul().f64_add();
  w.get(al).get(bh).f64_mul().f64_add();
  w.get(al).get(bl).f64_mul().f64_add().set(pe);
  twoSum(w, p, c, sh, sl, t);
  twoSum(w, sl, pe, tt, terr, t);
  twoSum(w, sh, tt, r, rerr, t);
  // r = RN(sh + tt); the exact result is r + rerr + terr. Accept r unless rerr + terr may
  // reach half an ulp of r, or r is a power of two (its lower ulp is smaller).
  w.get(r).i64_reinterpret_f64().tee(bits).i64_const(0xfffffffffffffn).i64_and().i64_eqz().br_if("fpslow");
  w.get(bits).i64_const(52).i64_shr_u().i64_const(0x7ff).i64_and().i64_const(54).i64_lt_u().br_if("fpslow");
  w.get(bits).i64_const(52).i64_shr_u().i64_const(0x7ff).i64_and().i64_const(53).i64_sub();
  w.i64_const(52).i64_shl().f64_reinterpret_i64(); // half an ulp of r (r normal: checked below)
  w.get(rerr).f64_abs().f64_sub().get(terr).f64_abs().f64_const(2).f64_mul().f64_le().br_if("fpslow");
  w.get(r);
  setFChecked(s, 64, bits);
  for (const l of [a, b, c, p, t, ah, al, bh, bl, pe, sh, sl, tt, terr, r, rerr]) w.release(l);
  w.release(bits);
}
