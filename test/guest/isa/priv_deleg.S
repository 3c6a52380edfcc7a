/* Trap delegation and trap return (RISC-V Privileged ISA 20211203): medeleg/mideleg
 * (3.1.8), trap entry/xRET state in mstatus (3.1.6.1, 3.3.2), TVM/TW/TSR (3.1.6.5),
 * mtvec/stvec vectored mode (3.1.7, 4.1.2). */
#include "test.h"
#include "priv.h"

#define INSN_SRET 0x10200073
#define INSN_WFI  0x10500073

TEST_BEGIN
  PRIV_INIT

  /* ---- medeleg / mideleg are WARL; the S-level interrupts and the exceptions that can
   * arise below M must be delegable (3.1.8). medeleg[11] and medeleg[0] are not checked:
   * QEMU 7.2 lets both be set, the spec hardwires [11] to 0 ("should"). */
  TEST_CASE(1)
  li t0, -1
  csrw medeleg, t0
  csrr t1, medeleg
  CHECK_MASKED(t1, 0xb3fe, 0xb3fe)
  csrw mideleg, t0
  csrr t1, mideleg
  CHECK_MASKED(t1, S_INTS, S_INTS)
  csrw medeleg, zero
  csrw mideleg, zero
  csrr t1, medeleg
  CHECK(t1, 0)
  csrr t1, mideleg
  CHECK_MASKED(t1, S_INTS, 0)

  /* ---- exception in U delegated to S: scause/sepc/stval written, SPP <- U (0),
   * SPIE <- SIE, SIE <- 0 (4.1.1). */
  TEST_CASE(2)
  li t0, 1 << CAUSE_ILLEGAL
  csrw medeleg, t0
  li t0, MSTATUS_SIE
  csrs mstatus, t0
  li t0, MSTATUS_SPIE | MSTATUS_SPP
  csrc mstatus, t0
  la s1, 2f
  EXPECT_MTRAP(1f)
  GOTO_U(3f)
.align 2
3:
insn_u_deleg:
  csrr t0, sstatus
  FAIL
2:              /* S-mode, after the S handler */
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(s8, CAUSE_ILLEGAL)
  CHECK_ADDR(s9, insn_u_deleg)
  CHECK_INSN32(s10, insn_u_deleg)
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE)
  CHECK(s6, 1)

  /* ---- exception in S delegated to S: SPP <- S (1), SPIE <- SIE (0 here) */
  TEST_CASE(3)
  li t0, MSTATUS_SIE | MSTATUS_SPIE
  csrc mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  la s1, 2f
insn_s_deleg:
  .half 0
  FAIL
2:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(s8, CAUSE_ILLEGAL)
  CHECK_ADDR(s9, insn_s_deleg)
  CHECK(s10, 0)
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP)

  /* ---- not delegated: an S-mode exception stays in M (MPP = S) */
  TEST_CASE(4)
  csrw medeleg, zero
  li s8, 0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
insn_s_nodeleg:
  .half 0
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_s_nodeleg)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_S)
  CHECK(s8, 0)

  /* ---- traps never go from M to a less-privileged mode (3.1.8): with everything
   * delegated, M-mode exceptions are still taken in M (an S-handler entry with s1 = 0
   * would fail the test). */
  TEST_CASE(5)
  li t0, -1
  csrw medeleg, t0
  EXPECT_MTRAP(1f)
insn_m_illegal:
  .half 0
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_m_illegal)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_M)
  EXPECT_MTRAP(1f)
  ebreak
  FAIL
1:
  CHECK(s2, CAUSE_BREAKPOINT)
  EXPECT_MTRAP(1f)
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_M)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR
  ld t0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)

  /* ---- per-cause selection: U ecall delegated, S ecall not */
  TEST_CASE(6)
  li t0, 1 << CAUSE_ECALL_U
  csrw medeleg, t0
  la s1, 2f
  EXPECT_MTRAP(1f)
  GOTO_U(3f)
3:
insn_u_ecall:
  ecall
  FAIL
2:              /* S-mode */
insn_s_ecall:
  ecall
  FAIL
1:
  CHECK(s8, CAUSE_ECALL_U)
  CHECK_ADDR(s9, insn_u_ecall)
  CHECK(s10, 0)
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_ADDR(s3, insn_s_ecall)
  csrw medeleg, zero

  /* ---- SRET (3.3.2): priv <- SPP, SIE <- SPIE, SPIE <- 1, SPP <- U. S -> U: */
  TEST_CASE(7)
  li t0, MSTATUS_SIE | MSTATUS_SPP
  csrc mstatus, t0
  li t0, MSTATUS_SPIE
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  la t0, 4f
  csrw sepc, t0
  sret
  FAIL
