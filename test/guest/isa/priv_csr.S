/* Machine and supervisor CSRs (RISC-V Privileged ISA 20211203): misa (3.1.1), mhartid
 * (3.1.5), mstatus (3.1.6) and its sstatus view (4.1.1), FS tracking (3.1.6.6), sie/sip
 * views (4.1.3), counter enables (3.1.11, 4.1.5), mcycle/minstret (3.1.10), WARL details
 * of mepc/mtvec (3.1.7, 3.1.14). */
#include "test.h"
#include "priv.h"

#define MISA_EXT(c) (1 << ((c) - 'A'))
#define SSTATUS_MASK (MSTATUS_SD | (3 << 32) | MSTATUS_MXR | MSTATUS_SUM | (3 << 15) | \
                      MSTATUS_FS | (3 << 9) | MSTATUS_SPP | (1 << 6) | MSTATUS_SPIE | MSTATUS_SIE)
#define FS_OFF     (0 << 13)
#define FS_INITIAL (1 << 13)
#define FS_CLEAN   (2 << 13)
#define FS_DIRTY   (3 << 13)

#define SET_FS(state)               \
  li t0, MSTATUS_FS;                \
  csrc mstatus, t0;                 \
  li t0, state;                     \
  csrs mstatus, t0

TEST_BEGIN
  PRIV_INIT

  /* ---- misa: MXL = 2 (64-bit), I M A F D C S U present, not E */
  TEST_CASE(1)
  csrr t1, misa
  srli t2, t1, 62
  CHECK(t2, 2)
#define EXTS (MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | MISA_EXT('F') | \
              MISA_EXT('D') | MISA_EXT('C') | MISA_EXT('S') | MISA_EXT('U'))
  CHECK_MASKED(t1, EXTS | MISA_EXT('E'), EXTS)

  /* ---- ID registers: hart 0, the others readable */
  TEST_CASE(2)
  csrr t1, mhartid
  CHECK(t1, 0)
  csrr t1, mvendorid
  csrr t1, marchid
  csrr t1, mimpid
  CHECK(s6, 0)

  /* ---- mstatus: SXL = UXL = 2 (only XLEN 64), little-endian (MBE = SBE = UBE = 0) */
  TEST_CASE(3)
  csrr t1, mstatus
  CHECK_MASKED(t1, (0xf << 32) | (3 << 36) | (1 << 6), 0xa << 32)
  csrr t1, sstatus
  CHECK_MASKED(t1, 3 << 32, 2 << 32)

  /* ---- FS: an FP register write makes it Dirty, and SD = 1 while FS = 3 (3.1.6.6) */
  TEST_CASE(4)
  SET_FS(FS_INITIAL)
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_FS | MSTATUS_SD, FS_INITIAL)
  li t0, 0x3ff0000000000000   /* 1.0 */
  fmv.d.x f1, t0
  fadd.d f2, f1, f1
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)
  csrr t1, sstatus            /* the same bits in the S view */
  CHECK_MASKED(t1, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)
  SET_FS(FS_CLEAN)
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_FS | MSTATUS_SD, FS_CLEAN)
  fmv.d.x f3, t0
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)
  fmv.x.d t2, f2
  CHECK(t2, 0x4000000000000000)

  /* fcsr is FP state too */
  TEST_CASE(5)
  SET_FS(FS_CLEAN)
  csrwi fflags, 1
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_FS, FS_DIRTY)
  csrwi fflags, 0

  /* ---- FS = Off: FP instructions and FP CSRs are illegal */
  TEST_CASE(6)
  SET_FS(FS_OFF)
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_FS | MSTATUS_SD, 0)
  EXPECT_MTRAP(1f)
.align 2
csr_fadd_off:
  fadd.d f2, f1, f1
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_fadd_off)
  EXPECT_MTRAP(1f)
  la t0, fpdata
.align 2
csr_fld_off:
  .option push
  .option norvc
  fld f4, 0(t0)
  .option pop
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_fld_off)
  EXPECT_MTRAP(1f)
.align 2
csr_fmv_off:
  fmv.x.d t1, f1
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_fmv_off)
  EXPECT_MTRAP(1f)
.align 2
csr_fcsr_off:
  csrr t1, fcsr
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_fcsr_off)
  EXPECT_MTRAP(1f)
.align 2
csr_frm_off:
  csrwi frm, 0
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_frm_off)
  csrr t1, mstatus              /* still Off */
  CHECK_MASKED(t1, MSTATUS_FS, FS_OFF)

  /* ...and so is a compressed FP load (c.fldsp) */
  TEST_CASE(7)
  EXPECT_MTRAP(1f)
  mv t2, sp
  la sp, fpdata
csr_cfldsp_off:
  c.fldsp f8, 0(sp)
  FAIL
