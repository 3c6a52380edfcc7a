/* RV64A: LR/SC and every AMO, .w and .d. Each AMO check looks at the
 * returned old value (sign-extended for .w) and at memory, including the
 * neighbouring word that a .w AMO must not touch. .w AMOs use only rs2[31:0]. */
#include "unpriv.h"

/* amo on a fresh dword: mem = init; a0 = amo(rs2) ; check a0 and mem */
#define AMO_D(n, inst, init, src, old, new) \
  TEST_CASE(n); la a1, amo_buf; li a2, init; sd a2, 0(a1); \
  li a2, src; inst a0, a2, (a1); CHECK(a0, old); ld a3, 0(a1); CHECK(a3, new)
/* .w on the low word of amo_buf with the high word set to a marker */
#define AMO_W(n, inst, init, src, old, new) \
  TEST_CASE(n); la a1, amo_buf; li a2, (0x5a5a5a5a00000000 | (init)); sd a2, 0(a1); \
  li a2, src; inst a0, a2, (a1); CHECK(a0, old); ld a3, 0(a1); \
  CHECK(a3, (0x5a5a5a5a00000000 | (new)))
/* .w on the high word of amo_buf (address 4 mod 8) */
#define AMO_WH(n, inst, init, src, old, new) \
  TEST_CASE(n); la a1, amo_buf; li a2, (((init) << 32) | 0xa5a5a5a5); sd a2, 0(a1); \
  addi a4, a1, 4; li a2, src; inst a0, a2, (a4); CHECK(a0, old); ld a3, 0(a1); \
  CHECK(a3, (((new) << 32) | 0xa5a5a5a5))

  .option norvc
TEST_BEGIN
  TRAP_FAILS

  /* ---- SC without any reservation (none taken yet since reset) fails ---- */
  TEST_CASE(1)
  la a1, res_a
  li a2, 0x1111
  sd a2, 0(a1)
  li a2, 0x2222
  sc.d a0, a2, (a1)
  beqz a0, fail_test
  ld a3, 0(a1); CHECK(a3, 0x1111)

  /* ---- lr.d / sc.d success: rd = 0 and memory written ---- */
  TEST_CASE(2)
  lr.d a0, (a1)
  CHECK(a0, 0x1111)
  li a2, 0x3333
  sc.d a4, a2, (a1)
  CHECK(a4, 0)
  ld a3, 0(a1); CHECK(a3, 0x3333)
  /* ---- an SC after a successful SC has no reservation: fails ---- */
  TEST_CASE(3)
  li a2, 0x4444
  sc.d a4, a2, (a1)
  beqz a4, fail_test
  ld a3, 0(a1); CHECK(a3, 0x3333)

  /* ---- SC to an address outside the reservation set fails ---- */
  TEST_CASE(4)
  la a5, res_b
  li a2, 0x7777
  sd a2, 0(a5)
  lr.d a0, (a1)
  li a2, 0x5555
  sc.d a4, a2, (a5)
  beqz a4, fail_test
  ld a3, 0(a5); CHECK(a3, 0x7777)
  ld a3, 0(a1); CHECK(a3, 0x3333)
  /* ... and (SC always invalidates the reservation) a following SC to the
   * LR address fails too */
  TEST_CASE(5)
  li a2, 0x6666
  sc.d a4, a2, (a1)
  beqz a4, fail_test
  ld a3, 0(a1); CHECK(a3, 0x3333)

  /* ---- lr.w sign-extends; sc.w writes only 32 bits ---- */
  TEST_CASE(6)
  li a2, 0x0123456789abcdef
  sd a2, 0(a1)
  lr.w a0, (a1)
  CHECK(a0, 0xffffffff89abcdef)
  li a2, 0xfedcba9876543210
  sc.w a4, a2, (a1)
  CHECK(a4, 0)
  ld a3, 0(a1); CHECK(a3, 0x0123456776543210)
  TEST_CASE(7)
  addi a5, a1, 4
  lr.w a0, (a5)
  CHECK(a0, 0x01234567)
  li a2, 0x80000000
  sc.w a4, a2, (a5)
  CHECK(a4, 0)
  ld a3, 0(a1); CHECK(a3, 0x8000000076543210)
  TEST_CASE(8)                  /* sc.w after a successful sc.w fails */
  li a2, 0x1234
  sc.w a4, a2, (a5)
  beqz a4, fail_test
  ld a3, 0(a1); CHECK(a3, 0x8000000076543210)
  TEST_CASE(9)                  /* sc.w to another address fails */
  la a6, res_b
  lr.w a0, (a5)
  CHECK(a0, 0xffffffff80000000)
  li a2, 0x4321
  sc.w a4, a2, (a6)
  beqz a4, fail_test
  ld a3, 0(a6); CHECK(a3, 0x7777)
  sc.w a4, a2, (a5)
  beqz a4, fail_test
  ld a3, 0(a1); CHECK(a3, 0x8000000076543210)
  TEST_CASE(10)                 /* ordering bits do not change the semantics */
  lr.d.aq a0, (a1)
  CHECK(a0, 0x8000000076543210)
  li a2, 42
  sc.d.rl a4, a2, (a1)
  CHECK(a4, 0)
  lr.w.aqrl a0, (a1)
  CHECK(a0, 42)
  li a2, 43
  sc.w.aqrl a4, a2, (a1)
  CHECK(a4, 0)
  ld a3, 0(a1); CHECK(a3, 43)
  TEST_CASE(11)                 /* an LR/SC retry loop: atomic increment */
  li a2, 0
