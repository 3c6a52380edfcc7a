/* Supervisor address translation (RISC-V Privileged ISA 20211203, 4.1.11 satp, 4.3
 * Sv32 algorithm as generalised by 4.4 Sv39, 4.5 Sv48, 4.6 Sv57; 3.1.6.3 MPRV/MXR/SUM).
 * Page tables are filled in at run time (the PPNs come from link addresses).
 *
 * Virtual layout (Sv39 root `root`):
 *   0x00000000-0x001fffff  4 KiB pages from table l0 (one per test case, below)
 *   0x00200000             2 MiB superpage -> PA 0x80000000
 *   0x00400000             2 MiB superpage, misaligned PPN -> page fault
 *   0x40000000             1 GiB U page -> PA 0x80000000 (U-mode runs the program here)
 *   0x80000000             1 GiB identity, S only (S-mode runs the program here)
 *   0xc0000000             1 GiB superpage, misaligned PPN -> page fault
 */
#include "test.h"
#include "priv.h"

#define UALIAS 0x40000000           /* U-mode VA = PA - UALIAS */
#define MAGIC_A 0x1111aaaa11110000
#define MAGIC_B 0x2222bbbb22220000
#define MAGIC_C 0x3333cccc33330000
#define RWXAD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RWAD  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

/* 4 KiB test pages (VA = index * 0x1000) */
#define VA_RW      0x1000   /* page_a RW */
#define VA_RO      0x2000   /* page_a R */
#define VA_XO      0x3000   /* page_a X only */
#define VA_WO      0x4000   /* page_a W only: reserved encoding */
#define VA_INV     0x5000   /* V = 0 */
#define VA_USER    0x6000   /* page_b RW U */
#define VA_ACC     0x8000   /* page_c RW, A = D = 0 */
#define VA_DIRTY   0x9000   /* page_d RW, A = D = 0 */
#define VA_SCODE   0xa000   /* page_code X */
#define VA_UCODE   0xb000   /* page_code X U */
#define VA_REMAP   0xc000   /* page_a, later page_b */
#define VA_NOLEAF  0xd000   /* pointer PTE at the last level */


/* mret to U-mode at the U alias of label */
#define GOTO_U_ALIAS(label)         \
  li t0, MSTATUS_MPP;               \
  csrc mstatus, t0;                 \
  la t0, label;                     \
  li t1, UALIAS;                    \
  sub t0, t0, t1;                   \
  csrw mepc, t0;                    \
  mret

/* mret to mode mpp at a fixed virtual address */
#define GOTO_VA(mpp, va)            \
  li t0, MSTATUS_MPP;               \
  csrc mstatus, t0;                 \
  li t0, mpp;                       \
  csrs mstatus, t0;                 \
  li t0, va;                        \
  csrw mepc, t0;                    \
  mret

#define CHECK_UADDR(reg, label)     \
  la t6, label;                     \
  li t5, UALIAS;                    \
  sub t6, t6, t5;                   \
  bne reg, t6, fail_test

#define CHECK_PTE_AD(index, value)  \
  la t0, l0;                        \
  ld t1, (index * 8)(t0);           \
  CHECK_MASKED(t1, PTE_A | PTE_D, value)

TEST_BEGIN
  PRIV_INIT
  jal ra, build_tables

  /* ---- satp is WARL per MODE: a write with an unsupported MODE has no effect at all
   * (4.1.11). QEMU 7.2 supports Sv39, Sv48 and Sv57; 11 (Sv64) and 1-7 are reserved. */
  TEST_CASE(1)
  la t0, root
  srli t0, t0, 12
  li t1, SATP_SV39
  or s0, t0, t1         /* s0 = the Sv39 satp value for the rest of the program */
  csrw satp, s0
  csrr t2, satp
  bne t2, s0, fail_test
  li t1, 11 << 60
  or t1, t0, t1
  csrw satp, t1
  csrr t2, satp
  bne t2, s0, fail_test
  li t1, 1 << 60
  or t1, t0, t1
  csrw satp, t1
  csrr t2, satp
  bne t2, s0, fail_test
  la t0, root48
  srli t0, t0, 12
  li t1, SATP_SV48
  or t1, t0, t1
  csrw satp, t1
  csrr t2, satp
  bne t2, t1, fail_test
  la t0, root57
  srli t0, t0, 12
  li t1, SATP_SV57
  or t1, t0, t1
  csrw satp, t1
  csrr t2, satp
  bne t2, t1, fail_test
  csrw satp, zero
  csrr t2, satp
  CHECK(t2, 0)
  csrw satp, s0
  sfence.vma

  /* ---- S-mode under Sv39: identity gigapage, 4 KiB page, store seen through both */
  TEST_CASE(2)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, page_a
  ld a0, 0(t0)
  li t0, VA_RW
  ld a1, 0(t0)
  li t2, 0x5555
  sd t2, 8(t0)
  la t0, page_a
  ld a2, 8(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, MAGIC_A)
  CHECK(a1, MAGIC_A)
  CHECK(a2, 0x5555)

  /* ---- 2 MiB superpage (level-1 leaf) */
  TEST_CASE(3)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, page_b
  li t1, 0x80000000 - 0x200000
  sub t0, t0, t1
  ld a0, 0(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, MAGIC_B)

  /* ---- misaligned superpages: a leaf above level 0 with PPN[i-1:0] != 0 faults
   * (4.3.2 step 6); stval/mtval = the virtual address (4.1.9) */
  TEST_CASE(4)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, 0x400008
