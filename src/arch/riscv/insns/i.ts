// RV64I base integer instructions (Unprivileged ISA ch. 2 and 5), and Zihintpause's PAUSE, a FENCE hint.
import {
  enc,
  insn,
  MASK_ALL,
  MASK_F3,
  MASK_F6,
  MASK_F7,
  MASK_OPC,
  type InsnDef,
  type LoadKind,
  type Sem,
  with32,
  ALWAYS_32,
  RS1_32,
  BOTH_32,
  FIELDS,
  fieldValue,
  immValue,
} from "../insn.js";
import type { FunctionBuilder } from "../../../core/wasm.js";

type Op = (w: FunctionBuilder) => void;

const OP_IMM = 0x13, OP = 0x33, OP_IMM_32 = 0x1b, OP_32 = 0x3b; // prettier-ignore

/** rd = op(rs1, rs2) on i64. */
function rr(name: string, f3: number, f7: number, op: Op): InsnDef {
  return insn("I", name, MASK_F7, enc(OP, f3, f7), "rd,rs1,rs2", (s) =>
    s.setX(s.field("rd"), () => {
      s.getX(s.field("rs1"));
      s.getX(s.field("rs2"));
      op(s.w);
    }),
  );
}

/** rd = op(rs1, imm) on i64. */
function ri(name: string, f3: number, op: Op): InsnDef {
  return insn("I", name, MASK_F3, enc(OP_IMM, f3), "rd,rs1,imm:I", (s) =>
    s.setX(s.field("rd"), () => {
      s.getX(s.field("rs1"));
      s.imm("I");
      op(s.w);
    }),
  );
}

/** Pushes rs1 (and the shift amount) for an RV64 shift by immediate. */
function shiftImm(name: string, f3: number, f6: number, op: Op): InsnDef {
  return insn("I", name, MASK_F6, enc(OP_IMM, f3) | (f6 << 26), "rd,rs1,shamt", (s) =>
    s.setX(s.field("rd"), () => {
      s.getX(s.field("rs1"));
      s.field("shamt").emit();
      s.w.i64_extend_i32_u();
      op(s.w);
    }),
  );
}

/** rd = sext(op(rs1[31:0], rs2[31:0])): a W form, or a bitwise one on sign-extended words. */
const rr32 = (op: Op) => (s: Sem) =>
  s.setX(s.field("rd"), () => {
    s.getX(s.field("rs1"));
    s.w.i32_wrap_i64();
    s.getX(s.field("rs2"));
    s.w.i32_wrap_i64();
    op(s.w);
    s.w.i64_extend_i32_s();
  });

/** rd = sext(op(rs1[31:0], imm)). */
const ri32 = (op: Op) => (s: Sem) =>
  s.setX(s.field("rd"), () => {
    s.getX(s.field("rs1"));
    s.w.i32_wrap_i64();
    s.imm("I");
    s.w.i32_wrap_i64();
    op(s.w);
    s.w.i64_extend_i32_s();
  });

/** The W forms: a 32-bit operation whose result is sign-extended to 64 bits. */
export function rrw(ext: "I" | "M", name: string, f3: number, f7: number, op: Op): InsnDef {
  return word(insn(ext, name, MASK_F7, enc(OP_32, f3, f7), "rd,rs1,rs2", rr32(op)));
}

/**
 * AND, OR, XOR of two sign-extended words is one too, and equals the 32-bit operation
 * sign-extended: the recompiler computes it in i32 there, so a chain of W operations and
 * bitwise ones (a rotation: srliw, slliw, or) stays in i32.
 */
const BITWISE: Record<"and" | "or" | "xor", [Op, Op]> = {
  and: [(w) => w.i64_and(), (w) => w.i32_and()],
  or: [(w) => w.i64_or(), (w) => w.i32_or()],
  xor: [(w) => w.i64_xor(), (w) => w.i32_xor()],
};
const bitwise = (name: keyof typeof BITWISE, f3: number): InsnDef =>
  with32(rr(name, f3, 0x00, BITWISE[name][0]), BOTH_32, { needs: BOTH_32, exec: rr32(BITWISE[name][1]) });
const bitwiseImm = (name: keyof typeof BITWISE, f3: number): InsnDef =>
  with32(ri(`${name}i`, f3, BITWISE[name][0]), RS1_32, { needs: RS1_32, exec: ri32(BITWISE[name][1]) });
