// The "fp" helper: runs the exact definition (`slow`) of an F/D instruction on the
// TypeScript side when its inline fast path cannot decide (see insns/fd.ts).
import { decoder } from "./decode.js";
import type { Hart } from "./hart.js";
import type { FpInsnDef, FpSlow } from "./insns/fd.js";
import { ALL_INSNS } from "./insns/index.js";
import { HelperResult } from "./sem.js";
import * as SF from "./softfloat.js";
import * as S from "./state.js";

const BOX = 0xffffffff00000000n;
const CANONICAL_NAN32 = 0x7fc00000n;

class Ctx implements FpSlow {
  rd = 0;
  rs1 = 0;
  rs2 = 0;
  rs3 = 0;
  rm = 0;
  accrued = 0;
  h!: Hart;
  f(r: number, fmt: 32 | 64): bigint {
    const bits = BigInt.asUintN(64, this.h.getI64(S.F + 8 * r));
    if (fmt === 64) return bits;
    return (bits & BOX) === BOX ? bits & 0xffffffffn : CANONICAL_NAN32;
  }
  setF(r: number, fmt: 32 | 64, bits: bigint): void {
    this.h.setI64(S.F + 8 * r, fmt === 64 ? bits : BOX | (bits & 0xffffffffn));
    this.h.setI32(S.FS_DIRTY, 1);
  }
  x(r: number): bigint {
    return BigInt.asUintN(64, this.h.getX(r));
  }
  setX(r: number, v: bigint): void {
    this.h.setX(r, v);
  }
  sf<T>(v: T): T {
    this.accrued |= SF.flags;
    return v;
  }
}

const ctx = new Ctx();

export function fpHelper(h: Hart): HelperResult {
  const insn = h.getI32(S.INSN);
  const def = decoder(ALL_INSNS)(insn) as FpInsnDef | undefined;
  if (!def?.slow) return h.illegal();
  ctx.h = h;
  ctx.rd = h.field("rd");
  ctx.rs1 = h.field("rs1");
  ctx.rs2 = h.field("rs2");
  ctx.rs3 = h.field("rs3");
  ctx.accrued = 0;
  if (def.usesRm) {
    const rm = h.field("rm");
    ctx.rm = rm === 7 ? h.getI32(S.FRM) : rm;
    if (ctx.rm > 4) return h.illegal(); // reserved static rm, or frm holding an invalid mode
  }
  def.slow(ctx);
  if (ctx.accrued) {
    h.setI32(S.FFLAGS, h.getI32(S.FFLAGS) | ctx.accrued);
    h.setI32(S.FS_DIRTY, 1);
  }
  return HelperResult.Next;
}
