/* RV64F (part 2): fcvt between single and w/wu/l/lu in both directions.
 * Float -> integer: out-of-range results saturate and set NV (NaN gives the
 * largest positive value), in-range inexact results set NX; the 32-bit
 * results (also of fcvt.wu.s) are sign-extended to 64 bits.
 * Integer -> float: the W forms read rs1[31:0] only.
 * Without an explicit rounding mode, rm=dyn with frm = RNE. */
#include "unpriv.h"

#define ONE    0x3f800000
#define MONE   0xbf800000
#define PZERO  0x00000000
#define NZERO  0x80000000
#define PINF   0x7f800000
#define NINF   0xff800000
#define QNAN   0x7fc00000
#define SNAN   0x7f800001
#define MINSUB 0x00000001
#define NX FLAG_NX
#define NV FLAG_NV
#define IMAX32 0x7fffffff
#define IMIN32 0xffffffff80000000     /* sign-extended */
#define UMAX32 0xffffffffffffffff     /* 2^32-1, sign-extended */
#define IMAX64 0x7fffffffffffffff
#define IMIN64 0x8000000000000000
#define UMAX64 0xffffffffffffffff

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* ---- fcvt.w.s ---- */
  FP_XS1(1, fcvt.w.s, 1, 0, ONE)
  FP_XS1(2, fcvt.w.s, -1, 0, MONE)
  FP_XS1(3, fcvt.w.s, 2, NX, 0x3fc00000)            /* 1.5 */
  FP_XS1(4, fcvt.w.s, -2, NX, 0xbfc00000)
  FP_XS1(5, fcvt.w.s, 0, NX, 0x3f000000)            /* 0.5: tie to even */
  FP_XS1(6, fcvt.w.s, 0, 0, NZERO)
  FP_XS1(7, fcvt.w.s, 0, NX, MINSUB)
  FP_XS1(8, fcvt.w.s, 0x7fffff80, 0, 0x4effffff)    /* largest float < 2^31 */
  FP_XS1(9, fcvt.w.s, IMAX32, NV, 0x4f000000)       /* 2^31 */
  FP_XS1(10, fcvt.w.s, IMIN32, 0, 0xcf000000)       /* -2^31 is in range */
  FP_XS1(11, fcvt.w.s, IMIN32, NV, 0xcf000001)
  FP_XS1(12, fcvt.w.s, IMAX32, NV, PINF)
  FP_XS1(13, fcvt.w.s, IMIN32, NV, NINF)
  FP_XS1(14, fcvt.w.s, IMAX32, NV, QNAN)
  FP_XS1(15, fcvt.w.s, IMAX32, NV, SNAN)
  FP_XS1(16, fcvt.w.s, IMAX32, NV, 0xffc00000)      /* NaN: max positive whatever its sign */

  /* ---- fcvt.wu.s ---- */
  FP_XS1(17, fcvt.wu.s, 1, 0, ONE)
  FP_XS1(18, fcvt.wu.s, 0xffffffffb2d05e00, 0, 0x4f32d05e)   /* 3e9, sign-extended */
  FP_XS1(19, fcvt.wu.s, 0xffffffffffffff00, 0, 0x4f7fffff)   /* 2^32-256 */
  FP_XS1(20, fcvt.wu.s, UMAX32, NV, 0x4f800000)              /* 2^32 */
  FP_XS1(21, fcvt.wu.s, 0, NV, MONE)
  FP_XS1(22, fcvt.wu.s, 0, NX, 0xbf000000)           /* -0.5 rounds to -0: in range */
  FP_XS1(23, fcvt.wu.s, 0, 0, NZERO)
  FP_XS1(24, fcvt.wu.s, UMAX32, NV, PINF)
  FP_XS1(25, fcvt.wu.s, 0, NV, NINF)
  FP_XS1(26, fcvt.wu.s, UMAX32, NV, QNAN)
  FP_XS1(27, fcvt.wu.s, UMAX32, NV, 0xff800001)

  /* ---- fcvt.l.s ---- */
  FP_XS1(28, fcvt.l.s, 10000000000, 0, 0x501502f9)           /* 1e10 */
  FP_XS1(29, fcvt.l.s, -2, NX, 0xc0200000)                   /* -2.5 */
  FP_XS1(30, fcvt.l.s, 0x7fffff8000000000, 0, 0x5effffff)
  FP_XS1(31, fcvt.l.s, IMAX64, NV, 0x5f000000)               /* 2^63 */
  FP_XS1(32, fcvt.l.s, IMIN64, 0, 0xdf000000)                /* -2^63 */
  FP_XS1(33, fcvt.l.s, IMIN64, NV, 0xdf000001)
  FP_XS1(34, fcvt.l.s, IMAX64, NV, PINF)
  FP_XS1(35, fcvt.l.s, IMIN64, NV, NINF)
  FP_XS1(36, fcvt.l.s, IMAX64, NV, QNAN)
  FP_XS1(37, fcvt.l.s, 0xffffffff80000000, 0, 0xcf000000)

  /* ---- fcvt.lu.s ---- */
  FP_XS1(38, fcvt.lu.s, 0x8000000000000000, 0, 0x5f000000)   /* 2^63 */
  FP_XS1(39, fcvt.lu.s, 0xffffff0000000000, 0, 0x5f7fffff)
  FP_XS1(40, fcvt.lu.s, UMAX64, NV, 0x5f800000)              /* 2^64 */
  FP_XS1(41, fcvt.lu.s, 0, NV, MONE)
  FP_XS1(42, fcvt.lu.s, 0, NX, 0xbe800000)                   /* -0.25 */
  FP_XS1(43, fcvt.lu.s, UMAX64, NV, PINF)
  FP_XS1(44, fcvt.lu.s, 0, NV, NINF)
  FP_XS1(45, fcvt.lu.s, UMAX64, NV, SNAN)
  FP_XS1(46, fcvt.lu.s, 0x100000000, 0, 0x4f800000)

  /* ---- fcvt.s.w / fcvt.s.wu: rs1[31:0] only ---- */
  FP_SX(47, fcvt.s.w, PZERO, 0, 0)
  FP_SX(48, fcvt.s.w, MONE, 0, -1)
  FP_SX(49, fcvt.s.w, 0x4f000000, NX, 0x7fffffff)
  FP_SX(50, fcvt.s.w, 0xcf000000, 0, 0x0000000080000000)     /* -2^31 */
  FP_SX(51, fcvt.s.w, 0x41200000, 0, 0x123456780000000a)     /* 10 */
  FP_SX(52, fcvt.s.w, MONE, 0, 0x00000000ffffffff)
  FP_SX(53, fcvt.s.w, 0x4b800000, NX, 16777217)               /* 2^24+1: tie to even */
  FP_SX(54, fcvt.s.wu, 0x4f800000, NX, 0xffffffff)
  FP_SX(55, fcvt.s.wu, 0x4f000000, 0, 0x80000000)
  FP_SX(56, fcvt.s.wu, ONE, 0, 0xffffffff00000001)
  FP_SX(57, fcvt.s.wu, PZERO, 0, 0xffffffff00000000)

  /* ---- fcvt.s.l / fcvt.s.lu ---- */
  FP_SX(58, fcvt.s.l, 0xdf000000, 0, 0x8000000000000000)
  FP_SX(59, fcvt.s.l, 0x5f000000, NX, 0x7fffffffffffffff)
  FP_SX(60, fcvt.s.l, MONE, 0, -1)
  FP_SX(61, fcvt.s.l, 0x4f800000, NX, 0xffffffff)
  FP_SX(62, fcvt.s.l, 0x501502f9, 0, 10000000000)
  FP_SX(63, fcvt.s.lu, 0x5f800000, NX, 0xffffffffffffffff)
  FP_SX(64, fcvt.s.lu, 0x5f000000, 0, 0x8000000000000000)
  FP_SX(65, fcvt.s.lu, ONE, 0, 1)
  FP_SX(66, fcvt.s.lu, PZERO, 0, 0)

  /* ---- rounding modes (static rm and dynamic frm) ---- */
  RM_XS(67, fcvt.w.s, rne, 2, NX, 0x40200000)       /* 2.5 */
  RM_XS(68, fcvt.w.s, rtz, 2, NX, 0x40200000)
  RM_XS(69, fcvt.w.s, rdn, 2, NX, 0x40200000)
  RM_XS(70, fcvt.w.s, rup, 3, NX, 0x40200000)
  RM_XS(71, fcvt.w.s, rmm, 3, NX, 0x40200000)
  RM_XS(72, fcvt.w.s, rne, -2, NX, 0xc0200000)      /* -2.5 */
  RM_XS(73, fcvt.w.s, rtz, -2, NX, 0xc0200000)
  RM_XS(74, fcvt.w.s, rdn, -3, NX, 0xc0200000)
  RM_XS(75, fcvt.w.s, rup, -2, NX, 0xc0200000)
  RM_XS(76, fcvt.w.s, rmm, -3, NX, 0xc0200000)
  RM_XS(77, fcvt.w.s, rne, 2, NX, 0x3fe00000)       /* 1.75 */
  RM_XS(78, fcvt.w.s, rtz, 1, NX, 0x3fe00000)
  RM_XS(79, fcvt.w.s, rdn, 1, NX, 0x3fe00000)
  RM_XS(80, fcvt.w.s, rup, 2, NX, 0x3fe00000)
  RM_XS(81, fcvt.w.s, rmm, 2, NX, 0x3fe00000)
  /* -0.5 to unsigned: in range unless the rounding goes to -1 */
  RM_XS(82, fcvt.wu.s, rne, 0, NX, 0xbf000000)
  RM_XS(83, fcvt.wu.s, rtz, 0, NX, 0xbf000000)
  RM_XS(84, fcvt.wu.s, rdn, 0, NV, 0xbf000000)
  RM_XS(85, fcvt.wu.s, rup, 0, NX, 0xbf000000)
  RM_XS(86, fcvt.wu.s, rmm, 0, NV, 0xbf000000)
  RM_XS(87, fcvt.l.s, rne, -2, NX, 0xbfc00000)      /* -1.5 */
  RM_XS(88, fcvt.l.s, rtz, -1, NX, 0xbfc00000)
  RM_XS(89, fcvt.l.s, rdn, -2, NX, 0xbfc00000)
  RM_XS(90, fcvt.l.s, rup, -1, NX, 0xbfc00000)
  RM_XS(91, fcvt.l.s, rmm, -2, NX, 0xbfc00000)
  RM_XS(92, fcvt.lu.s, rne, 0, NX, 0x3f000000)      /* 0.5 */
  RM_XS(93, fcvt.lu.s, rtz, 0, NX, 0x3f000000)
  RM_XS(94, fcvt.lu.s, rdn, 0, NX, 0x3f000000)
  RM_XS(95, fcvt.lu.s, rup, 1, NX, 0x3f000000)
  RM_XS(96, fcvt.lu.s, rmm, 1, NX, 0x3f000000)
  RM_SX(97, fcvt.s.w, rne, 0x4b800000, NX, 16777217)          /* 2^24+1 */
  RM_SX(98, fcvt.s.w, rtz, 0x4b800000, NX, 16777217)
  RM_SX(99, fcvt.s.w, rdn, 0x4b800000, NX, 16777217)
  RM_SX(100, fcvt.s.w, rup, 0x4b800001, NX, 16777217)
  RM_SX(101, fcvt.s.w, rmm, 0x4b800001, NX, 16777217)
  RM_SX(102, fcvt.s.w, rne, 0xcb800000, NX, -16777217)
  RM_SX(103, fcvt.s.w, rtz, 0xcb800000, NX, -16777217)
  RM_SX(104, fcvt.s.w, rdn, 0xcb800001, NX, -16777217)
  RM_SX(105, fcvt.s.w, rup, 0xcb800000, NX, -16777217)
  RM_SX(106, fcvt.s.w, rmm, 0xcb800001, NX, -16777217)
  RM_SX(107, fcvt.s.w, rne, 0x4b800002, NX, 16777219)          /* 2^24+3: tie, odd below */
  RM_SX(108, fcvt.s.w, rtz, 0x4b800001, NX, 16777219)
  RM_SX(109, fcvt.s.w, rdn, 0x4b800001, NX, 16777219)
  RM_SX(110, fcvt.s.w, rup, 0x4b800002, NX, 16777219)
  RM_SX(111, fcvt.s.w, rmm, 0x4b800002, NX, 16777219)
  RM_SX(112, fcvt.s.wu, rne, 0x4f800000, NX, 0xffffffff)
  RM_SX(113, fcvt.s.wu, rtz, 0x4f7fffff, NX, 0xffffffff)
  RM_SX(114, fcvt.s.wu, rdn, 0x4f7fffff, NX, 0xffffffff)
  RM_SX(115, fcvt.s.wu, rup, 0x4f800000, NX, 0xffffffff)
  RM_SX(116, fcvt.s.wu, rmm, 0x4f800000, NX, 0xffffffff)
  RM_SX(117, fcvt.s.l, rne, 0xde7fffff, NX, 0xc000004000000001)   /* -(2^62-2^38-1) */
  RM_SX(118, fcvt.s.l, rtz, 0xde7ffffe, NX, 0xc000004000000001)
  RM_SX(119, fcvt.s.l, rdn, 0xde7fffff, NX, 0xc000004000000001)
  RM_SX(120, fcvt.s.l, rup, 0xde7ffffe, NX, 0xc000004000000001)
  RM_SX(121, fcvt.s.l, rmm, 0xde7fffff, NX, 0xc000004000000001)
  RM_SX(122, fcvt.s.lu, rne, 0x5f800000, NX, 0xffffffffffffffff)
  RM_SX(123, fcvt.s.lu, rtz, 0x5f7fffff, NX, 0xffffffffffffffff)
  RM_SX(124, fcvt.s.lu, rdn, 0x5f7fffff, NX, 0xffffffffffffffff)
  RM_SX(125, fcvt.s.lu, rup, 0x5f800000, NX, 0xffffffffffffffff)
  RM_SX(126, fcvt.s.lu, rmm, 0x5f800000, NX, 0xffffffffffffffff)

  PASS
TEST_END