vm_mis2m:
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK_ADDR(s3, vm_mis2m)
  CHECK(s4, 0x400008)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, 0xc0000010
  sd a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, 0xc0000010)

  /* ---- read-only page: loads work, stores fault with 15 */
  TEST_CASE(5)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_RO
  ld a0, 0(t0)
vm_ro_store:
  sd a0, 8(t0)
  FAIL
1:
  CHECK(a0, MAGIC_A)
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK_ADDR(s3, vm_ro_store)
  CHECK(s4, VA_RO + 8)
  /* an AMO needs W as well: store/AMO page fault */
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_RO + 0x20
vm_ro_amo:
  amoadd.w a1, a0, (t0)
  FAIL
1:
  CHECK_AMO_CAUSE(s2, CAUSE_STORE_PAGE, CAUSE_LOAD_PAGE)
  CHECK_ADDR(s3, vm_ro_amo)
  CHECK(s4, VA_RO + 0x20)

  /* ---- execute-only page: loads fault unless MXR (3.1.6.3) */
  TEST_CASE(6)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_XO
vm_xo_load:
  ld a0, 0x10(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK_ADDR(s3, vm_xo_load)
  CHECK(s4, VA_XO + 0x10)
  li t0, MSTATUS_MXR
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_XO
  ld a0, 0(t0)
  sd a0, 0(t0)          /* MXR does not help stores */
  FAIL
1:
  CHECK(a0, MAGIC_A)
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, VA_XO)
  li t0, MSTATUS_MXR
  csrc mstatus, t0

  /* ---- W without R is reserved: any access faults (4.3.2 step 5) */
  TEST_CASE(7)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_WO
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, VA_WO)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_WO
  sd a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, VA_WO)

  /* ---- invalid PTE (V = 0): load, store and fetch page faults */
  TEST_CASE(8)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_INV
  lw a0, 4(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, VA_INV + 4)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_INV
  sb a0, 3(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, VA_INV + 3)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_INV + 0x40
  jalr t0
  FAIL
1:
  CHECK(s2, CAUSE_FETCH_PAGE)
  CHECK(s3, VA_INV + 0x40)
  CHECK(s4, VA_INV + 0x40)

  /* ---- fetch from a page without X: instruction page fault, epc = tval = target */
  TEST_CASE(9)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_RW
  jr t0
  FAIL
1:
  CHECK(s2, CAUSE_FETCH_PAGE)
  CHECK(s3, VA_RW)
  CHECK(s4, VA_RW)

  /* ---- S runs an X-only supervisor page */
  TEST_CASE(10)
  li a0, 0
  EXPECT_MTRAP(1f)
  GOTO_VA(MPP_S, VA_SCODE)
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(s3, VA_SCODE + 4)
  CHECK(a0, 0x123)

  /* ---- S never executes from a U page, SUM or not (4.3.1, U bit) */
  TEST_CASE(11)
  EXPECT_MTRAP(1f)
  GOTO_VA(MPP_S, VA_UCODE)
1:
  CHECK(s2, CAUSE_FETCH_PAGE)
  CHECK(s3, VA_UCODE)
  CHECK(s4, VA_UCODE)
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_VA(MPP_S, VA_UCODE)
1:
  CHECK(s2, CAUSE_FETCH_PAGE)
  CHECK(s4, VA_UCODE)
  li t0, MSTATUS_SUM
  csrc mstatus, t0

  /* ---- U runs a U page, but not a supervisor page */
  TEST_CASE(12)
  li a0, 0
  EXPECT_MTRAP(1f)
  GOTO_VA(MPP_U, VA_UCODE)
1:
  CHECK(s2, CAUSE_ECALL_U)
  CHECK(s3, VA_UCODE + 4)
  CHECK(a0, 0x123)
  EXPECT_MTRAP(1f)
  GOTO_VA(MPP_U, VA_SCODE)
