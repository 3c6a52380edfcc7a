/* Physical memory protection (RISC-V Privileged ISA 20211203, 3.7). Uses pmpcfg0 (entries
 * 0-7; an implementation has 0, 16 or 64) and a grain of 4 bytes (NA4 is tested).
 * Every change of the PMP CSRs is followed by SFENCE.VMA x0, x0 (3.7.2). */
#include "test.h"
#include "priv.h"

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_OFF 0x00
#define PMP_TOR 0x08
#define PMP_NA4 0x10
#define PMP_NAPOT 0x18
#define PMP_L 0x80
#define CFG(i, v) ((v) << (8 * (i)))
#define ALL_RWX (PMP_NAPOT | PMP_R | PMP_W | PMP_X)

/* pmpaddr value of a naturally aligned power-of-two region (size >= 8) at label+off */
#define NAPOT_ADDR(reg, label, off, size) \
  la reg, label + (off);            \
  srli reg, reg, 2;                 \
  ori reg, reg, ((size) / 8 - 1)

/* pmpaddr value for the plain address label+off (TOR bounds, NA4) */
#define PLAIN_ADDR(reg, label, off) \
  la reg, label + (off);            \
  srli reg, reg, 2

#define SET_CFG(value)              \
  li t0, value;                     \
  csrw pmpcfg0, t0;                 \
  sfence.vma

/* entry 0 = NAPOT of the 4 KiB pmp_page with perms, entry 1 = everything RWX */
#define PAGE_THEN_ALL(perms)        \
  NAPOT_ADDR(t0, pmp_page, 0, 4096); \
  csrw pmpaddr0, t0;                \
  li t0, -1;                        \
  csrw pmpaddr1, t0;                \
  SET_CFG(CFG(0, PMP_NAPOT | (perms)) | CFG(1, ALL_RWX))

TEST_BEGIN
  PRIV_INIT

  /* ---- the address registers hold what is written (WARL, grain 4 bytes here) */
  TEST_CASE(1)
  SET_CFG(0)
  PLAIN_ADDR(t1, pmp_page, 0x104)
  csrw pmpaddr2, t1
  csrr t2, pmpaddr2
  bne t1, t2, fail_test
  csrw pmpaddr3, t1
  csrr t2, pmpaddr3
  bne t1, t2, fail_test
  li t1, 0x0f0b090f0b090f0b   /* TOR with RWX / RX / RW: legal values read back */
  csrw pmpcfg0, t1
  csrr t2, pmpcfg0
  bne t1, t2, fail_test

  /* ---- no matching entry: S-mode has no access at all (3.7.1), not even to fetch */
  TEST_CASE(2)
  NAPOT_ADDR(t0, pmp_page, 0, 4096)
  csrw pmpaddr0, t0
  SET_CFG(CFG(0, PMP_NAPOT | PMP_R | PMP_W | PMP_X))
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  ecall
1:
  CHECK(s2, CAUSE_FETCH_ACCESS)
  CHECK_ADDR(s3, 2b)
  CHECK_ADDR(s4, 2b)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_S)
  la t0, pmp_page       /* M-mode: no entry matches -> allowed */
  ld t1, 0(t0)
  CHECK(t1, 0x1234)

  /* ---- NAPOT region with no permission: S loads/stores fault with the address */
  TEST_CASE(3)
  PAGE_THEN_ALL(0)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
pmp_ld_deny:
  ld a0, 0x10(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, pmp_ld_deny)
  CHECK_ADDR(s4, pmp_page + 0x10)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page + 0xffc
pmp_st_deny:
  sw a0, 0(t0)          /* last word of the region */
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s3, pmp_st_deny)
  CHECK_ADDR(s4, pmp_page + 0xffc)
  /* just past the region: entry 1 allows it */
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page2
  ld a0, 0(t0)
  sd a0, 8(t0)
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, 0x5678)
  /* unlocked entries do not apply to M-mode */
  la t0, pmp_page
  ld t1, 0(t0)
  CHECK(t1, 0x1234)
  sd t1, 8(t0)

  /* ---- read-only region: loads ok, stores and AMOs fault (AMOs need R and W) */
  TEST_CASE(4)
  PAGE_THEN_ALL(PMP_R)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
  ld a0, 0(t0)
  sd a0, 0x20(t0)
  FAIL
