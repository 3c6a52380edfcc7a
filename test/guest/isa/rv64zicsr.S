/* Zicsr (+ the Zicntr counters): the six CSR instructions on mscratch,
 * fflags/frm/fcsr aliasing, and the cycle/time/instret counters. */
#include "unpriv.h"

  .option norvc
TEST_BEGIN
  TRAP_FAILS
  FPU_ON

  /* ---- csrrw: rd = old, csr = rs1 (all 64 bits) ---- */
  TEST_CASE(1)
  li a1, 0x0123456789abcdef
  csrw mscratch, a1
  csrr a0, mscratch
  CHECK(a0, 0x0123456789abcdef)
  TEST_CASE(2)
  li a1, 0xfedcba9876543210
  csrrw a0, mscratch, a1
  CHECK(a0, 0x0123456789abcdef)
  csrr a0, mscratch
  CHECK(a0, 0xfedcba9876543210)
  TEST_CASE(3)                  /* rd == rs1: the old value is read before the write */
  li a0, 0x55
  csrrw a0, mscratch, a0
  CHECK(a0, 0xfedcba9876543210)
  csrr a0, mscratch
  CHECK(a0, 0x55)
  TEST_CASE(4)                  /* rs1 = x0 still writes (zero) */
  csrrw a0, mscratch, x0
  CHECK(a0, 0x55)
  csrr a0, mscratch
  CHECK(a0, 0)

  /* ---- csrrs / csrrc: set / clear the bits of rs1 ---- */
  TEST_CASE(5)
  li a1, 0xf0f0
  csrw mscratch, a1
  li a1, 0x8000000000000f0f
  csrrs a0, mscratch, a1
  CHECK(a0, 0xf0f0)
  csrr a0, mscratch
  CHECK(a0, 0x800000000000ffff)
  TEST_CASE(6)
  li a1, 0x80000000000000ff
  csrrc a0, mscratch, a1
  CHECK(a0, 0x800000000000ffff)
  csrr a0, mscratch
  CHECK(a0, 0xff00)
  TEST_CASE(7)                  /* rs1 = x0: read only */
  csrrs a0, mscratch, x0
  CHECK(a0, 0xff00)
  csrrc a0, mscratch, x0
  CHECK(a0, 0xff00)
  csrr a0, mscratch
  CHECK(a0, 0xff00)

  /* ---- immediate forms: 5-bit zero-extended uimm ---- */
  TEST_CASE(8)
  csrrwi a0, mscratch, 31
  CHECK(a0, 0xff00)
  csrr a0, mscratch
  CHECK(a0, 31)                 /* zero-extended, not -1 */
  TEST_CASE(9)
  csrrwi a0, mscratch, 0        /* uimm = 0 still writes */
  CHECK(a0, 31)
  csrr a0, mscratch
  CHECK(a0, 0)
  TEST_CASE(10)
  li a1, 0x8000000000000100
  csrw mscratch, a1
  csrrsi a0, mscratch, 0x15
  CHECK(a0, 0x8000000000000100)
  csrr a0, mscratch
  CHECK(a0, 0x8000000000000115)
  TEST_CASE(11)
  csrrci a0, mscratch, 0x1c
  CHECK(a0, 0x8000000000000115)
  csrr a0, mscratch
  CHECK(a0, 0x8000000000000101)
  TEST_CASE(12)                 /* uimm = 0: read only */
  csrrsi a0, mscratch, 0
  CHECK(a0, 0x8000000000000101)
  csrrci a0, mscratch, 0
  CHECK(a0, 0x8000000000000101)
  TEST_CASE(13)                 /* pseudo-instructions csrs/csrc/csrwi/csrsi/csrci */
  li a1, 0x30
  csrs mscratch, a1
  csrci mscratch, 1
  csrr a0, mscratch
  CHECK(a0, 0x8000000000000130)
  csrc mscratch, a1
  csrsi mscratch, 6
  csrr a0, mscratch
  CHECK(a0, 0x8000000000000106)
  csrwi mscratch, 9
  csrr a0, mscratch
  CHECK(a0, 9)
  /* A read-only CSR: a set/clear with rs1 = x0 (or uimm = 0) does not write,
   * so it must not raise an illegal-instruction exception. */
  TEST_CASE(14)
  csrrs a0, cycle, x0
  csrrc a0, instret, x0
  csrrsi a0, cycle, 0
  csrrci a0, instret, 0

  /* ---- fcsr = {frm[7:5], fflags[4:0]}; frm and fflags alias its fields ---- */
  TEST_CASE(15)
  csrw fcsr, x0
  csrwi fflags, 0x1f
  csrr a0, fcsr;  CHECK(a0, 0x1f)
  csrr a0, frm;   CHECK(a0, 0)
  TEST_CASE(16)
  csrwi frm, 3
  csrr a0, fcsr;   CHECK(a0, 0x7f)
  csrr a0, fflags; CHECK(a0, 0x1f)
  csrr a0, frm;    CHECK(a0, 3)
  TEST_CASE(17)
  li a1, 0x85
  csrw fcsr, a1
  csrr a0, frm;    CHECK(a0, 4)
  csrr a0, fflags; CHECK(a0, 5)
  TEST_CASE(18)                 /* the F pseudo-instructions */
  fsrmi a0, 2;      CHECK(a0, 4)
  frrm a0;          CHECK(a0, 2)
  fsflagsi a0, 0x0a; CHECK(a0, 5)
  frflags a0;       CHECK(a0, 0x0a)
  frcsr a0;         CHECK(a0, 0x4a)
  li a1, 0x33
  fscsr a0, a1;     CHECK(a0, 0x4a)
  frrm a0;          CHECK(a0, 1)
  li a1, 0x04
  fsflags a0, a1;   CHECK(a0, 0x13)
  li a1, 4
  fsrm a0, a1;      CHECK(a0, 1)
  frcsr a0;         CHECK(a0, 0x84)
  TEST_CASE(19)                 /* set/clear on the aliases */
  csrsi fflags, 0x11
  csrci fflags, 0x04
  csrr a0, fcsr;   CHECK(a0, 0x91)
  csrci fcsr, 0x10
  csrr a0, fflags; CHECK(a0, 0x01)
  /* fflags is only 5 bits wide: writing bits 7:5 of fflags leaves frm alone */
  TEST_CASE(20)
  li a1, 0xff
  csrw fflags, a1
  csrr a0, fflags; CHECK(a0, 0x1f)
  csrr a0, frm;    CHECK(a0, 4)
  /* ---- FP exceptions accrue (OR) into fflags ---- */
  TEST_CASE(21)
  csrw fcsr, x0
  li a1, 0x3f800000             /* 1.0f */
  fmv.w.x fa0, a1
  fmv.w.x fa1, x0
  fdiv.s fa2, fa0, fa1          /* 1/0: DZ */
  csrr a0, fcsr;   CHECK(a0, FLAG_DZ)
  li a1, 0x40400000             /* 3.0f */
  fmv.w.x fa1, a1
  fdiv.s fa2, fa0, fa1          /* 1/3: NX */
  csrr a0, fflags; CHECK(a0, FLAG_DZ | FLAG_NX)
  csrw fcsr, x0

  /* ---- counters ---- */
  TEST_CASE(22)                 /* instret counts at least the instructions in between */
  li a2, 100
  rdinstret a0