1:
  CHECK(s2, CAUSE_FETCH_PAGE)
  CHECK(s3, VA_SCODE)
  CHECK(s4, VA_SCODE)

  /* ---- U data accesses: U pages only (4.3.2 step 5) */
  TEST_CASE(13)
  EXPECT_MTRAP(1f)
  GOTO_U_ALIAS(2f)
2:
  li t0, VA_USER
  ld a0, 0(t0)
  li t0, VA_RW
vm_u_load:
  ld a1, 0(t0)
  FAIL
1:
  CHECK(a0, MAGIC_B)
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK_UADDR(s3, vm_u_load)
  CHECK(s4, VA_RW)
  EXPECT_MTRAP(1f)
  GOTO_U_ALIAS(2f)
2:
  li t0, VA_RW
vm_u_store:
  sd a1, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK_UADDR(s3, vm_u_store)
  CHECK(s4, VA_RW)

  /* ---- S data accesses to U pages need SUM (3.1.6.3) */
  TEST_CASE(14)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_USER
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, VA_USER)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_USER
  sd a0, 8(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, VA_USER + 8)
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_USER
  ld a0, 0(t0)
  li t1, 0x77
  sd t1, 8(t0)
  ld a1, 8(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, MAGIC_B)
  CHECK(a1, 0x77)
  li t0, MSTATUS_SUM
  csrc mstatus, t0

  /* ---- Sv39 VAs must have bits 63:39 equal to bit 38 (4.4.1) */
  TEST_CASE(15)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, 0x4000000000
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, 0x4000000000)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, 0x8000001000
  sd a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, 0x8000001000)

  /* ---- a pointer PTE at the last level is a page fault (4.3.2 step 4) */
  TEST_CASE(16)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_NOLEAF
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, VA_NOLEAF)

  /* ---- A/D bits (4.3.1): QEMU 7.2 (like Hartwood) updates them in hardware
   * (the other permitted choice is a page fault). A load sets A only. */
  TEST_CASE(17)
  CHECK_PTE_AD(8, 0)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_ACC
  ld a0, 0(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_PTE_AD(8, PTE_A)

  /* a store sets A and D; on an A=1 D=0 page it sets D */
  TEST_CASE(18)
  CHECK_PTE_AD(9, 0)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_DIRTY
  sd zero, 0(t0)
  li t0, VA_ACC
  sw zero, 8(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK_PTE_AD(9, PTE_A | PTE_D)
  CHECK_PTE_AD(8, PTE_A | PTE_D)

  /* ---- MPRV = 1: M-mode loads and stores translate and are checked as MPP
   * (3.1.6.3); fetches do not (this code keeps running from physical addresses). */
  TEST_CASE(19)
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPRV | MPP_S
  csrs mstatus, t0
  li t0, VA_RW
  ld a0, 0(t0)
  li t1, 0x99
  sd t1, 16(t0)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  CHECK(a0, MAGIC_A)
  la t0, page_a
  ld t1, 16(t0)
  CHECK(t1, 0x99)

  /* MPRV with MPP = S: a fault is a page fault taken in M, tval = the VA */
  TEST_CASE(20)
  li t0, MSTATUS_MPRV | MPP_S
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  li t0, VA_INV
vm_mprv_fault:
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK_ADDR(s3, vm_mprv_fault)
  CHECK(s4, VA_INV)
  CHECK_MASKED(s5, MSTATUS_MPP | MSTATUS_MPRV, MPP_M | MSTATUS_MPRV)
  /* MPP is now M after the trap: accesses are physical again */
  la t0, page_a
  ld a0, 0(t0)
  CHECK(a0, MAGIC_A)
  /* MPRV with MPP = S honours SUM */
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MPP_S
  csrs mstatus, t0
  EXPECT_MTRAP(1f)
  li t0, VA_USER
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, VA_USER)
  /* MPRV with MPP = U: U pages only */
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, VA_USER
  ld a0, 0(t0)
  CHECK(a0, MAGIC_B)
  EXPECT_MTRAP(1f)
  li t0, VA_RW
  sd a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_PAGE)
  CHECK(s4, VA_RW)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0

  /* ---- SFENCE.VMA makes a changed PTE visible (4.2.1) */
  TEST_CASE(21)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_REMAP
  ld a0, 0(t0)
  ecall
1:
  CHECK(a0, MAGIC_A)
  SET_PTE(l0, 12, page_b, RWAD)
  sfence.vma
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_REMAP
  ld a0, 0(t0)
  /* S changes it back itself and fences just that address */
  la t1, l0
  ld t2, (12 * 8)(t1)
  li t3, 0x400          /* PPN + 1: page_b -> page_c */
  add t2, t2, t3
  sd t2, (12 * 8)(t1)
  sfence.vma t0
  ld a1, 0(t0)
  ecall
