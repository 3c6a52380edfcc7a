// RV64C (Unprivileged ISA ch. 16): every compressed instruction is defined by the 32-bit
// instruction it expands to, so the compressed forms share the base semantics. The
// recompiler expands at translation time; the interpreter looks expansions up in a table
// built from this function at start-up.

/** A 32-bit word that decodes as illegal: its major opcode (1111111) belongs to no definition. */
export const C_ILLEGAL = 0xffffffff;

const bit = (h: number, i: number) => (h >>> i) & 1;
const bits = (h: number, hi: number, lo: number) => (h >>> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (v: number, width: number) => (v << (32 - width)) >> (32 - width);

const i = (opc: number, f3: number, rd: number, rs1: number, imm: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
const s = (opc: number, f3: number, rs1: number, rs2: number, imm: number) =>
  ((bits(imm, 11, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (bits(imm, 4, 0) << 7) | opc) >>> 0;
const r = (opc: number, f3: number, f7: number, rd: number, rs1: number, rs2: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
const b = (f3: number, rs1: number, rs2: number, imm: number) =>
  ((bit(imm, 12) << 31) |
    (bits(imm, 10, 5) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    (bits(imm, 4, 1) << 8) |
    (bit(imm, 11) << 7) |
    0x63) >>>
  0;
const j = (rd: number, imm: number) =>
  ((bit(imm, 20) << 31) |
    (bits(imm, 10, 1) << 21) |
    (bit(imm, 11) << 20) |
    (bits(imm, 19, 12) << 12) |
    (rd << 7) |
    0x6f) >>>
  0;

const LOAD = 0x03, LOAD_FP = 0x07, STORE = 0x23, STORE_FP = 0x27, OP_IMM = 0x13, OP_IMM_32 = 0x1b; // prettier-ignore
const OP = 0x33, OP_32 = 0x3b, JALR = 0x67, LUI = 0x37, SYSTEM = 0x73; // prettier-ignore

/** Expands a 16-bit RV64C instruction to its 32-bit equivalent, or C_ILLEGAL. */
export function expandCompressed(h: number): number {
  const f3 = bits(h, 15, 13);
  const rdp = bits(h, 4, 2) + 8; // rd'/rs2' (x8..x15)
  const rs1p = bits(h, 9, 7) + 8;
  const rd = bits(h, 11, 7);
  const rs2 = bits(h, 6, 2);
  const imm6 = sext((bit(h, 12) << 5) | bits(h, 6, 2), 6);
  const uimmD = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6); // c.ld/c.sd/c.fld/c.fsd
  const uimmW = (bits(h, 12, 10) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6); // c.lw/c.sw
  switch (h & 3) {
    case 0:
      switch (f3) {
        case 0: {
          const nzuimm = (bits(h, 12, 11) << 4) | (bits(h, 10, 7) << 6) | (bit(h, 6) << 2) | (bit(h, 5) << 3);
          return nzuimm === 0 ? C_ILLEGAL : i(OP_IMM, 0, rdp, 2, nzuimm); // c.addi4spn
        }
        case 1: return i(LOAD_FP, 3, rdp, rs1p, uimmD); // c.fld
        case 2: return i(LOAD, 2, rdp, rs1p, uimmW); // c.lw
        case 3: return i(LOAD, 3, rdp, rs1p, uimmD); // c.ld
        case 5: return s(STORE_FP, 3, rs1p, rdp, uimmD); // c.fsd
        case 6: return s(STORE, 2, rs1p, rdp, uimmW); // c.sw
        case 7: return s(STORE, 3, rs1p, rdp, uimmD); // c.sd
        default: return C_ILLEGAL;
      } // prettier-ignore
    case 1:
      switch (f3) {
        case 0: return i(OP_IMM, 0, rd, rd, imm6); // c.addi (c.nop)
        case 1: return rd === 0 ? C_ILLEGAL : i(OP_IMM_32, 0, rd, rd, imm6); // c.addiw
        case 2: return i(OP_IMM, 0, rd, 0, imm6); // c.li
        case 3:
          if (rd === 2) {
            const nz = sext((bit(h, 12) << 9) | (bit(h, 6) << 4) | (bit(h, 5) << 6) | (bits(h, 4, 3) << 7) | (bit(h, 2) << 5), 10);
            return nz === 0 ? C_ILLEGAL : i(OP_IMM, 0, 2, 2, nz); // c.addi16sp
          }
          return imm6 === 0 ? C_ILLEGAL : ((imm6 << 12) | (rd << 7) | LUI) >>> 0; // c.lui
        case 4: return arith(h, rs1p, rdp);
        case 5: return j(0, cjImm(h)); // c.j
        case 6: return b(0, rs1p, 0, cbImm(h)); // c.beqz
        default: return b(1, rs1p, 0, cbImm(h)); // c.bnez
      } // prettier-ignore
    case 2:
      switch (f3) {
        case 0: return i(OP_IMM, 1, rd, rd, (bit(h, 12) << 5) | rs2); // c.slli
        case 1: return i(LOAD_FP, 3, rd, 2, ldsp(h)); // c.fldsp
        case 2: return rd === 0 ? C_ILLEGAL : i(LOAD, 2, rd, 2, (bit(h, 12) << 5) | (bits(h, 6, 4) << 2) | (bits(h, 3, 2) << 6)); // c.lwsp
        case 3: return rd === 0 ? C_ILLEGAL : i(LOAD, 3, rd, 2, ldsp(h)); // c.ldsp
        case 4:
          if (bit(h, 12) === 0) {
            if (rs2 !== 0) return r(OP, 0, 0, rd, 0, rs2); // c.mv
            return rd === 0 ? C_ILLEGAL : i(JALR, 0, 0, rd, 0); // c.jr
          }
          if (rs2 !== 0) return r(OP, 0, 0, rd, rd, rs2); // c.add
          return rd === 0 ? i(SYSTEM, 0, 0, 0, 1) : i(JALR, 0, 1, rd, 0); // c.ebreak : c.jalr
        case 5: return s(STORE_FP, 3, 2, rs2, (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6)); // c.fsdsp
        case 6: return s(STORE, 2, 2, rs2, (bits(h, 12, 9) << 2) | (bits(h, 8, 7) << 6)); // c.swsp
        default: return s(STORE, 3, 2, rs2, (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6)); // c.sdsp
      } // prettier-ignore
    default:
      return C_ILLEGAL;
  }
}

function ldsp(h: number): number {
  return (bit(h, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
}

function cjImm(h: number): number {
  return sext(
    (bit(h, 12) << 11) |
      (bit(h, 11) << 4) |
      (bits(h, 10, 9) << 8) |
      (bit(h, 8) << 10) |
      (bit(h, 7) << 6) |
      (bit(h, 6) << 7) |
      (bits(h, 5, 3) << 1) |
      (bit(h, 2) << 5),
    12,
  );
}

function cbImm(h: number): number {
  return sext(
    (bit(h, 12) << 8) |
      (bits(h, 11, 10) << 3) |
      (bits(h, 6, 5) << 6) |
      (bits(h, 4, 3) << 1) |
      (bit(h, 2) << 5),
    9,
  );
}

/** Quadrant 1, funct3 100: shifts, c.andi and the register-register group. */
function arith(h: number, rd: number, rs2: number): number {
  const shamt = (bit(h, 12) << 5) | bits(h, 6, 2);
  switch (bits(h, 11, 10)) {
    case 0: return i(OP_IMM, 5, rd, rd, shamt); // c.srli
    case 1: return i(OP_IMM, 5, rd, rd, shamt | 0x400); // c.srai
    case 2: return i(OP_IMM, 7, rd, rd, sext((bit(h, 12) << 5) | bits(h, 6, 2), 6)); // c.andi
  } // prettier-ignore
  const op = bits(h, 6, 5);
  if (bit(h, 12) === 0) {
    return [
      r(OP, 0, 0x20, rd, rd, rs2),
      r(OP, 4, 0, rd, rd, rs2),
      r(OP, 6, 0, rd, rd, rs2),
      r(OP, 7, 0, rd, rd, rs2),
    ][op]; // c.sub c.xor c.or c.and
  }
  if (op === 0) return r(OP_32, 0, 0x20, rd, rd, rs2); // c.subw
  if (op === 1) return r(OP_32, 0, 0, rd, rd, rs2); // c.addw
  return C_ILLEGAL;
}

/** The whole 16-bit space, for the interpreter's lookup table. */
let table: Uint32Array | undefined;

/** The expansion of every 16-bit word (made once; every CPU copies it into its memory). */
export function compressedTable(): Uint32Array {
  if (!table) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = (h & 3) === 3 ? C_ILLEGAL : expandCompressed(h);
  }
  return table;
}
