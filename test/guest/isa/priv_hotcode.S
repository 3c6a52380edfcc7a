/* Hot code whose meaning changes. A hart must run the code that is there now, whatever it
 * ran before (Unprivileged ISA 2.0 ch. 3 Zifencei; Privileged ISA 4.2.1 SFENCE.VMA, 4.1.11
 * satp). Every case calls a function 100 times in a loop, which is hot enough for Hartwood's
 * recompiler to have translated both the loop and the function, then changes the function:
 *   1-4  rewritten in place: with fence.i, with a plain store and no fence.i, with an AMO
 *        (QEMU, like Hartwood, notices stores to code it has translated);
 *   5-6  in S-mode under Sv39, the same virtual address mapped to other code: by a new satp,
 *        and by a changed PTE after sfence.vma.
 */
#include "test.h"
#include "priv.h"

#define ADDI_A0(imm) (((imm) << 20) | (10 << 15) | (10 << 7) | 0x13)
#define RET 0x00008067
#define VA_FN 0x1000
#define RXA (PTE_V | PTE_R | PTE_X | PTE_A)
#define RWXAD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* a0 = sum over i = 0..99 of fn(i), fn at the address in t3; clobbers ra, t4, s8, s9 */
#define HOT_CALLS                   \
  li s8, 0;                         \
  li s9, 0;                         \
9: mv a0, s9;                       \
  jalr ra, 0(t3);                   \
  add s8, s8, a0;                   \
  addi s9, s9, 1;                   \
  li t4, 100;                       \
  blt s9, t4, 9b;                   \
  mv a0, s8

/* fn = "addi a0, a0, imm; ret" at label, by plain stores */
#define WRITE_FN(label, imm)        \
  la t0, label;                     \
  li t1, ADDI_A0(imm);              \
  sw t1, 0(t0);                     \
  li t1, RET;                       \
  sw t1, 4(t0)


TEST_BEGIN
  PRIV_INIT

  /* ---- rewritten with fence.i in between: 4950 + 100 * imm */
  TEST_CASE(1)
  WRITE_FN(fn_rw, 7)
  fence.i
  la t3, fn_rw
  HOT_CALLS
  CHECK(a0, 5650)
  WRITE_FN(fn_rw, 9)
  fence.i
  HOT_CALLS
  CHECK(a0, 5850)

  /* ---- rewritten by plain stores, no fence.i */
  TEST_CASE(2)
  la t0, fn_rw
  li t1, ADDI_A0(11)
  sw t1, 0(t0)
  HOT_CALLS
  CHECK(a0, 6050)

  /* ---- rewritten by an AMO, no fence.i */
  TEST_CASE(3)
  la t0, fn_rw
  li t1, ADDI_A0(13)
  amoswap.w t2, t1, (t0)
  HOT_CALLS
  CHECK(a0, 6250)
  CHECK(t2, ADDI_A0(11))

  /* ---- the loop itself is rewritten: its increment changes from 1 to 2 */
  TEST_CASE(4)
  li a0, 0
  jal ra, count_loop
  CHECK(a0, 100)
  la t0, count_step
  li t1, (2 << 20) | (10 << 15) | (10 << 7) | 0x13    /* addi a0, a0, 2 */
  sw t1, 0(t0)
  fence.i
  li a0, 0
  jal ra, count_loop
  CHECK(a0, 200)

  /* ---- S-mode, Sv39: VA_FN is fn_a under root_a, fn_b under root_b; satp switches in S */
  TEST_CASE(5)
  jal ra, build_tables
  WRITE_FN(fn_a, 1)
  WRITE_FN(fn_b, 2)
  WRITE_FN(fn_c, 3)
  fence.i
  la t0, root_a
  srli t0, t0, 12
  li t1, SATP_SV39
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  la t0, root_b
  srli t0, t0, 12
  or s10, t0, t1         /* the satp of root_b */
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t3, VA_FN
  HOT_CALLS
  mv s11, a0
  csrw satp, s10
  sfence.vma
  HOT_CALLS
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(s11, 5050)
  CHECK(a0, 5150)

  /* ---- S-mode: the PTE of VA_FN in root_b changes to fn_c; sfence.vma makes it visible */
  TEST_CASE(6)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  li t3, VA_FN
  HOT_CALLS
  mv s11, a0
  SET_PTE(l0_b, 1, fn_c, RXA)
  sfence.vma
  HOT_CALLS
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(s11, 5150)
  CHECK(a0, 5250)
  csrw satp, zero
  sfence.vma
  PASS

/* a0 += 1 (the step, rewritten by case 4) 100 times */
count_loop:
  li t4, 100
1:
count_step:
  .option push
  .option norvc
  addi a0, a0, 1
  .option pop
  addi t4, t4, -1
  bnez t4, 1b
  ret

build_tables:
  SET_PTE(root_a, 0, l1_a, PTE_V)
  SET_PTE_PA(root_a, 2, 0x80000000, RWXAD)
  SET_PTE(l1_a, 0, l0_a, PTE_V)
  SET_PTE(l0_a, 1, fn_a, RXA)
  SET_PTE(root_b, 0, l1_b, PTE_V)
  SET_PTE_PA(root_b, 2, 0x80000000, RWXAD)
  SET_PTE(l1_b, 0, l0_b, PTE_V)
  SET_PTE(l0_b, 1, fn_b, RXA)
  ret

TEST_END

.data
.balign 4096
fn_rw:  .fill 1024, 4, 0
fn_a:   .fill 1024, 4, 0
fn_b:   .fill 1024, 4, 0
fn_c:   .fill 1024, 4, 0
root_a: .fill 512, 8, 0
l1_a:   .fill 512, 8, 0
l0_a:   .fill 512, 8, 0
root_b: .fill 512, 8, 0
l1_b:   .fill 512, 8, 0
l0_b:   .fill 512, 8, 0
