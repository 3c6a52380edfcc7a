/* S-mode entry under an SBI (OpenSBI or Hartwood's built-in one): the boot hart arrives at
 * _start with a0 = hart id, a1 = DTB; a hart started with HSM hart_start arrives at
 * hart_entry with a0 = hart id, a1 = opaque. Each gets the stack of its hart id. The boot
 * hart clears .bss and runs main(hartid, dtb); the others run hart_main(hartid, opaque). */
  .section .text.start, "ax"
  .globl _start
_start:
  call set_stack
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 1f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
1:
  fence
  call main
  call test_exit_from_start

  .globl hart_entry
  .align 2
hart_entry:
  call set_stack
  call hart_main
2:
  wfi
  j 2b

/* sp = top of hart a0's stack; stvec = the catch-all; sstatus.FS = initial. */
set_stack:
  la sp, __stack_top
  li t0, 0x4000           /* STACK_SIZE in sections.ld */
  mul t0, t0, a0
  sub sp, sp, t0
  la t0, unexpected_strap
  csrw stvec, t0
  li t0, (1 << 13)
  csrs sstatus, t0
  ret