4:
insn_sret_u:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_U)
  CHECK_ADDR(s3, insn_sret_u)
  CHECK_MASKED(s5, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE | MSTATUS_SIE)

  /* S -> S with SPIE = 0: SIE becomes 0, SPIE 1, SPP U; observed from S itself */
  TEST_CASE(8)
  li t0, MSTATUS_SPIE
  csrc mstatus, t0
  li t0, MSTATUS_SIE
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  li t0, MSTATUS_SPP
  csrs sstatus, t0
  la t0, 4f
  csrw sepc, t0
  sret
  FAIL
4:
  csrr a0, sstatus
insn_sret_s:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_ADDR(s3, insn_sret_s)
  CHECK_MASKED(a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE)

  /* ---- MRET (3.3.2): priv <- MPP, MIE <- MPIE, MPIE <- 1, MPP <- U (least privileged).
   * M -> S with MPIE = 1: MIE is 1 in S, so the ecall trap saves MPIE = 1. */
  TEST_CASE(9)
  li t0, MSTATUS_MIE
  csrc mstatus, t0
  li t0, MSTATUS_MPIE
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_MASKED(s5, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE, MPP_S | MSTATUS_MPIE)

  /* M -> M with MPIE = 0, MIE = 1: read back right after */
  TEST_CASE(10)
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  GOTO_PRIV(MPP_M, 3f)
3:
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE, MPP_U | MSTATUS_MPIE)

  /* MRET to M keeps MPRV */
  TEST_CASE(11)
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  GOTO_PRIV(MPP_M, 3f)
3:
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_MPRV, MSTATUS_MPRV)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0

#ifdef SPEC_STRICT
  /* xRET to a mode below M clears MPRV (3.1.6.3, new in 1.12). QEMU 7.2 leaves it set. */
  TEST_CASE(12)
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_MASKED(s5, MSTATUS_MPRV, 0)
  li t0, MSTATUS_MPRV | MSTATUS_SPP
  csrs mstatus, t0
  la t0, 3f
  csrw sepc, t0
  EXPECT_MTRAP(1f)
  sret          /* legal in M; goes to S */
  FAIL
3:
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_MASKED(s5, MSTATUS_MPRV, 0)
#endif

  /* ---- TSR = 1: SRET in S is illegal (3.1.6.5); in M it is still allowed */
  TEST_CASE(13)
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  la t0, 4f
  csrw sepc, t0
insn_tsr_sret:
  sret
4:
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_tsr_sret)
  CHECK(s4, INSN_SRET)
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  la t0, 3f
  csrw sepc, t0
  EXPECT_MTRAP(1f)
  sret
3:
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  li t0, MSTATUS_TSR
  csrc mstatus, t0

  /* ---- TW = 1: WFI in S is illegal (3.1.6.5; the permitted time limit is taken as 0,
   * as QEMU does). */
  TEST_CASE(14)
  li t0, MSTATUS_TW
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
insn_tw_wfi:
  wfi
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_tw_wfi)
  CHECK(s4, INSN_WFI)
  li t0, MSTATUS_TW
  csrc mstatus, t0

  /* TW = 0: WFI in S completes; a pending+enabled interrupt that is not taken (delegated
   * SSI with SIE = 0) makes it return at once (3.3.3) */
  TEST_CASE(15)
  li t0, MIP_SSIP
  csrw mideleg, t0
  csrw mie, t0
  csrs mip, t0
  li t0, MSTATUS_SIE
  csrc mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  wfi
insn_wfi_done:
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_ADDR(s3, insn_wfi_done)
  li t0, MIP_SSIP
  csrc mip, t0
  csrw mie, zero
  csrw mideleg, zero

  /* ---- TVM = 1: satp access and SFENCE.VMA in S are illegal (3.1.6.5) */
  TEST_CASE(16)
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  csrr t1, satp         /* M-mode is unaffected */
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
.align 2
3:
insn_tvm_rd:
  csrr t1, satp
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_tvm_rd)
  CHECK_INSN32(s4, insn_tvm_rd)

  TEST_CASE(17)
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
.align 2
3:
insn_tvm_wr:
  csrw satp, zero
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_tvm_wr)
  CHECK_INSN32(s4, insn_tvm_wr)

  TEST_CASE(18)
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
.align 2
3:
insn_tvm_sfence:
  sfence.vma
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_tvm_sfence)
  CHECK_INSN32(s4, insn_tvm_sfence)

  /* TVM = 0: the same accesses are fine in S */
  TEST_CASE(19)
  li t0, MSTATUS_TVM
  csrc mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  csrr t1, satp
  csrw satp, zero
  sfence.vma
