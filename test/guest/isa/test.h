/* Minimal environment for Hartwood's bare-metal ISA tests (HTIF tohost/fromhost).
 *   TEST_BEGIN          start of the program, hart 0 in M-mode at _start
 *   TEST_CASE(n)        sets the current test number (reported on failure) in gp
 *   CHECK(reg, value)   fails test gp unless reg == value (clobbers t6)
 *   PASS / FAIL         end the program
 * tohost = 1 is a pass; (n << 1) | 1 is failure of test n.
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

#define TEST_END                    \
pass_test:                          \
  fence;                            \
  li t6, 1;                         \
  la t5, tohost;                    \
  sd t6, 0(t5);                     \
1: j 1b;                            \
fail_test:                          \
  fence;                            \
  slli t6, TESTNUM, 1;              \
  ori t6, t6, 1;                    \
  la t5, tohost;                    \
  sd t6, 0(t5);                     \
2: j 2b;                            \
  .pushsection .tohost, "aw", @progbits; \
  .align 6; .globl tohost; tohost: .dword 0; .size tohost, 8; \
  .align 6; .globl fromhost; fromhost: .dword 0; .size fromhost, 8; \
  .popsection
