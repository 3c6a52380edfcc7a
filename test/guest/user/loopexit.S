/* A loop with two back-edges whose second is never taken: the register written only on the
 * way to it (t0) must keep its value when the loop is left after many passes. An earlier
 * recompiler wrote back a register it had never loaded (as 0). Exit status: 77. */
  .text
  .globl main
main:
  li t0, 77
  li a0, 0
  li a2, 100000
1:
  addi a0, a0, 1
  beq a0, a2, 2f
  bnez a0, 1b
  li t0, 7
  j 1b
2:
  mv a0, t0
  ret
  .section .note.GNU-stack, "", @progbits
