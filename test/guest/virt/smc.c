/* Self-modifying code under Sv39, in S-mode and in U-mode (Zifencei; Priv spec §4.3). Every
 * routine the program rewrites is first run hot (hundreds of calls, thousands of loop
 * iterations), so that an emulator that translates code has translated it before the store.
 * After fence.i the new code must run: that result is printed. Without fence.i the ISA lets
 * the hart run either the old or the new code, so only that (and that nothing broke) is
 * printed, except where the store and the call are in different routines (both emulators
 * exact there: QEMU tracks stores to translated pages, Hartwood drops the page's
 * translations on the store). */
#include "paging.h"

#define CODE_VA (WINDOW_VA + 0 * PAGE)  /* page A, RWX */
#define CODE2_VA (WINDOW_VA + 1 * PAGE) /* page A again, R-X */
#define DATA_VA (WINDOW_VA + 2 * PAGE)  /* page A again, RW- */
#define SELF_VA (WINDOW_VA + 3 * PAGE)  /* page B, RWX: code that patches itself */
#define USER_VA (WINDOW_VA + 4 * PAGE)  /* page C, user RWX */
#define PREV_VA (WINDOW_VA + 5 * PAGE)  /* page D, RW- */
#define NEXT_VA (WINDOW_VA + 6 * PAGE)  /* page E, RWX: right after page D in virtual memory */
#define CALLS 300
#define N 100

static space_t space;
static page_t page_a, page_b, page_c, page_d, page_e, user_stack;
/* The user-mode routines (below), one page of their own: mapped user R-X where they are. */
extern char user_text[], user_main[];

/* enter_user(entry, arg, sp): runs entry(arg) in U-mode on stack sp until it makes an ecall,
 * and returns its a0 then. */
u64 enter_user(u64 entry, u64 arg, u64 sp);
__asm__(".text\n"
        ".globl enter_user\n"
        "enter_user:\n"
        "  addi sp, sp, -112\n"
        "  sd ra, 0(sp); sd s0, 8(sp); sd s1, 16(sp); sd s2, 24(sp); sd s3, 32(sp); sd s4, 40(sp)\n"
        "  sd s5, 48(sp); sd s6, 56(sp); sd s7, 64(sp); sd s8, 72(sp); sd s9, 80(sp); sd s10, 88(sp)\n"
        "  sd s11, 96(sp)\n"
        "  csrw sscratch, sp\n"
        "  la t0, user_trap\n"
        "  csrw stvec, t0\n"
        "  csrw sepc, a0\n"
        "  li t0, 0x100\n" /* sstatus.SPP = U */
        "  csrc sstatus, t0\n"
        "  mv a0, a1\n"
        "  mv sp, a2\n"
        "  sret\n"
        ".balign 4\n"
        "user_trap:\n"
        "  csrr t0, scause\n"
        "  li t1, 8\n" /* environment call from U-mode */
        "  bne t0, t1, unexpected_strap\n"
        "  csrr sp, sscratch\n"
        "  la t0, unexpected_strap\n"
        "  csrw stvec, t0\n"
        "  ld ra, 0(sp); ld s0, 8(sp); ld s1, 16(sp); ld s2, 24(sp); ld s3, 32(sp); ld s4, 40(sp)\n"
        "  ld s5, 48(sp); ld s6, 56(sp); ld s7, 64(sp); ld s8, 72(sp); ld s9, 80(sp); ld s10, 88(sp)\n"
        "  ld s11, 96(sp)\n"
        "  addi sp, sp, 112\n"
        "  ret\n");

/* user_main(code): in U-mode, writes the counting loop (paging.h) to the user page `code`
 * with steps 1..4, each made visible with fence.i and called 200 times with n = 50, and
 * makes an ecall with the sum. The template of the loop is copied from this page. */
