/* Address spaces and targeted fences (RISC-V Privileged ISA 20211203, 4.1.11 satp ASID,
 * 4.2.1 SFENCE.VMA). Two Sv39 address spaces (ASID 1 and 2) map the same virtual pages to
 * different physical pages; satp switches between them without a fence, and PTE changes
 * become visible after a fence naming the address, the ASID, both, or neither. Only what the
 * spec guarantees is checked, so a TLB that keeps each address space's entries (Hartwood)
 * and one that forgets everything at every satp write (QEMU) must both pass.
 *
 * Data accesses run in M-mode with MPRV = 1 and MPP = S, so they are translated as S-mode
 * accesses while fetches are not. Virtual layout in both spaces:
 *   0x1000            4 KiB page: page_a (space A) or page_b (space B)
 *   0x2000            4 KiB page: page_c, both spaces (remapped to page_d by the test)
 *   0x200000          2 MiB superpage -> PA SUPER_1 (remapped to SUPER_2)
 */
#include "test.h"
#include "priv.h"

#define RWAD  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define SUPER_1 0x80200000
#define SUPER_2 0x80400000
#define MAGIC_A 0xaaaa0001
#define MAGIC_B 0xbbbb0002
#define MAGIC_C 0xcccc0003
#define MAGIC_D 0xdddd0004
#define MAGIC_S1 0x51510005
#define MAGIC_S2 0x52520006

/* reg = the word at virtual va, read as an S-mode access (MPRV). Clobbers t0. */
#define LOADV(reg, va)              \
  li t0, MSTATUS_MPRV;              \
  csrs mstatus, t0;                 \
  li reg, va;                       \
  lwu reg, 0(reg);                  \
  li t0, MSTATUS_MPRV;              \
  csrc mstatus, t0

/* satp = Sv39, ASID asid, root at label. Clobbers t0, t1. */
#define SATP(label, asid)           \
  la t0, label;                     \
  srli t0, t0, 12;                  \
  li t1, SATP_SV39 | (asid << 44);  \
  or t0, t0, t1;                    \
  csrw satp, t0

/* table[index] = a leaf PTE for the physical address in t0 (RWAD). Clobbers t0, t1. */
#define STORE_LEAF(table, index)    \
  srli t0, t0, 12;                  \
  slli t0, t0, 10;                  \
  ori t0, t0, RWAD;                 \
  la t1, table;                     \
  sd t0, (index * 8)(t1)

/* The leaf PTE at table[index] maps physical address pa, or the page at label. */
#define SET_LEAF(table, index, pa)  \
  li t0, pa;                        \
  STORE_LEAF(table, index)
#define SET_LEAF_LABEL(table, index, label) \
  la t0, label;                     \
  STORE_LEAF(table, index)

/* table[index] points at the next-level table `next`. */
#define SET_PTR(table, index, next) \
  la t0, next;                      \
  srli t0, t0, 12;                  \
  slli t0, t0, 10;                  \
  ori t0, t0, PTE_V;                \
  la t1, table;                     \
  sd t0, (index * 8)(t1)

#define PUT(addr, value)            \
  li t0, addr;                      \
  li t1, value;                     \
  sw t1, 0(t0)

#define PUT_LABEL(label, value)     \
  la t0, label;                     \
  li t1, value;                     \
  sw t1, 0(t0)

TEST_BEGIN
  PRIV_INIT
  /* MPP = S for MPRV's data accesses. */
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MPP_S
  csrs mstatus, t0

  PUT_LABEL(page_a, MAGIC_A)
  PUT_LABEL(page_b, MAGIC_B)
  PUT_LABEL(page_c, MAGIC_C)
  PUT_LABEL(page_d, MAGIC_D)
  PUT(SUPER_1 + 0x1000, MAGIC_S1)
  PUT(SUPER_2 + 0x1000, MAGIC_S2)

  /* Space A: root_a -> l1_a -> l0_a; space B: root_b -> l1_b -> l0_b. */
  SET_PTR(root_a, 0, l1_a)
  SET_PTR(l1_a, 0, l0_a)
  SET_LEAF_LABEL(l0_a, 1, page_a)
  SET_LEAF_LABEL(l0_a, 2, page_c)
  SET_LEAF(l1_a, 1, SUPER_1)
  SET_PTR(root_b, 0, l1_b)
  SET_PTR(l1_b, 0, l0_b)
  SET_LEAF_LABEL(l0_b, 1, page_b)
  SET_LEAF_LABEL(l0_b, 2, page_c)
  sfence.vma

  /* ---- the same virtual page reads each space's own physical page, switching back and
   * forth without a fence (4.1.11: different roots, different translations) */
  TEST_CASE(1)
  SATP(root_a, 1)
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_A)
  SATP(root_b, 2)
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_B)
  SATP(root_a, 1)
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_A)
  SATP(root_b, 2)
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_B)

  /* ---- a PTE change in space A, then sfence.vma va, asid(A): A sees the new page */
  TEST_CASE(2)
  SATP(root_a, 1)
  LOADV(a0, 0x2000)
  CHECK(a0, MAGIC_C)
  SET_LEAF_LABEL(l0_a, 2, page_d)
  li a1, 0x2000
  li a2, 1
  sfence.vma a1, a2
  LOADV(a0, 0x2000)
  CHECK(a0, MAGIC_D)
  /* space B's own PTE still maps page_c */
  SATP(root_b, 2)
  LOADV(a0, 0x2000)
  CHECK(a0, MAGIC_C)

  /* ---- a PTE change in space B, then sfence.vma x0, asid(B): every address of B */
  TEST_CASE(3)
  SET_LEAF_LABEL(l0_b, 2, page_d)
  li a2, 2
  sfence.vma x0, a2
  LOADV(a0, 0x2000)
  CHECK(a0, MAGIC_D)

  /* ---- a PTE change, then sfence.vma va, x0: that address in every space */
  TEST_CASE(4)
  SATP(root_a, 1)
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_A)
  SET_LEAF_LABEL(l0_a, 1, page_b)
  li a1, 0x1000
  sfence.vma a1, x0
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_B)

  /* ---- a superpage remapped: sfence.vma of its first page reaches a cached translation of
   * another 4 KiB page inside it (4.2.1: the fence covers the leaf that maps the address) */
  TEST_CASE(5)
  LOADV(a0, 0x201000)
  CHECK(a0, MAGIC_S1)
  SET_LEAF(l1_a, 1, SUPER_2)
  li a1, 0x200000
  li a2, 1
  sfence.vma a1, a2
  LOADV(a0, 0x201000)
  CHECK(a0, MAGIC_S2)

  /* ---- a PTE change, then sfence.vma x0, x0 */
  TEST_CASE(6)
  SET_LEAF_LABEL(l0_a, 1, page_c)
  sfence.vma
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_C)

  /* ---- a fence for another ASID does not hide a change we did not fence: nothing to
   * check there (stale entries are allowed); but an unrelated fence must not lose the
   * current mapping either */
  TEST_CASE(7)
  li a2, 7
  sfence.vma x0, a2
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_C)
  li a1, 0x5000
  sfence.vma a1, x0
  LOADV(a0, 0x1000)
  CHECK(a0, MAGIC_C)

  csrw satp, zero
  PASS
TEST_END

.data
.align 12
root_a: .zero 4096
l1_a:   .zero 4096
l0_a:   .zero 4096
root_b: .zero 4096
l1_b:   .zero 4096
l0_b:   .zero 4096
page_a: .zero 4096
page_b: .zero 4096
page_c: .zero 4096
page_d: .zero 4096
