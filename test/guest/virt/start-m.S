/* M-mode entry (--bios none: every hart starts here with a0 = hart id, a1 = DTB).
 * Each hart gets its stack; hart 0 clears .bss and runs main(hartid, dtb), whose return
 * value is the exit code (0 = power off); the others wait for .bss and run
 * secondary_main(hartid), which a program may define (the default parks the hart). */
  .section .text.start, "ax"
  .globl _start
_start:
  csrr a0, mhartid
  la sp, __stack_top
  li t0, 0x4000           /* STACK_SIZE in sections.ld */
  mul t0, t0, a0
  sub sp, sp, t0
  la t0, unexpected_mtrap
  csrw mtvec, t0
  li t0, (1 << 13)        /* mstatus.FS = initial: C code may use the FP registers */
  csrs mstatus, t0
  bnez a0, 2f
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 1f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
1:
  fence
  la t0, bss_ready        /* in .data, so clearing .bss cannot race with its readers */
  li t1, 1
  sw t1, 0(t0)
  call main
  call test_exit_from_start
2:
  la t0, bss_ready
3:
  lw t1, 0(t0)
  beqz t1, 3b
  fence
  call secondary_main
4:
  wfi
  j 4b

  .weak secondary_main
secondary_main:
  wfi
  j secondary_main

  .data
  .align 2
bss_ready: .word 0
