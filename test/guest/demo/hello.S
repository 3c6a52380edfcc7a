/* The bare-metal demo: prints a greeting through HTIF, counts the primes below 10000 and
 * prints the count, then exits with status 0. */
#include "test.h"

TEST_BEGIN
  la sp, stack_top
  la a0, greeting
  call puts
  /* count primes below 10000 by trial division */
  li s0, 2          /* candidate */
  li s1, 0          /* count */
  li s2, 10000
next:
  li t0, 2
try:
  mul t1, t0, t0
  bgtu t1, s0, prime
  remu t2, s0, t0
  beqz t2, composite
  addi t0, t0, 1
  j try
prime:
  addi s1, s1, 1
composite:
  addi s0, s0, 1
  bltu s0, s2, next
  la a0, result
  call puts
  mv a0, s1
  call putdec
  li a0, '\n'
  call putc
  PASS

/* putc(a0): HTIF device 1, command 1 */
putc:
  li t0, 0x0101000000000000
  or t0, t0, a0
  la t1, tohost
  sd t0, 0(t1)
1:ld t0, 0(t1)
  bnez t0, 1b
  ret

puts:
  addi sp, sp, -16
  sd ra, 8(sp)
  sd s0, 0(sp)
  mv s0, a0
1:lbu a0, 0(s0)
  beqz a0, 2f
  call putc
  addi s0, s0, 1
  j 1b
2:ld ra, 8(sp)
  ld s0, 0(sp)
  addi sp, sp, 16
  ret

/* putdec(a0): unsigned decimal */
putdec:
  addi sp, sp, -48
  sd ra, 40(sp)
  sd s0, 32(sp)
  addi s0, sp, 31
  sb zero, 0(s0)
  li t2, 10
1:remu t3, a0, t2
  addi t3, t3, '0'
  addi s0, s0, -1
  sb t3, 0(s0)
  divu a0, a0, t2
  bnez a0, 1b
  mv a0, s0
  call puts
  ld ra, 40(sp)
  ld s0, 32(sp)
  addi sp, sp, 48
  ret

TEST_END

  .data
greeting: .asciz "Hello from RV64GC on Hartwood (bare metal, HTIF console)\n"
result:   .asciz "primes below 10000: "
  .bss
  .align 4
  .space 4096
stack_top:
