/* RV64F (part 3): the five rounding modes on arithmetic. Each test number
 * runs the instruction twice: with the static rm (while frm holds another,
 * decoy mode that must be ignored) and with rm=dyn and frm set to the mode.
 * Operands are chosen so the results differ between modes: ties (RNE vs RMM),
 * values between two floats (RTZ/RDN vs RUP), negative values (RDN vs RUP vs
 * RTZ), overflow, underflow and the sign of exact zero results.
 * The accrued flags must be exactly as given, for every mode. */
#include "unpriv.h"

#define ONE    0x3f800000
#define TWO    0x40000000
#define THREE  0x40400000
#define HALF   0x3f000000
#define MONE   0xbf800000
#define PZERO  0x00000000
#define NZERO  0x80000000
#define PINF   0x7f800000
#define NINF   0xff800000
#define MAXF   0x7f7fffff
#define MINN   0x00800000
#define MINSUB 0x00000001
#define MAXSUB 0x007fffff
#define EPS24  0x33800000     /* 2^-24 */
#define NX FLAG_NX
#define UF FLAG_UF
#define OF FLAG_OF

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* 1 + 2^-24: tie between 1 and 1+ulp (even below) */
  RM_S2(1, fadd.s, rne, ONE, NX, ONE, EPS24)
  RM_S2(2, fadd.s, rtz, ONE, NX, ONE, EPS24)
  RM_S2(3, fadd.s, rdn, ONE, NX, ONE, EPS24)
  RM_S2(4, fadd.s, rup, 0x3f800001, NX, ONE, EPS24)
  RM_S2(5, fadd.s, rmm, 0x3f800001, NX, ONE, EPS24)
  /* -1 - 2^-24 */
  RM_S2(6, fadd.s, rne, MONE, NX, MONE, 0xb3800000)
  RM_S2(7, fadd.s, rtz, MONE, NX, MONE, 0xb3800000)
  RM_S2(8, fadd.s, rdn, 0xbf800001, NX, MONE, 0xb3800000)
  RM_S2(9, fadd.s, rup, MONE, NX, MONE, 0xb3800000)
  RM_S2(10, fadd.s, rmm, 0xbf800001, NX, MONE, 0xb3800000)
  /* (1+2^-23) + 2^-24: tie, even above */
  RM_S2(11, fadd.s, rne, 0x3f800002, NX, 0x3f800001, EPS24)
  RM_S2(12, fadd.s, rtz, 0x3f800001, NX, 0x3f800001, EPS24)
  RM_S2(13, fadd.s, rdn, 0x3f800001, NX, 0x3f800001, EPS24)
  RM_S2(14, fadd.s, rup, 0x3f800002, NX, 0x3f800001, EPS24)
  RM_S2(15, fadd.s, rmm, 0x3f800002, NX, 0x3f800001, EPS24)
  /* x - x = +0, but -0 when rounding down */
  RM_S2(16, fsub.s, rne, PZERO, 0, ONE, ONE)
  RM_S2(17, fsub.s, rtz, PZERO, 0, ONE, ONE)
  RM_S2(18, fsub.s, rdn, NZERO, 0, ONE, ONE)
  RM_S2(19, fsub.s, rup, PZERO, 0, ONE, ONE)
  RM_S2(20, fsub.s, rmm, PZERO, 0, ONE, ONE)
  /* 1 - 2^-25: tie between 1-2^-24 (odd) and 1 */
  RM_S2(21, fsub.s, rne, ONE, NX, ONE, 0x33000000)
  RM_S2(22, fsub.s, rtz, 0x3f7fffff, NX, ONE, 0x33000000)
  RM_S2(23, fsub.s, rdn, 0x3f7fffff, NX, ONE, 0x33000000)
  RM_S2(24, fsub.s, rup, ONE, NX, ONE, 0x33000000)
  RM_S2(25, fsub.s, rmm, ONE, NX, ONE, 0x33000000)
  /* 0x3eaaaaab * 3 = 1 + 2^-25 (a quarter ulp) */
  RM_S2(26, fmul.s, rne, ONE, NX, 0x3eaaaaab, THREE)
  RM_S2(27, fmul.s, rtz, ONE, NX, 0x3eaaaaab, THREE)
  RM_S2(28, fmul.s, rdn, ONE, NX, 0x3eaaaaab, THREE)
  RM_S2(29, fmul.s, rup, 0x3f800001, NX, 0x3eaaaaab, THREE)
  RM_S2(30, fmul.s, rmm, ONE, NX, 0x3eaaaaab, THREE)
  /* overflow: inf or MAX depending on the direction */
  RM_S2(31, fmul.s, rne, PINF, OF|NX, MAXF, TWO)
  RM_S2(32, fmul.s, rtz, MAXF, OF|NX, MAXF, TWO)
  RM_S2(33, fmul.s, rdn, MAXF, OF|NX, MAXF, TWO)
  RM_S2(34, fmul.s, rup, PINF, OF|NX, MAXF, TWO)
  RM_S2(35, fmul.s, rmm, PINF, OF|NX, MAXF, TWO)
  RM_S2(36, fmul.s, rne, NINF, OF|NX, 0xff7fffff, TWO)
  RM_S2(37, fmul.s, rtz, 0xff7fffff, OF|NX, 0xff7fffff, TWO)
  RM_S2(38, fmul.s, rdn, NINF, OF|NX, 0xff7fffff, TWO)
  RM_S2(39, fmul.s, rup, 0xff7fffff, OF|NX, 0xff7fffff, TWO)
  RM_S2(40, fmul.s, rmm, NINF, OF|NX, 0xff7fffff, TWO)
  /* underflow: 2^-150 is a tie between 0 and the smallest subnormal */
  RM_S2(41, fmul.s, rne, PZERO, UF|NX, MINSUB, HALF)
  RM_S2(42, fmul.s, rtz, PZERO, UF|NX, MINSUB, HALF)
  RM_S2(43, fmul.s, rdn, PZERO, UF|NX, MINSUB, HALF)
  RM_S2(44, fmul.s, rup, MINSUB, UF|NX, MINSUB, HALF)
  RM_S2(45, fmul.s, rmm, MINSUB, UF|NX, MINSUB, HALF)
  RM_S2(46, fmul.s, rne, NZERO, UF|NX, 0x80000001, HALF)
  RM_S2(47, fmul.s, rtz, NZERO, UF|NX, 0x80000001, HALF)
  RM_S2(48, fmul.s, rdn, 0x80000001, UF|NX, 0x80000001, HALF)
  RM_S2(49, fmul.s, rup, NZERO, UF|NX, 0x80000001, HALF)
  RM_S2(50, fmul.s, rmm, 0x80000001, UF|NX, 0x80000001, HALF)
  /* 2^-126*(1-2^-46): UF only where the (unbounded) rounding stays below 2^-126 */
  RM_S2(51, fmul.s, rne, MINN, NX, 0x00800001, 0x3f7ffffe)
  RM_S2(52, fmul.s, rtz, MAXSUB, UF|NX, 0x00800001, 0x3f7ffffe)
  RM_S2(53, fmul.s, rdn, MAXSUB, UF|NX, 0x00800001, 0x3f7ffffe)
  RM_S2(54, fmul.s, rup, MINN, NX, 0x00800001, 0x3f7ffffe)
  RM_S2(55, fmul.s, rmm, MINN, NX, 0x00800001, 0x3f7ffffe)
  /* 1/3 */
  RM_S2(56, fdiv.s, rne, 0x3eaaaaab, NX, ONE, THREE)
  RM_S2(57, fdiv.s, rtz, 0x3eaaaaaa, NX, ONE, THREE)
  RM_S2(58, fdiv.s, rdn, 0x3eaaaaaa, NX, ONE, THREE)
  RM_S2(59, fdiv.s, rup, 0x3eaaaaab, NX, ONE, THREE)
  RM_S2(60, fdiv.s, rmm, 0x3eaaaaab, NX, ONE, THREE)
  /* -1/3 */
  RM_S2(61, fdiv.s, rne, 0xbeaaaaab, NX, MONE, THREE)
  RM_S2(62, fdiv.s, rtz, 0xbeaaaaaa, NX, MONE, THREE)
  RM_S2(63, fdiv.s, rdn, 0xbeaaaaab, NX, MONE, THREE)
  RM_S2(64, fdiv.s, rup, 0xbeaaaaaa, NX, MONE, THREE)
  RM_S2(65, fdiv.s, rmm, 0xbeaaaaab, NX, MONE, THREE)
  /* sqrt(2): remainder below half an ulp */
  RM_S1(66, fsqrt.s, rne, 0x3fb504f3, NX, TWO)
  RM_S1(67, fsqrt.s, rtz, 0x3fb504f3, NX, TWO)
  RM_S1(68, fsqrt.s, rdn, 0x3fb504f3, NX, TWO)
  RM_S1(69, fsqrt.s, rup, 0x3fb504f4, NX, TWO)
  RM_S1(70, fsqrt.s, rmm, 0x3fb504f3, NX, TWO)
  /* sqrt(5): remainder above half an ulp */
  RM_S1(71, fsqrt.s, rne, 0x400f1bbd, NX, 0x40a00000)
  RM_S1(72, fsqrt.s, rtz, 0x400f1bbc, NX, 0x40a00000)
  RM_S1(73, fsqrt.s, rdn, 0x400f1bbc, NX, 0x40a00000)
  RM_S1(74, fsqrt.s, rup, 0x400f1bbd, NX, 0x40a00000)
  RM_S1(75, fsqrt.s, rmm, 0x400f1bbd, NX, 0x40a00000)
  /* (1+2^-23)(1-2^-23) + 0 = 1 - 2^-46 */
  RM_S3(76, fmadd.s, rne, ONE, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(77, fmadd.s, rtz, 0x3f7fffff, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(78, fmadd.s, rdn, 0x3f7fffff, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(79, fmadd.s, rup, ONE, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(80, fmadd.s, rmm, ONE, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  /* (1 - 2^-46) - 2 */
  RM_S3(81, fmsub.s, rne, MONE, NX, 0x3f800001, 0x3f7ffffe, TWO)
  RM_S3(82, fmsub.s, rtz, MONE, NX, 0x3f800001, 0x3f7ffffe, TWO)
  RM_S3(83, fmsub.s, rdn, 0xbf800001, NX, 0x3f800001, 0x3f7ffffe, TWO)
  RM_S3(84, fmsub.s, rup, MONE, NX, 0x3f800001, 0x3f7ffffe, TWO)
  RM_S3(85, fmsub.s, rmm, MONE, NX, 0x3f800001, 0x3f7ffffe, TWO)
  /* -(1 - 2^-46) + 0 */
  RM_S3(86, fnmsub.s, rne, MONE, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(87, fnmsub.s, rtz, 0xbf7fffff, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(88, fnmsub.s, rdn, MONE, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(89, fnmsub.s, rup, 0xbf7fffff, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  RM_S3(90, fnmsub.s, rmm, MONE, NX, 0x3f800001, 0x3f7ffffe, PZERO)
  /* -(1*1) - 2^-24: tie */
  RM_S3(91, fnmadd.s, rne, MONE, NX, ONE, ONE, EPS24)
  RM_S3(92, fnmadd.s, rtz, MONE, NX, ONE, ONE, EPS24)
  RM_S3(93, fnmadd.s, rdn, 0xbf800001, NX, ONE, ONE, EPS24)
  RM_S3(94, fnmadd.s, rup, MONE, NX, ONE, ONE, EPS24)
  RM_S3(95, fnmadd.s, rmm, 0xbf800001, NX, ONE, ONE, EPS24)
  /* 1*1 + -1: exact zero, -0 only when rounding down */
  RM_S3(96, fmadd.s, rne, PZERO, 0, ONE, ONE, MONE)
  RM_S3(97, fmadd.s, rtz, PZERO, 0, ONE, ONE, MONE)
  RM_S3(98, fmadd.s, rdn, NZERO, 0, ONE, ONE, MONE)
  RM_S3(99, fmadd.s, rup, PZERO, 0, ONE, ONE, MONE)
  RM_S3(100, fmadd.s, rmm, PZERO, 0, ONE, ONE, MONE)

  PASS
TEST_END