1: lr.d a0, (a1)
  addi a0, a0, 1
  sc.d a4, a0, (a1)
  addi a2, a2, 1
  li a3, 100
  bgeu a2, a3, fail_test
  bnez a4, 1b
  ld a3, 0(a1); CHECK(a3, 44)

  /* ---- amoswap ---- */
  AMO_D(12, amoswap.d, 0x1122334455667788, 0x99aabbccddeeff00, 0x1122334455667788, 0x99aabbccddeeff00)
  AMO_W(13, amoswap.w, 0x80000001, 0xffffffff12345678, 0xffffffff80000001, 0x12345678)
  AMO_WH(14, amoswap.w, 0x7fffffff, 0x87654321, 0x7fffffff, 0x87654321)
  /* rd == rs2: memory gets the old rs2, rd the old memory */
  TEST_CASE(15)
  la a1, amo_buf; li a2, 7; sd a2, 0(a1)
  li a0, 9
  amoswap.d a0, a0, (a1)
  CHECK(a0, 7); ld a3, 0(a1); CHECK(a3, 9)
  TEST_CASE(16)                 /* rd = x0 still writes memory */
  li a2, 11
  amoswap.d x0, a2, (a1)
  CHECK(x0, 0); ld a3, 0(a1); CHECK(a3, 11)

  /* ---- amoadd ---- */
  AMO_D(17, amoadd.d, 0x7fffffffffffffff, 1, 0x7fffffffffffffff, 0x8000000000000000)
  AMO_D(18, amoadd.d, 5, -7, 5, -2)
  /* 32-bit wrap-around, no carry into the high word */
  AMO_W(19, amoadd.w, 0xffffffff, 0x0000000100000001, 0xffffffffffffffff, 0)
  AMO_W(20, amoadd.w, 0x7fffffff, 1, 0x7fffffff, 0x80000000)
  AMO_WH(21, amoadd.w, 0x80000000, 0x80000000, 0xffffffff80000000, 0)

  /* ---- amoxor / amoand / amoor ---- */
  AMO_D(22, amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0)
  AMO_W(23, amoxor.w, 0xff00ff00, 0xffffffff0ff00ff0, 0xffffffffff00ff00, 0xf0f0f0f0)
  AMO_WH(24, amoxor.w, 0x0000ffff, 0xffffffff, 0x0000ffff, 0xffff0000)
  AMO_D(25, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
  AMO_W(26, amoand.w, 0xff00ff00, 0x000000000ff00ff0, 0xffffffffff00ff00, 0x0f000f00)
  AMO_WH(27, amoand.w, 0x8000ffff, 0xffffffff80000000, 0xffffffff8000ffff, 0x80000000)
  AMO_D(28, amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0)
  AMO_W(29, amoor.w, 0x7f00ff00, 0xffffffff0ff00ff0, 0x7f00ff00, 0x7ff0fff0)
  AMO_WH(30, amoor.w, 0x00000001, 0x80000000, 0x1, 0x80000001)

  /* ---- amomin / amomax: signed ---- */
  AMO_D(31, amomin.d, 5, -3, 5, -3)
  AMO_D(32, amomin.d, -3, 5, -3, -3)
  AMO_D(33, amomin.d, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
  AMO_D(34, amomax.d, 5, -3, 5, 5)
  AMO_D(35, amomax.d, -3, 5, -3, 5)
  AMO_D(36, amomax.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff)
  /* .w compares the 32-bit values as signed: 0x80000000 < 1; upper rs2 bits ignored */
  AMO_W(37, amomin.w, 0x80000000, 0x0000000000000001, 0xffffffff80000000, 0x80000000)
  AMO_W(38, amomin.w, 0x00000001, 0x00000000ffffffff, 0x1, 0xffffffff)
  AMO_WH(39, amomin.w, 0x00000002, 0x7fffffff00000003, 0x2, 0x2)
  AMO_W(40, amomax.w, 0x80000000, 0x0000000000000001, 0xffffffff80000000, 0x1)
  AMO_W(41, amomax.w, 0x00000001, 0x00000000ffffffff, 0x1, 0x1)
  AMO_WH(42, amomax.w, 0xfffffffe, 0x80000000ffffffff, 0xfffffffffffffffe, 0xffffffff)

  /* ---- amominu / amomaxu: unsigned ---- */
  AMO_D(43, amominu.d, 5, -3, 5, 5)
  AMO_D(44, amominu.d, -3, 5, -3, 5)
  AMO_D(45, amominu.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff)
  AMO_D(46, amomaxu.d, 5, -3, 5, -3)
  AMO_D(47, amomaxu.d, -3, 5, -3, -3)
  AMO_D(48, amomaxu.d, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
  /* .w compares the 32-bit values as unsigned: 0x80000000 > 1 */
  AMO_W(49, amominu.w, 0x80000000, 0xffffffff00000001, 0xffffffff80000000, 0x1)
  AMO_W(50, amominu.w, 0x00000001, 0x00000000ffffffff, 0x1, 0x1)
  AMO_WH(51, amominu.w, 0xffffffff, 0x00000001fffffffe, 0xffffffffffffffff, 0xfffffffe)
  AMO_W(52, amomaxu.w, 0x80000000, 0xffffffff00000001, 0xffffffff80000000, 0x80000000)
  AMO_W(53, amomaxu.w, 0x00000001, 0x00000000ffffffff, 0x1, 0xffffffff)
  AMO_WH(54, amomaxu.w, 0x7fffffff, 0x0000000080000000, 0x7fffffff, 0x80000000)

  /* ---- ordering variants ---- */
  AMO_D(55, amoadd.d.aq, 40, 2, 40, 42)
  AMO_D(56, amoadd.d.rl, 40, 3, 40, 43)
  AMO_W(57, amoadd.w.aqrl, 40, 4, 40, 44)
  AMO_W(58, amoswap.w.aq, 1, 2, 1, 2)
  AMO_D(59, amomaxu.d.aqrl, 1, 2, 1, 2)

  PASS
TEST_END

  .data
  .balign 64
res_a:   .dword 0
  .balign 256
res_b:   .dword 0
  .balign 256
amo_buf: .dword 0
