/* Sstc ("Sstc" Extension for Supervisor-mode Timer Interrupts 1.0): stimecmp, menvcfg.STCE,
 * mip.STIP following time >= stimecmp, and who may access stimecmp.
 * Needs the time CSR, which QEMU's spike machine lacks: the reference run is on QEMU's virt
 * board (test/isa.test.ts). Times are relative, in ticks of whatever timebase the board has. */
#include "test.h"
#include "priv.h"

#define MENVCFG_STCE (1 << 63)
#define COUNTEREN_TM (1 << 1)
#define TIMEOUT 10000000   /* ticks (1 s at 10 MHz) before a wait gives up */

/* Waits until mip.STIP == state: a changed comparison "is guaranteed to be reflected in STIP
 * eventually, but not necessarily immediately". Clobbers a4, a5, t1, t6. */
#define WAIT_STIP(state)            \
  rdtime a4;                        \
  li t6, TIMEOUT;                   \
  add a4, a4, t6;                   \
8:                                  \
  csrr t1, mip;                     \
  andi t1, t1, MIP_STIP;            \
  li t6, state;                     \
  beq t1, t6, 9f;                   \
  rdtime a5;                        \
  bltu a5, a4, 8b;                  \
  j fail_test;                      \
9:

TEST_BEGIN
  PRIV_INIT
  li t0, MENVCFG_STCE
  csrc menvcfg, t0
  li t0, -1
  csrw stimecmp, t0

  /* ---- menvcfg.STCE is writable */
  TEST_CASE(1)
  li t0, MENVCFG_STCE
  csrs menvcfg, t0
  csrr t1, menvcfg
  CHECK_MASKED(t1, MENVCFG_STCE, MENVCFG_STCE)
  csrc menvcfg, t0
  csrr t1, menvcfg
  CHECK_MASKED(t1, MENVCFG_STCE, 0)

  /* ---- M-mode accesses stimecmp whatever STCE: with STCE = 0 only "an attempt to access
   * stimecmp in a mode other than M-mode raises an illegal-instruction exception" */
  TEST_CASE(2)
  li t1, 0x123456789abcdef0
  csrw stimecmp, t1
  csrr t2, stimecmp
  bne t1, t2, fail_test
  li t0, -1
  csrw stimecmp, t0
  csrr t2, stimecmp
  CHECK(t2, -1)
  CHECK(s6, 0)

  /* ---- STCE = 0: STIP is the software-writable bit it is without Sstc */
  TEST_CASE(3)
  li t0, MIP_STIP
  csrs mip, t0
  csrr t1, mip
  CHECK_MASKED(t1, MIP_STIP, MIP_STIP)
  csrc mip, t0
  csrr t1, mip
  CHECK_MASKED(t1, MIP_STIP, 0)
#ifdef SPEC_STRICT
  /* stimecmp <= time does not raise it either (QEMU 7.2 does: priv.h) */
  csrw stimecmp, zero
  li t2, 1000
1:
  csrr t1, mip
  CHECK_MASKED(t1, MIP_STIP, 0)
  addi t2, t2, -1
  bnez t2, 1b
  li t0, -1
  csrw stimecmp, t0
#endif

  /* ---- STCE = 1: STIP reflects time >= stimecmp and software writes to it are ignored */
  TEST_CASE(4)
  li t0, MENVCFG_STCE
  csrs menvcfg, t0
  csrr t1, mip
  CHECK_MASKED(t1, MIP_STIP, 0)
  li t0, MIP_STIP
  csrs mip, t0
  csrr t1, mip
  CHECK_MASKED(t1, MIP_STIP, 0)
  csrw stimecmp, zero
  WAIT_STIP(MIP_STIP)
  li t0, MIP_STIP
  csrc mip, t0
  csrr t1, mip
  CHECK_MASKED(t1, MIP_STIP, MIP_STIP)
  /* "The interrupt remains posted until stimecmp becomes greater than time" */
  li t0, -1
  csrw stimecmp, t0
  WAIT_STIP(0)

  /* ---- STIP rises when time reaches stimecmp, not before */
  TEST_CASE(5)
  rdtime t0
  li t1, 100000             /* 10 ms at 10 MHz */
  add a6, t0, t1
  csrw stimecmp, a6
  csrr t1, mip
  rdtime t2
  andi t1, t1, MIP_STIP
  beqz t1, 1f
  bltu t2, a6, fail_test    /* STIP seen, yet time was still below stimecmp */
