/* Synchronous exceptions (RISC-V Privileged ISA 20211203, 3.1.15 mcause table 3.6,
 * 3.1.16 mtval, 3.3.1 ECALL/EBREAK, 3.6 PMAs): cause, mepc and mtval of each. */
#include "test.h"
#include "priv.h"

TEST_BEGIN
  PRIV_INIT
  .set strict_traps, 0  /* traps only taken in SPEC_STRICT builds */

  /* ---- instruction access fault (cause 1): fetch from a hole in the physical map.
   * mtval = faulting address (3.1.16); mepc = the target, since the jump itself completed. */
  TEST_CASE(1)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR
  jalr ra, t0
  FAIL
1:
  CHECK(s2, CAUSE_FETCH_ACCESS)
  CHECK(s3, UNMAPPED_ADDR)
  CHECK(s4, UNMAPPED_ADDR)
  CHECK(s6, 1)

  /* 2-byte aligned target (legal with C): still the exact address. */
  TEST_CASE(2)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR + 0x1002
  jr t0
  FAIL
1:
  CHECK(s2, CAUSE_FETCH_ACCESS)
  CHECK(s3, UNMAPPED_ADDR + 0x1002)
  CHECK(s4, UNMAPPED_ADDR + 0x1002)

  /* ---- illegal instruction (cause 2). mtval may hold the instruction bits or 0
   * (3.1.16); QEMU 7.2 writes the bits, so Hartwood is expected to as well. */
  /* all-zero parcel: defined illegal (unprivileged spec 16.8 / 26.1). */
  TEST_CASE(3)
  EXPECT_MTRAP(1f)
.align 2
insn_zero:
  .half 0
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_zero)
  CHECK(s4, 0)

  /* reserved major opcode 0b1101011 (unprivileged spec table 24.1). */
  TEST_CASE(4)
  EXPECT_MTRAP(1f)
.align 2
insn_resv:
  .word 0x1234506b
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_resv)
  CHECK(s4, 0x1234506b)

  /* write to a read-only CSR (csr[11:10] = 3), 2.1: illegal even in M-mode. */
  TEST_CASE(5)
  EXPECT_MTRAP(1f)
  li t1, 5
.align 2
insn_wr_mhartid:
  csrw mhartid, t1
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_wr_mhartid)
  CHECK_INSN32(s4, insn_wr_mhartid)

  /* CSRRS/CSRRC with rs1 != x0 attempt a write (Zicsr 9.1) */
  TEST_CASE(6)
  EXPECT_MTRAP(1f)
  li t1, 1
.align 2
insn_rs_mvendorid:
  csrrc t0, mvendorid, t1
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_rs_mvendorid)
  CHECK_INSN32(s4, insn_rs_mvendorid)
#ifdef SPEC_STRICT
  /* ...even when the register holds 0 (Zicsr 9.1). QEMU 7.2 only looks at the value. */
  EXPECT_MTRAP(1f)
  li t1, 0
.align 2
insn_rs0_mvendorid:
  csrrs t0, mvendorid, t1
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_rs0_mvendorid)
  .set strict_traps, strict_traps + 1
#endif

  /* ...but reads of read-only CSRs (rs1 = x0, uimm = 0) never trap. */
  TEST_CASE(7)
  csrrs t0, mhartid, x0
  CHECK(t0, 0)
  csrrsi t0, mhartid, 0
  csrrci t0, mimpid, 0
  csrr t0, cycle
  CHECK(s6, 6 + strict_traps)

  /* user counter CSRs are read-only too */
  TEST_CASE(8)
  EXPECT_MTRAP(1f)
.align 2
insn_wr_cycle:
  csrw cycle, zero
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_wr_cycle)
  CHECK_INSN32(s4, insn_wr_cycle)

  /* M-mode CSR (csr[9:8] = 3) from S-mode (2.1). */
  TEST_CASE(9)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
insn_s_mstatus:
  csrr t0, mstatus
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_s_mstatus)
  CHECK_INSN32(s4, insn_s_mstatus)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_S)

  /* M-mode CSR from U-mode */
  TEST_CASE(10)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
