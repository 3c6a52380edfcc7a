// RV64M multiply and divide (Unprivileged ISA ch. 7).
import { I64, type FunctionBuilder, type Local } from "../../../core/wasm.js";
import { enc, insn, MASK_F7, type InsnDef } from "../insn.js";
import { rrw } from "./i.js";

/** Emits with two i64 locals holding the operands and pushes the i64 result. */
type Op2 = (w: FunctionBuilder, a: Local, b: Local) => void;

function rr(name: string, f3: number, op: Op2): InsnDef {
  return insn("M", name, MASK_F7, enc(0x33, f3, 1), "rd,rs1,rs2", (s) => {
    const a = s.w.local(I64);
    const b = s.w.local(I64);
    s.getX(s.field("rs1"));
    s.w.set(a);
    s.getX(s.field("rs2"));
    s.w.set(b);
    s.setX(s.field("rd"), () => op(s.w, a, b));
    s.w.release(a);
    s.w.release(b);
  });
}

/** High 64 bits of the unsigned 128-bit product, from 32-bit partial products. */
function mulhu(w: FunctionBuilder, a: Local, b: Local): void {
  const lo = (l: Local) => w.get(l).i64_const(0xffffffff).i64_and();
  const hi = (l: Local) => w.get(l).i64_const(32).i64_shr_u();
  const t = w.local(I64);
  // t = (aL*bL >> 32) + lo(aL*bH) + lo(aH*bL): the carry into the high word
  lo(a);
  lo(b);
  w.i64_mul().i64_const(32).i64_shr_u();
  lo(a);
  hi(b);
  w.i64_mul().i64_const(0xffffffff).i64_and().i64_add();
  hi(a);
  lo(b);
  w.i64_mul().i64_const(0xffffffff).i64_and().i64_add().set(t);
  // aH*bH + hi(aL*bH) + hi(aH*bL) + (t >> 32)
  hi(a);
  hi(b);
  w.i64_mul();
  lo(a);
  hi(b);
  w.i64_mul().i64_const(32).i64_shr_u().i64_add();
  hi(a);
  lo(b);
  w.i64_mul().i64_const(32).i64_shr_u().i64_add();
  w.get(t).i64_const(32).i64_shr_u().i64_add();
  w.release(t);
}

/** Pushes (x < 0 ? y : 0). */
function ifNeg(w: FunctionBuilder, x: Local, y: Local): void {
  w.get(y).i64_const(0).get(x).i64_const(0).i64_lt_s().select();
}

/** Division with the spec's results for a zero divisor and for overflow (§7.2). */
function div(signed: boolean, rem: boolean): Op2 {
  return (w, a, b) => {
    w.get(b).i64_eqz().if_(I64);
    if (rem) w.get(a);
    else w.i64_const(-1);
    w.else_();
    if (signed) {
      // INT64_MIN / -1 overflows: quotient = dividend, remainder = 0
      w.get(b).i64_const(-1).i64_eq().get(a).i64_const(-0x8000000000000000n).i64_eq().i32_and().if_(I64);
      if (rem) w.i64_const(0);
      else w.get(a);
      w.else_().get(a).get(b);
      if (rem) w.i64_rem_s();
      else w.i64_div_s();
      w.end();
    } else {
      w.get(a).get(b);
      if (rem) w.i64_rem_u();
      else w.i64_div_u();
    }
    w.end();
  };
}

/** The same for the W forms, on i32 operands already on the stack (a below b). */
function divw(signed: boolean, rem: boolean): (w: FunctionBuilder) => void {
  return (w) => {
    const a = w.local(0x7f);
    const b = w.local(0x7f);
    w.set(b).set(a);
    w.get(b).i32_eqz().if_(0x7f);
    if (rem) w.get(a);
    else w.i32_const(-1);
    w.else_();
    if (signed) {
      w.get(b).i32_const(-1).i32_eq().get(a).i32_const(-0x80000000).i32_eq().i32_and().if_(0x7f);
      if (rem) w.i32_const(0);
      else w.get(a);
      w.else_().get(a).get(b);
      if (rem) w.i32_rem_s();
      else w.i32_div_s();
      w.end();
    } else {
      w.get(a).get(b);
      if (rem) w.i32_rem_u();
      else w.i32_div_u();
    }
    w.end();
    w.release(a);
    w.release(b);
  };
}

export const RV64M: InsnDef[] = [
  rr("mul", 0, (w, a, b) => w.get(a).get(b).i64_mul()),
  rr("mulh", 1, (w, a, b) => {
    mulhu(w, a, b);
    ifNeg(w, a, b);
    w.i64_sub();
    ifNeg(w, b, a);
    w.i64_sub();
  }),
  rr("mulhsu", 2, (w, a, b) => {
    mulhu(w, a, b);
    ifNeg(w, a, b);
    w.i64_sub();
  }),
  rr("mulhu", 3, mulhu),
  rr("div", 4, div(true, false)),
  rr("divu", 5, div(false, false)),
  rr("rem", 6, div(true, true)),
  rr("remu", 7, div(false, true)),
  rrw("M", "mulw", 0, 1, (w) => w.i32_mul()),
  rrw("M", "divw", 4, 1, divw(true, false)),
  rrw("M", "divuw", 5, 1, divw(false, false)),
  rrw("M", "remw", 6, 1, divw(true, true)),
  rrw("M", "remuw", 7, 1, divw(false, true)),
];