1:
  mv sp, t2
  CHECK(s2, CAUSE_ILLEGAL)
  CHECK_ADDR(s3, csr_cfldsp_off)
  SET_FS(FS_INITIAL)

  /* ---- sstatus is a restricted view of mstatus (4.1.1) */
  TEST_CASE(8)
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | \
         MSTATUS_TW | MSTATUS_TSR
  csrs mstatus, t0
  csrr t1, sstatus
  li t0, ~SSTATUS_MASK
  and t1, t1, t0
  CHECK(t1, 0)
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
  csrc mstatus, t0
  /* S-visible bits written through sstatus land in mstatus */
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
  csrs sstatus, t0
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR, \
               MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR)
  csrc sstatus, t0
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR, 0)
  /* M-only bits cannot be written through sstatus */
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MIE | MSTATUS_MPP | MSTATUS_TSR
  csrs sstatus, t0
  csrr t1, mstatus
  CHECK_MASKED(t1, MSTATUS_MIE | MSTATUS_MPP | MSTATUS_TSR, 0)

#ifdef SPEC_STRICT
  /* ---- mstatus.MPP is WARL: the reserved value 2 does not stick (3.1.6.1). QEMU 7.2
   * keeps whatever is written. */
  TEST_CASE(9)
  li t0, 2 << 11
  csrs mstatus, t0
  csrr t1, mstatus
  li t0, MSTATUS_MPP
  and t1, t1, t0
  li t0, 2 << 11
  beq t1, t0, fail_test
  li t0, MSTATUS_MPP
  csrc mstatus, t0
#endif

  /* ---- sie is mie restricted to the delegated bits (4.1.3) */
  TEST_CASE(10)
  csrw mideleg, zero
  li t0, S_INTS | MIP_MSIP | MIP_MTIP
  csrw mie, t0
  csrr t1, sie
  CHECK(t1, 0)
  li t0, S_INTS
  csrw mideleg, t0
  csrr t1, sie
  CHECK(t1, S_INTS)
  csrw sie, zero
  csrr t1, mie
  CHECK(t1, MIP_MSIP | MIP_MTIP)
  li t0, MIP_SSIP
  csrw mideleg, t0
  li t0, S_INTS | MIP_MSIP
  csrw sie, t0          /* only SSIE is writable through sie now */
  csrr t1, mie
  CHECK(t1, MIP_SSIP | MIP_MSIP | MIP_MTIP)
  csrw mie, zero

  /* ---- sip likewise; from S only SSIP is writable (4.1.3) */
  TEST_CASE(11)
  csrw mideleg, zero
  li t0, S_INTS
  csrs mip, t0
  csrr t1, sip
  CHECK(t1, 0)
  li t0, S_INTS
  csrw mideleg, t0
  csrr t1, sip
  CHECK(t1, S_INTS)
  li t0, MIP_STIP | MIP_SEIP
  csrc mip, t0
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  csrr a0, sip
  li t0, MIP_SSIP
  csrc sip, t0
  csrr a1, sip
  li t0, MIP_STIP | MIP_SEIP
  csrs sip, t0          /* read-only from S */
  csrr a2, sip
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  CHECK(a0, MIP_SSIP)
  CHECK(a1, 0)
  CHECK(a2, 0)
  csrr t1, mip
  CHECK_MASKED(t1, S_INTS, 0)
  csrw mideleg, zero

  /* ---- counter enables (3.1.11): S needs mcounteren, U also scounteren (4.1.5) */
  TEST_CASE(12)
  csrw mcounteren, zero
  csrw scounteren, zero
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
csr_s_cycle:
  rdcycle a0
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_s_cycle)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
csr_s_instret:
  rdinstret a0
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_s_instret)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
.align 2
2:
csr_s_time:
  rdtime a0
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_s_time)

  TEST_CASE(13)
  li t0, 5              /* CY, IR (TM left out: QEMU's spike has no time CSR at all) */
  csrw mcounteren, t0
  csrr t1, mcounteren
  CHECK_MASKED(t1, 5, 5)
  EXPECT_MTRAP(1f)
  GOTO_S(2f)
2:
  rdcycle a0
  rdinstret a1
  ecall
1:
  CHECK(s2, CAUSE_ECALL_S)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
csr_u_cycle:
  rdcycle a0
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_u_cycle)
  li t0, 5
  csrw scounteren, t0
  csrr t1, scounteren
  CHECK_MASKED(t1, 5, 5)
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
2:
  rdcycle a0
  rdinstret a1
  ecall
1:
  CHECK(s2, CAUSE_ECALL_U)
  /* only the named counter is enabled */
  li t0, 1
  csrw scounteren, t0
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
  rdcycle a0
csr_u_instret:
  rdinstret a1
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_u_instret)
  /* U needs the mcounteren bit as well */
  csrw mcounteren, zero
  li t0, 5
  csrw scounteren, t0
  EXPECT_MTRAP(1f)
  GOTO_U(2f)