/** An instruction whose result is always a sign-extended word (InsnDef.sext32). */
const word = (def: InsnDef): InsnDef => with32(def, ALWAYS_32);

function shiftImmW(name: string, f3: number, f7: number, op: Op): InsnDef {
  const def = insn("I", name, MASK_F7, enc(OP_IMM_32, f3, f7), "rd,rs1,shamt", (s) =>
    s.setX(s.field("rd"), () => {
      s.getX(s.field("rs1"));
      s.w.i32_wrap_i64();
      s.field("shamtw").emit();
      op(s.w);
      s.w.i64_extend_i32_s();
    }),
  );
  return word(def);
}

function load(name: string, f3: number, kind: LoadKind): InsnDef {
  const def = insn("I", name, MASK_F3, enc(0x03, f3), "rd,imm:I(rs1)", (s) =>
    s.setX(s.field("rd"), () => s.load(kind, () => addrRs1Imm(s, "I"))),
  );
  return kind === "i64" || kind === "u32" ? def : word(def);
}

function store(name: string, f3: number, bytes: 1 | 2 | 4 | 8): InsnDef {
  return insn("I", name, MASK_F3, enc(0x23, f3), "rs2,imm:S(rs1)", (s) =>
    s.store(
      bytes,
      () => addrRs1Imm(s, "S"),
      () => s.getX(s.field("rs2")),
    ),
  );
}

/** Pushes rs1 + imm, the effective address of a load or store. */
export function addrRs1Imm(s: Sem, kind: "I" | "S"): void {
  s.getX(s.field("rs1"));
  s.imm(kind);
  s.w.i64_add();
}

function branch(name: string, f3: number, cmp: Op): InsnDef {
  return insn(
    "I",
    name,
    MASK_F3,
    enc(0x63, f3),
    "rs1,rs2,imm:B",
    (s) => {
      s.getX(s.field("rs1"));
      s.getX(s.field("rs2"));
      cmp(s.w);
      s.w.if_();
      s.jump(() => {
        s.pc();
        s.imm("B");
        s.w.i64_add();
      });
      s.w.end();
    },
    { kind: "branch", offset: "B" },
  );
}

