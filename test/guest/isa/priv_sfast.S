/* What a kernel does at every system call, interrupt and timer tick, made from S-mode and
 * U-mode where Hartwood serves it in wasm rather than in its host helpers (RISC-V
 * Privileged ISA 20211203: 3.1.6.5 TVM/TSR, 3.3.2 sret, 4.1.1 sstatus, 4.1.3 sie/sip,
 * 4.1.11 satp; Zicsr 9.1; Sstc 1.0 stimecmp). The same checks run cold and then again in
 * passes hot enough to be translated; test/isa.test.ts also checks from the engines' counts
 * that the host saw few of them.
 * Needs the time CSR and Sstc: the reference run is on QEMU's virt board.
 *
 *   1  sie: every csrrw/csrrs/csrrc form, x0 as rs1 or rd; only delegated bits show and change
 *   2  sip: SSIP written by every form; STIP is not writable there
 *   3  satp read back in S-mode after a write, by every read form
 *   4  time read in S-mode never goes back; a write to it is illegal
 *   5  stimecmp: a time in the future clears STIP, one in the past sets it, and with STIE and
 *      SIE set a write in the past takes the timer interrupt before the next instruction
 *   6  ecall from U-mode delegated to S (scause, sepc, stval, SPP, SPIE, SIE), after an sret
 *      to U, in a loop; rdtime from U-mode with scounteren.TM, illegal (taken by M) without
 *   7  sret to S: SIE = SPIE, SPIE = 1, SPP = U
 *   8  sret with a delegated interrupt pending: taken at once at sepc when sret enables it,
 *      into S and into U
 *  M-mode, each pass:
 *   9  ecall from U-mode not delegated goes to M
 *  10  TSR: sret in S-mode is illegal; TVM: an S-mode satp read is illegal
 */
#include "test.h"
#include "priv.h"

#define HOT 300
#define SYSCALLS 8
#define MENVCFG_STCE (1 << 63)
#define COUNTEREN_TM (1 << 1)
#define PTE_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* sepc = label, SPP and SPIE as given (0 or the bit), SIE = 0; then sret. Clobbers t0. */
#define SRET_TO(label, spp, spie)   \
  li t0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE; \
  csrc sstatus, t0;                 \
  li t0, (spp) | (spie);            \
  csrs sstatus, t0;                 \
  la t0, label;                     \
  csrw sepc, t0;                    \
  sret

TEST_BEGIN
  PRIV_INIT
  li t0, MENVCFG_STCE
  csrs menvcfg, t0
  li t0, -1
  csrw stimecmp, t0
  li t0, 7
  csrw mcounteren, t0
  csrw scounteren, t0
  li t0, S_INTS
  csrw mideleg, t0
  li s0, 0                      /* pass number: 0 cold, then HOT hot passes */

again:
  li t0, 1 << CAUSE_ECALL_U
  csrw medeleg, t0
  EXPECT_MTRAP(back_in_m)
  GOTO_S(s_body)

back_in_m:
  /* The ecall at the end of s_body (or a failure recorded as an M trap) lands here. */
  CHECK(s2, CAUSE_ECALL_S)

  TEST_CASE(9)
  csrw medeleg, zero
  li s8, 0
  EXPECT_MTRAP(1f)
  GOTO_U(u_ecall_m)
1:
  CHECK(s2, CAUSE_ECALL_U)
  CHECK_ADDR(s3, u_ecall_m)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)
  CHECK(s8, 0)                  /* S saw nothing */

  TEST_CASE(10)
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(s_tsr)
1:
  EXPECT_ILLEGAL_AT(s_tsr)
  li t0, MSTATUS_TSR
  csrc mstatus, t0
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(s_tvm)
1:
  EXPECT_ILLEGAL_AT(s_tvm)
  li t0, MSTATUS_TVM
  csrc mstatus, t0

  addi s0, s0, 1
  li t0, HOT
  ble s0, t0, again
  PASS

/* M-mode continuations after an expected trap from S or U: back to S. */
time_write_trapped:
  EXPECT_ILLEGAL_AT(time_write)
  EXPECT_MTRAP(back_in_m)
  GOTO_S(time_write_s)
