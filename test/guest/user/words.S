/* Registers that hold sign-extended 32-bit words, as the recompiler's analysis sees them
 * (InsnDef.sext32, narrow): sext.w and AND/OR/XOR of such words are computed in i32 there,
 * so a register wrongly taken for one would lose its upper half. Each function's loop
 * reaches a sext.w and an OR with a register that is a word on one path and not on another:
 * an indirect jump into a block that falls-through code reaches with a word (indirect), a
 * loop-carried value that a 64-bit shift writes every fourth pass (carried). In `jumpcut` a
 * block that a direct jump reaches with a word is also the target of an indirect jump with a
 * wider value; it is no entry of its translation (its only path out reaches code left out for
 * want of room within a few instructions), so at --jit-threshold 0, where the translation is
 * built before the jump was taken (its target not learnt), only the rule for blocks an
 * indirect jump may reach inside a translation keeps it from being taken for a word. `words` keeps
 * words all the way. Each runs 4 passes a call, so that translations begin at the function
 * and hold the loop. `entered`'s loop has a translation of its own that begins at its head
 * (after a system call, where the caller's translation ends): code outside enters it there as
 * well as its back edge, and the words its back edge leaves are taken for words at the head
 * only after a test where the translation is entered (TranslationContext.entryGuards); odd
 * calls enter with a wider value. The sums are printed; qemu-riscv64 gives the reference. */
  .text
  .globl main
main:
  addi sp, sp, -32
  sd ra, 0(sp)
  sd s0, 8(sp)
  sd s1, 16(sp)

  li s0, 0
  li s1, 50000
1:
  mv a0, s1
  call indirect
  add s0, s0, a0
  addi s1, s1, -1
  bnez s1, 1b
  la a0, fmt_indirect
  mv a1, s0
  call printf

  li s0, 0
  li s1, 50000
1:
  mv a0, s1
  call carried
  add s0, s0, a0
  addi s1, s1, -1
  bnez s1, 1b
  la a0, fmt_carried
  mv a1, s0
  call printf

  li s0, 0
  li s1, 50000
1:
  mv a0, s1
  call jumpcut
  add s0, s0, a0
  addi s1, s1, -1
  bnez s1, 1b
  la a0, fmt_jumpcut
  mv a1, s0
  call printf

  li s0, 0x12345678
  li s1, 50000
1:
  mv a0, s0
  call words
  mv s0, a0
  addi s1, s1, -1
  bnez s1, 1b
  la a0, fmt_words
  mv a1, s0
  call printf

  li s0, 0
  li s1, 50000
1:
  mv a0, s1
  call entered
  add s0, s0, a0
  addi s1, s1, -1
  bnez s1, 1b
  la a0, fmt_entered
  mv a1, s0
  call printf

  ld ra, 0(sp)
  ld s0, 8(sp)
  ld s1, 16(sp)
  addi sp, sp, 32
  li a0, 0
  ret

/* a0: a seed > 0. t1 is the seed (a word) on even calls, 2^32 + seed on odd ones: sext.w and
 * OR taken for words would lose its upper half. */
entered:
  li a5, 0
  li a4, 4
  mv t1, a0
  andi t0, a0, 1
  beqz t0, 2f
  li t0, 1
  slli t0, t0, 32
  add t1, t1, t0
2:
  li a7, 172 /* getpid */
  ecall
3:
  mv t2, t1
  sext.w t3, t2
  or t4, t3, t2
  add a5, a5, t3
  slli t4, t4, 1
  add a5, a5, t4
  addiw t1, t1, 7
  addi a4, a4, -1
  bnez a4, 3b
  mv a0, a5
  ret

/* a0: a seed. Odd passes jump to `2f` through a register with t1 = 2^32 + seed + pass. */
indirect:
  li a5, 0
  li a4, 4
  la a6, 2f
  li a7, 1
  slli a7, a7, 32
  add a7, a7, a0
1:
  andi t0, a4, 1
  bnez t0, 3f
  li t1, 5
2:
  sext.w t2, t1
  or t3, t2, t1
  add a5, a5, t2
  add a5, a5, t3
  addi a4, a4, -1
  bnez a4, 1b
  mv a0, a5
  ret
3:
  add t1, a7, a4
  jr a6

/* a0: a seed. t1 is a word after addiw, not after the 64-bit shift on the fourth pass. */
carried:
  li a5, 0
  li a4, 4
  mv t1, a0
  sext.w t1, t1
1:
  sext.w t2, t1
  or t3, t2, t1
  xor t4, t3, t1
  and t5, t2, t1
  add a5, a5, t3
  add a5, a5, t4
  add a5, a5, t5
  add a5, a5, t2
  li t0, 2
  bne a4, t0, 2f
  slli t1, a0, 29
  j 3f
2:
  addiw t1, t1, 1
3:
  addi a4, a4, -1
  bnez a4, 1b
  mv a0, a5
  ret

/* a0: a seed > 0. Even seeds reach 2f by a direct jump with t1 = 5, odd ones by `jr a6` with
 * t1 = 2^32 + 2 * seed. The region from `jumpcut` (128 instructions at most, one page) holds
 * the never-taken 9f's 108 instructions, so it ends a few instructions into 4f. */
  .p2align 12
jumpcut:
  la a6, 2f
  li a7, 1
  slli a7, a7, 32
  add a7, a7, a0
  bltz a0, 9f
  andi t0, a0, 1
  bnez t0, 3f
  li t1, 5
  j 2f
3:
  add t1, a7, a0
  add t1, t1, a0
  jr a6
2:
  sext.w t2, t1
  or t3, t2, t1
  add a0, t2, t3
  add a0, a0, t2
  j 4f
9:
  .rept 106
  addi a0, a0, 1
  .endr
  ret
4:
  .rept 24
  addi a0, a0, 3
  .endr
  ret

/* a0: a word. A rotation, W operations and immediates on words only. */
words:
  li a4, 4
  la a6, word
1:
  lw t1, 0(a6)
  srliw t2, a0, 7
  slliw t3, a0, 25
  or t2, t2, t3
  xor t2, t2, t1
  addw a0, a0, t2
  sext.w a0, a0
  andi t4, a0, -16
  ori t4, t4, 3
  xori t4, t4, 1
  addw a0, a0, t4
  addi a4, a4, -1
  bnez a4, 1b
  ret

  .data
word:
  .word 0x9e3779b9
fmt_indirect:
  .string "indirect: %lx\n"
fmt_carried:
  .string "carried: %lx\n"
fmt_jumpcut:
  .string "jumpcut: %lx\n"
fmt_words:
  .string "words: %lx\n"
fmt_entered:
  .string "entered: %lx\n"
  .section .note.GNU-stack, "", @progbits
