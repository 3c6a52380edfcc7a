/* Sdtrig trigger registers (RISC-V Debug Specification 1.0, trigger module registers) as
 * OpenSBI and Linux probe them: tselect (0x7a0), tdata1-3 (0x7a1-0x7a3), tinfo (0x7a4).
 * They must exist in M-mode whatever the implementation offers. QEMU 7.2 implements two
 * triggers (types 2 and 6); Hartwood implements none, which the spec describes as one
 * trigger slot of type 0 ("there is no trigger at this tselect"). */
#include "test.h"
#include "priv.h"

#define TYPE_SHIFT 60             /* tdata1.type is bits XLEN-1:XLEN-4 */
#define MCONTROL_EXEC_M ((2 << TYPE_SHIFT) | (1 << 6) | (1 << 2))  /* type 2, m, execute */

TEST_BEGIN
  PRIV_INIT

  /* ---- the trigger registers are readable in M-mode (no trap) */
  TEST_CASE(1)
  csrr t1, tselect
  csrr t1, tdata1
  csrr t1, tdata2
  csrr t1, tdata3
  csrr t1, tinfo
  CHECK(s6, 0)

  /* ---- trigger 0 is selectable ("The set of accessible triggers must start at 0"), and
   * tinfo lists the type its tdata1 shows ("Bit N corresponds to type N"; for a trigger that
   * does not exist "this field contains 1", type 0) */
  TEST_CASE(2)
  csrw tselect, zero
  csrr t1, tselect
  CHECK(t1, 0)
  csrr t1, tdata1
  srli t1, t1, TYPE_SHIFT
  csrr t2, tinfo
  srl t2, t2, t1
  andi t2, t2, 1
  CHECK(t2, 1)

  /* ---- enumeration as a debugger does it: write tselect, read it back ("check that tselect
   * holds what they wrote and read tdata1 to see that type is non-zero"); it ends, and every
   * trigger found has its type in tinfo. s0 = the number of triggers. */
  TEST_CASE(3)
  li s0, 0
1:
  csrw tselect, s0
  csrr t1, tselect
  bne t1, s0, 2f
  csrr t1, tdata1
  srli t1, t1, TYPE_SHIFT
  beqz t1, 2f
  csrr t2, tinfo
  srl t2, t2, t1
  andi t2, t2, 1
  CHECK(t2, 1)
  addi s0, s0, 1
  li t0, 64
  bltu s0, t0, 1b
  j fail_test
2:
  csrw tselect, zero
  CHECK(s6, 0)

  /* ---- no trigger at all (Hartwood): nothing sticks. tselect is WARL: a write beyond the
   * triggers "may result in a different value ... or may point to a trigger where type=0";
   * tdata1's type is WARL over the types tinfo lists (only 0), and "If type is 0, then this
   * field is hard-wired to 0" for dmode and data; tinfo stays 1. (QEMU 7.2 has triggers and
   * skips this case.) */
  TEST_CASE(4)
  bnez s0, 1f
  li t0, -1
  csrw tselect, t0
  csrr t1, tdata1
  CHECK(t1, 0)
  csrr t1, tinfo
  CHECK(t1, 1)
  csrw tselect, zero
  li t0, MCONTROL_EXEC_M
  csrw tdata1, t0
  csrr t1, tdata1
  CHECK(t1, 0)
  li t0, -1
  csrw tdata1, t0
  csrr t1, tdata1
  CHECK(t1, 0)
  csrw tdata2, t0
  csrw tdata3, t0
  csrw tinfo, t0            /* "Writing this read/write CSR has no effect" */
  csrr t1, tinfo
  CHECK(t1, 1)
  CHECK(s6, 0)
1:

  /* ---- the trigger registers are M-mode (and Debug Mode) only: illegal from S */
  TEST_CASE(5)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
sdtrig_s_tselect:
  csrr t1, tselect
  FAIL
1:
  EXPECT_ILLEGAL_AT(sdtrig_s_tselect)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
sdtrig_s_tdata1:
  csrw tdata1, zero
  FAIL
1:
  EXPECT_ILLEGAL_AT(sdtrig_s_tdata1)

  /* ---- dcsr (0x7b0) is Debug Mode only: an M-mode access is illegal (Priv spec 2.2,
   * "0x7B0-0x7BF: debug-mode-only CSRs") */
  TEST_CASE(6)
  EXPECT_MTRAP(1f)
.align 2
sdtrig_m_dcsr:
  csrr t1, 0x7b0
  FAIL
1:
  EXPECT_ILLEGAL_AT(sdtrig_m_dcsr)

  PASS
TEST_END