insn_tvm_off:
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_ADDR(s3, insn_tvm_off)

  /* ---- vectored mtvec (3.1.7): exceptions go to BASE, interrupts to BASE + 4*cause */
  TEST_CASE(20)
  la t0, mvec
  ori t0, t0, 1
  csrw mtvec, t0
  csrr t1, mtvec
  bne t0, t1, fail_test
  li a0, -1
  EXPECT_MTRAP(1f)
  ecall
1:
  CHECK(a0, 0)
  CHECK(s2, CAUSE_ECALL_M)
  li a0, -1
  EXPECT_MTRAP(1f)
  GOTO_U(3f)
3:
  ecall
1:
  CHECK(a0, 0)
  CHECK(s2, CAUSE_ECALL_U)

  /* interrupts: S-level ones not delegated are taken in M; raise each through mip */
  TEST_CASE(21)
  li t0, S_INTS
  csrw mie, t0
  li a0, -1
  EXPECT_MTRAP(1f)
  li t0, MIP_SSIP
  csrs mip, t0
  csrsi mstatus, MSTATUS_MIE
  FAIL
1:
  CHECK(a0, IRQ_SSI)
  CHECK(s2, INTR | IRQ_SSI)
  li t0, MIP_SSIP
  csrc mip, t0

  TEST_CASE(22)
  li a0, -1
  EXPECT_MTRAP(1f)
  li t0, MIP_STIP
  csrs mip, t0
  csrsi mstatus, MSTATUS_MIE
  FAIL
1:
  CHECK(a0, IRQ_STI)
  CHECK(s2, INTR | IRQ_STI)
  li t0, MIP_STIP
  csrc mip, t0

  TEST_CASE(23)
  li a0, -1
  EXPECT_MTRAP(1f)
  li t0, MIP_SEIP
  csrs mip, t0
  csrsi mstatus, MSTATUS_MIE
  FAIL
1:
  CHECK(a0, IRQ_SEI)
  CHECK(s2, INTR | IRQ_SEI)
  li t0, MIP_SEIP
  csrc mip, t0

  /* machine software interrupt from the CLINT, taken in U-mode */
  TEST_CASE(24)
  li t0, MIP_MSIP
  csrw mie, t0
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  li a0, -1
  EXPECT_MTRAP(1f)
  GOTO_U(3f)
3:
  j 3b
1:
  CHECK(a0, IRQ_MSI)
  CHECK(s2, INTR | IRQ_MSI)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  csrw mie, zero
  la t0, priv_mtrap
  csrw mtvec, t0

  /* ---- vectored stvec (4.1.2): delegated interrupt -> BASE + 4*cause, exception -> BASE */
  TEST_CASE(25)
  la t0, svec
  ori t0, t0, 1
  csrw stvec, t0
  li t0, S_INTS
  csrw mideleg, t0
  li t0, 1 << CAUSE_ILLEGAL
  csrw medeleg, t0
  li t0, MIP_SSIP
  csrw mie, t0
  li t0, MSTATUS_SIE
  csrs mstatus, t0
  li a0, -1
  EXPECT_MTRAP(1f)
  GOTO_S(3f)
3:
  la s1, 4f
  .half 0             /* illegal, delegated */
4:
  mv a1, a0
  li a0, -1
  la s1, 4f
  ecall               /* not delegated: M */
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a1, 0)
  CHECK(s8, CAUSE_ILLEGAL)
  /* now the interrupt: pend SSIP from M, then enter S with SIE = 1 */
  EXPECT_MTRAP(1f)
  li t0, MIP_SSIP
  csrs mip, t0
  li t0, MSTATUS_SIE
  csrs mstatus, t0
  la s1, 4f
  GOTO_S(3f)
3:              /* the interrupt is taken before this first S instruction runs */
  j 3b
4:
  ecall
1:
  CHECK(a0, IRQ_SSI)
  CHECK(s8, INTR | IRQ_SSI)
  CHECK_ADDR(s9, 3b)
  /* scause taken from S-mode with SIE = 1: SPIE = 1, SIE = 0, SPP = S */
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE)
  li t0, MIP_SSIP
  csrc mip, t0
  csrw mie, zero
  csrw mideleg, zero
  csrw medeleg, zero

  PASS

/* Vector tables: each slot a 4-byte jump; the slot number lands in a0, then the
 * ordinary record-and-resume handler runs. */
.balign 256
mvec:
  .option push
  .option norvc
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j mvec_\n
  .endr
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
mvec_\n:
  li a0, \n
  j priv_mtrap
  .endr
.balign 256
svec:
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j svec_\n
  .endr
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
svec_\n:
  li a0, \n
  j priv_strap
  .endr
  .option pop

TEST_END
