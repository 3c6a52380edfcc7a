// RV64A atomics (Unprivileged ISA ch. 8). LR records the address and the loaded value; SC is
// a compare-exchange against that value, which stays correct when harts run in parallel.
import { I32, I64, type FunctionBuilder, type Local } from "../../../core/wasm.js";
import { insn, type InsnDef, type Sem } from "../insn.js";
import { RES_ADDR, RES_VAL } from "../state.js";

const MASK_AMO = 0xf800707f; // funct5 + funct3 + opcode; aq/rl are ignored (every AMO is SC here)
const MASK_LR = 0xf9f0707f;

type Width = "w" | "d";
const f3 = (width: Width) => (width === "w" ? 2 : 3);
const bytes = (width: Width) => (width === "w" ? 4 : 8);

function amoMatch(funct5: number, width: Width): number {
  return ((funct5 << 27) | (f3(width) << 12) | 0x2f) >>> 0;
}

/** Pushes the value in `l` as the i64 register value of this width (sign-extended for .w). */
function widen(w: FunctionBuilder, width: Width, l: Local): void {
  w.get(l);
  if (width === "w") w.i64_extend_i32_s();
}

/**
 * A read-modify-write as a compare-exchange loop: `op` pushes the new value from the old
 * (local `old`) and the register operand (local `src`), both in the access width.
 */
function amo(
  name: string,
  funct5: number,
  width: Width,
  op: (w: FunctionBuilder, old: Local, src: Local) => void,
): InsnDef {
  return insn("A", `${name}.${width}`, MASK_AMO, amoMatch(funct5, width), "rd,rs2,(rs1)", (s) => {
    const w = s.w;
    const t = width === "w" ? I32 : I64;
    const host = w.local(I32);
    const old = w.local(t);
    const src = w.local(t);
    s.translate(bytes(width), "store", () => s.getX(s.field("rs1")));
    w.set(host);
    s.getX(s.field("rs2"));
    if (width === "w") w.i32_wrap_i64();
    w.set(src);
    w.loop("amo");
    w.get(host).get(host);
    if (width === "w") w.i32_atomic_load().tee(old);
    else w.i64_atomic_load().tee(old);
    op(w, old, src);
    if (width === "w") w.i32_atomic_rmw_cmpxchg().get(old).i32_ne();
    else w.i64_atomic_rmw_cmpxchg().get(old).i64_ne();
    w.br_if("amo").end();
    s.setX(s.field("rd"), () => widen(w, width, old));
    w.release(host);
    w.release(old);
    w.release(src);
  });
}

function lr(width: Width): InsnDef {
  return insn("A", `lr.${width}`, MASK_LR, amoMatch(0x02, width), "rd,(rs1)", (s) => {
    const w = s.w;
    const addr = w.local(I64);
    const val = w.local(I64);
    s.getX(s.field("rs1"));
    w.set(addr);
    s.translate(bytes(width), "load", () => w.get(addr));
    if (width === "w") w.i64_load32_s();
    else w.i64_load();
    w.set(val);
    reservation(s, addr, val);
    s.setX(s.field("rd"), () => w.get(val));
    w.release(addr);
    w.release(val);
  });
}

function reservation(s: Sem, addr: Local, val: Local): void {
  hartField(s, RES_ADDR, () => s.w.get(addr));
  hartField(s, RES_VAL, () => s.w.get(val));
}

/** Stores an i64 into the hart state at `offset` (the reservation lives there). */
function hartField(s: Sem, offset: number, value: () => void): void {
  s.hart();
  value();
  s.w.i64_store(offset);
}

function sc(width: Width): InsnDef {
  return insn("A", `sc.${width}`, MASK_AMO, amoMatch(0x03, width), "rd,rs2,(rs1)", (s) => {
    const w = s.w;
    const addr = w.local(I64);
    const host = w.local(I32);
    const ok = w.local(I32);
    s.getX(s.field("rs1"));
    w.set(addr);
    // Alignment and permission are checked even when the SC will fail (Unpriv §8.2).
    s.translate(bytes(width), "store", () => w.get(addr));
    w.set(host);
    s.hart();
    w.i64_load(RES_ADDR).get(addr).i64_eq().if_(I32);
    w.get(host);
    s.hart();
    w.i64_load(RES_VAL);
    if (width === "w") {
      w.i32_wrap_i64();
      s.getX(s.field("rs2"));
      w.i32_wrap_i64().i32_atomic_rmw_cmpxchg();
      s.hart();
      w.i64_load(RES_VAL).i32_wrap_i64().i32_eq();
    } else {
      s.getX(s.field("rs2"));
      w.i64_atomic_rmw_cmpxchg();
      s.hart();
      w.i64_load(RES_VAL).i64_eq();
    }
    w.else_().i32_const(0).end().set(ok);
    hartField(s, RES_ADDR, () => w.i64_const(-1)); // any SC ends the reservation
    s.setX(s.field("rd"), () => w.get(ok).i32_eqz().i64_extend_i32_u());
    w.release(addr);
    w.release(host);
    w.release(ok);
  });
}

/** amomin/amomax[u]: keeps old when it compares true against src, else src. */
const min = (signed: boolean, max: boolean, width: Width) => (w: FunctionBuilder, old: Local, src: Local) => {
  w.get(old).get(src).get(old).get(src);
  const cmp = {
    w: { s: [w.i32_lt_s, w.i32_gt_s], u: [w.i32_lt_u, w.i32_gt_u] },
    d: { s: [w.i64_lt_s, w.i64_gt_s], u: [w.i64_lt_u, w.i64_gt_u] },
  }[width][signed ? "s" : "u"][max ? 1 : 0];
  cmp.call(w);
  w.select();
};

function amos(width: Width): InsnDef[] {
  const bin = (f: (w: FunctionBuilder) => void) => (w: FunctionBuilder, old: Local, src: Local) => {
    w.get(old).get(src);
    f(w);
  };
  const W = width === "w";
  return [
    lr(width),
    sc(width),
    amo("amoswap", 0x01, width, (w, _old, src) => void w.get(src)),
    amo(
      "amoadd",
      0x00,
      width,
      bin((w) => (W ? w.i32_add() : w.i64_add())),
    ),
    amo(
      "amoxor",
      0x04,
      width,
      bin((w) => (W ? w.i32_xor() : w.i64_xor())),
    ),
    amo(
      "amoand",
      0x0c,
      width,
      bin((w) => (W ? w.i32_and() : w.i64_and())),
    ),
    amo(
      "amoor",
      0x08,
      width,
      bin((w) => (W ? w.i32_or() : w.i64_or())),
    ),
    amo("amomin", 0x10, width, min(true, false, width)),
    amo("amomax", 0x14, width, min(true, true, width)),
    amo("amominu", 0x18, width, min(false, false, width)),
    amo("amomaxu", 0x1c, width, min(false, true, width)),
  ];
}

export const RV64A: InsnDef[] = [...amos("w"), ...amos("d")];
