/* RV64D (part 2): fcvt between double and w/wu/l/lu in both directions, and
 * fcvt.s.d / fcvt.d.s, with rounding modes (static rm and dynamic frm).
 * Float -> integer: out-of-range results (after rounding) saturate and set
 * only NV; NaN gives the largest positive value; 32-bit results are
 * sign-extended. Integer -> double is exact for 32-bit sources. */
#include "unpriv.h"

#define ONE    0x3ff0000000000000
#define MONE   0xbff0000000000000
#define PZERO  0x0000000000000000
#define NZERO  0x8000000000000000
#define PINF   0x7ff0000000000000
#define NINF   0xfff0000000000000
#define QNAN   0x7ff8000000000000
#define SNAN   0x7ff0000000000001
#define THIRD  0x3fd5555555555555     /* 1/3 rounded to double */
#define NX FLAG_NX
#define UF FLAG_UF
#define OF FLAG_OF
#define NV FLAG_NV
#define IMAX32 0x7fffffff
#define IMIN32 0xffffffff80000000
#define UMAX32 0xffffffffffffffff
#define IMAX64 0x7fffffffffffffff
#define IMIN64 0x8000000000000000
#define UMAX64 0xffffffffffffffff
/* single-precision results */
#define SONE   0x3f800000
#define SQNAN  0x7fc00000
#define SPINF  0x7f800000
#define SMAXF  0x7f7fffff
#define SMINN  0x00800000

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* ---- fcvt.w.d ---- */
  FP_XD1(1, fcvt.w.d, 1, 0, ONE)
  FP_XD1(2, fcvt.w.d, -1, 0, MONE)
  FP_XD1(3, fcvt.w.d, 2, NX, 0x3ff8000000000000)        /* 1.5 */
  FP_XD1(4, fcvt.w.d, 0, NX, 0x3fe0000000000000)        /* 0.5: tie to even */
  FP_XD1(5, fcvt.w.d, 0, 0, NZERO)
  FP_XD1(6, fcvt.w.d, IMAX32, 0, 0x41dfffffffc00000)    /* 2^31-1 */
  /* 2^31-0.5 rounds (to even) to 2^31, which is out of range: NV, not NX */
  FP_XD1(7, fcvt.w.d, IMAX32, NV, 0x41dfffffffe00000)
  FP_XD1(8, fcvt.w.d, IMIN32, 0, 0xc1e0000000000000)    /* -2^31 */
  FP_XD1(9, fcvt.w.d, IMIN32, NX, 0xc1e0000000100000)   /* -2^31-0.5 rounds into range */
  FP_XD1(10, fcvt.w.d, IMIN32, NV, 0xc1e0000000200000)  /* -2^31-1 */
  FP_XD1(11, fcvt.w.d, IMAX32, NV, PINF)
  FP_XD1(12, fcvt.w.d, IMIN32, NV, NINF)
  FP_XD1(13, fcvt.w.d, IMAX32, NV, QNAN)
  FP_XD1(14, fcvt.w.d, IMAX32, NV, 0xfff0000000000001)  /* negative sNaN */

  /* ---- fcvt.wu.d ---- */
  FP_XD1(15, fcvt.wu.d, UMAX32, 0, 0x41efffffffe00000)  /* 2^32-1, sign-extended */
  FP_XD1(16, fcvt.wu.d, 0xffffffffb2d05e00, 0, 0x41e65a0bc0000000)   /* 3e9 */
  FP_XD1(17, fcvt.wu.d, UMAX32, NV, 0x41f0000000000000) /* 2^32 */
  FP_XD1(18, fcvt.wu.d, 0, NV, MONE)
  FP_XD1(19, fcvt.wu.d, 0, NX, 0xbfe0000000000000)      /* -0.5 rounds to -0: in range */
  FP_XD1(20, fcvt.wu.d, UMAX32, NV, PINF)
  FP_XD1(21, fcvt.wu.d, 0, NV, NINF)
  FP_XD1(22, fcvt.wu.d, UMAX32, NV, SNAN)

  /* ---- fcvt.l.d ---- */
  FP_XD1(23, fcvt.l.d, 10000000000, 0, 0x4202a05f20000000)
  FP_XD1(24, fcvt.l.d, -2, NX, 0xbff8000000000000)      /* -1.5 */
  FP_XD1(25, fcvt.l.d, 0x7ffffffffffffc00, 0, 0x43dfffffffffffff)
  FP_XD1(26, fcvt.l.d, IMAX64, NV, 0x43e0000000000000)  /* 2^63 */
  FP_XD1(27, fcvt.l.d, IMIN64, 0, 0xc3e0000000000000)   /* -2^63 */
  FP_XD1(28, fcvt.l.d, IMIN64, NV, 0xc3e0000000000001)
  FP_XD1(29, fcvt.l.d, IMAX64, NV, PINF)
  FP_XD1(30, fcvt.l.d, IMIN64, NV, NINF)
  FP_XD1(31, fcvt.l.d, IMAX64, NV, QNAN)

  /* ---- fcvt.lu.d ---- */
  FP_XD1(32, fcvt.lu.d, 0x8000000000000000, 0, 0x43e0000000000000)
  FP_XD1(33, fcvt.lu.d, 0xfffffffffffff800, 0, 0x43efffffffffffff)
  FP_XD1(34, fcvt.lu.d, UMAX64, NV, 0x43f0000000000000) /* 2^64 */
  FP_XD1(35, fcvt.lu.d, 0, NV, MONE)
  FP_XD1(36, fcvt.lu.d, 0, NX, 0xbfd0000000000000)      /* -0.25 */
  FP_XD1(37, fcvt.lu.d, UMAX64, NV, PINF)
  FP_XD1(38, fcvt.lu.d, 0, NV, NINF)
  FP_XD1(39, fcvt.lu.d, UMAX64, NV, QNAN)

  /* ---- integer -> double ---- */
  FP_DX(40, fcvt.d.w, MONE, 0, -1)
  FP_DX(41, fcvt.d.w, 0x41dfffffffc00000, 0, 0x7fffffff)
  FP_DX(42, fcvt.d.w, 0xc1e0000000000000, 0, 0x0000000080000000)  /* rs1[31:0] = -2^31 */
  FP_DX(43, fcvt.d.w, PZERO, 0, 0xffffffff00000000)
  FP_DX(44, fcvt.d.wu, 0x41efffffffe00000, 0, 0xffffffff)
  FP_DX(45, fcvt.d.wu, ONE, 0, 0xffffffff00000001)
  FP_DX(46, fcvt.d.l, 0xc3e0000000000000, 0, 0x8000000000000000)
  FP_DX(47, fcvt.d.l, 0x43e0000000000000, NX, 0x7fffffffffffffff)
  FP_DX(48, fcvt.d.l, 0x4340000000000000, NX, 0x20000000000001)   /* 2^53+1: tie to even */
  FP_DX(49, fcvt.d.l, MONE, 0, -1)
  FP_DX(50, fcvt.d.lu, 0x43f0000000000000, NX, 0xffffffffffffffff)
  FP_DX(51, fcvt.d.lu, 0x43e0000000000000, 0, 0x8000000000000000)
  FP_DX(52, fcvt.d.lu, PZERO, 0, 0)

  /* ---- fcvt.s.d ---- */
