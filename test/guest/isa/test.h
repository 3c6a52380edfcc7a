/* Minimal environment for Hartwood's bare-metal ISA tests (HTIF tohost/fromhost).
 *   TEST_BEGIN          start of the program, hart 0 in M-mode at _start
 *   TEST_CASE(n)        sets the current test number (reported on failure) in gp
 *   CHECK(reg, value)   fails test gp unless reg == value (clobbers t6)
 *   PASS / FAIL         end the program
 * tohost = 1 is a pass; (n << 1) | 1 is failure of test n.
 * Built with -DQEMU_VIRT (the reference run of programs that need the time CSR, which QEMU's
 * spike machine lacks), the end is also written to the virt board's test finisher
 * (sifive,test0 at 0x100000): 0x5555 = pass, (((n << 1) | 1) << 16) | 0x3333 = QEMU exits
 * with status (n << 1) | 1.
 */
#define TESTNUM gp

#define TEST_BEGIN                  \
  .section .text.init;              \
  .globl _start;                    \
_start:                             \
  li TESTNUM, 0;

#define TEST_CASE(n) li TESTNUM, n

#define CHECK(reg, value)           \
  li t6, value;                     \
  bne reg, t6, fail_test

#define PASS j pass_test
#define FAIL j fail_test

#ifdef QEMU_VIRT
#define VIRT_PASS                   \
  li t5, 0x100000;                  \
  li t6, 0x5555;                    \
  sw t6, 0(t5);
#define VIRT_FAIL                   \
  li t5, 0x100000;                  \
  slli t6, TESTNUM, 5;              \
  ori t6, t6, 0x13;                 \
  slli t6, t6, 12;                  \
  ori t6, t6, 0x333;  /* (((n << 1) | 1) << 16) | 0x3333 */ \
  sw t6, 0(t5);
#else
#define VIRT_PASS
#define VIRT_FAIL
#endif

#define TEST_END                    \
pass_test:                          \
  fence;                            \
  VIRT_PASS                         \
  li t6, 1;                         \
  la t5, tohost;                    \
  sd t6, 0(t5);                     \
1: j 1b;                            \
fail_test:                          \
  fence;                            \
  VIRT_FAIL                         \
  slli t6, TESTNUM, 1;              \
  ori t6, t6, 1;                    \
  la t5, tohost;                    \
  sd t6, 0(t5);                     \
2: j 2b;                            \
  .pushsection .tohost, "aw", @progbits; \
  .align 6; .globl tohost; tohost: .dword 0; .size tohost, 8; \
  .align 6; .globl fromhost; fromhost: .dword 0; .size fromhost, 8; \
  .popsection
