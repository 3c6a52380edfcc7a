/* RV64C: every compressed instruction except c.ebreak (privileged tests).
 * Each instruction under test is written with its c. mnemonic, so it is
 * certainly the 16-bit encoding; the helpers (li, CHECK, la) may be
 * compressed by the assembler or not. */
#include "unpriv.h"

  .option rvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON
  la sp, stack_mid

  /* ---- c.li: 6-bit signed immediate ---- */
  TEST_CASE(1); li a0, 99; c.li a0, 31;  CHECK(a0, 31)
  TEST_CASE(2); c.li a0, -32; CHECK(a0, -32)
  TEST_CASE(3); c.li t0, 0; CHECK(t0, 0)

  /* ---- c.lui: nzimm[17:12], sign-extended to 64 bits ---- */
  TEST_CASE(4); c.lui a0, 1;       CHECK(a0, 0x1000)
  TEST_CASE(5); c.lui a0, 31;      CHECK(a0, 0x1f000)
  TEST_CASE(6); c.lui s1, 0xfffe0; CHECK(s1, 0xfffffffffffe0000)
  TEST_CASE(7); c.lui t2, 0xfffff; CHECK(t2, 0xfffffffffffff000)

  /* ---- c.addi ---- */
  TEST_CASE(8);  li a0, 5; c.addi a0, 1;   CHECK(a0, 6)
  TEST_CASE(9);  li a0, 5; c.addi a0, -32; CHECK(a0, -27)
  TEST_CASE(10); li t3, 0; c.addi t3, 31;  CHECK(t3, 31)
  TEST_CASE(11); li a0, 0x7fffffff; c.addi a0, 1; CHECK(a0, 0x80000000)  /* 64-bit add */
  TEST_CASE(12); li a0, 0x7fffffffffffffff; c.addi a0, 1; CHECK(a0, 0x8000000000000000)
  TEST_CASE(13); li a0, 7; c.nop; CHECK(a0, 7)

  /* ---- c.addiw: 32-bit add, sign-extended ---- */
  TEST_CASE(14); li a0, 0x7fffffff; c.addiw a0, 1; CHECK(a0, 0xffffffff80000000)
  TEST_CASE(15); li a0, 0x12345678ffffffff; c.addiw a0, 0; CHECK(a0, -1)   /* sext.w */
  TEST_CASE(16); li t4, 0x100000000; c.addiw t4, -32; CHECK(t4, -32)
  TEST_CASE(17); li a0, 0x7fffffe0; c.addiw a0, 31; CHECK(a0, 0x7fffffff)

  /* ---- c.addi16sp: sp += nzimm (multiple of 16, -512..496) ---- */
  TEST_CASE(18)
  mv s1, sp
  c.addi16sp sp, 496
  sub a0, sp, s1; CHECK(a0, 496)
  c.addi16sp sp, -512
  sub a0, sp, s1; CHECK(a0, -16)
  c.addi16sp sp, 16
  CHECK_REG(sp, s1)

  /* ---- c.addi4spn: rd' = sp + nzuimm (multiple of 4, 4..1020) ---- */
  TEST_CASE(19)
  c.addi4spn a0, sp, 4
  sub a0, a0, sp; CHECK(a0, 4)
  c.addi4spn a5, sp, 1020
  sub a5, a5, sp; CHECK(a5, 1020)
  c.addi4spn s0, sp, 16
  sub s0, s0, sp; CHECK(s0, 16)

  /* ---- shifts ---- */
  TEST_CASE(20); li a0, 1; c.slli a0, 1;  CHECK(a0, 2)
  TEST_CASE(21); li a0, 1; c.slli a0, 63; CHECK(a0, 0x8000000000000000)
  TEST_CASE(22); li t5, 0x80000001; c.slli t5, 32; CHECK(t5, 0x8000000100000000)
  TEST_CASE(23); li a0, 0x8000000000000000; c.srli a0, 1;  CHECK(a0, 0x4000000000000000)
  TEST_CASE(24); li a0, 0x8000000000000000; c.srli a0, 32; CHECK(a0, 0x80000000)
  TEST_CASE(25); li a1, 0x8000000000000000; c.srli a1, 63; CHECK(a1, 1)
  TEST_CASE(26); li a0, 0x8000000000000000; c.srai a0, 1;  CHECK(a0, 0xc000000000000000)
  TEST_CASE(27); li a0, 0x8000000000000000; c.srai a0, 32; CHECK(a0, 0xffffffff80000000)
  TEST_CASE(28); li a2, 0x8000000000000000; c.srai a2, 63; CHECK(a2, -1)
  TEST_CASE(29); li a0, 0x7000000000000000; c.srai a0, 60; CHECK(a0, 7)

  /* ---- c.andi: 6-bit signed immediate ---- */
  TEST_CASE(30); li a0, 0x123456789abcdeff; c.andi a0, -32; CHECK(a0, 0x123456789abcdee0)
  TEST_CASE(31); li a0, 0x123456789abcdeff; c.andi a0, 31;  CHECK(a0, 0x1f)
  TEST_CASE(32); li a3, -1; c.andi a3, 0; CHECK(a3, 0)

  /* ---- c.mv / c.add (any registers) ---- */
  TEST_CASE(33); li t1, 0x0123456789abcdef; c.mv a0, t1; CHECK(a0, 0x0123456789abcdef)
  TEST_CASE(34); li s2, -5; c.mv t0, s2; CHECK(t0, -5)
  TEST_CASE(35); li a0, 40; li a1, 2; c.add a0, a1; CHECK(a0, 42)
  TEST_CASE(36); li t0, 0x7fffffff; li t1, 1; c.add t0, t1; CHECK(t0, 0x80000000)
  TEST_CASE(37); li s3, 21; c.add s3, s3; CHECK(s3, 42)

  /* ---- CA format: rd' op= rs2' ---- */
  TEST_CASE(38); li a0, 5; li a1, 7; c.sub a0, a1; CHECK(a0, -2)
  TEST_CASE(39); li a0, 0; li a1, 0x8000000000000000; c.sub a0, a1; CHECK(a0, 0x8000000000000000)
  TEST_CASE(40); li s0, 0xff00ff00ff00ff00; li s1, 0x0ff00ff00ff00ff0; c.xor s0, s1; CHECK(s0, 0xf0f0f0f0f0f0f0f0)
  TEST_CASE(41); li a4, 0xff00ff00ff00ff00; li a5, 0x0ff00ff00ff00ff0; c.or a4, a5;  CHECK(a4, 0xfff0fff0fff0fff0)
  TEST_CASE(42); li a2, 0xff00ff00ff00ff00; li a3, 0x0ff00ff00ff00ff0; c.and a2, a3; CHECK(a2, 0x0f000f000f000f00)
  TEST_CASE(43); li a0, 0x80000000; li a1, 1; c.subw a0, a1; CHECK(a0, 0x7fffffff)
  TEST_CASE(44); li a0, 0; li a1, 1; c.subw a0, a1; CHECK(a0, -1)
  TEST_CASE(45); li a0, 0x123456787fffffff; li a1, 1; c.subw a0, a1; CHECK(a0, 0x7ffffffe)
  TEST_CASE(46); li a0, 0x7fffffff; li a1, 1; c.addw a0, a1; CHECK(a0, 0xffffffff80000000)
  TEST_CASE(47); li a0, 0xffffffff00000001; li a1, 0x0000000100000001; c.addw a0, a1; CHECK(a0, 2)

  /* ---- c.j ---- */
  TEST_CASE(48)
  c.j 1f
  j fail_test