u_time_trapped:
  EXPECT_ILLEGAL_AT(u_time)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)
  EXPECT_MTRAP(back_in_m)
  GOTO_S(u_time_s)

/* ---------------------------------------------------------------- S-mode */
s_body:
  TEST_CASE(1)
  csrw sie, zero
  csrr a1, sie
  CHECK(a1, 0)
  li a0, -1
  csrrw a1, sie, a0
  CHECK(a1, 0)
  csrr a1, sie
  CHECK(a1, S_INTS)             /* SSIE STIE SEIE: M-level enables stay out of view */
  li a2, MIP_STIP
  csrrc a1, sie, a2
  CHECK(a1, S_INTS)
  csrr a1, sie
  CHECK(a1, MIP_SSIP | MIP_SEIP)
  csrrci a1, sie, MIP_SSIP
  CHECK(a1, MIP_SSIP | MIP_SEIP)
  csrrsi a1, sie, 0x1f          /* of 0x1f only SSIE is an S-level bit */
  CHECK(a1, MIP_SEIP)
  csrrs a1, sie, x0             /* rs1 = x0: a read, no write */
  CHECK(a1, MIP_SSIP | MIP_SEIP)
  csrrw x0, sie, zero           /* rd = x0: a write, no read */
  csrrci a1, sie, 0             /* uimm = 0: a read */
  CHECK(a1, 0)
  csrrwi a1, sie, MIP_SSIP
  CHECK(a1, 0)
  csrr a1, sie
  CHECK(a1, MIP_SSIP)
  csrw sie, zero

  TEST_CASE(2)                  /* SIE = 0 and sie = 0: nothing is taken */
  csrr a1, sip
  CHECK(a1, 0)
  csrrsi a1, sip, MIP_SSIP
  CHECK(a1, 0)
  csrr a1, sip
  CHECK(a1, MIP_SSIP)
  csrrci a1, sip, MIP_SSIP
  CHECK(a1, MIP_SSIP)
  csrrs a1, sip, x0
  CHECK(a1, 0)
  li a0, MIP_STIP | MIP_SSIP
  csrrs a1, sip, a0
  CHECK(a1, 0)
  csrr a1, sip
  CHECK(a1, MIP_SSIP)           /* STIP is not writable in sip */
  csrrc x0, sip, a0
  csrrci a1, sip, 0
  CHECK(a1, 0)
  csrrw a1, sip, a0
  CHECK(a1, 0)
  csrrwi a1, sip, 0
  CHECK(a1, MIP_SSIP)
  csrr a1, sip
  CHECK(a1, 0)

  TEST_CASE(3)
  /* Sv39 with RAM identity-mapped (S only), so the code goes on where it is. */
  SATP_SV39_OF(a0, root)
  csrw satp, a0
  sfence.vma
  csrr a1, satp
  bne a1, a0, fail_test
  csrrs a1, satp, x0
  bne a1, a0, fail_test
  csrrci a1, satp, 0
  bne a1, a0, fail_test
  csrw satp, zero
  sfence.vma
  csrrsi a1, satp, 0
  CHECK(a1, 0)

  TEST_CASE(4)
  rdtime a1
  li a3, 100
1:
  rdtime a2
  bltu a2, a1, fail_test
  mv a1, a2
  addi a3, a3, -1
  bnez a3, 1b
  csrrs a2, time, x0
  bltu a2, a1, fail_test
  EXPECT_MTRAP(time_write_trapped)
time_write:
  csrrw x0, time, zero          /* read-only: illegal (taken by M) */
  FAIL
time_write_s:

  TEST_CASE(5)
  li a0, MIP_STIP
  rdtime a1
  li t0, 1 << 40
  add a1, a1, t0                /* far in the future */
  csrw stimecmp, a1
  csrr a2, stimecmp
  bne a2, a1, fail_test
  csrr a2, sip
  CHECK_MASKED(a2, MIP_STIP, 0)
  csrrw a2, stimecmp, zero      /* in the past: STIP at once */
  bne a2, a1, fail_test
  csrr a2, sip
  CHECK_MASKED(a2, MIP_STIP, MIP_STIP)
  csrw stimecmp, a1
  csrr a2, sip
  CHECK_MASKED(a2, MIP_STIP, 0)
  csrs sie, a0
  csrsi sstatus, MSTATUS_SIE    /* nothing pending */
  EXPECT_STRAP(sti_taken)
  csrrw x0, stimecmp, zero      /* taken before the next instruction */
