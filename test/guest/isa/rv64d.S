/* RV64D (part 1): fld/fsd, fmv.x.d/fmv.d.x, arithmetic with special values
 * and exception flags, fused multiply-add, sign injection, min/max, compares
 * and fclass. Conversions: rv64d_cvt.S; rounding modes: rv64d_rm.S.
 * Unless a rounding mode is given, instructions use rm=dyn with frm = RNE.
 * Every check looks at the exact set of accrued flags. */
#include "unpriv.h"

#define ONE    0x3ff0000000000000
#define TWO    0x4000000000000000
#define THREE  0x4008000000000000
#define HALF   0x3fe0000000000000
#define MONE   0xbff0000000000000
#define MTWO   0xc000000000000000
#define PZERO  0x0000000000000000
#define NZERO  0x8000000000000000
#define PINF   0x7ff0000000000000
#define NINF   0xfff0000000000000
#define QNAN   0x7ff8000000000000     /* canonical NaN */
#define QNANP  0x7ff8000000012345     /* quiet NaN with a payload */
#define SNAN   0x7ff0000000000001
#define MAXD   0x7fefffffffffffff
#define MINN   0x0010000000000000     /* 2^-1022 */
#define MINSUB 0x0000000000000001     /* 2^-1074 */
#define MAXSUB 0x000fffffffffffff
#define EPS53  0x3ca0000000000000     /* 2^-53 */
#define NX FLAG_NX
#define UF FLAG_UF
#define OF FLAG_OF
#define DZ FLAG_DZ
#define NV FLAG_NV

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* ---- fld / fsd: 64-bit transfers, no canonicalisation ---- */
  TEST_CASE(1)
  la a1, ddata
  CLEAR_FLAGS
  fld fa0, 0(a1);  CHECK_D(fa0, ONE)
  fld fa1, 8(a1);  CHECK_D(fa1, 0x400921fb54442d18)
  fld fa2, 16(a1); CHECK_D(fa2, SNAN)
  fld ft5, -8(a1); CHECK_D(ft5, 0x0123456789abcdef)
  CHECK_FLAGS(0)
  TEST_CASE(2)
  la a2, dbuf
  fsd fa2, 0(a2)
  fsd fa1, 8(a2)
  ld a4, 0(a2); CHECK(a4, SNAN)
  ld a4, 8(a2); CHECK(a4, 0x400921fb54442d18)
  TEST_CASE(3)                  /* fsd of a NaN-boxed single stores all 64 bits */
  li a3, 0x3f800000
  fmv.w.x fa3, a3
  fsd fa3, -8(a2)
  ld a4, -8(a2); CHECK(a4, 0xffffffff3f800000)
  CHECK_FLAGS(0)

  /* ---- fmv.x.d / fmv.d.x: raw bits, no flags ---- */
  FP_XD1(4, fmv.x.d, SNAN, 0, SNAN)
  FP_XD1(5, fmv.x.d, 0xfff8000000012345, 0, 0xfff8000000012345)
  TEST_CASE(6); li a0, 0xfff0000000000001; CLEAR_FLAGS; fmv.d.x fa0, a0; CHECK_FLAGS(0); CHECK_D(fa0, 0xfff0000000000001)

  /* ---- a NaN-boxed single is, as a double, a quiet NaN ---- */
  TEST_CASE(7)
  li a0, 0x3f800000
  fmv.w.x fa0, a0
  LI_D(fa1, ONE)
  CLEAR_FLAGS
  fadd.d fa3, fa0, fa1
  CHECK_FLAGS(0); CHECK_D(fa3, QNAN)
  fclass.d a0, fa0
  CHECK(a0, 0x200)

  /* ---- fadd.d / fsub.d ---- */
  FP_D2(8, fadd.d, 0x4010000000000000, 0, 0x3ff8000000000000, 0x4004000000000000)  /* 1.5 + 2.5 */
  FP_D2(9, fadd.d, PZERO, 0, ONE, MONE)
  FP_D2(10, fadd.d, NZERO, 0, NZERO, NZERO)
  FP_D2(11, fadd.d, PZERO, 0, NZERO, PZERO)
  FP_D2(12, fadd.d, QNAN, NV, PINF, NINF)
  FP_D2(13, fadd.d, NINF, 0, NINF, MAXD)
  FP_D2(14, fadd.d, QNAN, 0, QNANP, ONE)             /* payload is not propagated */
  FP_D2(15, fadd.d, QNAN, NV, ONE, SNAN)
  FP_D2(16, fadd.d, PINF, OF|NX, MAXD, MAXD)
  FP_D2(17, fadd.d, ONE, NX, ONE, EPS53)              /* tie, to even */
  FP_D2(18, fadd.d, MAXSUB, 0, MINN, 0x8000000000000001)   /* exact subnormal: no UF */
  FP_D2(19, fsub.d, TWO, 0, THREE, ONE)
  FP_D2(20, fsub.d, QNAN, NV, NINF, NINF)
  FP_D2(21, fsub.d, PZERO, 0, MONE, MONE)
  FP_D2(22, fsub.d, NZERO, 0, NZERO, PZERO)
  FP_D2(23, fsub.d, QNAN, NV, SNAN, QNAN)

  /* ---- fmul.d ---- */
  FP_D2(24, fmul.d, 0x4018000000000000, 0, TWO, THREE)
  FP_D2(25, fmul.d, 0xc018000000000000, 0, MTWO, THREE)
  FP_D2(26, fmul.d, QNAN, NV, NINF, PZERO)
  FP_D2(27, fmul.d, NZERO, 0, PZERO, MONE)
  FP_D2(28, fmul.d, PINF, 0, NINF, MTWO)
  FP_D2(29, fmul.d, PINF, OF|NX, MAXD, TWO)
  FP_D2(30, fmul.d, 0x0008000000000000, 0, MINN, HALF)     /* exact subnormal: no UF */
  FP_D2(31, fmul.d, PZERO, UF|NX, MINSUB, HALF)           /* 2^-1075: tie to even 0 */
  /* tininess after rounding: 2^-1022*(1-2^-104) rounds (unbounded exponent) to 2^-1022 */
  FP_D2(32, fmul.d, MINN, NX, 0x0010000000000001, 0x3feffffffffffffe)
  /* 2^-1022 - 2^-1075 is tiny with an unbounded exponent; rounds to 2^-1022, with UF */
  FP_D2(33, fmul.d, MINN, UF|NX, MINN, 0x3fefffffffffffff)
  FP_D2(34, fmul.d, QNAN, NV, SNAN, ONE)

  /* ---- fdiv.d ---- */
  FP_D2(35, fdiv.d, 0x3fd5555555555555, NX, ONE, THREE)
  FP_D2(36, fdiv.d, TWO, 0, 0x4018000000000000, THREE)
  FP_D2(37, fdiv.d, PINF, DZ, ONE, PZERO)
  FP_D2(38, fdiv.d, NINF, DZ, MONE, PZERO)
  FP_D2(39, fdiv.d, PINF, DZ, MONE, NZERO)
  FP_D2(40, fdiv.d, QNAN, NV, NZERO, PZERO)
  FP_D2(41, fdiv.d, QNAN, NV, PINF, PINF)
  FP_D2(42, fdiv.d, NINF, 0, NINF, PZERO)             /* infinity is exact: no DZ */
  FP_D2(43, fdiv.d, NZERO, 0, ONE, NINF)
  FP_D2(44, fdiv.d, PINF, OF|NX, MAXD, HALF)
  FP_D2(45, fdiv.d, 0x0004000000000000, 0, MINN, 0x4010000000000000)
  FP_D2(46, fdiv.d, PZERO, UF|NX, MINSUB, TWO)
  FP_D2(47, fdiv.d, QNAN, NV, SNAN, PZERO)

  /* ---- fsqrt.d ---- */
  FP_D1(48, fsqrt.d, TWO, 0, 0x4010000000000000)
  FP_D1(49, fsqrt.d, 0x3ff6a09e667f3bcd, NX, TWO)
  FP_D1(50, fsqrt.d, NZERO, 0, NZERO)
  FP_D1(51, fsqrt.d, PINF, 0, PINF)
  FP_D1(52, fsqrt.d, QNAN, NV, MONE)
  FP_D1(53, fsqrt.d, QNAN, NV, NINF)
  FP_D1(54, fsqrt.d, QNAN, 0, QNANP)
  FP_D1(55, fsqrt.d, QNAN, NV, SNAN)
  FP_D1(56, fsqrt.d, 0x2000000000000000, 0, MINN)       /* sqrt(2^-1022) = 2^-511 */

  /* ---- fused multiply-add ---- */
  FP_D3(57, fmadd.d, 0x401c000000000000, 0, TWO, THREE, ONE)    /*  2*3+1 */
  FP_D3(58, fmsub.d, 0x4014000000000000, 0, TWO, THREE, ONE)    /*  2*3-1 */
  FP_D3(59, fnmsub.d, 0xc014000000000000, 0, TWO, THREE, ONE)   /* -2*3+1 */
  FP_D3(60, fnmadd.d, 0xc01c000000000000, 0, TWO, THREE, ONE)   /* -2*3-1 */
  /* (1+2^-52)(1-2^-52) = 1-2^-104: exact only without intermediate rounding */
  FP_D3(61, fmadd.d, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, MONE)
  FP_D3(62, fmsub.d, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, ONE)
  FP_D3(63, fnmsub.d, 0x3970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, ONE)
  FP_D3(64, fnmadd.d, 0x3970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, MONE)
  FP_D3(65, fmsub.d, MAXD, 0, MAXD, TWO, MAXD)              /* no intermediate overflow */
  /* inf*0 is invalid even when the addend is a quiet NaN (RISC-V rule) */
  FP_D3(66, fmadd.d, QNAN, NV, PZERO, PINF, QNAN)
  FP_D3(67, fmsub.d, QNAN, NV, NINF, PZERO, ONE)
  FP_D3(68, fmadd.d, QNAN, 0, ONE, ONE, QNANP)
  FP_D3(69, fnmadd.d, QNAN, NV, ONE, ONE, SNAN)
  FP_D3(70, fmadd.d, QNAN, NV, PINF, ONE, NINF)
  FP_D3(71, fnmsub.d, PINF, OF|NX, MAXD, MTWO, ONE)
  FP_D3(72, fnmadd.d, NZERO, 0, ONE, PZERO, PZERO)         /* -(+0) - (+0) = -0 */
  FP_D3(73, fnmsub.d, PZERO, 0, ONE, PZERO, PZERO)         /* -(+0) + (+0) = +0 */

  /* ---- sign injection ---- */
  FP_D2(74, fsgnj.d, MONE, 0, ONE, MTWO)
  FP_D2(75, fsgnj.d, ONE, 0, MONE, TWO)
  FP_D2(76, fsgnjn.d, ONE, 0, ONE, MTWO)
  FP_D2(77, fsgnjn.d, MONE, 0, ONE, TWO)
  FP_D2(78, fsgnjx.d, ONE, 0, MONE, MTWO)
  FP_D2(79, fsgnjx.d, MONE, 0, MONE, TWO)
  FP_D2(80, fsgnjx.d, MONE, 0, ONE, MTWO)
  FP_D2(81, fsgnjn.d, 0xfff0000000000001, 0, SNAN, ONE)    /* payload kept, no NV */
  FP_D2(82, fsgnj.d, 0xfff8000000012345, 0, QNANP, MONE)
  FP_D1(83, fneg.d, NZERO, 0, PZERO)
  FP_D1(84, fabs.d, PINF, 0, NINF)
  FP_D1(85, fmv.d, SNAN, 0, SNAN)

  /* ---- fmin.d / fmax.d ---- */
  FP_D2(86, fmin.d, ONE, 0, ONE, TWO)
  FP_D2(87, fmax.d, TWO, 0, ONE, TWO)
  FP_D2(88, fmin.d, MONE, 0, ONE, MONE)
  FP_D2(89, fmin.d, NZERO, 0, NZERO, PZERO)
  FP_D2(90, fmin.d, NZERO, 0, PZERO, NZERO)
  FP_D2(91, fmax.d, PZERO, 0, NZERO, PZERO)
  FP_D2(92, fmax.d, PZERO, 0, PZERO, NZERO)
  FP_D2(93, fmin.d, ONE, 0, QNAN, ONE)
  FP_D2(94, fmax.d, MONE, 0, MONE, QNANP)
  FP_D2(95, fmin.d, ONE, NV, SNAN, ONE)
  FP_D2(96, fmax.d, ONE, NV, ONE, SNAN)
  FP_D2(97, fmax.d, QNAN, 0, QNANP, QNANP)
  FP_D2(98, fmin.d, QNAN, NV, QNAN, SNAN)
  FP_D2(99, fmin.d, NINF, 0, MAXD, NINF)
  FP_D2(100, fmax.d, PINF, 0, PINF, NINF)
  FP_D2(101, fmin.d, 0x8000000000000001, 0, PZERO, 0x8000000000000001)

  /* ---- compares ---- */
  FP_XD2(102, feq.d, 1, 0, ONE, ONE)
  FP_XD2(103, feq.d, 0, 0, ONE, 0x3ff0000000000001)
  FP_XD2(104, feq.d, 1, 0, PZERO, NZERO)
  FP_XD2(105, feq.d, 0, 0, QNAN, ONE)
  FP_XD2(106, feq.d, 0, 0, QNANP, QNANP)
  FP_XD2(107, feq.d, 0, NV, SNAN, ONE)
  FP_XD2(108, feq.d, 0, NV, ONE, SNAN)
  FP_XD2(109, flt.d, 1, 0, ONE, TWO)
  FP_XD2(110, flt.d, 0, 0, TWO, ONE)
  FP_XD2(111, flt.d, 0, 0, ONE, ONE)
  FP_XD2(112, flt.d, 0, 0, NZERO, PZERO)
  FP_XD2(113, flt.d, 1, 0, NINF, MAXD)
  FP_XD2(114, flt.d, 1, 0, MTWO, MONE)
  FP_XD2(115, flt.d, 0, NV, QNAN, ONE)
  FP_XD2(116, flt.d, 0, NV, ONE, QNAN)
  FP_XD2(117, flt.d, 0, NV, SNAN, ONE)
  FP_XD2(118, fle.d, 1, 0, ONE, TWO)
  FP_XD2(119, fle.d, 1, 0, ONE, ONE)
  FP_XD2(120, fle.d, 0, 0, TWO, ONE)
  FP_XD2(121, fle.d, 1, 0, PZERO, NZERO)
  FP_XD2(122, fle.d, 0, NV, QNAN, QNAN)
  FP_XD2(123, fle.d, 0, NV, ONE, SNAN)
  FP_XD2(124, fle.d, 1, 0, MINSUB, MINN)

  /* ---- fclass.d ---- */
  FP_XD1(125, fclass.d, 1 << 0, 0, NINF)
  FP_XD1(126, fclass.d, 1 << 1, 0, MONE)
  FP_XD1(127, fclass.d, 1 << 1, 0, 0xffefffffffffffff)
  FP_XD1(128, fclass.d, 1 << 2, 0, 0x8000000000000001)
  FP_XD1(129, fclass.d, 1 << 2, 0, 0x800fffffffffffff)
  FP_XD1(130, fclass.d, 1 << 3, 0, NZERO)
  FP_XD1(131, fclass.d, 1 << 4, 0, PZERO)
  FP_XD1(132, fclass.d, 1 << 5, 0, MAXSUB)
  FP_XD1(133, fclass.d, 1 << 5, 0, MINSUB)
  FP_XD1(134, fclass.d, 1 << 6, 0, ONE)
  FP_XD1(135, fclass.d, 1 << 6, 0, MINN)
  FP_XD1(136, fclass.d, 1 << 7, 0, PINF)
  FP_XD1(137, fclass.d, 1 << 8, 0, SNAN)
  FP_XD1(138, fclass.d, 1 << 8, 0, 0xfff7ffffffffffff)   /* negative sNaN */
  FP_XD1(139, fclass.d, 1 << 9, 0, QNAN)
  FP_XD1(140, fclass.d, 1 << 9, 0, 0xfff8000000012345)   /* negative qNaN */

  PASS
TEST_END

  .data
  .balign 8
  .dword 0x0123456789abcdef
ddata:
  .dword 0x3ff0000000000000, 0x400921fb54442d18, 0x7ff0000000000001
  .dword 0
dbuf:
  .dword 0, 0
