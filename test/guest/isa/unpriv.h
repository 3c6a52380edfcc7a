/* Helpers for the unprivileged ISA tests (rv64*.S), on top of test.h.
 * Registers: gp holds the test number, t5/t6 belong to test.h, t4 is the
 * helpers' scratch. TEST_RR/TEST_RI use a0-a2; the FP_* and RM_* macros use
 * fa0-fa3 and a0 (operands in fa0..fa2 / a0, result in fa3 / a0).
 */
#include "test.h"

/* Any unexpected trap fails the current test instead of hanging the hart. */
#define TRAP_FAILS                  \
  la t4, 80f;                       \
  csrw mtvec, t4;                   \
  j 81f;                            \
  .balign 4;                        \
80: j fail_test;                    \
81:

/* Turn the FPU on (mstatus.FS = Dirty) and clear fcsr. */
#define FPU_ON                      \
  li t4, 0x6000;                    \
  csrs mstatus, t4;                 \
  csrw fcsr, x0

/* ---- integer ---- */
/* Fails the current test unless two registers are equal. */
#define CHECK_REG(r1, r2) bne r1, r2, fail_test

#define TEST_RR(n, inst, res, v1, v2) \
  TEST_CASE(n);                     \
  li a1, v1;                        \
  li a2, v2;                        \
  inst a0, a1, a2;                  \
  CHECK(a0, res)

#define TEST_RI(n, inst, res, v1, imm) \
  TEST_CASE(n);                     \
  li a1, v1;                        \
  inst a0, a1, imm;                 \
  CHECK(a0, res)

/* ---- floating point ---- */
#define FLAG_NX 0x01
#define FLAG_UF 0x02
#define FLAG_OF 0x04
#define FLAG_DZ 0x08
#define FLAG_NV 0x10

#define RM_rne 0
#define RM_rtz 1
#define RM_rdn 2
#define RM_rup 3
#define RM_rmm 4

/* Load raw bit patterns: LI_S NaN-boxes (fmv.w.x), LI_D is a plain move. */
#define LI_S(f, bits) li t4, bits; fmv.w.x f, t4
#define LI_D(f, bits) li t4, bits; fmv.d.x f, t4

/* A single result must also be properly NaN-boxed (upper 32 bits all ones). */
#define CHECK_S(f, bits)            \
  fmv.x.d t4, f;                    \
  CHECK(t4, 0xffffffff00000000 | (bits))
#define CHECK_D(f, bits)            \
  fmv.x.d t4, f;                    \
  CHECK(t4, bits)
#define CLEAR_FLAGS csrw fflags, x0
#define CHECK_FLAGS(v)              \
  csrr t4, fflags;                  \
  CHECK(t4, v)

/* fd = inst(fa0 [,fa1 [,fa2]]) with the given rounding-mode suffix (or none),
 * checking the result bits and exactly the accrued flags. */
#define FP_S1(n, inst, res, flags, a)          \
  TEST_CASE(n); LI_S(fa0, a); CLEAR_FLAGS;     \
  inst fa3, fa0; CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define FP_S2(n, inst, res, flags, a, b)       \
  TEST_CASE(n); LI_S(fa0, a); LI_S(fa1, b); CLEAR_FLAGS; \
  inst fa3, fa0, fa1; CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define FP_S3(n, inst, res, flags, a, b, c)    \
  TEST_CASE(n); LI_S(fa0, a); LI_S(fa1, b); LI_S(fa2, c); CLEAR_FLAGS; \
  inst fa3, fa0, fa1, fa2; CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define FP_D1(n, inst, res, flags, a)          \
  TEST_CASE(n); LI_D(fa0, a); CLEAR_FLAGS;     \
  inst fa3, fa0; CHECK_FLAGS(flags); CHECK_D(fa3, res)
#define FP_D2(n, inst, res, flags, a, b)       \
  TEST_CASE(n); LI_D(fa0, a); LI_D(fa1, b); CLEAR_FLAGS; \
  inst fa3, fa0, fa1; CHECK_FLAGS(flags); CHECK_D(fa3, res)
#define FP_D3(n, inst, res, flags, a, b, c)    \
  TEST_CASE(n); LI_D(fa0, a); LI_D(fa1, b); LI_D(fa2, c); CLEAR_FLAGS; \
  inst fa3, fa0, fa1, fa2; CHECK_FLAGS(flags); CHECK_D(fa3, res)

/* Integer-result FP ops (compare, classify, fcvt to integer, fmv.x). */
#define FP_XS1(n, inst, res, flags, a)         \
  TEST_CASE(n); LI_S(fa0, a); CLEAR_FLAGS;     \
  inst a0, fa0; CHECK_FLAGS(flags); CHECK(a0, res)
#define FP_XS2(n, inst, res, flags, a, b)      \
  TEST_CASE(n); LI_S(fa0, a); LI_S(fa1, b); CLEAR_FLAGS; \
  inst a0, fa0, fa1; CHECK_FLAGS(flags); CHECK(a0, res)
#define FP_XD1(n, inst, res, flags, a)         \
  TEST_CASE(n); LI_D(fa0, a); CLEAR_FLAGS;     \
  inst a0, fa0; CHECK_FLAGS(flags); CHECK(a0, res)
#define FP_XD2(n, inst, res, flags, a, b)      \
  TEST_CASE(n); LI_D(fa0, a); LI_D(fa1, b); CLEAR_FLAGS; \
  inst a0, fa0, fa1; CHECK_FLAGS(flags); CHECK(a0, res)

