/* Raw speed on a tight integer loop (add, xor, addi, bnez; 4 G instructions), bare metal,
 * run by bench/baremetal-loop.ts on Hartwood and QEMU's spike machine. */
#include "test.h"
TEST_BEGIN
  li t0, 1000000000
  li t1, 0
1:
  add t1, t1, t0
  xor t2, t1, t0
  addi t0, t0, -1
  bnez t0, 1b
  PASS
TEST_END
