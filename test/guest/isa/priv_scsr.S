/* The supervisor CSRs as S-mode code uses them (RISC-V Privileged ISA 20211203: 4.1.1 sstatus,
 * 4.1.3 sie/sip, 4.1.6-4.1.9 sscratch, sepc, scause, stval; Zicsr 9.1), every access made
 * in S-mode, where Hartwood serves them in wasm rather than in its host helper. The same
 * checks run cold and then again in a loop hot enough to be translated.
 *
 *   1  sscratch: every form of csrrw/csrrs/csrrc and the immediate forms; x0 as rs1 or rd
 *   2  sepc bit 0 is always zero (spec-strict build); scause and stval hold what is written
 *   3  sstatus: SIE, SPIE, SPP, SUM written and read back; M-only bits stay out of view
 *   4  FS and SD: an FP write makes FS Dirty and sets SD; FS = Off makes FP illegal
 *   5  SUM under Sv39: S-mode loads from a user page fault with SUM = 0 and work with
 *      SUM = 1, toggled in a loop; one load site that worked with SUM = 1 faults once a
 *      csrc in its loop clears SUM
 *   6  enabling SIE with a delegated interrupt pending takes it before the next instruction
 */
#include "test.h"
#include "priv.h"

#define HOT 300
#define PTE_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define PTE_ULEAF (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
/* The user alias of the RAM gigapage: VA 0x40000000 maps PA 0x80000000 with U = 1. */
#define UALIAS(reg, label) la reg, label; li t6, 0x40000000; sub reg, reg, t6

TEST_BEGIN
  PRIV_INIT
  /* FS = Initial: FP usable. */
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, (1 << 13)
  csrs mstatus, t0
  li s0, 0                      /* pass number: 0 cold, then HOT hot passes */

again:
  EXPECT_MTRAP(back_in_m)
  GOTO_S(s_body)

back_in_m:
  /* The ecall at the end of s_body (or a failure recorded as an M trap) lands here. */
  CHECK(s2, CAUSE_ECALL_S)
  addi s0, s0, 1
  li t0, HOT
  ble s0, t0, again
  PASS

/* ---------------------------------------------------------------- S-mode */
s_body:
  TEST_CASE(1)
  li a0, 0x123456789abcdef0
  csrw sscratch, a0
  csrr a1, sscratch
  CHECK(a1, 0x123456789abcdef0)
  li a2, 0x100
  csrrs a3, sscratch, a2        /* old value, then set bits */
  CHECK(a3, 0x123456789abcdef0)
  csrr a1, sscratch
  CHECK(a1, 0x123456789abcdff0)
  csrrc a3, sscratch, a2
  CHECK(a3, 0x123456789abcdff0)
  csrr a1, sscratch
  CHECK(a1, 0x123456789abcdef0)
  csrrsi a3, sscratch, 0x1f
  CHECK(a3, 0x123456789abcdef0)
  csrrci a3, sscratch, 0x3
  CHECK(a3, 0x123456789abcdeff)
  csrrwi a3, sscratch, 7
  CHECK(a3, 0x123456789abcdefc)
  csrrs a3, sscratch, x0        /* rs1 = x0: a read, no write */
  CHECK(a3, 7)
  csrrw x0, sscratch, a0        /* rd = x0: a write, no read */
  csrrci a3, sscratch, 0        /* uimm = 0: a read */
  CHECK(a3, 0x123456789abcdef0)

  TEST_CASE(2)
#ifdef SPEC_STRICT
  /* QEMU 7.2 stores and returns bit 0 as written (see priv_csr.S) */
  li a0, 0x8000000000001235
  csrw sepc, a0
  csrr a1, sepc
  CHECK(a1, 0x8000000000001234)
  csrsi sepc, 1
  csrr a1, sepc
  CHECK(a1, 0x8000000000001234)
#endif
  li a0, 0x8000000000001236
  csrrw a1, sepc, a0
  csrr a1, sepc
  CHECK(a1, 0x8000000000001236)
  li a0, 0x8000000000000009
  csrw scause, a0
  csrr a1, scause
  CHECK(a1, 0x8000000000000009)
  csrwi scause, 13
  csrr a1, scause
  CHECK(a1, 13)
  li a0, 0xfedcba9876543210
  csrrw a1, stval, a0
  csrr a1, stval
  CHECK(a1, 0xfedcba9876543210)

  TEST_CASE(3)
  li a0, MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM
  csrs sstatus, a0
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR, \
               MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM)
  CHECK_MASKED(a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM, 0)
  CHECK_MASKED(a1, (3 << 32), (2 << 32))  /* UXL = 64 */
  csrrc a2, sstatus, a0
  bne a2, a1, fail_test
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM, 0)
  li a0, MSTATUS_MIE | MSTATUS_MPRV | MSTATUS_TSR  /* not in sstatus: ignored */
  csrs sstatus, a0
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_MIE | MSTATUS_MPRV | MSTATUS_TSR, 0)
  csrrsi a2, sstatus, MSTATUS_SIE   /* nothing pending: no trap */
  csrrci a2, sstatus, MSTATUS_SIE
  CHECK_MASKED(a2, MSTATUS_SIE, MSTATUS_SIE)
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_SIE, 0)

  TEST_CASE(4)
  li a0, 0x4010000000000000
  fmv.d.x f1, a0                 /* an FP write: FS = Dirty */
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_FS | MSTATUS_SD, MSTATUS_FS | MSTATUS_SD)
  li a0, MSTATUS_FS
  csrc sstatus, a0               /* FS = Off */
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_FS | MSTATUS_SD, 0)
  EXPECT_MTRAP(fp_off_trapped)