export const RV64I: InsnDef[] = [
  word(insn("I", "lui", MASK_OPC, 0x37, "rd,imm:U", (s) => s.setX(s.field("rd"), () => s.imm("U")))),
  insn("I", "auipc", MASK_OPC, 0x17, "rd,imm:U", (s) =>
    s.setX(s.field("rd"), () => {
      s.pc();
      s.imm("U");
      s.w.i64_add();
    }),
  ),
  insn(
    "I",
    "jal",
    MASK_OPC,
    0x6f,
    "rd,imm:J",
    (s) => {
      s.setX(s.field("rd"), () => s.nextPc());
      s.jump(() => {
        s.pc();
        s.imm("J");
        s.w.i64_add();
      });
    },
    { kind: "jump", offset: "J" },
  ),
  insn(
    "I",
    "jalr",
    MASK_F3,
    enc(0x67, 0),
    "rd,imm:I(rs1)",
    (s) => {
      // The target is computed before rd is written: rd may equal rs1.
      const t = s.w.local(0x7e);
      addrRs1Imm(s, "I");
      s.w.i64_const(-2).i64_and().set(t);
      s.setX(s.field("rd"), () => s.nextPc());
      s.jump(() => s.w.get(t));
      s.w.release(t);
    },
    { kind: "indirect" },
  ),
  branch("beq", 0, (w) => w.i64_eq()),
  branch("bne", 1, (w) => w.i64_ne()),
  branch("blt", 4, (w) => w.i64_lt_s()),
  branch("bge", 5, (w) => w.i64_ge_s()),
  branch("bltu", 6, (w) => w.i64_lt_u()),
  branch("bgeu", 7, (w) => w.i64_ge_u()),
  load("lb", 0, "i8"),
  load("lh", 1, "i16"),
  load("lw", 2, "i32"),
  load("ld", 3, "i64"),
  load("lbu", 4, "u8"),
  load("lhu", 5, "u16"),
  load("lwu", 6, "u32"),
  store("sb", 0, 1),
  store("sh", 1, 2),
  store("sw", 2, 4),
  store("sd", 3, 8),
  // li (from x0) makes a sign-extended word, mv (imm 0) copies what rs1 holds
  with32(
    ri("addi", 0, (w) => w.i64_add()),
    (i) => {
      const rs1 = fieldValue(i, FIELDS.rs1);
      return rs1 === 0 ? 0 : immValue(i, "I") === 0 ? 1 << rs1 : undefined;
    },
  ),
  word(ri("slti", 2, (w) => w.i64_lt_s().i64_extend_i32_u())),
  word(ri("sltiu", 3, (w) => w.i64_lt_u().i64_extend_i32_u())),
  bitwiseImm("xor", 4),
  bitwiseImm("or", 6),
  bitwiseImm("and", 7),
  shiftImm("slli", 1, 0x00, (w) => w.i64_shl()),
  shiftImm("srli", 5, 0x00, (w) => w.i64_shr_u()),
  shiftImm("srai", 5, 0x10, (w) => w.i64_shr_s()),
  // mv (c.mv is add rd, x0, rs2) copies what its source holds
  with32(
    rr("add", 0, 0x00, (w) => w.i64_add()),
    (i) => {
      const rs1 = fieldValue(i, FIELDS.rs1);
      const rs2 = fieldValue(i, FIELDS.rs2);
      return rs1 === 0 ? 1 << rs2 : rs2 === 0 ? 1 << rs1 : undefined;
    },
  ),
  rr("sub", 0, 0x20, (w) => w.i64_sub()),
  rr("sll", 1, 0x00, (w) => w.i64_shl()), // wasm masks the shift amount to 6 bits, as RV64 does
  word(rr("slt", 2, 0x00, (w) => w.i64_lt_s().i64_extend_i32_u())),
  word(rr("sltu", 3, 0x00, (w) => w.i64_lt_u().i64_extend_i32_u())),
  bitwise("xor", 4),
  rr("srl", 5, 0x00, (w) => w.i64_shr_u()),
  rr("sra", 5, 0x20, (w) => w.i64_shr_s()),
  bitwise("or", 6),
  bitwise("and", 7),
  // sext.w (addiw rd, rs1, 0) of a sign-extended word is a copy: the engine cannot see that
  // through a loop's phi, where gcc puts it for loop-carried words
  with32(
    insn("I", "addiw", MASK_F3, enc(OP_IMM_32, 0), "rd,rs1,imm:I", (s) =>
      s.setX(s.field("rd"), () => {
        s.getX(s.field("rs1"));
        s.imm("I");
        s.w.i64_add().i32_wrap_i64().i64_extend_i32_s();
      }),
    ),
    ALWAYS_32,
    {
      needs: (i) => (immValue(i, "I") === 0 ? RS1_32(i) : undefined),
      exec: (s) => s.setX(s.field("rd"), () => s.getX(s.field("rs1"))),
    },
  ),
  shiftImmW("slliw", 1, 0x00, (w) => w.i32_shl()),
  shiftImmW("srliw", 5, 0x00, (w) => w.i32_shr_u()),
  shiftImmW("sraiw", 5, 0x20, (w) => w.i32_shr_s()),
  rrw("I", "addw", 0, 0x00, (w) => w.i32_add()),
  rrw("I", "subw", 0, 0x20, (w) => w.i32_sub()),
  rrw("I", "sllw", 1, 0x00, (w) => w.i32_shl()),
  rrw("I", "srlw", 5, 0x00, (w) => w.i32_shr_u()),
  rrw("I", "sraw", 5, 0x20, (w) => w.i32_shr_s()),
  // FENCE (Unpriv §2.7): a full wasm fence orders this hart's accesses for other harts.
  insn("I", "fence", MASK_F3, enc(0x0f, 0), "pred,succ", (s) => void s.w.atomic_fence()),
  // PAUSE (Unpriv ch. "Zihintpause"): a FENCE with an empty successor set, so it orders
  // nothing. The host ends the hart's turn there (a spin-wait: Linux's cpu_relax); the
  // translation ends after it, like the other instructions served by the host.
  insn("Zihintpause", "pause", MASK_ALL, 0x0100000f, "", (s) => s.helper("pause"), { kind: "stop" }),
];
