/* A 32-bit RISC-V program: well formed, but not RV64. */
  .section .text.init
  .globl _start
_start:
  j _start