1:
  TEST_CASE(49)                 /* backwards */
  li a0, 0
  c.j 2f
1: li a0, 1
  c.j 3f
2: c.j 1b
  j fail_test
3: CHECK(a0, 1)

  /* ---- c.jr / c.jalr (link = pc + 2) ---- */
  TEST_CASE(50)
  la a0, 1f
  c.jr a0
  j fail_test
1:
  TEST_CASE(51)
  la t0, cjalr_t1
  c.jalr t0
cjalr_r1:
  j fail_test
cjalr_t1:
  la a1, addr_tbl; ld a1, 0(a1); CHECK_REG(ra, a1)
  TEST_CASE(52)                 /* rs1 = ra: jumps to the old ra, then links */
  la ra, cjalr_t2
  c.jalr ra
cjalr_r2:
  j fail_test
cjalr_t2:
  la a1, addr_tbl; ld a1, 8(a1); CHECK_REG(ra, a1)

  /* ---- c.beqz / c.bnez (all 64 bits tested) ---- */
  TEST_CASE(53); li a0, 0; c.beqz a0, 1f; j fail_test; 1:
  TEST_CASE(54); li a0, 0x100000000; c.beqz a0, 2f; c.bnez a0, 1f; 2: j fail_test; 1:
  TEST_CASE(55); li s1, 0; c.bnez s1, 2f; c.j 1f; 2: j fail_test; 1:
  TEST_CASE(56); li s0, -1; c.bnez s0, 1f; j fail_test; 1:
  TEST_CASE(57)                 /* backwards */
  li a0, 0; li a1, 3
  c.j 2f