1:
  CHECK(a0, MAGIC_B)
  CHECK(a1, MAGIC_C)

  /* ---- a page fault from U delegated to S: scause/stval/sepc (4.1.9) */
  TEST_CASE(22)
  li t0, 1 << CAUSE_LOAD_PAGE
  csrw medeleg, t0
  la s1, 3f
  EXPECT_MTRAP(1f)
  GOTO_U_ALIAS(2f)
2:
  li t0, VA_RW + 0x18
vm_u_deleg:
  ld a0, 0(t0)
  FAIL
3:              /* S-mode */
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(s8, CAUSE_LOAD_PAGE)
  CHECK_UADDR(s9, vm_u_deleg)
  CHECK(s10, VA_RW + 0x18)
  CHECK_MASKED(s11, MSTATUS_SPP, 0)
  csrw medeleg, zero

  /* ---- Sv48: one more level on top of the same tables; root48[1] aliases VA bit 39 */
  TEST_CASE(23)
  la t0, root48
  srli t0, t0, 12
  li t1, SATP_SV48
  or t1, t0, t1
  csrw satp, t1
  sfence.vma
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_RW
  ld a0, 0(t0)
  li t0, 0x8000000000 + VA_RW
  ld a1, 0(t0)
  la t0, page_b         /* still running through the identity gigapage */
  ld a2, 0(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, MAGIC_A)
  CHECK(a1, MAGIC_A)
  CHECK(a2, MAGIC_B)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, 0x800000000000 /* bit 47 set, 63:48 clear: not canonical for Sv48 */
  ld a0, 0(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_PAGE)
  CHECK(s4, 0x800000000000)

  /* ---- Sv57 */
  TEST_CASE(24)
  la t0, root57
  srli t0, t0, 12
  li t1, SATP_SV57
  or t1, t0, t1
  csrw satp, t1
  sfence.vma
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t0, VA_RW
  ld a0, 0(t0)
  li t0, 0x1000000000000 + 0x8000000000 + VA_RW
  ld a1, 0(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, MAGIC_A)
  CHECK(a1, MAGIC_A)
  csrw satp, s0
  sfence.vma

  PASS

build_tables:
  SET_PTE(root, 0, l1, PTE_V)
  SET_PTE_PA(root, 1, 0x80000000, RWXAD | PTE_U)
  SET_PTE_PA(root, 2, 0x80000000, RWXAD)
  SET_PTE_PA(root, 3, 0x80200000, RWAD)          /* PPN[0] = 0x200 != 0 */
  SET_PTE(l1, 0, l0, PTE_V)
  SET_PTE_PA(l1, 1, 0x80000000, RWAD)
  SET_PTE_PA(l1, 2, 0x80001000, RWAD)            /* PPN[0] = 1 != 0 */
  SET_PTE(l0, 1, page_a, RWAD)
  SET_PTE(l0, 2, page_a, PTE_V | PTE_R | PTE_A)
  SET_PTE(l0, 3, page_a, PTE_V | PTE_X | PTE_A)
  SET_PTE(l0, 4, page_a, PTE_V | PTE_W | PTE_A | PTE_D)
  SET_PTE(l0, 5, page_a, PTE_R | PTE_W | PTE_A | PTE_D)
  SET_PTE(l0, 6, page_b, RWAD | PTE_U)
  SET_PTE(l0, 8, page_c, PTE_V | PTE_R | PTE_W)
  SET_PTE(l0, 9, page_d, PTE_V | PTE_R | PTE_W)
  SET_PTE(l0, 10, page_code, PTE_V | PTE_X | PTE_A)
  SET_PTE(l0, 11, page_code, PTE_V | PTE_X | PTE_U | PTE_A)
  SET_PTE(l0, 12, page_a, RWAD)
  SET_PTE(l0, 13, page_a, PTE_V)
  SET_PTE(root48, 0, root, PTE_V)
  SET_PTE(root48, 1, root, PTE_V)
  SET_PTE(root57, 0, root48, PTE_V)
  SET_PTE(root57, 1, root48, PTE_V)
  ret

/* run from VA_SCODE (S) and VA_UCODE (U) */
.balign 4096
page_code:
  .option push
  .option norvc
  addi a0, zero, 0x123
  ecall
  .option pop

TEST_END

.data
.balign 4096
root:   .fill 512, 8, 0
l1:     .fill 512, 8, 0
l0:     .fill 512, 8, 0
root48: .fill 512, 8, 0
root57: .fill 512, 8, 0
page_a: .dword MAGIC_A
        .fill 511, 8, 0
page_b: .dword MAGIC_B
        .fill 511, 8, 0
page_c: .dword MAGIC_C
        .fill 511, 8, 0
page_d: .fill 512, 8, 0