1:
  CHECK(a0, 0x1234)
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s4, pmp_page + 0x20)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
2:
  la t0, pmp_page
  amoadd.d a1, a0, (t0)
  FAIL
1:
  CHECK_AMO_CAUSE(s2, CAUSE_STORE_ACCESS, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s4, pmp_page)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_U)

  /* ---- X: fetch needs it (instruction access fault, tval = pc) */
  TEST_CASE(5)
  NAPOT_ADDR(t0, pmp_code, 0, 4096)
  csrw pmpaddr0, t0
  SET_CFG(CFG(0, PMP_NAPOT | PMP_R) | CFG(1, ALL_RWX))
  li a0, 0
  EXPECT_MTRAP(1f)
  GOTO_S(pmp_code)
1:
  CHECK(s2, CAUSE_FETCH_ACCESS)
  CHECK_ADDR(s3, pmp_code)
  CHECK_ADDR(s4, pmp_code)
  SET_CFG(CFG(0, PMP_NAPOT | PMP_X) | CFG(1, ALL_RWX))
  EXPECT_MTRAP(1f)
  GOTO_S(pmp_code)
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, 0x321)

  /* ---- NA4: exactly 4 bytes */
  TEST_CASE(6)
  PLAIN_ADDR(t0, pmp_page, 8)
  csrw pmpaddr0, t0
  li t0, -1
  csrw pmpaddr1, t0
  SET_CFG(CFG(0, PMP_NA4) | CFG(1, ALL_RWX))
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
  lw a0, 4(t0)
  lw a1, 12(t0)
  lw a2, 8(t0)
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s4, pmp_page + 8)

  /* an access only partly inside the matching (highest-priority) entry fails, whatever
   * that entry permits (3.7.1.3) */
  TEST_CASE(7)
  SET_CFG(CFG(0, PMP_NA4 | PMP_R | PMP_W) | CFG(1, ALL_RWX))
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
  lw a0, 8(t0)          /* fully inside: fine */
  ld a1, 0(t0)          /* bytes 0-7 vs region 8-11: no overlap, entry 1 */
pmp_partial:
  ld a2, 8(t0)          /* bytes 8-15: partial */
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, pmp_partial)

  /* ---- TOR: pmpaddr[i-1] <= a < pmpaddr[i] (3.7.1.1); entry 0 OFF supplies the base */
  TEST_CASE(8)
  PLAIN_ADDR(t0, pmp_page2, 0x100)
  csrw pmpaddr0, t0
  PLAIN_ADDR(t0, pmp_page2, 0x200)
  csrw pmpaddr1, t0
  li t0, -1
  csrw pmpaddr2, t0
  SET_CFG(CFG(0, PMP_OFF) | CFG(1, PMP_TOR | PMP_R) | CFG(2, ALL_RWX))
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page2
  sw zero, 0xfc(t0)     /* below the base */
  sw zero, 0x200(t0)    /* at the top: outside */
  lw a0, 0x100(t0)      /* inside, readable */
pmp_tor_st:
  sw zero, 0x100(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s3, pmp_tor_st)
  CHECK_ADDR(s4, pmp_page2 + 0x100)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page2
  sd zero, 0x1f8(t0)    /* last doubleword inside */
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s4, pmp_page2 + 0x1f8)

  /* ---- priority: the lowest-numbered matching entry decides (3.7.1.3) */
  TEST_CASE(9)
  NAPOT_ADDR(t0, pmp_page, 0, 4096)
  csrw pmpaddr0, t0
  NAPOT_ADDR(t0, pmp_page, 0x10, 8)
  csrw pmpaddr1, t0
  li t0, -1
  csrw pmpaddr2, t0
  SET_CFG(CFG(0, PMP_NAPOT | PMP_R) | CFG(1, PMP_NAPOT) | CFG(2, ALL_RWX))
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
  ld a0, 0x10(t0)       /* entry 0 (R) wins over entry 1 (none) */
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  NAPOT_ADDR(t0, pmp_page, 0x10, 8)
  csrw pmpaddr0, t0
  NAPOT_ADDR(t0, pmp_page, 0, 4096)
  csrw pmpaddr1, t0
  SET_CFG(CFG(0, PMP_NAPOT) | CFG(1, PMP_NAPOT | PMP_R) | CFG(2, ALL_RWX))
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
  ld a0, 0x18(t0)       /* only entry 1 matches */