#define FP_SD(n, res, flags, a) \
  TEST_CASE(n); LI_D(fa0, a); CLEAR_FLAGS; fcvt.s.d fa3, fa0; CHECK_FLAGS(flags); CHECK_S(fa3, res)
  FP_SD(53, SONE, 0, ONE)
  FP_SD(54, 0x3eaaaaab, NX, THIRD)
  FP_SD(55, SQNAN, 0, 0x7ff8000000012345)     /* NaN results are canonical */
  FP_SD(56, SQNAN, NV, SNAN)
  FP_SD(57, 0xff800000, 0, NINF)
  FP_SD(58, 0x80000000, 0, NZERO)
  FP_SD(59, SPINF, OF|NX, 0x7e37e43c8800759c)   /* 1e300 */
  FP_SD(60, 0x00000000, UF|NX, 0x01a56e1fc2f8f359)   /* 1e-300 */
  FP_SD(61, SMAXF, 0, 0x47efffffe0000000)       /* largest single, exact */
  FP_SD(62, SMAXF, NX, 0x47efffffefffffff)      /* just below MAX + ulp/2 */
  FP_SD(63, SPINF, OF|NX, 0x47effffff0000000)   /* MAX + ulp/2: tie, rounds to 2^128 */
  FP_SD(64, 0x00000001, 0, 0x36a0000000000000)  /* 2^-149: exact subnormal, no UF */
  FP_SD(65, 0x00400000, 0, 0x3800000000000000)  /* 2^-127 */
  /* 2^-126*(1-2^-26): tiny before rounding, not after (RISC-V detects after) */
  FP_SD(66, SMINN, NX, 0x380ffffff8000000)

  /* ---- fcvt.d.s: exact ---- */
