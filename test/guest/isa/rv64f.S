/* RV64F (part 1): loads/stores/moves, NaN-boxing, arithmetic with special
 * values and exception flags, fused multiply-add, sign injection, min/max,
 * compares and fclass. Conversions: rv64f_cvt.S; rounding modes: rv64f_rm.S.
 * Unless a rounding mode is given, instructions use rm=dyn with frm = RNE.
 * Every check looks at the exact set of accrued flags and, for FP results,
 * at the full 64-bit register (results must be NaN-boxed). */
#include "unpriv.h"

#define ONE    0x3f800000
#define TWO    0x40000000
#define THREE  0x40400000
#define HALF   0x3f000000
#define MONE   0xbf800000
#define MTWO   0xc0000000
#define PZERO  0x00000000
#define NZERO  0x80000000
#define PINF   0x7f800000
#define NINF   0xff800000
#define QNAN   0x7fc00000     /* canonical NaN */
#define QNANP  0x7fc12345     /* quiet NaN with a payload */
#define SNAN   0x7f800001
#define MAXF   0x7f7fffff
#define MINN   0x00800000     /* 2^-126 */
#define MINSUB 0x00000001     /* 2^-149 */
#define MAXSUB 0x007fffff
#define EPS24  0x33800000     /* 2^-24 */
#define NX FLAG_NX
#define UF FLAG_UF
#define OF FLAG_OF
#define DZ FLAG_DZ
#define NV FLAG_NV

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* ---- flw / fsw: transfers, no canonicalisation, flw NaN-boxes ---- */
  TEST_CASE(1)
  la a1, fdata
  CLEAR_FLAGS
  flw fa0, 0(a1);  CHECK_S(fa0, ONE)
  flw fa1, 4(a1);  CHECK_S(fa1, 0xc0490fdb)
  flw fa2, 8(a1);  CHECK_S(fa2, SNAN)          /* sNaN loaded unchanged */
  flw ft3, -4(a1); CHECK_S(ft3, 0xdeadbeef)
  CHECK_FLAGS(0)
  TEST_CASE(2)
  la a2, fbuf
  li a3, 0x1111111122222222
  sd a3, 0(a2)
  fsw fa0, 0(a2)
  ld a4, 0(a2); CHECK(a4, 0x111111113f800000)
  fsw fa2, 4(a2)
  ld a4, 0(a2); CHECK(a4, 0x7f8000013f800000)
  TEST_CASE(3)                  /* fsw stores the low 32 bits of an unboxed value as is */
  LI_D(fa3, 0x123456789abcdef0)
  fsw fa3, 8(a2)
  lwu a4, 8(a2); CHECK(a4, 0x9abcdef0)
  CHECK_FLAGS(0)

  /* ---- fmv.x.w sign-extends; fmv.w.x NaN-boxes; neither checks or canonicalises ---- */
  FP_XS1(4, fmv.x.w, 0x3f800000, 0, ONE)
  FP_XS1(5, fmv.x.w, 0xffffffffbf800000, 0, MONE)
  FP_XS1(6, fmv.x.w, 0x7f800001, 0, SNAN)
  TEST_CASE(7); LI_D(fa0, 0x123456789abcdef0); fmv.x.w a0, fa0; CHECK(a0, 0xffffffff9abcdef0)
  TEST_CASE(8); li a0, 0xdeadbeef12345678; fmv.w.x fa0, a0; CHECK_S(fa0, 0x12345678)
  TEST_CASE(9); li a0, 0xff800001; CLEAR_FLAGS; fmv.w.x fa0, a0; CHECK_FLAGS(0); CHECK_S(fa0, 0xff800001)

  /* ---- NaN-boxing: an f register whose upper 32 bits are not all ones
   * holds the canonical NaN as far as single-precision operations go ---- */