1: addi a2, a2, -1
  bnez a2, 1b
  rdinstret a1
  sub a1, a1, a0
  li a3, 200
  bltu a1, a3, fail_test
  TEST_CASE(23)                 /* cycle advances */
  li a2, 100
  rdcycle a0
1: addi a2, a2, -1
  bnez a2, 1b
  rdcycle a1
  bgeu a0, a1, fail_test
  TEST_CASE(24)                 /* csrr forms read the same counters */
  csrr a0, instret
  csrr a1, instret
  bgeu a0, a1, fail_test
  csrr a0, cycle
  csrr a1, cycle
  bltu a1, a0, fail_test
  /* time must never go backwards. M-mode software may instead emulate it by
   * trapping (the privileged spec allows the time CSR read to raise an
   * illegal-instruction exception; QEMU's spike machine does so), so a trap
   * on the first read is accepted and the check skipped. */
  TEST_CASE(25)
  la t4, time_trap
  csrw mtvec, t4
time_read:
  rdtime a0
  li a2, 100
1: addi a2, a2, -1
  bnez a2, 1b
  rdtime a1
  bltu a1, a0, fail_test
  j time_done
  .balign 4
time_trap:
  csrr a0, mcause
  CHECK(a0, 2)
  csrr a0, mepc
  la a1, time_read
  CHECK_REG(a0, a1)
time_done:
  TRAP_FAILS

  PASS
TEST_END