__asm__(".section .text.user, \"ax\"\n"
        ".balign 4096\n"
        ".globl user_text, user_main\n"
        "user_text:\n"
        ".option push\n"
        ".option norvc\n"
        "user_counter:\n"
        "  addi a1, a0, 0\n"
        "  addi a0, zero, 0\n"
        "1:addi a0, a0, 1\n"
        "  addi a1, a1, -1\n"
        "  bnez a1, 1b\n"
        "  ret\n"
        ".option pop\n"
        "user_main:\n"
        "  mv s0, a0\n"
        "  li s1, 0\n" /* the sum */
        "  li s2, 1\n" /* the step */
        "2:lla t0, user_counter\n"
        "  li t1, 0\n"
        "3:add t2, t0, t1\n"
        "  lw t3, 0(t2)\n"
        "  add t2, s0, t1\n"
        "  sw t3, 0(t2)\n"
        "  addi t1, t1, 4\n"
        "  li t2, 24\n"
        "  bltu t1, t2, 3b\n"
        "  addi t3, s2, -1\n"
        "  slli t3, t3, 20\n"
        "  lw t2, 8(s0)\n"
        "  add t2, t2, t3\n"
        "  sw t2, 8(s0)\n"
        "  fence.i\n"
        "  li s3, 200\n"
        "4:li a0, 50\n"
        "  jalr s0\n"
        "  add s1, s1, a0\n"
        "  addi s3, s3, -1\n"
        "  bnez s3, 4b\n"
        "  addi s2, s2, 1\n"
        "  li t0, 5\n"
        "  bltu s2, t0, 2b\n"
        "  mv a0, s1\n"
        "  ecall\n"
        "5:j 5b\n"
        ".balign 4096\n"
        ".text\n");

/* Code at SELF_VA that stores `word` over its third instruction and then runs it:
 *   sw a1, 8(a0); fence.i or nop; addi a0, zero, 1; ret   (called with a0 = SELF_VA) */
static u64 self_patch(int with_fence_i) {
  volatile u32 *c = (volatile u32 *)SELF_VA;
  c[0] = 0x00b52423; /* sw a1, 8(a0) */
  c[1] = with_fence_i ? 0x0000100f : addi(0, 0, 0);
  c[2] = addi(10, 0, 1);
  c[3] = 0x00008067;
  fence_i();
  u64 (*f)(u64, u64) = (u64(*)(u64, u64))SELF_VA;
  u64 wrong = 0;
  for (int i = 0; i < CALLS; i++) {
    i64 want = i & 1 ? 2 : 3;
    u64 r = f(SELF_VA, addi(10, 0, want));
    if (with_fence_i ? r != (u64)want : r != (u64)want && r != (u64)(i == 0 ? 1 : 5 - want)) wrong++;
  }
  return wrong;
}

/* start-s.S's entry for harts started with HSM: this program starts none. */
void hart_main(void) {}