pmp_prio:
  ld a0, 0x10(t0)       /* entry 0 (none) wins */
  FAIL
1:
  CHECK(s2, CAUSE_LOAD_ACCESS)
  CHECK_ADDR(s3, pmp_prio)
  CHECK_ADDR(s4, pmp_page + 0x10)

  /* ---- locked entries (3.7.1.2): enforced in M too, and their CSRs ignore writes
   * (for a locked TOR entry also the pmpaddr below it). Irreversible, so last.
   * entry 0: NAPOT pmp_page, L R; entry 1: OFF base; entry 2: TOR L R; entry 3: all. */
  TEST_CASE(10)
  NAPOT_ADDR(t0, pmp_page, 0, 4096)
  csrw pmpaddr0, t0
  PLAIN_ADDR(t0, pmp_page2, 0x100)
  csrw pmpaddr1, t0
  PLAIN_ADDR(t0, pmp_page2, 0x200)
  csrw pmpaddr2, t0
  li t0, -1
  csrw pmpaddr3, t0
#define LOCKED_CFG (CFG(0, PMP_L | PMP_NAPOT | PMP_R) | CFG(1, PMP_OFF) | \
                    CFG(2, PMP_L | PMP_TOR | PMP_R) | CFG(3, ALL_RWX))
  SET_CFG(LOCKED_CFG)
  la t0, pmp_page
  ld t1, 0(t0)          /* M may read */
  CHECK(t1, 0x1234)
  EXPECT_MTRAP(1f)
pmp_locked_st:
  sd t1, 0(t0)          /* ...but not write */
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s3, pmp_locked_st)
  CHECK_ADDR(s4, pmp_page)
  CHECK_MASKED(s5, MSTATUS_MPP, MPP_M)
  EXPECT_MTRAP(1f)
  la t0, pmp_page2
  sw zero, 0x180(t0)
  FAIL
1:
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s4, pmp_page2 + 0x180)

  TEST_CASE(11)
  csrr a0, pmpaddr0
  csrr a1, pmpaddr1
  csrr a2, pmpaddr2
  li t0, 0
  csrw pmpaddr0, t0
  csrw pmpaddr1, t0
  csrw pmpaddr2, t0
  csrr t1, pmpaddr0
  bne t1, a0, fail_test
  csrr t1, pmpaddr1
  bne t1, a1, fail_test
  csrr t1, pmpaddr2
  bne t1, a2, fail_test
  /* rewriting pmpcfg0: the locked bytes 0 and 2 keep their value, byte 1 changes */
  li t0, CFG(0, ALL_RWX) | CFG(1, PMP_NAPOT) | CFG(2, ALL_RWX) | CFG(3, ALL_RWX)
  csrw pmpcfg0, t0
  sfence.vma
  csrr t1, pmpcfg0
  CHECK(t1, CFG(0, PMP_L | PMP_NAPOT | PMP_R) | CFG(1, PMP_NAPOT) | \
            CFG(2, PMP_L | PMP_TOR | PMP_R) | CFG(3, ALL_RWX))
  /* still enforced for S as well */
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  la t0, pmp_page
  ld a0, 0(t0)
  sd a0, 0(t0)
  FAIL
1:
  CHECK(a0, 0x1234)
  CHECK(s2, CAUSE_STORE_ACCESS)
  CHECK_ADDR(s4, pmp_page)

  PASS

/* fetched from S in test 5 */
.balign 4096
pmp_code:
  li a0, 0x321
  ecall

TEST_END

.data
.balign 4096
pmp_page:  .dword 0x1234
           .fill 511, 8, 0
pmp_page2: .dword 0x5678
           .fill 511, 8, 0