fp_off:
  fmv.x.d a2, f1                 /* FP with FS = Off: illegal (taken by M) */
  FAIL
fp_off_trapped_s:
  li a0, (1 << 13)
  csrs sstatus, a0               /* FS = Initial again */
  fmv.x.d a2, f1
  CHECK(a2, 0x4010000000000000)
  csrr a1, sstatus
  CHECK_MASKED(a1, MSTATUS_FS | MSTATUS_SD, (1 << 13))

  TEST_CASE(5)
  /* Sv39: RAM identity-mapped (S only), and its user alias at 0x40000000. */
  SATP_SV39_OF(a0, root)
  csrw satp, a0
  sfence.vma
  UALIAS(a3, udata)
  li a4, 20                      /* SUM toggled back and forth */
sum_loop:
  li a0, MSTATUS_SUM
  csrs sstatus, a0
  ld a1, 0(a3)
  CHECK(a1, 0x5eed5eed5eed5eed)
  addi a1, a1, 1
  sd a1, 8(a3)                   /* a store through the user alias */
  la a2, udata
  ld a2, 8(a2)
  CHECK(a2, 0x5eed5eed5eed5eee)
  csrc sstatus, a0
  addi a4, a4, -1
  bnez a4, sum_loop
  EXPECT_MTRAP(sum_off_trapped)
  li a4, 50
  csrs sstatus, a0
sum_off:
  ld a1, 0(a3)                   /* one load site: it works while SUM = 1, and once a CSR */
  addi a4, a4, -1                /* write in the same loop has cleared SUM it must take a */
  bnez a4, sum_off               /* load page fault (taken by M), whatever the site hit before */
  csrc sstatus, a0
  j sum_off
sum_off_trapped_s:
  csrw satp, zero
  sfence.vma

  TEST_CASE(6)
  /* mideleg/mie were set by M before entry (see sum_off_trapped): SSI goes to S. */
  EXPECT_STRAP(ssi_taken)
  csrsi sip, MIP_SSIP            /* pending, but SIE = 0 */
  nop
  csrrsi x0, sstatus, MSTATUS_SIE  /* taken here, before the next instruction */
ssi_after:
  FAIL
ssi_taken:
  CHECK(s8, INTR | IRQ_SSI)
  CHECK_ADDR(s9, ssi_after)
  CHECK_MASKED(s11, MSTATUS_SIE | MSTATUS_SPIE, MSTATUS_SPIE)
  csrci sip, MIP_SSIP
  csrsi sstatus, MSTATUS_SIE     /* nothing pending now */
  li a0, MSTATUS_SIE
  EXPECT_STRAP(ssi_taken2)
  csrsi sip, MIP_SSIP            /* SIE = 1: taken at once */
ssi_after2:
  FAIL
ssi_taken2:
  CHECK(s8, INTR | IRQ_SSI)
  CHECK_ADDR(s9, ssi_after2)
  csrci sip, MIP_SSIP
  csrc sstatus, a0
  ecall

/* ---------------------------------------------------------------- M-mode returns */
fp_off_trapped:
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, fp_off)
  EXPECT_MTRAP(back_in_m)
  GOTO_S(fp_off_trapped_s)

sum_off_trapped:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK_ADDR(s3, sum_off)
  CHECK(a4, 0)                   /* at the first load after SUM was cleared */
  li t0, MIP_SSIP
  csrw mideleg, t0
  csrw mie, t0
  EXPECT_MTRAP(back_in_m)
  GOTO_S(sum_off_trapped_s)
TEST_END

.data
.align 12
/* Sv39 root: index 1 (VA 0x40000000) the user alias of RAM, index 2 (0x80000000) RAM. */
root:
  .dword 0
  .dword ((0x80000000 >> 12) << 10) | PTE_ULEAF
  .dword ((0x80000000 >> 12) << 10) | PTE_LEAF
  .zero 4096 - 24
udata:
  .dword 0x5eed5eed5eed5eed
  .dword 0