insn_u_mscratch:
  csrw mscratch, t0
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_u_mscratch)
  CHECK_INSN32(s4, insn_u_mscratch)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)

  /* S-mode CSR from U-mode */
  TEST_CASE(11)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
insn_u_sstatus:
  csrr t0, sstatus
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_u_sstatus)
  CHECK_INSN32(s4, insn_u_sstatus)

  /* MRET below M-mode is illegal (3.3.2). */
  TEST_CASE(12)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
insn_s_mret:
  mret
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_s_mret)
  CHECK(s4, 0x30200073)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_S)

  TEST_CASE(13)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
insn_u_mret:
  mret
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_u_mret)
  CHECK(s4, 0x30200073)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)

  /* SRET in U-mode is illegal (3.3.2). */
  TEST_CASE(14)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
insn_u_sret:
  sret
  FAIL
1:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, insn_u_sret)
  CHECK(s4, 0x10200073)

  /* ---- breakpoint (cause 3), 3.3.1. mtval is either 0 or the faulting virtual
   * address, i.e. the pc (3.1.16); accept both. */
  TEST_CASE(15)
  EXPECT_MTRAP(1f)
.align 2
insn_ebreak:
  .option push; .option norvc
  ebreak
  .option pop
  FAIL
1:
  CHECK(s2, CAUSE_BREAKPOINT)
  CHECK_ADDR(s3, insn_ebreak)
  beqz s4, 3f
  CHECK_ADDR(s4, insn_ebreak)
3:

  /* c.ebreak: a 16-bit instruction at a 2-byte aligned address */
  TEST_CASE(16)
  EXPECT_MTRAP(1f)
.align 2
  c.nop
insn_cebreak:
  c.ebreak
  FAIL
1:
  CHECK(s2, CAUSE_BREAKPOINT)
  CHECK_ADDR(s3, insn_cebreak)
  beqz s4, 3f
  CHECK_ADDR(s4, insn_cebreak)
3:

  /* ebreak from U-mode is taken to M as well (no delegation) */
  TEST_CASE(17)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
2:
insn_u_ebreak:
  ebreak
  FAIL
1:
  CHECK(s2, CAUSE_BREAKPOINT)
  CHECK_ADDR(s3, insn_u_ebreak)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)

  /* ---- load / store access faults (causes 5, 7): no device at the address (3.6.1).
   * mtval = the faulting address. */
  TEST_CASE(18)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR
insn_ld_fault:
  ld t1, 8(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, insn_ld_fault)
  CHECK(s4, UNMAPPED_ADDR + 8)

  TEST_CASE(19)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR
insn_lbu_fault:
  lbu t1, 3(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, insn_lbu_fault)
  CHECK(s4, UNMAPPED_ADDR + 3)

  TEST_CASE(20)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR
insn_sd_fault:
  sd t1, 16(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s3, insn_sd_fault)
  CHECK(s4, UNMAPPED_ADDR + 16)

  TEST_CASE(21)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR
insn_sh_fault:
  sh t1, 6(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s3, insn_sh_fault)
  CHECK(s4, UNMAPPED_ADDR + 6)

  /* a load access fault in U-mode */
  TEST_CASE(22)
  EXPECT_MTRAP(1f)
  li a0, UNMAPPED_ADDR
  GOTO_U(2f)
2:
insn_u_lw_fault:
  lw t1, 4(a0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, insn_u_lw_fault)
  CHECK(s4, UNMAPPED_ADDR + 4)

  /* AMO and LR on a hole: AMOs report store/AMO access fault (7), LR a load fault (5). */
  TEST_CASE(33)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR + 0x20
insn_amo_fault:
  amoor.d t2, t1, (t0)
  FAIL
1:
  CHECK_AMO_CAUSE(s2, CAUSE_STORE_ACCESS, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, insn_amo_fault)
  CHECK(s4, UNMAPPED_ADDR + 0x20)

  TEST_CASE(34)
  EXPECT_MTRAP(1f)
  li t0, UNMAPPED_ADDR + 0x28