int main(void) {
  kprintf("smc: start\n");
  space_init(&space);
  map_window(&space, CODE_VA, &page_a, PTE_R | PTE_W | PTE_X);
  map_window(&space, CODE2_VA, &page_a, PTE_R | PTE_X);
  map_window(&space, DATA_VA, &page_a, PTE_R | PTE_W);
  map_window(&space, SELF_VA, &page_b, PTE_R | PTE_W | PTE_X);
  map_window(&space, USER_VA, &page_c, PTE_R | PTE_W | PTE_X | PTE_U);
  map_window(&space, PREV_VA, &page_d, PTE_R | PTE_W);
  map_window(&space, NEXT_VA, &page_e, PTE_R | PTE_W | PTE_X);
  /* The user routines and stack, user-accessible where they are (one 2 MiB megapage of
   * RAM split into 4 KiB pages, the rest of RAM staying S-mode's). */
  static table_t ram1, ram0;
  u64 mega = (u64)user_text & ~((1UL << 21) - 1);
  for (u64 i = 0; i < 512; i++) {
    u64 pa = mega + i * PAGE;
    int user = pa == (u64)user_text || pa == (u64)&user_stack;
    ram0.pte[i] = leaf(pa, user ? (pa == (u64)user_text ? PTE_R | PTE_X : PTE_R | PTE_W) | PTE_U
                                : PTE_R | PTE_W | PTE_X);
    ram1.pte[i] = leaf(RAM_BASE + (i << 21), PTE_R | PTE_W | PTE_X);
  }
  ram1.pte[(mega - RAM_BASE) >> 21] = branch(&ram0);
  space.root.pte[RAM_BASE >> 30] = branch(&ram1);
  fence();
  csr_write(satp, satp_of(&space.root, 0));
  sfence_vma();
  kprintf("satp: Sv39 on: %s\n", yesno(csr_read(satp) >> 60 == 8));

  write_counter((volatile u32 *)CODE_VA, 1);
  fence_i();
  kprintf("S: hot counter, step 1: sum %lu\n", run_counter(CODE_VA, N, CALLS));
  ((volatile u32 *)CODE_VA)[COUNTER_STEP] = step_insn(3);
  fence_i();
  kprintf("S: patched in place, fence.i, step 3: %lu, then hot: sum %lu\n", run_counter(CODE_VA, N, 1),
          run_counter(CODE_VA, N, CALLS));
  ((volatile u32 *)DATA_VA)[COUNTER_STEP] = step_insn(5);
  fence_i();
  kprintf("S: patched through the RW alias, fence.i, step 5: %lu through the RWX page, %lu through the R-X alias\n",
          run_counter(CODE_VA, N, 1), run_counter(CODE2_VA, N, 1));
  kprintf("S: hot through the R-X alias: sum %lu\n", run_counter(CODE2_VA, N, CALLS));
  ((volatile u32 *)DATA_VA)[COUNTER_STEP] = step_insn(7);
  fence_i();
  kprintf("S: patched through the RW alias, fence.i, step 7: %lu through the R-X alias, %lu through the RWX page\n",
          run_counter(CODE2_VA, N, 1), run_counter(CODE_VA, N, 1));
  /* No fence.i, but the store is done before the call (another routine's code). */
  ((volatile u32 *)CODE_VA)[COUNTER_STEP] = step_insn(9);
  kprintf("S: patched without fence.i, called after: %lu\n", run_counter(CODE_VA, N, 1));
  int stale = 0;
  for (int i = 10; i < 20; i++) {
    ((volatile u32 *)DATA_VA)[COUNTER_STEP] = step_insn(i);
    fence_i();
    stale += run_counter(CODE2_VA, N, CALLS) != (u64)(CALLS * N * i);
  }
  kprintf("S: a hot loop repatched 10 times with fence.i: old step run %d time(s)\n", stale);
  /* An AMO changes the hot loop's step: amoadd.w adds 2 to the immediate (19 -> 21). */
  u32 old;
  __asm__ volatile("amoadd.w %0, %1, (%2)"
                   : "=r"(old)
                   : "r"(2u << 20), "r"(DATA_VA + 4 * COUNTER_STEP)
                   : "memory");
  fence_i();
  kprintf("S: step patched by amoadd.w (old word 0x%x), fence.i: sum %lu\n", old, run_counter(CODE2_VA, N, CALLS));
  /* A misaligned store across a page boundary whose upper half rewrites hot code on the next page:
   * addi a0, zero, 1; ret becomes addi a0, zero, 11; ret. */
  volatile u32 *e = (volatile u32 *)NEXT_VA;
  e[0] = addi(10, 0, 1);
  e[1] = 0x00008067;
  fence_i();
  u64 before = run_counter(NEXT_VA, 0, CALLS);
  *(volatile u64 *)(NEXT_VA - 4) = (u64)addi(10, 0, 11) << 32 | 0x5a5a5a5a;
  fence_i();
  kprintf("S: sd across a page boundary into hot code, fence.i: %lu before, %lu after, the other page's word 0x%x\n",
          before, run_counter(NEXT_VA, 0, CALLS), ((volatile u32 *)&page_d)[PAGE / 4 - 1]);
  kprintf("S: code patching its own next instructions, with fence.i: %lu wrong of %d\n", self_patch(1),
          CALLS);
  kprintf("S: code patching its own next instructions, without fence.i: %lu neither old nor new of %d\n",
          self_patch(0), CALLS);

  u64 sum = enter_user((u64)user_main, USER_VA, (u64)&user_stack + PAGE);
  kprintf("U: code written in U-mode, fence.i, run hot in U-mode, steps 1..4: sum %lu\n", sum);
  kprintf("S: the user's last code seen from S-mode: step word 0x%x\n",
          ((volatile u32 *)&page_c)[COUNTER_STEP]);
  kprintf("smc: done\n");
  return 0;
}