sti_after:
  FAIL
sti_taken:
  CHECK(s8, INTR | IRQ_STI)
  CHECK_ADDR(s9, sti_after)
  CHECK_MASKED(s11, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SPIE | MSTATUS_SPP)
  li t0, -1
  csrw stimecmp, t0
  csrr a2, sip
  CHECK_MASKED(a2, MIP_STIP, 0)
  csrw sie, zero

  TEST_CASE(6)
  rdtime s3
  li s4, SYSCALLS
syscall_loop:
  EXPECT_STRAP(syscall_back)
  SRET_TO(u_syscall, 0, MSTATUS_SPIE)  /* U-mode with SIE = 1 */
syscall_back:
  CHECK(s8, CAUSE_ECALL_U)
  CHECK_ADDR(s9, u_ecall)
  CHECK(s10, 0)
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE)
  CHECK(a7, 64)
  bltu a3, s3, fail_test        /* U-mode's time did not go back */
  mv s3, a3
  addi s4, s4, -1
  bnez s4, syscall_loop
  /* SIE = 0 in U-mode: SPIE = 0 after the trap */
  EXPECT_STRAP(1f)
  SRET_TO(u_syscall, 0, 0)
1:
  CHECK(s8, CAUSE_ECALL_U)
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, 0)
  /* Without scounteren.TM, U-mode's rdtime is illegal (not delegated: taken by M). */
  csrw scounteren, zero
  EXPECT_MTRAP(u_time_trapped)
  SRET_TO(u_time, 0, 0)
u_time_s:
  li t0, 7
  csrw scounteren, t0

  TEST_CASE(7)
  li s1, 0                      /* no S trap expected */
  SRET_TO(s_target, MSTATUS_SPP, 0)
s_target:
  csrr a1, sstatus              /* S-mode: no trap */
  CHECK_MASKED(a1, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE)
  SRET_TO(s_target2, MSTATUS_SPP, MSTATUS_SPIE)
s_target2:
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE | MSTATUS_SIE)
  csrci sstatus, MSTATUS_SIE

  TEST_CASE(8)
  csrsi sie, MIP_SSIP
  csrsi sip, MIP_SSIP           /* pending, SIE = 0 */
  EXPECT_STRAP(ssi_s)
  SRET_TO(ssi_s_target, MSTATUS_SPP, MSTATUS_SPIE)  /* S with SIE = 1: taken at once */
ssi_s_target:
  FAIL
ssi_s:
  CHECK(s8, INTR | IRQ_SSI)
  CHECK_ADDR(s9, ssi_s_target)
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE)
  EXPECT_STRAP(ssi_u)
  SRET_TO(ssi_u_target, 0, 0)   /* U: S-level interrupts are always enabled there */
ssi_u_target:
  FAIL
ssi_u:
  CHECK(s8, INTR | IRQ_SSI)
  CHECK_ADDR(s9, ssi_u_target)
  CHECK_MASKED(s11, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, 0)
  csrci sip, MIP_SSIP
  csrw sie, zero
  ecall                         /* back to M */

s_tsr:
  sret                          /* TSR = 1: illegal */
  FAIL
s_tvm:
  csrr a0, satp                 /* TVM = 1: illegal */
  FAIL

/* ---------------------------------------------------------------- U-mode */
u_syscall:
  rdtime a3
  li a7, 64
u_ecall:
  ecall
  FAIL
u_time:
  rdtime a3
  FAIL
u_ecall_m:
  ecall
  FAIL
TEST_END

.data
.align 12
/* Sv39 root: index 2 (0x80000000) RAM, S-mode only. */
root:
  .dword 0
  .dword 0
  .dword ((0x80000000 >> 12) << 10) | PTE_LEAF
  .zero 4096 - 24