insn_lr_fault:
  lr.w t2, (t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, insn_lr_fault)
  CHECK(s4, UNMAPPED_ADDR + 0x28)

  /* ---- misaligned AMO / LR / SC (A extension 8.4: AMOs and LR/SC must be naturally
   * aligned, else address-misaligned or access fault; QEMU raises misaligned).
   * AMO and SC report store/AMO misaligned (6), LR load misaligned (4). */
  TEST_CASE(23)
  la t0, data
  li t1, 1
  amoadd.w t2, t1, (t0)
  lw t2, 0(t0)
  CHECK(t2, 1)
  EXPECT_MTRAP(1f)
  addi t0, t0, 2
insn_amoadd_mis2:
  amoadd.w t2, t1, (t0)
  FAIL
1:
  CHECK_AMO_CAUSE(s2, CAUSE_STORE_MISALIGNED, CAUSE_LOAD_MISALIGNED)
  CHECK_ADDR(s3, insn_amoadd_mis2)
  CHECK_ADDR(s4, data + 2)

  TEST_CASE(24)
  EXPECT_MTRAP(1f)
  la t0, data + 4
insn_amoswap_mis:
  amoswap.d t2, t1, (t0)
  FAIL
1:
  CHECK_AMO_CAUSE(s2, CAUSE_STORE_MISALIGNED, CAUSE_LOAD_MISALIGNED)
  CHECK_ADDR(s3, insn_amoswap_mis)
  CHECK_ADDR(s4, data + 4)

  TEST_CASE(25)
  EXPECT_MTRAP(1f)
  la t0, data + 1
insn_lr_mis:
  lr.w t2, (t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_MISALIGNED)
  CHECK_ADDR(s3, insn_lr_mis)
  CHECK_ADDR(s4, data + 1)

  TEST_CASE(26)
  EXPECT_MTRAP(1f)
  la t0, data + 4
insn_lrd_mis:
  lr.d t2, (t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_MISALIGNED)
  CHECK_ADDR(s3, insn_lrd_mis)
  CHECK_ADDR(s4, data + 4)

#ifdef SPEC_STRICT
  /* A misaligned SC traps whether or not it holds a reservation (A 8.2; riscv-isa-manual
   * issue 217). QEMU 7.2 fails such an SC (rd = 1) without looking at the address. */
  TEST_CASE(27)
  EXPECT_MTRAP(1f)
  la t0, data + 2
insn_sc_mis:
  sc.d t2, t1, (t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_MISALIGNED)
  CHECK_ADDR(s3, insn_sc_mis)
  CHECK_ADDR(s4, data + 2)
  .set strict_traps, strict_traps + 1
#endif

  /* ---- environment calls: cause by privilege, mepc = the ecall, mtval = 0 (3.3.1) */
  TEST_CASE(28)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
2:
insn_ecall_u:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_U)
  CHECK_ADDR(s3, insn_ecall_u)
  CHECK(s4, 0)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)

  TEST_CASE(29)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
insn_ecall_s:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_ADDR(s3, insn_ecall_s)
  CHECK(s4, 0)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_S)

  TEST_CASE(30)
  EXPECT_MTRAP(1f)
insn_ecall_m:
  ecall
  FAIL
1:
  CHECK(s2, CAUSE_ECALL_M)
  CHECK_ADDR(s3, insn_ecall_m)
  CHECK(s4, 0)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_M)

  /* ---- trap entry state (3.1.6.1): MPIE <- MIE, MIE <- 0, MPP <- previous mode */
  TEST_CASE(31)
  li t0, MSTATUS_MIE
  csrs mstatus, t0
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  EXPECT_MTRAP(1f)
  ecall
1:
  CHECK_MASKED(s5, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE | MPP_M)

  /* ---- ordinary misaligned loads/stores: the spec lets them trap or complete (unpriv
   * 2.6); QEMU 7.2 and Hartwood complete them, so no trap is expected here. */
  TEST_CASE(32)
  la t0, mis
  li t1, 0x1122334455667788
  sd t1, 3(t0)
  ld t2, 3(t0)
  bne t1, t2, fail_test
  lw t2, 5(t0)
  CHECK(t2, 0x33445566)
  lhu t2, 3(t0)
  CHECK(t2, 0x7788)
  CHECK(s6, 31 + strict_traps)

  PASS

TEST_END

.data
.align 3
data: .dword 0, 0
mis:  .dword 0, 0