1:
  WAIT_STIP(MIP_STIP)
  rdtime t2
  bltu t2, a6, fail_test
  li t0, -1
  csrw stimecmp, t0
  WAIT_STIP(0)

  /* ---- a supervisor timer interrupt through stimecmp, delegated to S: S-mode reads time
   * and arms stimecmp itself (STCE = 1, mcounteren.TM = 1), enables SIE and is interrupted */
  TEST_CASE(6)
  li t0, MIP_STIP
  csrw mideleg, t0
  csrw mie, t0
  li t0, COUNTEREN_TM
  csrs mcounteren, t0
  li a6, -1
  li a7, 0
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  EXPECT_STRAP(3f)
  rdtime t0
  li t1, 10000              /* 1 ms at 10 MHz */
  add a6, t0, t1
  csrw stimecmp, a6
  csrsi sstatus, MSTATUS_SIE
  li t1, TIMEOUT
  add t1, a6, t1
4:
  rdtime t0
  bltu t0, t1, 4b
  j fail_test               /* no interrupt */
3:
  rdtime a7                 /* in the handler: time has reached stimecmp */
  li t0, -1
  csrw stimecmp, t0         /* S clears its own timer */
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  li t0, INTR | IRQ_STI
  bne s8, t0, fail_test
  bltu a7, a6, fail_test
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE)
  WAIT_STIP(0)
  csrw mideleg, zero
  csrw mie, zero

  /* ---- S-mode access to stimecmp is illegal while STCE = 0 (mcounteren.TM = 1) */
  TEST_CASE(7)
  li t0, MENVCFG_STCE
  csrc menvcfg, t0
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
sstc_s_read_off:
  csrr t1, stimecmp
  FAIL
1:
  EXPECT_ILLEGAL_AT(sstc_s_read_off)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
sstc_s_write_off:
  csrw stimecmp, zero
  FAIL
1:
  EXPECT_ILLEGAL_AT(sstc_s_write_off)

  /* ---- S-mode access to stimecmp is illegal while mcounteren.TM = 0 (STCE = 1): "When the
   * TM bit in the mcounteren register is clear, attempts to access the stimecmp register
   * while executing in S-mode will cause an illegal instruction exception" */
  TEST_CASE(8)
  li t0, MENVCFG_STCE
  csrs menvcfg, t0
  li t0, COUNTEREN_TM
  csrc mcounteren, t0
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
sstc_s_read_tm:
  csrr t1, stimecmp
  FAIL
1:
  EXPECT_ILLEGAL_AT(sstc_s_read_tm)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
sstc_s_write_tm:
  csrw stimecmp, zero
  FAIL
1:
  EXPECT_ILLEGAL_AT(sstc_s_write_tm)

  /* ---- with both enables S-mode reads and writes it; U-mode never (an S-level CSR,
   * Priv spec 2.1), whatever scounteren says */
  TEST_CASE(9)
  li t0, COUNTEREN_TM
  csrs mcounteren, t0
  csrs scounteren, t0
  li a6, 0x7fffffffffffffff
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  csrw stimecmp, a6
  csrr a7, stimecmp
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  bne a6, a7, fail_test
  csrr t1, stimecmp
  bne a6, t1, fail_test
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
sstc_u_read:
  csrr t1, stimecmp
  FAIL
1:
  EXPECT_ILLEGAL_AT(sstc_u_read)
  li t0, -1
  csrw stimecmp, t0
  csrw mcounteren, zero
  csrw scounteren, zero
  li t0, MENVCFG_STCE
  csrc menvcfg, t0

  PASS
TEST_END
