/* RV64D (part 3): the five rounding modes on arithmetic. Each test number
 * runs the instruction twice: with the static rm (while frm holds another,
 * decoy mode that must be ignored) and with rm=dyn and frm set to the mode.
 * Operands are chosen so the results differ between modes: ties (RNE vs RMM),
 * values between two doubles (RTZ/RDN vs RUP), negative values (RDN vs RUP vs
 * RTZ), overflow, underflow and the sign of exact zero results.
 * The accrued flags must be exactly as given, for every mode. */
#include "unpriv.h"

#define ONE    0x3ff0000000000000
#define TWO    0x4000000000000000
#define THREE  0x4008000000000000
#define TEN    0x4024000000000000
#define HALF   0x3fe0000000000000
#define MONE   0xbff0000000000000
#define PZERO  0x0000000000000000
#define NZERO  0x8000000000000000
#define PINF   0x7ff0000000000000
#define NINF   0xfff0000000000000
#define MAXD   0x7fefffffffffffff
#define MINN   0x0010000000000000
#define MINSUB 0x0000000000000001
#define MAXSUB 0x000fffffffffffff
#define EPS53  0x3ca0000000000000     /* 2^-53 */
#define THIRD  0x3fd5555555555555     /* 1/3 rounded (down) to double */
#define NX FLAG_NX
#define UF FLAG_UF
#define OF FLAG_OF

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* 1 + 2^-53: tie between 1 and 1+ulp (even below) */
  RM_D2(1, fadd.d, rne, ONE, NX, ONE, EPS53)
  RM_D2(2, fadd.d, rtz, ONE, NX, ONE, EPS53)
  RM_D2(3, fadd.d, rdn, ONE, NX, ONE, EPS53)
  RM_D2(4, fadd.d, rup, 0x3ff0000000000001, NX, ONE, EPS53)
  RM_D2(5, fadd.d, rmm, 0x3ff0000000000001, NX, ONE, EPS53)
  /* -1 - 2^-53 */
  RM_D2(6, fadd.d, rne, MONE, NX, MONE, 0xbca0000000000000)
  RM_D2(7, fadd.d, rtz, MONE, NX, MONE, 0xbca0000000000000)
  RM_D2(8, fadd.d, rdn, 0xbff0000000000001, NX, MONE, 0xbca0000000000000)
  RM_D2(9, fadd.d, rup, MONE, NX, MONE, 0xbca0000000000000)
  RM_D2(10, fadd.d, rmm, 0xbff0000000000001, NX, MONE, 0xbca0000000000000)
  /* (1+2^-52) + 2^-53: tie, even above */
  RM_D2(11, fadd.d, rne, 0x3ff0000000000002, NX, 0x3ff0000000000001, EPS53)
  RM_D2(12, fadd.d, rtz, 0x3ff0000000000001, NX, 0x3ff0000000000001, EPS53)
  RM_D2(13, fadd.d, rdn, 0x3ff0000000000001, NX, 0x3ff0000000000001, EPS53)
  RM_D2(14, fadd.d, rup, 0x3ff0000000000002, NX, 0x3ff0000000000001, EPS53)
  RM_D2(15, fadd.d, rmm, 0x3ff0000000000002, NX, 0x3ff0000000000001, EPS53)
  /* x - x = +0, but -0 when rounding down */
  RM_D2(16, fsub.d, rne, PZERO, 0, TWO, TWO)
  RM_D2(17, fsub.d, rtz, PZERO, 0, TWO, TWO)
  RM_D2(18, fsub.d, rdn, NZERO, 0, TWO, TWO)
  RM_D2(19, fsub.d, rup, PZERO, 0, TWO, TWO)
  RM_D2(20, fsub.d, rmm, PZERO, 0, TWO, TWO)
  /* 1 - 2^-54: tie between 1-2^-53 (odd) and 1 */
  RM_D2(21, fsub.d, rne, ONE, NX, ONE, 0x3c90000000000000)
  RM_D2(22, fsub.d, rtz, 0x3fefffffffffffff, NX, ONE, 0x3c90000000000000)
  RM_D2(23, fsub.d, rdn, 0x3fefffffffffffff, NX, ONE, 0x3c90000000000000)
  RM_D2(24, fsub.d, rup, ONE, NX, ONE, 0x3c90000000000000)
  RM_D2(25, fsub.d, rmm, ONE, NX, ONE, 0x3c90000000000000)
  /* 0x3fd5555555555555 * 3 = 1 - 2^-54: tie */
  RM_D2(26, fmul.d, rne, ONE, NX, THIRD, THREE)
  RM_D2(27, fmul.d, rtz, 0x3fefffffffffffff, NX, THIRD, THREE)
  RM_D2(28, fmul.d, rdn, 0x3fefffffffffffff, NX, THIRD, THREE)
  RM_D2(29, fmul.d, rup, ONE, NX, THIRD, THREE)
  RM_D2(30, fmul.d, rmm, ONE, NX, THIRD, THREE)
  /* overflow: inf or MAX depending on the direction */
  RM_D2(31, fmul.d, rne, PINF, OF|NX, MAXD, TWO)
  RM_D2(32, fmul.d, rtz, MAXD, OF|NX, MAXD, TWO)
  RM_D2(33, fmul.d, rdn, MAXD, OF|NX, MAXD, TWO)
  RM_D2(34, fmul.d, rup, PINF, OF|NX, MAXD, TWO)
  RM_D2(35, fmul.d, rmm, PINF, OF|NX, MAXD, TWO)
  RM_D2(36, fmul.d, rne, NINF, OF|NX, 0xffefffffffffffff, TWO)
  RM_D2(37, fmul.d, rtz, 0xffefffffffffffff, OF|NX, 0xffefffffffffffff, TWO)
  RM_D2(38, fmul.d, rdn, NINF, OF|NX, 0xffefffffffffffff, TWO)
  RM_D2(39, fmul.d, rup, 0xffefffffffffffff, OF|NX, 0xffefffffffffffff, TWO)
  RM_D2(40, fmul.d, rmm, NINF, OF|NX, 0xffefffffffffffff, TWO)
  /* underflow: 2^-1075 is a tie between 0 and the smallest subnormal */
  RM_D2(41, fmul.d, rne, PZERO, UF|NX, MINSUB, HALF)
  RM_D2(42, fmul.d, rtz, PZERO, UF|NX, MINSUB, HALF)
  RM_D2(43, fmul.d, rdn, PZERO, UF|NX, MINSUB, HALF)
  RM_D2(44, fmul.d, rup, MINSUB, UF|NX, MINSUB, HALF)
  RM_D2(45, fmul.d, rmm, MINSUB, UF|NX, MINSUB, HALF)
  RM_D2(46, fmul.d, rne, NZERO, UF|NX, 0x8000000000000001, HALF)
  RM_D2(47, fmul.d, rtz, NZERO, UF|NX, 0x8000000000000001, HALF)
  RM_D2(48, fmul.d, rdn, 0x8000000000000001, UF|NX, 0x8000000000000001, HALF)
  RM_D2(49, fmul.d, rup, NZERO, UF|NX, 0x8000000000000001, HALF)
  RM_D2(50, fmul.d, rmm, 0x8000000000000001, UF|NX, 0x8000000000000001, HALF)
  /* 2^-1022*(1-2^-104): UF only where the (unbounded) rounding stays below 2^-1022 */
  RM_D2(51, fmul.d, rne, MINN, NX, 0x0010000000000001, 0x3feffffffffffffe)
  RM_D2(52, fmul.d, rtz, MAXSUB, UF|NX, 0x0010000000000001, 0x3feffffffffffffe)
  RM_D2(53, fmul.d, rdn, MAXSUB, UF|NX, 0x0010000000000001, 0x3feffffffffffffe)
  RM_D2(54, fmul.d, rup, MINN, NX, 0x0010000000000001, 0x3feffffffffffffe)
  RM_D2(55, fmul.d, rmm, MINN, NX, 0x0010000000000001, 0x3feffffffffffffe)
  /* 1/10 */
  RM_D2(56, fdiv.d, rne, 0x3fb999999999999a, NX, ONE, TEN)
  RM_D2(57, fdiv.d, rtz, 0x3fb9999999999999, NX, ONE, TEN)
  RM_D2(58, fdiv.d, rdn, 0x3fb9999999999999, NX, ONE, TEN)
  RM_D2(59, fdiv.d, rup, 0x3fb999999999999a, NX, ONE, TEN)
  RM_D2(60, fdiv.d, rmm, 0x3fb999999999999a, NX, ONE, TEN)
  /* -1/10 */
  RM_D2(61, fdiv.d, rne, 0xbfb999999999999a, NX, MONE, TEN)
  RM_D2(62, fdiv.d, rtz, 0xbfb9999999999999, NX, MONE, TEN)
  RM_D2(63, fdiv.d, rdn, 0xbfb999999999999a, NX, MONE, TEN)
  RM_D2(64, fdiv.d, rup, 0xbfb9999999999999, NX, MONE, TEN)
  RM_D2(65, fdiv.d, rmm, 0xbfb999999999999a, NX, MONE, TEN)
  /* sqrt(2): remainder above half an ulp */
  RM_D1(66, fsqrt.d, rne, 0x3ff6a09e667f3bcd, NX, TWO)
  RM_D1(67, fsqrt.d, rtz, 0x3ff6a09e667f3bcc, NX, TWO)
  RM_D1(68, fsqrt.d, rdn, 0x3ff6a09e667f3bcc, NX, TWO)
  RM_D1(69, fsqrt.d, rup, 0x3ff6a09e667f3bcd, NX, TWO)
  RM_D1(70, fsqrt.d, rmm, 0x3ff6a09e667f3bcd, NX, TWO)
  /* sqrt(3): remainder below half an ulp */
  RM_D1(71, fsqrt.d, rne, 0x3ffbb67ae8584caa, NX, THREE)
  RM_D1(72, fsqrt.d, rtz, 0x3ffbb67ae8584caa, NX, THREE)
  RM_D1(73, fsqrt.d, rdn, 0x3ffbb67ae8584caa, NX, THREE)
  RM_D1(74, fsqrt.d, rup, 0x3ffbb67ae8584cab, NX, THREE)
  RM_D1(75, fsqrt.d, rmm, 0x3ffbb67ae8584caa, NX, THREE)
  /* (1+2^-52)(1-2^-52) + 0 = 1 - 2^-104 */
  RM_D3(76, fmadd.d, rne, ONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(77, fmadd.d, rtz, 0x3fefffffffffffff, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(78, fmadd.d, rdn, 0x3fefffffffffffff, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(79, fmadd.d, rup, ONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(80, fmadd.d, rmm, ONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  /* (1 - 2^-104) - 2 */
  RM_D3(81, fmsub.d, rne, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, TWO)
  RM_D3(82, fmsub.d, rtz, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, TWO)
  RM_D3(83, fmsub.d, rdn, 0xbff0000000000001, NX, 0x3ff0000000000001, 0x3feffffffffffffe, TWO)
  RM_D3(84, fmsub.d, rup, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, TWO)
  RM_D3(85, fmsub.d, rmm, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, TWO)
  /* -(1 - 2^-104) + 0 */
  RM_D3(86, fnmsub.d, rne, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(87, fnmsub.d, rtz, 0xbfefffffffffffff, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(88, fnmsub.d, rdn, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(89, fnmsub.d, rup, 0xbfefffffffffffff, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  RM_D3(90, fnmsub.d, rmm, MONE, NX, 0x3ff0000000000001, 0x3feffffffffffffe, PZERO)
  /* -(1*1) - 2^-53: tie */
  RM_D3(91, fnmadd.d, rne, MONE, NX, ONE, ONE, EPS53)
  RM_D3(92, fnmadd.d, rtz, MONE, NX, ONE, ONE, EPS53)
  RM_D3(93, fnmadd.d, rdn, 0xbff0000000000001, NX, ONE, ONE, EPS53)
  RM_D3(94, fnmadd.d, rup, MONE, NX, ONE, ONE, EPS53)
  RM_D3(95, fnmadd.d, rmm, 0xbff0000000000001, NX, ONE, ONE, EPS53)
  /* 1*1 + -1: exact zero, -0 only when rounding down */
  RM_D3(96, fmadd.d, rne, PZERO, 0, ONE, ONE, MONE)
  RM_D3(97, fmadd.d, rtz, PZERO, 0, ONE, ONE, MONE)
  RM_D3(98, fmadd.d, rdn, NZERO, 0, ONE, ONE, MONE)
  RM_D3(99, fmadd.d, rup, PZERO, 0, ONE, ONE, MONE)
  RM_D3(100, fmadd.d, rmm, PZERO, 0, ONE, ONE, MONE)

  PASS
TEST_END