1: c.addi a0, 1
2: c.addi a1, -1
  c.bnez a1, 1b
  CHECK(a0, 2)
  TEST_CASE(58)
  li a5, 0
  c.j 2f
1: c.j 3f
2: c.beqz a5, 1b
  j fail_test
3:

  /* ---- c.lw / c.ld / c.sw / c.sd (rs1' base, scaled unsigned offsets) ---- */
  TEST_CASE(59); la s0, cdata; c.lw a0, 0(s0);   CHECK(a0, 0xffffffff85868788)
  TEST_CASE(60); c.lw a1, 4(s0);                 CHECK(a1, 0x01020304)
  TEST_CASE(61); c.lw a2, 124(s0);               CHECK(a2, 0xffffffff8badf00d)
  TEST_CASE(62); c.ld a3, 0(s0);                 CHECK(a3, 0x0102030485868788)
  TEST_CASE(63); c.ld a4, 248(s0);               CHECK(a4, 0xfedcba9876543210)
  TEST_CASE(64)
  la s1, cbuf
  li a0, 0x1122334455667788
  c.sd a0, 0(s1)
  li a1, 0xaaaaaaaa99999999     /* c.sw writes the low 32 bits only */
  c.sw a1, 4(s1)
  ld a2, 0(s1); CHECK(a2, 0x9999999955667788)
  TEST_CASE(65)
  li a0, 0x0f0f0f0f0f0f0f0f
  c.sd a0, 248(s1)
  c.sw a0, 124(s1)
  ld a2, 248(s1); CHECK(a2, 0x0f0f0f0f0f0f0f0f)
  lwu a2, 124(s1); CHECK(a2, 0x0f0f0f0f)

  /* ---- sp-relative: c.lwsp / c.ldsp / c.swsp / c.sdsp ---- */
  TEST_CASE(66)
  li t0, 0xfedcba9880000001
  c.sdsp t0, 0(sp)
  c.ldsp t1, 0(sp); CHECK(t1, 0xfedcba9880000001)
  c.lwsp t2, 0(sp); CHECK(t2, 0xffffffff80000001)
  c.lwsp t2, 4(sp); CHECK(t2, 0xfffffffffedcba98)
  TEST_CASE(67)
  li t0, 0x1234567876543210
  c.sdsp t0, 504(sp)
  c.swsp t0, 252(sp)
  c.ldsp s4, 504(sp); CHECK(s4, 0x1234567876543210)
  c.lwsp s5, 252(sp); CHECK(s5, 0x76543210)
  TEST_CASE(68)
  li t0, -1
  c.sdsp t0, 8(sp)
  li t1, 0x5555
  c.swsp t1, 12(sp)
  c.ldsp a0, 8(sp); CHECK(a0, 0x00005555ffffffff)

  /* ---- FP: c.fld / c.fsd / c.fldsp / c.fsdsp ---- */
  TEST_CASE(69)
  la s0, cdata
  c.fld fa0, 8(s0)
  CHECK_D(fa0, 0x3ff8000000000000)
  c.fld fs1, 248(s0)
  CHECK_D(fs1, 0xfedcba9876543210)
  TEST_CASE(70)
  la s1, cbuf
  c.fsd fa0, 16(s1)
  c.fsd fs1, 240(s1)
  ld a0, 16(s1); CHECK(a0, 0x3ff8000000000000)
  ld a0, 240(s1); CHECK(a0, 0xfedcba9876543210)
  TEST_CASE(71)
  c.fsdsp fa0, 16(sp)
  c.fsdsp fs1, 504(sp)
  c.fldsp ft0, 504(sp)
  CHECK_D(ft0, 0xfedcba9876543210)
  c.fldsp ft11, 16(sp)
  CHECK_D(ft11, 0x3ff8000000000000)

  PASS
TEST_END

  .data
  .balign 8
addr_tbl:
  .dword cjalr_r1, cjalr_r2
cdata:
  .dword 0x0102030485868788
  .dword 0x3ff8000000000000          /* 1.5 */
  .fill 13, 8, 0
  .word 0, 0x8badf00d                /* offset 120, 124 */
  .fill 15, 8, 0
  .dword 0xfedcba9876543210          /* offset 248 */
  .balign 8
cbuf:
  .fill 32, 8, 0
  .balign 16
stack:
  .fill 128, 8, 0
stack_mid:
  .fill 192, 8, 0