.align 2
2:
csr_u_cycle2:
  rdcycle a0
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_u_cycle2)
  csrw mcounteren, zero
  csrw scounteren, zero

  /* ---- mcycle and minstret are writable and keep counting from the value written
   * (3.1.10); cycle/instret read the same counters */
  TEST_CASE(14)
  li t1, 1 << 40
  csrw mcycle, t1
  csrr t2, mcycle
  sub t2, t2, t1
  srli t2, t2, 32
  CHECK(t2, 0)
  rdcycle t2
  sub t2, t2, t1
  srli t2, t2, 32
  CHECK(t2, 0)
  li t1, 1 << 41
  csrw minstret, t1
  csrr t2, minstret
  sub t2, t2, t1
  srli t2, t2, 32
  CHECK(t2, 0)
  rdinstret t2
  sub t2, t2, t1
  srli t2, t2, 32
  CHECK(t2, 0)

  /* ---- scratch registers hold any value; mepc/sepc bit 0 is always zero (3.1.14) */
  TEST_CASE(15)
  li t1, 0xfedcba9876543210
  csrw mscratch, t1
  csrr t2, mscratch
  bne t1, t2, fail_test
  csrw sscratch, t1
  csrr t2, sscratch
  bne t1, t2, fail_test
#ifdef SPEC_STRICT
  /* QEMU 7.2 stores and returns bit 0 as written */
  li t1, 0x80001237
  csrw mepc, t1
  csrr t2, mepc
  CHECK(t2, 0x80001236)
  csrw sepc, t1
  csrr t2, sepc
  CHECK(t2, 0x80001236)
#endif
  li t1, 0x80001236     /* bit 1 is writable: IALIGN = 16 */
  csrw mepc, t1
  csrr t2, mepc
  CHECK(t2, 0x80001236)
  csrw sepc, t1
  csrr t2, sepc
  CHECK(t2, 0x80001236)

  /* ---- mtvec/stvec MODE is WARL; 2 and 3 are reserved and never read back */
  TEST_CASE(16)
  la t1, priv_mtrap
  ori t1, t1, 2
  csrw mtvec, t1
  csrr t2, mtvec
  andi t2, t2, 2
  CHECK(t2, 0)
  la t0, priv_mtrap
  csrw mtvec, t0
  csrr t2, mtvec
  bne t0, t2, fail_test
  la t1, priv_strap
  ori t1, t1, 3
  csrw stvec, t1
  csrr t2, stvec
  andi t2, t2, 2
  CHECK(t2, 0)
  la t0, priv_strap
  csrw stvec, t0

  /* ---- CSRs new in 1.12 exist: menvcfg, senvcfg, mconfigptr */
  TEST_CASE(17)
  mv a3, s6
  csrr t1, menvcfg
  csrr t1, senvcfg
  csrr t1, mconfigptr
  bne a3, s6, fail_test

  /* ---- an unassigned CSR number is an illegal instruction */
  TEST_CASE(18)
  EXPECT_MTRAP(1f)
.align 2
csr_unassigned:
  csrr t1, 0x0ff
  FAIL
1:
  EXPECT_ILLEGAL_AT(csr_unassigned)

  /* ---- mcounteren/scounteren: every one of the 32 enables is writable (the fields are
   * WARL and may be read-only zero; QEMU 7.2 and Hartwood implement all of them) */
  TEST_CASE(19)
  li t0, -1
  csrw mcounteren, t0
  csrr t1, mcounteren
  CHECK_MASKED(t1, 0xffffffff, 0xffffffff)
  csrw scounteren, t0
  csrr t1, scounteren
  CHECK_MASKED(t1, 0xffffffff, 0xffffffff)
  csrw mcounteren, zero
  csrw scounteren, zero

#ifdef SPEC_STRICT
  /* ---- a write to minstret is done instead of the writing instruction's increment, and a
   * read returns the count before the reading instruction (Zicsr 9.1): "a value written to
   * instret by one instruction will be the value read by the following instruction".
   * QEMU 7.2 counts host ticks (priv.h). */
  TEST_CASE(20)
  li t1, 1000
  csrw minstret, t1
  csrr t2, minstret
  CHECK(t2, 1000)
  csrw minstret, t1
  nop
  nop
  rdinstret t2
  CHECK(t2, 1002)
  /* mcycle the same way (Hartwood: one cycle per instruction), and the two are separate
   * counters: writing one leaves the other counting */
  li t1, 5000
  csrw mcycle, t1
  csrr t2, mcycle
  csrw minstret, zero
  csrr t3, mcycle
  csrr t4, minstret
  CHECK(t2, 5000)
  CHECK(t3, 5002)
  CHECK(t4, 1)
#endif

  PASS

TEST_END

.data
.align 3
fpdata: .dword 0x3ff0000000000000
