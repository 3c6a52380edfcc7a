/* RV64M: multiply/divide, including the spec's division-by-zero and
 * overflow results (no traps):
 *   x / 0 = -1 (all ones, also for divu), x % 0 = x,
 *   INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0.
 * W forms use the low 32 bits of each source and sign-extend the 32-bit result. */
#include "unpriv.h"

#define INT64_MIN 0x8000000000000000
#define INT64_MAX 0x7fffffffffffffff

  .option norvc
TEST_BEGIN
  TRAP_FAILS

  /* ---- mul: low 64 bits ---- */
  TEST_RR(1, mul, 21, 3, 7)
  TEST_RR(2, mul, -21, -3, 7)
  TEST_RR(3, mul, 21, -3, -7)
  TEST_RR(4, mul, 0xfffffffffffffffe, INT64_MAX, 2)
  TEST_RR(5, mul, INT64_MIN, INT64_MIN, -1)
  TEST_RR(6, mul, 0x23456789abcdef00, 0x123456789abcdef0, 0x10)
  TEST_RR(7, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff)
  TEST_RR(8, mul, 0, 0x8000000000000000, 2)

  /* ---- mulh: high 64 bits of signed x signed ---- */
  TEST_RR(9, mulh, 0, 3, 7)
  TEST_RR(10, mulh, 0, -1, -1)
  TEST_RR(11, mulh, -1, -1, 1)
  TEST_RR(12, mulh, 0x4000000000000000, INT64_MIN, INT64_MIN)      /* 2^126 */
  TEST_RR(13, mulh, 0, INT64_MIN, -1)                              /* +2^63 */
  TEST_RR(14, mulh, 0x3fffffffffffffff, INT64_MAX, INT64_MAX)
  TEST_RR(15, mulh, 0xc000000000000000, INT64_MIN, INT64_MAX)      /* -2^126+2^63 */
  TEST_RR(16, mulh, -1, -2, 0x7fffffffffffffff)

  /* ---- mulhsu: signed rs1 x unsigned rs2 ---- */
  TEST_RR(17, mulhsu, 0, 1, 0xffffffffffffffff)
  TEST_RR(18, mulhsu, -1, -1, 0xffffffffffffffff)                  /* -2^64+1 */
  TEST_RR(19, mulhsu, -1, -2, 0x8000000000000000)                  /* -2^64 */
  TEST_RR(20, mulhsu, INT64_MIN, INT64_MIN, 0xffffffffffffffff)
  TEST_RR(21, mulhsu, 0x7ffffffffffffffe, INT64_MAX, 0xffffffffffffffff)
  TEST_RR(22, mulhsu, -1, -1, 1)

  /* ---- mulhu: unsigned x unsigned ---- */
  TEST_RR(23, mulhu, 0xfffffffffffffffe, 0xffffffffffffffff, 0xffffffffffffffff)
  TEST_RR(24, mulhu, 0, 0xffffffffffffffff, 1)
  TEST_RR(25, mulhu, 1, 0x8000000000000000, 2)
  TEST_RR(26, mulhu, 0x7fffffffffffffff, 0xffffffffffffffff, 0x8000000000000000)

  /* ---- mulw ---- */
  TEST_RR(27, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
  TEST_RR(28, mulw, 15, 0x100000003, 0x100000005)
  TEST_RR(29, mulw, 1, 0xffffffff, 0xffffffff)
  TEST_RR(30, mulw, 0xffffffff80000000, 0x10000, 0x8000)
  TEST_RR(31, mulw, 0, 0x10000, 0x10000)

  /* ---- div: rounds toward zero ---- */
  TEST_RR(32, div, 3, 20, 6)
  TEST_RR(33, div, -3, -20, 6)
  TEST_RR(34, div, -3, 20, -6)
  TEST_RR(35, div, 3, -20, -6)
  TEST_RR(36, div, -1, 20, 0)
  TEST_RR(37, div, -1, -20, 0)
  TEST_RR(38, div, -1, 0, 0)
  TEST_RR(39, div, INT64_MIN, INT64_MIN, -1)
  TEST_RR(40, div, INT64_MIN, INT64_MIN, 1)
  TEST_RR(41, div, 0, 5, 0x100000000)

  /* ---- divu ---- */
  TEST_RR(42, divu, 3, 20, 6)
  TEST_RR(43, divu, 0x249249249249248f, -20, 7)
  TEST_RR(44, divu, 0xffffffffffffffff, 20, 0)
  TEST_RR(45, divu, 0xffffffffffffffff, 0, 0)
  TEST_RR(46, divu, 0, INT64_MIN, -1)
  TEST_RR(47, divu, 1, -1, -1)

  /* ---- rem: sign follows the dividend ---- */
  TEST_RR(48, rem, 2, 20, 6)
  TEST_RR(49, rem, -2, -20, 6)
  TEST_RR(50, rem, 2, 20, -6)
  TEST_RR(51, rem, -2, -20, -6)
  TEST_RR(52, rem, -20, -20, 0)
  TEST_RR(53, rem, 0, INT64_MIN, -1)
  TEST_RR(54, rem, INT64_MIN, INT64_MIN, 0)

  /* ---- remu ---- */
  TEST_RR(55, remu, 2, 20, 6)
  TEST_RR(56, remu, 3, -20, 7)
  TEST_RR(57, remu, -20, -20, 0)
  TEST_RR(58, remu, INT64_MIN, INT64_MIN, -1)
  TEST_RR(59, remu, 0, 0, 0)

  /* ---- divw ---- */
  TEST_RR(60, divw, 3, 20, 6)
  TEST_RR(61, divw, -3, 0x12345678ffffffec, 0x00000abc00000006)
  TEST_RR(62, divw, -1, 20, 0x100000000)      /* low 32 bits of rs2 are zero */
  TEST_RR(63, divw, 0xffffffff80000000, 0x80000000, -1)
  TEST_RR(64, divw, 0xffffffff80000000, 0x80000000, 1)
  TEST_RR(65, divw, 3, -20, 0xfffffffffffffffa)

  /* ---- divuw ---- */
  TEST_RR(66, divuw, 0x24924921, 0xffffffec, 7)
  TEST_RR(67, divuw, 0xffffffffffffffff, 0xffffffff, 1)   /* 2^32-1, sign-extended */
  TEST_RR(68, divuw, 0xffffffffffffffff, 20, 0)          /* 2^32-1, sign-extended */
  TEST_RR(69, divuw, 0xffffffff80000000, 0x80000000, 1)
  TEST_RR(70, divuw, 0, 0x80000000, -1)
  TEST_RR(71, divuw, 3, 0xabcdef0000000014, 0x1234567800000006)

  /* ---- remw ---- */
  TEST_RR(72, remw, 2, 20, 6)
  TEST_RR(73, remw, -2, -20, 6)
  TEST_RR(74, remw, 2, 20, -6)
  TEST_RR(75, remw, 0xffffffff80000001, 0x0000000080000001, 0)   /* x, sign-extended */
  TEST_RR(76, remw, 0, 0x80000000, -1)
  TEST_RR(77, remw, -2, 0x12345678ffffffec, 0xabc0000000000006)

  /* ---- remuw ---- */
  TEST_RR(78, remuw, 5, 0xffffffec, 7)
  TEST_RR(79, remuw, 0xffffffff80000000, 0x80000000, 0)            /* x, sign-extended */
  TEST_RR(80, remuw, 5, 0xfffffff5, 0x10)
  TEST_RR(81, remuw, 0xffffffff80000000, 0x80000000, 0xffffffff)
  TEST_RR(82, remuw, 0, 0x1234567800000000, 0x100000000)           /* 0 % 0 = 0 */

  /* ---- rd == rs1 == rs2, and x0 destination ---- */
  TEST_CASE(83); li a1, -9; mul a1, a1, a1; CHECK(a1, 81)
  TEST_CASE(84); li a1, -9; div a1, a1, a1; CHECK(a1, 1)
  TEST_CASE(85); li a1, 6; li a2, 7; mul x0, a1, a2; CHECK(x0, 0)

  PASS
TEST_END