/* Integer-source FP ops (fcvt from integer). */
#define FP_SX(n, inst, res, flags, x)          \
  TEST_CASE(n); li a0, x; CLEAR_FLAGS;         \
  inst fa3, a0; CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define FP_DX(n, inst, res, flags, x)          \
  TEST_CASE(n); li a0, x; CLEAR_FLAGS;         \
  inst fa3, a0; CHECK_FLAGS(flags); CHECK_D(fa3, res)

/* Rounding-mode tests: one test number checks `op` once with the static
 * rounding mode `rm` (while frm holds a different, decoy mode, which must be
 * ignored) and once with rm=dyn and frm = rm. Operands as above.
 *   RM_<kind>(n, op, rm, res, flags, operands...)
 */
#define RM_DECOY(rm) ((RM_##rm + 2) % 5)
#define RM_SET_STATIC(rm) li t4, RM_DECOY(rm); csrw frm, t4; CLEAR_FLAGS
#define RM_SET_DYN(rm) li t4, RM_##rm; csrw frm, t4; CLEAR_FLAGS

#define RM_S1(n, op, rm, res, flags, a)                         \
  TEST_CASE(n); LI_S(fa0, a);                                   \
  RM_SET_STATIC(rm); op fa3, fa0, rm;                           \
  CHECK_FLAGS(flags); CHECK_S(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, dyn;                             \
  CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define RM_S2(n, op, rm, res, flags, a, b)                      \
  TEST_CASE(n); LI_S(fa0, a); LI_S(fa1, b);                     \
  RM_SET_STATIC(rm); op fa3, fa0, fa1, rm;                      \
  CHECK_FLAGS(flags); CHECK_S(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, fa1, dyn;                        \
  CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define RM_S3(n, op, rm, res, flags, a, b, c)                   \
  TEST_CASE(n); LI_S(fa0, a); LI_S(fa1, b); LI_S(fa2, c);       \
  RM_SET_STATIC(rm); op fa3, fa0, fa1, fa2, rm;                 \
  CHECK_FLAGS(flags); CHECK_S(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, fa1, fa2, dyn;                   \
  CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define RM_D1(n, op, rm, res, flags, a)                         \
  TEST_CASE(n); LI_D(fa0, a);                                   \
  RM_SET_STATIC(rm); op fa3, fa0, rm;                           \
  CHECK_FLAGS(flags); CHECK_D(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, dyn;                             \
  CHECK_FLAGS(flags); CHECK_D(fa3, res)
#define RM_D2(n, op, rm, res, flags, a, b)                      \
  TEST_CASE(n); LI_D(fa0, a); LI_D(fa1, b);                     \
  RM_SET_STATIC(rm); op fa3, fa0, fa1, rm;                      \
  CHECK_FLAGS(flags); CHECK_D(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, fa1, dyn;                        \
  CHECK_FLAGS(flags); CHECK_D(fa3, res)
#define RM_D3(n, op, rm, res, flags, a, b, c)                   \
  TEST_CASE(n); LI_D(fa0, a); LI_D(fa1, b); LI_D(fa2, c);       \
  RM_SET_STATIC(rm); op fa3, fa0, fa1, fa2, rm;                 \
  CHECK_FLAGS(flags); CHECK_D(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, fa1, fa2, dyn;                   \
  CHECK_FLAGS(flags); CHECK_D(fa3, res)
/* float -> integer */
#define RM_XS(n, op, rm, res, flags, a)                         \
  TEST_CASE(n); LI_S(fa0, a);                                   \
  RM_SET_STATIC(rm); op a0, fa0, rm;                            \
  CHECK_FLAGS(flags); CHECK(a0, res);                           \
  RM_SET_DYN(rm); op a0, fa0, dyn;                              \
  CHECK_FLAGS(flags); CHECK(a0, res)
#define RM_XD(n, op, rm, res, flags, a)                         \
  TEST_CASE(n); LI_D(fa0, a);                                   \
  RM_SET_STATIC(rm); op a0, fa0, rm;                            \
  CHECK_FLAGS(flags); CHECK(a0, res);                           \
  RM_SET_DYN(rm); op a0, fa0, dyn;                              \
  CHECK_FLAGS(flags); CHECK(a0, res)
/* integer -> float */
#define RM_SX(n, op, rm, res, flags, x)                         \
  TEST_CASE(n); li a0, x;                                       \
  RM_SET_STATIC(rm); op fa3, a0, rm;                            \
  CHECK_FLAGS(flags); CHECK_S(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, a0, dyn;                              \
  CHECK_FLAGS(flags); CHECK_S(fa3, res)
#define RM_DX(n, op, rm, res, flags, x)                         \
  TEST_CASE(n); li a0, x;                                       \
  RM_SET_STATIC(rm); op fa3, a0, rm;                            \
  CHECK_FLAGS(flags); CHECK_D(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, a0, dyn;                              \
  CHECK_FLAGS(flags); CHECK_D(fa3, res)
/* double -> single (fcvt.s.d) */
#define RM_SD(n, op, rm, res, flags, a)                         \
  TEST_CASE(n); LI_D(fa0, a);                                   \
  RM_SET_STATIC(rm); op fa3, fa0, rm;                           \
  CHECK_FLAGS(flags); CHECK_S(fa3, res);                        \
  RM_SET_DYN(rm); op fa3, fa0, dyn;                             \
  CHECK_FLAGS(flags); CHECK_S(fa3, res)
