/* RV64I: every base integer instruction (ecall/ebreak are left to the
 * privileged tests). Written with .option norvc so that nothing is silently
 * compressed. */
#include "unpriv.h"

#define BR_TAKEN(n, inst, v1, v2) \
  TEST_CASE(n); li a1, v1; li a2, v2; inst a1, a2, 1f; j fail_test; 1:
#define BR_NOT(n, inst, v1, v2) \
  TEST_CASE(n); li a1, v1; li a2, v2; inst a1, a2, 1f; j 2f; 1: j fail_test; 2:
/* Taken backwards: jump over the target, branch back to it. */
#define BR_BACK(n, inst, v1, v2) \
  TEST_CASE(n); li a1, v1; li a2, v2; j 2f; 1: j 3f; 2: inst a1, a2, 1b; j fail_test; 3:
/* Load/store: a0 = inst off(base) */
#define TEST_LD(n, inst, res, off, base) \
  TEST_CASE(n); la a1, base; inst a0, off(a1); CHECK(a0, res)

  .option norvc
TEST_BEGIN
  TRAP_FAILS

  /* ---- lui ---- */
  TEST_CASE(1); lui a0, 0x12345;  CHECK(a0, 0x12345000)
  TEST_CASE(2); lui a0, 0;        CHECK(a0, 0)
  TEST_CASE(3); lui a0, 0x7ffff;  CHECK(a0, 0x7ffff000)
  /* RV64: the 32-bit result is sign-extended */
  TEST_CASE(4); lui a0, 0x80000;  CHECK(a0, 0xffffffff80000000)
  TEST_CASE(5); lui a0, 0xfffff;  CHECK(a0, 0xfffffffffffff000)

  /* ---- auipc (expected addresses come from the linker via addr_tbl) ---- */
  TEST_CASE(6)
auipc_1: auipc a0, 0
  la a2, addr_tbl; ld a1, 0(a2); CHECK_REG(a0, a1)
  TEST_CASE(7)
auipc_2: auipc a0, 1
  la a2, addr_tbl; ld a1, 8(a2); li a3, 0x1000; add a1, a1, a3; CHECK_REG(a0, a1)
  TEST_CASE(8)
auipc_3: auipc a0, 0xfffff
  la a2, addr_tbl; ld a1, 16(a2); li a3, -0x1000; add a1, a1, a3; CHECK_REG(a0, a1)
  /* the offset is sign-extended to 64 bits: pc - 2^31 */
  TEST_CASE(9)
auipc_4: auipc a0, 0x80000
  la a2, addr_tbl; ld a1, 24(a2); li a3, 0xffffffff80000000; add a1, a1, a3; CHECK_REG(a0, a1)

  /* ---- jal ---- */
  TEST_CASE(10)
  li a0, 0
  jal a0, jal_t1
jal_r1:
  j fail_test
jal_t1:
  la a2, addr_tbl; ld a1, 32(a2); CHECK_REG(a0, a1)
  /* backwards */
  TEST_CASE(11)
  li a3, 0
  j jal_fwd2
jal_t2:
  li a3, 42
  j jal_done2
jal_fwd2:
  jal a0, jal_t2
jal_r2:
  j fail_test
jal_done2:
  CHECK(a3, 42)
  la a2, addr_tbl; ld a1, 40(a2); CHECK_REG(a0, a1)
  /* jal x0 (j) does not link */
  TEST_CASE(12)
  jal x0, 1f
  j fail_test
1: CHECK(x0, 0)

  /* ---- jalr ---- */
  TEST_CASE(13)
  la a1, jalr_t1
  jalr a0, 0(a1)
jalr_r1:
  j fail_test
jalr_t1:
  la a2, addr_tbl; ld a1, 48(a2); CHECK_REG(a0, a1)
  /* positive and negative offsets */
  TEST_CASE(14)
  la a1, jalr_t2
  addi a1, a1, -8
  jalr a0, 8(a1)
  j fail_test
jalr_t2:
  TEST_CASE(15)
  la a1, jalr_t3
  addi a1, a1, 16
  jalr a0, -16(a1)
  j fail_test
jalr_t3:
  /* target = (rs1 + imm) & ~1: an odd register value ... */
  TEST_CASE(16)
  la a1, jalr_t4
  addi a1, a1, 1
  jalr a0, 0(a1)
  j fail_test
jalr_t4:
  /* ... and an odd immediate */
  TEST_CASE(17)
  la a1, jalr_t5
  jalr a0, 1(a1)
  j fail_test