#define BAD1 0x000000003f800000       /* would be 1.0 if the box were ignored */
#define BAD2 0xfffffffebf800000       /* would be -1.0 */
#define BOX_S2(n, inst, res, flags, bad, b) \
  TEST_CASE(n); LI_D(fa0, bad); LI_S(fa1, b); CLEAR_FLAGS; \
  inst fa3, fa0, fa1; CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define BOX_S2R(n, inst, res, flags, a, bad) \
  TEST_CASE(n); LI_S(fa0, a); LI_D(fa1, bad); CLEAR_FLAGS; \
  inst fa3, fa0, fa1; CHECK_FLAGS(flags); CHECK_S(fa3, res)
  BOX_S2(10, fadd.s, QNAN, 0, BAD1, ONE)
  BOX_S2(11, fmul.s, QNAN, 0, BAD2, TWO)
  BOX_S2R(12, fsub.s, QNAN, 0, ONE, BAD1)
  BOX_S2(13, fmin.s, ONE, 0, BAD1, ONE)            /* NaN operand is ignored */
  BOX_S2(14, fsgnj.s, QNAN, 0, BAD2, ONE)           /* rs1 = 0x7fc00000 */
  BOX_S2(15, fsgnjn.s, 0xffc00000, 0, BAD1, ONE)
  BOX_S2(16, fsgnjx.s, 0xffc00000, 0, BAD1, MONE)
  BOX_S2R(17, fsgnj.s, ONE, 0, MONE, BAD2)          /* sign of canonical NaN is 0 */
  BOX_S2R(18, fsgnjn.s, MONE, 0, ONE, BAD2)
  TEST_CASE(19); LI_D(fa0, BAD2); CLEAR_FLAGS; fclass.s a0, fa0; CHECK_FLAGS(0); CHECK(a0, 0x200)
  TEST_CASE(20); LI_D(fa0, BAD1); LI_S(fa1, ONE); CLEAR_FLAGS; feq.s a0, fa0, fa0; CHECK_FLAGS(0); CHECK(a0, 0)
  TEST_CASE(21); flt.s a0, fa0, fa1; CHECK_FLAGS(NV); CHECK(a0, 0)
  TEST_CASE(22); CLEAR_FLAGS; fcvt.w.s a0, fa0; CHECK_FLAGS(NV); CHECK(a0, 0x7fffffff)
  TEST_CASE(23); CLEAR_FLAGS; fsqrt.s fa3, fa0; CHECK_FLAGS(0); CHECK_S(fa3, QNAN)
  TEST_CASE(24); CLEAR_FLAGS; fmadd.s fa3, fa1, fa1, fa0; CHECK_FLAGS(0); CHECK_S(fa3, QNAN)
  TEST_CASE(25); CLEAR_FLAGS; fcvt.d.s fa3, fa0; CHECK_FLAGS(0); CHECK_D(fa3, 0x7ff8000000000000)
  TEST_CASE(26); CLEAR_FLAGS; fmv.s fa3, fa0; CHECK_FLAGS(0); CHECK_S(fa3, QNAN)   /* fsgnj rs1==rs2 */

  /* ---- fadd.s / fsub.s ---- */
  FP_S2(27, fadd.s, 0x40800000, 0, 0x3fc00000, 0x40200000)      /* 1.5 + 2.5 */
  FP_S2(28, fadd.s, PZERO, 0, ONE, MONE)                         /* x + -x = +0 in RNE */
  FP_S2(29, fadd.s, NZERO, 0, NZERO, NZERO)
  FP_S2(30, fadd.s, PZERO, 0, NZERO, PZERO)
  FP_S2(31, fadd.s, QNAN, NV, PINF, NINF)
  FP_S2(32, fadd.s, PINF, 0, PINF, ONE)
  FP_S2(33, fadd.s, QNAN, 0, QNANP, ONE)             /* payload is not propagated */
  FP_S2(34, fadd.s, QNAN, NV, ONE, SNAN)
  FP_S2(35, fadd.s, PINF, OF|NX, MAXF, MAXF)
  FP_S2(36, fadd.s, ONE, NX, ONE, EPS24)              /* tie, to even */
  FP_S2(37, fadd.s, MAXSUB, 0, MINN, 0x80000001)      /* exact subnormal: no UF */
  FP_S2(38, fsub.s, TWO, 0, THREE, ONE)
  FP_S2(39, fsub.s, QNAN, NV, PINF, PINF)
  FP_S2(40, fsub.s, PZERO, 0, ONE, ONE)
  FP_S2(41, fsub.s, NZERO, 0, NZERO, PZERO)
  FP_S2(42, fsub.s, NINF, 0, NINF, PINF)
  FP_S2(43, fsub.s, QNAN, NV, SNAN, SNAN)

  /* ---- fmul.s ---- */
  FP_S2(44, fmul.s, 0x40c00000, 0, TWO, THREE)
  FP_S2(45, fmul.s, 0xc0c00000, 0, MTWO, THREE)
  FP_S2(46, fmul.s, QNAN, NV, PZERO, PINF)
  FP_S2(47, fmul.s, NZERO, 0, NZERO, ONE)
  FP_S2(48, fmul.s, NINF, 0, PINF, MTWO)
  FP_S2(49, fmul.s, PINF, OF|NX, MAXF, TWO)
  FP_S2(50, fmul.s, 0xff800000, OF|NX, MAXF, MTWO)
  FP_S2(51, fmul.s, 0x00400000, 0, MINN, HALF)          /* exact subnormal: no UF */
  FP_S2(52, fmul.s, PZERO, UF|NX, MINSUB, HALF)         /* 2^-150: tie to even 0 */
  FP_S2(53, fmul.s, NZERO, UF|NX, MINSUB, 0xbe800000)   /* -2^-151 */
  /* Tininess is detected after rounding: 2^-126*(1-2^-46) rounds (unbounded
   * exponent) to 2^-126, which is not tiny, so only NX. */
  FP_S2(54, fmul.s, MINN, NX, 0x00800001, 0x3f7ffffe)
  /* 2^-126 - 2^-150 is representable with an unbounded exponent, so it is
   * tiny; the subnormal rounding (tie, to even) gives 2^-126, with UF. */
  FP_S2(55, fmul.s, MINN, UF|NX, MINN, 0x3f7fffff)
  FP_S2(56, fmul.s, QNAN, NV, SNAN, ONE)
  FP_S2(57, fmul.s, QNAN, 0, QNANP, PZERO)

  /* ---- fdiv.s ---- */
  FP_S2(58, fdiv.s, 0x3eaaaaab, NX, ONE, THREE)
  FP_S2(59, fdiv.s, TWO, 0, 0x40c00000, THREE)
  FP_S2(60, fdiv.s, PINF, DZ, ONE, PZERO)
  FP_S2(61, fdiv.s, NINF, DZ, MONE, PZERO)
  FP_S2(62, fdiv.s, NINF, DZ, ONE, NZERO)
  FP_S2(63, fdiv.s, QNAN, NV, PZERO, PZERO)
  FP_S2(64, fdiv.s, QNAN, NV, PINF, NINF)
  FP_S2(65, fdiv.s, PINF, 0, PINF, PZERO)             /* infinity is exact: no DZ */
  FP_S2(66, fdiv.s, PZERO, 0, ONE, PINF)
  FP_S2(67, fdiv.s, NZERO, 0, MONE, PINF)
  FP_S2(68, fdiv.s, PINF, OF|NX, MAXF, HALF)
  FP_S2(69, fdiv.s, 0x00200000, 0, MINN, 0x40800000)
  FP_S2(70, fdiv.s, PZERO, UF|NX, MINSUB, TWO)
  FP_S2(71, fdiv.s, QNAN, 0, QNAN, PZERO)             /* NaN, not DZ */
  FP_S2(72, fdiv.s, QNAN, NV, ONE, SNAN)

  /* ---- fsqrt.s ---- */
  FP_S1(73, fsqrt.s, TWO, 0, 0x40800000)
  FP_S1(74, fsqrt.s, 0x3fb504f3, NX, TWO)
  FP_S1(75, fsqrt.s, NZERO, 0, NZERO)                 /* sqrt(-0) = -0 */
  FP_S1(76, fsqrt.s, PINF, 0, PINF)
  FP_S1(77, fsqrt.s, QNAN, NV, MONE)
  FP_S1(78, fsqrt.s, QNAN, NV, NINF)
  FP_S1(79, fsqrt.s, QNAN, 0, QNANP)
  FP_S1(80, fsqrt.s, QNAN, NV, SNAN)
  FP_S1(81, fsqrt.s, 0x20000000, 0, 0x00800000)       /* sqrt(2^-126) = 2^-63 */

  /* ---- fused multiply-add: one rounding ---- */
  FP_S3(82, fmadd.s, 0x40e00000, 0, TWO, THREE, ONE)     /*  2*3+1 */
  FP_S3(83, fmsub.s, 0x40a00000, 0, TWO, THREE, ONE)     /*  2*3-1 */
  FP_S3(84, fnmsub.s, 0xc0a00000, 0, TWO, THREE, ONE)    /* -2*3+1 */
  FP_S3(85, fnmadd.s, 0xc0e00000, 0, TWO, THREE, ONE)    /* -2*3-1 */
  /* (1+2^-23)(1-2^-23) = 1-2^-46: exact only when not rounded in between */
  FP_S3(86, fmadd.s, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, MONE)
  FP_S3(87, fmsub.s, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, ONE)
  FP_S3(88, fnmsub.s, 0x28800000, 0, 0x3f800001, 0x3f7ffffe, ONE)
  FP_S3(89, fnmadd.s, 0x28800000, 0, 0x3f800001, 0x3f7ffffe, MONE)
  /* no intermediate overflow: 2*MAX - MAX = MAX */
  FP_S3(90, fmsub.s, MAXF, 0, MAXF, TWO, MAXF)
  /* inf*0 is invalid even when the addend is a quiet NaN (RISC-V rule) */
  FP_S3(91, fmadd.s, QNAN, NV, PINF, PZERO, QNAN)
  FP_S3(92, fnmadd.s, QNAN, NV, PZERO, NINF, ONE)
  FP_S3(93, fmadd.s, QNAN, 0, ONE, ONE, QNANP)
  FP_S3(94, fmadd.s, QNAN, NV, ONE, ONE, SNAN)
  FP_S3(95, fmsub.s, QNAN, NV, PINF, ONE, PINF)          /* inf - inf */
  FP_S3(96, fmadd.s, PINF, 0, PINF, ONE, PINF)
  FP_S3(97, fmadd.s, PINF, OF|NX, MAXF, TWO, ONE)
  /* signs of exact zero results (RNE): */
  FP_S3(98, fnmadd.s, NZERO, 0, ONE, PZERO, PZERO)      /* -(+0) - (+0) = -0 */
  FP_S3(99, fnmsub.s, PZERO, 0, ONE, PZERO, PZERO)      /* -(+0) + (+0) = +0 */
  FP_S3(100, fmadd.s, PZERO, 0, ONE, ONE, MONE)

  /* ---- sign injection: never canonicalises, no flags ---- */
  FP_S2(101, fsgnj.s, MONE, 0, ONE, MTWO)
  FP_S2(102, fsgnj.s, ONE, 0, MONE, TWO)
  FP_S2(103, fsgnjn.s, ONE, 0, ONE, MTWO)
  FP_S2(104, fsgnjn.s, MONE, 0, ONE, TWO)
  FP_S2(105, fsgnjx.s, ONE, 0, MONE, MTWO)
  FP_S2(106, fsgnjx.s, MONE, 0, MONE, TWO)
  FP_S2(107, fsgnjx.s, MONE, 0, ONE, MTWO)
  FP_S2(108, fsgnjn.s, 0xff800001, 0, SNAN, ONE)         /* payload kept, no NV */
  FP_S2(109, fsgnj.s, 0xffc12345, 0, QNANP, MONE)
  FP_S1(110, fneg.s, NZERO, 0, PZERO)
  FP_S1(111, fabs.s, PINF, 0, NINF)
  FP_S1(112, fmv.s, SNAN, 0, SNAN)

  /* ---- fmin.s / fmax.s: -0 < +0; a single NaN operand is ignored; sNaN sets NV ---- */
  FP_S2(113, fmin.s, ONE, 0, ONE, TWO)
  FP_S2(114, fmax.s, TWO, 0, ONE, TWO)
  FP_S2(115, fmin.s, MONE, 0, MONE, ONE)
  FP_S2(116, fmax.s, ONE, 0, MONE, ONE)
  FP_S2(117, fmin.s, NZERO, 0, NZERO, PZERO)
  FP_S2(118, fmin.s, NZERO, 0, PZERO, NZERO)
  FP_S2(119, fmax.s, PZERO, 0, NZERO, PZERO)
  FP_S2(120, fmax.s, PZERO, 0, PZERO, NZERO)
  FP_S2(121, fmin.s, ONE, 0, QNAN, ONE)
  FP_S2(122, fmin.s, ONE, 0, ONE, QNANP)
  FP_S2(123, fmax.s, MONE, 0, QNAN, MONE)
  FP_S2(124, fmin.s, ONE, NV, SNAN, ONE)
  FP_S2(125, fmax.s, ONE, NV, ONE, SNAN)
  FP_S2(126, fmin.s, QNAN, 0, QNANP, QNAN)              /* both NaN: canonical */
  FP_S2(127, fmax.s, QNAN, NV, SNAN, QNANP)
  FP_S2(128, fmin.s, NINF, 0, NINF, MAXF)
  FP_S2(129, fmax.s, PINF, 0, MAXF, PINF)
  FP_S2(130, fmax.s, MINSUB, 0, MINSUB, NZERO)

  /* ---- compares: feq is quiet (NV only for sNaN), flt/fle signal on any NaN ---- */
  FP_XS2(131, feq.s, 1, 0, ONE, ONE)
  FP_XS2(132, feq.s, 0, 0, ONE, TWO)
  FP_XS2(133, feq.s, 1, 0, NZERO, PZERO)
  FP_XS2(134, feq.s, 0, 0, QNAN, ONE)
  FP_XS2(135, feq.s, 0, 0, QNAN, QNAN)
  FP_XS2(136, feq.s, 0, NV, SNAN, ONE)
  FP_XS2(137, feq.s, 0, NV, ONE, SNAN)
  FP_XS2(138, flt.s, 1, 0, ONE, TWO)
  FP_XS2(139, flt.s, 0, 0, TWO, ONE)
  FP_XS2(140, flt.s, 0, 0, ONE, ONE)
  FP_XS2(141, flt.s, 0, 0, NZERO, PZERO)
  FP_XS2(142, flt.s, 1, 0, NINF, PINF)
  FP_XS2(143, flt.s, 1, 0, MTWO, MONE)
  FP_XS2(144, flt.s, 0, NV, QNAN, ONE)
  FP_XS2(145, flt.s, 0, NV, ONE, QNAN)
  FP_XS2(146, flt.s, 0, NV, SNAN, ONE)
  FP_XS2(147, fle.s, 1, 0, ONE, TWO)
  FP_XS2(148, fle.s, 1, 0, ONE, ONE)
  FP_XS2(149, fle.s, 0, 0, TWO, ONE)
  FP_XS2(150, fle.s, 1, 0, NZERO, PZERO)
  FP_XS2(151, fle.s, 1, 0, PZERO, NZERO)
  FP_XS2(152, fle.s, 0, NV, QNAN, ONE)
  FP_XS2(153, fle.s, 0, NV, SNAN, SNAN)
  FP_XS2(154, fle.s, 1, 0, MINSUB, MINN)

  /* ---- fclass.s: one bit per class, never any flags ---- */
  FP_XS1(155, fclass.s, 1 << 0, 0, NINF)
  FP_XS1(156, fclass.s, 1 << 1, 0, MONE)
  FP_XS1(157, fclass.s, 1 << 1, 0, 0xff7fffff)
  FP_XS1(158, fclass.s, 1 << 2, 0, 0x80000001)
  FP_XS1(159, fclass.s, 1 << 2, 0, 0x807fffff)
  FP_XS1(160, fclass.s, 1 << 3, 0, NZERO)
  FP_XS1(161, fclass.s, 1 << 4, 0, PZERO)
  FP_XS1(162, fclass.s, 1 << 5, 0, MAXSUB)
  FP_XS1(163, fclass.s, 1 << 5, 0, MINSUB)
  FP_XS1(164, fclass.s, 1 << 6, 0, ONE)
  FP_XS1(165, fclass.s, 1 << 6, 0, MINN)
  FP_XS1(166, fclass.s, 1 << 7, 0, PINF)
  FP_XS1(167, fclass.s, 1 << 8, 0, SNAN)
  FP_XS1(168, fclass.s, 1 << 8, 0, 0xffbfffff)          /* negative sNaN */
  FP_XS1(169, fclass.s, 1 << 9, 0, QNAN)
  FP_XS1(170, fclass.s, 1 << 9, 0, 0xffc12345)          /* negative qNaN */

  PASS
TEST_END

  .data
  .balign 8
  .word 0xdeadbeef
fdata:
  .word 0x3f800000, 0xc0490fdb, 0x7f800001, 0
fbuf:
  .dword 0, 0