#define FP_DS(n, res, flags, a) \
  TEST_CASE(n); LI_S(fa0, a); CLEAR_FLAGS; fcvt.d.s fa3, fa0; CHECK_FLAGS(flags); CHECK_D(fa3, res)
  FP_DS(67, ONE, 0, SONE)
  FP_DS(68, QNAN, NV, 0x7f800001)
  FP_DS(69, QNAN, 0, 0xffc12345)
  FP_DS(70, NINF, 0, 0xff800000)
  FP_DS(71, NZERO, 0, 0x80000000)
  FP_DS(72, 0x36a0000000000000, 0, 0x00000001)   /* subnormal single -> normal double */
  FP_DS(73, 0x47efffffe0000000, 0, SMAXF)
  FP_DS(74, 0x3fd5555560000000, 0, 0x3eaaaaab)

  /* ---- rounding modes ---- */
  RM_XD(75, fcvt.w.d, rne, 2, NX, 0x4004000000000000)    /* 2.5 */
  RM_XD(76, fcvt.w.d, rtz, 2, NX, 0x4004000000000000)
  RM_XD(77, fcvt.w.d, rdn, 2, NX, 0x4004000000000000)
  RM_XD(78, fcvt.w.d, rup, 3, NX, 0x4004000000000000)
  RM_XD(79, fcvt.w.d, rmm, 3, NX, 0x4004000000000000)
  RM_XD(80, fcvt.w.d, rne, -2, NX, 0xc004000000000000)   /* -2.5 */
  RM_XD(81, fcvt.w.d, rtz, -2, NX, 0xc004000000000000)
  RM_XD(82, fcvt.w.d, rdn, -3, NX, 0xc004000000000000)
  RM_XD(83, fcvt.w.d, rup, -2, NX, 0xc004000000000000)
  RM_XD(84, fcvt.w.d, rmm, -3, NX, 0xc004000000000000)
  /* 2^31-0.5: in range only when rounded down */
  RM_XD(85, fcvt.w.d, rne, IMAX32, NV, 0x41dfffffffe00000)
  RM_XD(86, fcvt.w.d, rtz, IMAX32, NX, 0x41dfffffffe00000)
  RM_XD(87, fcvt.w.d, rdn, IMAX32, NX, 0x41dfffffffe00000)
  RM_XD(88, fcvt.w.d, rup, IMAX32, NV, 0x41dfffffffe00000)
  RM_XD(89, fcvt.w.d, rmm, IMAX32, NV, 0x41dfffffffe00000)
  RM_XD(90, fcvt.wu.d, rne, 0, NX, 0xbfe0000000000000)   /* -0.5 */
  RM_XD(91, fcvt.wu.d, rtz, 0, NX, 0xbfe0000000000000)
  RM_XD(92, fcvt.wu.d, rdn, 0, NV, 0xbfe0000000000000)
  RM_XD(93, fcvt.wu.d, rup, 0, NX, 0xbfe0000000000000)
  RM_XD(94, fcvt.wu.d, rmm, 0, NV, 0xbfe0000000000000)
  RM_XD(95, fcvt.l.d, rne, 2, NX, 0x3ffc000000000000)    /* 1.75 */
  RM_XD(96, fcvt.l.d, rtz, 1, NX, 0x3ffc000000000000)
  RM_XD(97, fcvt.l.d, rdn, 1, NX, 0x3ffc000000000000)
  RM_XD(98, fcvt.l.d, rup, 2, NX, 0x3ffc000000000000)
  RM_XD(99, fcvt.l.d, rmm, 2, NX, 0x3ffc000000000000)
  RM_XD(100, fcvt.lu.d, rne, 0, NX, 0x3fe0000000000000) /* 0.5 */
  RM_XD(101, fcvt.lu.d, rtz, 0, NX, 0x3fe0000000000000)
  RM_XD(102, fcvt.lu.d, rdn, 0, NX, 0x3fe0000000000000)
  RM_XD(103, fcvt.lu.d, rup, 1, NX, 0x3fe0000000000000)
  RM_XD(104, fcvt.lu.d, rmm, 1, NX, 0x3fe0000000000000)
  RM_DX(105, fcvt.d.l, rne, 0x4340000000000000, NX, 0x20000000000001)   /* 2^53+1 */
  RM_DX(106, fcvt.d.l, rtz, 0x4340000000000000, NX, 0x20000000000001)
  RM_DX(107, fcvt.d.l, rdn, 0x4340000000000000, NX, 0x20000000000001)
  RM_DX(108, fcvt.d.l, rup, 0x4340000000000001, NX, 0x20000000000001)
  RM_DX(109, fcvt.d.l, rmm, 0x4340000000000001, NX, 0x20000000000001)
  RM_DX(110, fcvt.d.l, rne, 0xc340000000000000, NX, -0x20000000000001)
  RM_DX(111, fcvt.d.l, rtz, 0xc340000000000000, NX, -0x20000000000001)
  RM_DX(112, fcvt.d.l, rdn, 0xc340000000000001, NX, -0x20000000000001)
  RM_DX(113, fcvt.d.l, rup, 0xc340000000000000, NX, -0x20000000000001)
  RM_DX(114, fcvt.d.l, rmm, 0xc340000000000001, NX, -0x20000000000001)
  RM_DX(115, fcvt.d.lu, rne, 0x43f0000000000000, NX, 0xffffffffffffffff)
  RM_DX(116, fcvt.d.lu, rtz, 0x43efffffffffffff, NX, 0xffffffffffffffff)
  RM_DX(117, fcvt.d.lu, rdn, 0x43efffffffffffff, NX, 0xffffffffffffffff)
  RM_DX(118, fcvt.d.lu, rup, 0x43f0000000000000, NX, 0xffffffffffffffff)
  RM_DX(119, fcvt.d.lu, rmm, 0x43f0000000000000, NX, 0xffffffffffffffff)
  RM_SD(120, fcvt.s.d, rne, 0x3eaaaaab, NX, THIRD)
  RM_SD(121, fcvt.s.d, rtz, 0x3eaaaaaa, NX, THIRD)
  RM_SD(122, fcvt.s.d, rdn, 0x3eaaaaaa, NX, THIRD)
  RM_SD(123, fcvt.s.d, rup, 0x3eaaaaab, NX, THIRD)
  RM_SD(124, fcvt.s.d, rmm, 0x3eaaaaab, NX, THIRD)
  RM_SD(125, fcvt.s.d, rne, 0xbeaaaaab, NX, 0xbfd5555555555555)
  RM_SD(126, fcvt.s.d, rtz, 0xbeaaaaaa, NX, 0xbfd5555555555555)
  RM_SD(127, fcvt.s.d, rdn, 0xbeaaaaab, NX, 0xbfd5555555555555)
  RM_SD(128, fcvt.s.d, rup, 0xbeaaaaaa, NX, 0xbfd5555555555555)
  RM_SD(129, fcvt.s.d, rmm, 0xbeaaaaab, NX, 0xbfd5555555555555)
  RM_SD(130, fcvt.s.d, rne, SONE, NX, 0x3ff0000010000000)        /* 1+2^-24: tie */
  RM_SD(131, fcvt.s.d, rtz, SONE, NX, 0x3ff0000010000000)
  RM_SD(132, fcvt.s.d, rdn, SONE, NX, 0x3ff0000010000000)
  RM_SD(133, fcvt.s.d, rup, 0x3f800001, NX, 0x3ff0000010000000)
  RM_SD(134, fcvt.s.d, rmm, 0x3f800001, NX, 0x3ff0000010000000)
  RM_SD(135, fcvt.s.d, rne, SPINF, OF|NX, 0x7e37e43c8800759c)     /* 1e300 */
  RM_SD(136, fcvt.s.d, rtz, SMAXF, OF|NX, 0x7e37e43c8800759c)
  RM_SD(137, fcvt.s.d, rdn, SMAXF, OF|NX, 0x7e37e43c8800759c)
  RM_SD(138, fcvt.s.d, rup, SPINF, OF|NX, 0x7e37e43c8800759c)
  RM_SD(139, fcvt.s.d, rmm, SPINF, OF|NX, 0x7e37e43c8800759c)
  RM_SD(140, fcvt.s.d, rne, SMINN, NX, 0x380ffffff8000000)        /* after-rounding tininess */
  RM_SD(141, fcvt.s.d, rtz, 0x007fffff, UF|NX, 0x380ffffff8000000)
  RM_SD(142, fcvt.s.d, rdn, 0x007fffff, UF|NX, 0x380ffffff8000000)
  RM_SD(143, fcvt.s.d, rup, SMINN, NX, 0x380ffffff8000000)
  RM_SD(144, fcvt.s.d, rmm, SMINN, NX, 0x380ffffff8000000)
  RM_SD(145, fcvt.s.d, rne, 0x80000000, UF|NX, 0x81a56e1fc2f8f359)  /* -1e-300 */
  RM_SD(146, fcvt.s.d, rtz, 0x80000000, UF|NX, 0x81a56e1fc2f8f359)
  RM_SD(147, fcvt.s.d, rdn, 0x80000001, UF|NX, 0x81a56e1fc2f8f359)
  RM_SD(148, fcvt.s.d, rup, 0x80000000, UF|NX, 0x81a56e1fc2f8f359)
  RM_SD(149, fcvt.s.d, rmm, 0x80000000, UF|NX, 0x81a56e1fc2f8f359)

  PASS
TEST_END