jalr_t5:
  /* rd == rs1: the target uses the old rs1 value */
  TEST_CASE(18)
  la a1, jalr_t6
  jalr a1, 0(a1)
jalr_r6:
  j fail_test
jalr_t6:
  la a2, addr_tbl; ld a0, 56(a2); CHECK_REG(a1, a0)
  TEST_CASE(19)
  la a1, jalr_t7
  jalr x0, 0(a1)
  j fail_test
jalr_t7:
  CHECK(x0, 0)

  /* ---- branches ---- */
  BR_TAKEN(20, beq, 0, 0)
  BR_TAKEN(21, beq, -1, -1)
  BR_NOT  (22, beq, 1, 0)
  BR_NOT  (23, beq, 0x100000000, 0)          /* all 64 bits compared */
  BR_BACK (24, beq, 7, 7)
  BR_TAKEN(25, bne, 1, 0)
  BR_TAKEN(26, bne, 0x8000000000000000, 0)
  BR_NOT  (27, bne, -1, -1)
  BR_BACK (28, bne, 1, 2)
  BR_TAKEN(29, blt, -1, 1)
  BR_TAKEN(30, blt, 0, 1)
  BR_TAKEN(31, blt, 0x8000000000000000, 0x7fffffffffffffff)
  BR_NOT  (32, blt, 1, -1)
  BR_NOT  (33, blt, 1, 1)
  BR_NOT  (34, blt, 0x7fffffffffffffff, 0x8000000000000000)
  BR_BACK (35, blt, -2, -1)
  BR_TAKEN(36, bge, 1, 1)
  BR_TAKEN(37, bge, 1, -1)
  BR_TAKEN(38, bge, 0x7fffffffffffffff, 0x8000000000000000)
  BR_NOT  (39, bge, -1, 1)
  BR_NOT  (40, bge, 0x8000000000000000, 0x7fffffffffffffff)
  BR_BACK (41, bge, -1, -1)
  BR_TAKEN(42, bltu, 1, -1)
  BR_TAKEN(43, bltu, 0, 1)
  BR_TAKEN(44, bltu, 0x7fffffffffffffff, 0x8000000000000000)
  BR_NOT  (45, bltu, -1, 1)
  BR_NOT  (46, bltu, 1, 1)
  BR_BACK (47, bltu, 0, -1)
  BR_TAKEN(48, bgeu, -1, 1)
  BR_TAKEN(49, bgeu, 1, 1)
  BR_TAKEN(50, bgeu, 0x8000000000000000, 0x7fffffffffffffff)
  BR_NOT  (51, bgeu, 1, -1)
  BR_NOT  (52, bgeu, 0, 0xffffffffffffffff)
  BR_BACK (53, bgeu, -1, 0)

  /* ---- loads: ldata = 88 87 86 85 84 83 82 81 | 08 19 2a 3b 4c 5d 6e 7f ---- */
  TEST_LD(54, lb,  0xffffffffffffff88, 0, ldata)
  TEST_LD(55, lb,  0xffffffffffffff81, 7, ldata)
  TEST_LD(56, lb,  0x08, 8, ldata)
  TEST_LD(57, lb,  0x7f, 15, ldata)
  TEST_LD(58, lbu, 0x88, 0, ldata)
  TEST_LD(59, lbu, 0x7f, 15, ldata)
  TEST_LD(60, lh,  0xffffffffffff8788, 0, ldata)
  TEST_LD(61, lh,  0xffffffffffff8182, 6, ldata)
  TEST_LD(62, lh,  0x1908, 8, ldata)
  TEST_LD(63, lh,  0x7f6e, 14, ldata)
  TEST_LD(64, lhu, 0x8788, 0, ldata)
  TEST_LD(65, lhu, 0x7f6e, 14, ldata)
  TEST_LD(66, lw,  0xffffffff85868788, 0, ldata)
  TEST_LD(67, lw,  0xffffffff81828384, 4, ldata)
  TEST_LD(68, lw,  0x3b2a1908, 8, ldata)
  TEST_LD(69, lwu, 0x85868788, 0, ldata)
  TEST_LD(70, lwu, 0x7f6e5d4c, 12, ldata)
  TEST_LD(71, ld,  0x8182838485868788, 0, ldata)
  TEST_LD(72, ld,  0x7f6e5d4c3b2a1908, 8, ldata)
  /* negative offsets */
  TEST_LD(73, lb,  0x7f, -1, ldata_end)
  TEST_LD(74, lhu, 0x8182, -10, ldata_end)
  TEST_LD(75, lwu, 0x81828384, -12, ldata_end)
  TEST_LD(76, ld,  0x8182838485868788, -16, ldata_end)
  /* rd == rs1 */
  TEST_CASE(77); la a1, ldata; ld a1, 8(a1); CHECK(a1, 0x7f6e5d4c3b2a1908)
  TEST_CASE(78); la a1, ldata; lw x0, 0(a1); CHECK(x0, 0)

  /* ---- stores: only the addressed bytes change ---- */
  TEST_CASE(79)
  la a1, sdata
  li a0, -1
  sd a0, 0(a1)
  li a2, 0x0123456789abcdef
  sd a2, 8(a1)
  ld a0, 0(a1); CHECK(a0, -1)
  ld a0, 8(a1); CHECK(a0, 0x0123456789abcdef)
  TEST_CASE(80)
  li a2, 0x1234                 /* sb stores the low byte only */
  sb a2, 1(a1)
  ld a0, 0(a1); CHECK(a0, 0xffffffffffff34ff)
  TEST_CASE(81)
  li a2, 0xabcd5678
  sh a2, 2(a1)
  ld a0, 0(a1); CHECK(a0, 0xffffffff567834ff)
  TEST_CASE(82)
  li a2, 0x55555555aabbccdd
  sw a2, 4(a1)
  ld a0, 0(a1); CHECK(a0, 0xaabbccdd567834ff)
  ld a0, 8(a1); CHECK(a0, 0x0123456789abcdef)
  TEST_CASE(83)
  li a2, 0x1122334455667788
  sd a2, 0(a1)
  ld a0, 0(a1); CHECK(a0, 0x1122334455667788)
  TEST_CASE(84)                 /* negative offsets, from the next dword */
  addi a3, a1, 16
  li a2, 0x99
  sb a2, -1(a3)
  li a2, 0xeeff
  sh a2, -8(a3)
  ld a0, 8(a1); CHECK(a0, 0x9923456789abeeff)
  TEST_CASE(85)
  li a2, 0xcafef00d
  sw a2, -12(a3)
  li a2, 0x7766554433221100
  sd a2, -16(a3)
  ld a0, 0(a1); CHECK(a0, 0x7766554433221100)
  ld a0, 8(a1); CHECK(a0, 0x9923456789abeeff)
  TEST_CASE(86)                 /* sw then read back a narrower store */
  sw a2, 8(a1)
  lw a0, 8(a1); CHECK(a0, 0x33221100)
  lhu a0, 12(a1); CHECK(a0, 0x4567)

  /* ---- register-immediate ---- */
  TEST_RI(87, addi, 0, 0, 0)
  TEST_RI(88, addi, 2, 1, 1)
  TEST_RI(89, addi, 2047, 0, 2047)
  TEST_RI(90, addi, -2048, 0, -2048)
  TEST_RI(91, addi, 0xfffffffffffff7ff, -1, -2048)
  TEST_RI(92, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RI(93, addi, 0x80000000, 0x7fffffff, 1)    /* no 32-bit wrap */
  TEST_RI(94, slti, 1, -1, 0)
  TEST_RI(95, slti, 0, 0, -1)
  TEST_RI(96, slti, 0, 5, 5)
  TEST_RI(97, slti, 1, -2049, -2048)
  TEST_RI(98, slti, 1, 0x8000000000000000, 0)
  TEST_RI(99, sltiu, 1, 0, 1)
  TEST_RI(100, sltiu, 0, 1, 1)
  TEST_RI(101, sltiu, 0, -1, 0)
  /* the immediate is sign-extended, then compared unsigned */
  TEST_RI(102, sltiu, 1, 0xfffffffffffffffe, -1)
  TEST_RI(103, sltiu, 0, 0xffffffffffffffff, -1)
  TEST_RI(104, sltiu, 1, 0x7fffffffffffffff, -2048)
  TEST_RI(105, xori, 0x00ff000f, 0x00ff00ff, 0x0f0)
  TEST_RI(106, xori, 0xedcba9876543210f, 0x123456789abcdef0, -1)
  TEST_RI(107, xori, 0xfffffffffffff8ff, 0xff, -2048)
  TEST_RI(108, ori, 0x1234, 0x1200, 0x034)
  TEST_RI(109, ori, 0xfffffffffffff800, 0, -2048)
  TEST_RI(110, ori, 0x8000000000000fff, 0x8000000000000f00, 0x0ff)
  TEST_RI(111, andi, 0, 0xff00ff00ff00ff00, 0x0f0)
  TEST_RI(112, andi, 0x7ff, -1, 0x7ff)
  TEST_RI(113, andi, 0x123456789abcde00, 0x123456789abcdef0, -256)
  TEST_RI(114, slli, 1, 1, 0)
  TEST_RI(115, slli, 0x80000000, 1, 31)              /* not sign-extended */
  TEST_RI(116, slli, 0x100000000, 1, 32)
  TEST_RI(117, slli, 0x8000000000000000, 1, 63)
  TEST_RI(118, slli, 0x8000000000000000, 0xffffffffffffffff, 63)
  TEST_RI(119, slli, 0x2345678900000000, 0x0123456789, 32)
  TEST_RI(120, srli, 0x8000000000000000, 0x8000000000000000, 0)
  TEST_RI(121, srli, 0x100000000, 0x8000000000000000, 31)
  TEST_RI(122, srli, 0x80000000, 0x8000000000000000, 32)
  TEST_RI(123, srli, 1, 0x8000000000000000, 63)
  TEST_RI(124, srli, 0x7fffffffffffffff, -1, 1)
  TEST_RI(125, srai, 0x8000000000000000, 0x8000000000000000, 0)
  TEST_RI(126, srai, 0xffffffff00000000, 0x8000000000000000, 31)
  TEST_RI(127, srai, 0xffffffff80000000, 0x8000000000000000, 32)
  TEST_RI(128, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RI(129, srai, 0, 0x7fffffffffffffff, 63)
  TEST_RI(130, srai, 0x3fffffffffffffff, 0x7fffffffffffffff, 1)

  /* ---- register-register ---- */
  TEST_RR(131, add, 2, 1, 1)
  TEST_RR(132, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RR(133, add, -2, -1, -1)
  TEST_RR(134, add, 0x100000000, 0xffffffff, 1)
  TEST_RR(135, sub, 2, 5, 3)
  TEST_RR(136, sub, -1, 0, 1)
  TEST_RR(137, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
  TEST_RR(138, sub, 0x8000000000000000, 0, 0x8000000000000000)
  TEST_RR(139, sll, 0x8000000000000000, 1, 63)
  TEST_RR(140, sll, 0x100000000, 1, 32)
  TEST_RR(141, sll, 0x80000000, 1, 31)
  /* only rs2[5:0] is used */
  TEST_RR(142, sll, 1, 1, 64)
  TEST_RR(143, sll, 2, 1, 0xffffffffffffffc1)
  TEST_RR(144, slt, 1, -1, 1)
  TEST_RR(145, slt, 0, 1, -1)
  TEST_RR(146, slt, 0, 3, 3)
  TEST_RR(147, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_RR(148, sltu, 0, -1, 1)
  TEST_RR(149, sltu, 1, 1, -1)
  TEST_RR(150, sltu, 0, 3, 3)
  TEST_RR(151, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000)
  TEST_CASE(152); li a1, 5; sltu a0, x0, a1; CHECK(a0, 1)   /* snez */
  TEST_RR(153, xor, 0xf00ff00ff00ff00f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RR(154, srl, 0x8000000000000000, 0x8000000000000000, 0)
  TEST_RR(155, srl, 0x100000000, 0x8000000000000000, 31)
  TEST_RR(156, srl, 0x80000000, 0x8000000000000000, 32)
  TEST_RR(157, srl, 1, 0x8000000000000000, 63)
  TEST_RR(158, srl, 0x4000000000000000, 0x8000000000000000, 65)
  TEST_RR(159, sra, 0x8000000000000000, 0x8000000000000000, 0)
  TEST_RR(160, sra, 0xffffffff00000000, 0x8000000000000000, 31)
  TEST_RR(161, sra, 0xffffffff80000000, 0x8000000000000000, 32)
  TEST_RR(162, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RR(163, sra, 0xc000000000000000, 0x8000000000000000, 0xffffffffffffffc1)
  TEST_RR(164, sra, 0x0000000040000000, 0x0000000080000000, 1)
  TEST_RR(165, or, 0xff0fff0fff0fff0f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RR(166, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  /* rd == rs1 == rs2 */
  TEST_CASE(167); li a1, 21; add a1, a1, a1; CHECK(a1, 42)
  TEST_CASE(168); li a1, 21; sub a1, a1, a1; CHECK(a1, 0)

  /* ---- 32-bit (W) forms: operate on the low 32 bits, sign-extend the result ---- */
  TEST_RI(169, addiw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RI(170, addiw, 0xffffffffffffffff, 0xffffffff, 0)
  TEST_RI(171, addiw, 0xffffffff80000000, 0x1234567880000000, 0)
  TEST_RI(172, addiw, 0xffffffffffffffff, 0x100000000, -1)
  TEST_RI(173, addiw, 0x7fffffff, 0x80000000, -1)
  TEST_RI(174, addiw, 2047, 0xffffffff00000000, 2047)
  TEST_RI(175, slliw, 1, 0xabcdef0100000001, 0)
  TEST_RI(176, slliw, 0xffffffff80000000, 1, 31)
  TEST_RI(177, slliw, 0xfffffffffffffffe, 0x1ffffffff, 1)
  TEST_RI(178, slliw, 0xffffffffc0000000, 3, 30)
  TEST_RI(179, srliw, 0xffffffff80000000, 0xffffffff80000000, 0)
  TEST_RI(180, srliw, 0x40000000, 0xffffffff80000000, 1)
  TEST_RI(181, srliw, 1, 0xffffffff80000000, 31)
  TEST_RI(182, srliw, 0, 0x1234567800000000, 4)
  TEST_RI(183, srliw, 0xffffffffffffffff, 0xffffffff, 0)
  TEST_RI(184, sraiw, 0xffffffffffffffff, 0x80000000, 31)
  TEST_RI(185, sraiw, 0, 0x7fffffff, 31)
  TEST_RI(186, sraiw, 0xfffffffff8000000, 0x80000000, 4)
  TEST_RI(187, sraiw, 0x7fffffff, 0xffffffff7fffffff, 0)
  TEST_RI(188, sraiw, 0x07ffffff, 0x800000007fffffff, 4)
  TEST_RR(189, addw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RR(190, addw, 2, 0xffffffff00000001, 1)
  TEST_RR(191, addw, 0, 0xffffffff, 1)
  TEST_RR(192, subw, 0xffffffffffffffff, 0, 1)
  TEST_RR(193, subw, 0x7fffffff, 0x80000000, 1)
  TEST_RR(194, subw, 0, 0x100000000, 0)
  TEST_RR(195, subw, 0xffffffff80000000, 0x7fffffff, 0xffffffffffffffff)
  TEST_RR(196, sllw, 0xffffffff80000000, 1, 31)
  /* only rs2[4:0] is used */
  TEST_RR(197, sllw, 1, 1, 32)
  TEST_RR(198, sllw, 2, 1, 33)
  TEST_RR(199, sllw, 0, 0xffffffff00000000, 1)
  TEST_RR(200, srlw, 1, 0x80000000, 31)
  TEST_RR(201, srlw, 0xffffffff80000000, 0xffffffff80000000, 32)
  TEST_RR(202, srlw, 0x40000000, 0xffffffff80000000, 1)
  TEST_RR(203, srlw, 0x0000000f, 0xabcdef01f0000000, 28)
  TEST_RR(204, sraw, 0xffffffffffffffff, 0x80000000, 31)
  TEST_RR(205, sraw, 0xffffffff80000000, 0x80000000, 32)
  TEST_RR(206, sraw, 0x3fffffff, 0xffffffff7fffffff, 1)
  TEST_RR(207, sraw, 0xfffffffff0000000, 0x0000000080000000, 3)

  /* ---- x0 as destination stays zero; x0 as source reads zero ---- */
  TEST_CASE(208)
  addi x0, x0, 1
  CHECK(x0, 0)
  li a1, 5
  add x0, a1, a1
  CHECK(x0, 0)
  lui x0, 0x12345
  CHECK(x0, 0)
  sltu x0, x0, a1
  CHECK(x0, 0)
  TEST_CASE(209)
  li a1, 0x1234
  add a0, x0, x0; CHECK(a0, 0)
  addi a0, x0, -1; CHECK(a0, -1)
  or a0, a1, x0; CHECK(a0, 0x1234)
  auipc x0, 1
  CHECK(x0, 0)

  /* ---- fence: ordering only, must execute as a no-op here ---- */
  TEST_CASE(210)
  la a1, sdata
  li a2, 0x5a5a
  sd a2, 16(a1)
  fence
  fence rw, rw
  fence iorw, iorw
  fence r, r
  fence w, w
  fence.tso
  .option push
  .option arch, +zihintpause
  pause                         /* Zihintpause: fence w,0; Hartwood ends the hart's turn there */
  .option pop
  ld a0, 16(a1)
  CHECK(a0, 0x5a5a)

  PASS
TEST_END

  .data
  .balign 8
addr_tbl:
  .dword auipc_1, auipc_2, auipc_3, auipc_4, jal_r1, jal_r2, jalr_r1, jalr_r6
ldata:
  .dword 0x8182838485868788
  .dword 0x7f6e5d4c3b2a1908
ldata_end:
sdata:
  .dword 0, 0, 0
