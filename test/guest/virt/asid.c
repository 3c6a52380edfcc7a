/* Address-space switches under Sv39 (Priv spec §4.1.11 satp, §4.2.1 sfence.vma): two
 * address spaces map the same virtual code page to different physical pages holding
 * different code (the counting loop of paging.h with step 1 in one and 2 in the other);
 * satp switches between them hundreds of times, with two ASIDs (no fence needed) and with
 * ASID 0 for both (an sfence.vma after each switch), calling the code each time: every call
 * must run its own space's code, however hot (translated) the other's is. Then one space's
 * code page is remapped to a third page (step 3) and back, followed by each form of
 * sfence.vma that covers the page, and made non-executable: the hot code must then fault.
 * Last, an instruction that straddles two pages has its second half's page remapped. */
#include "paging.h"

#define CODE_VA WINDOW_VA
#define SWITCHES 300
#define N 20

static space_t space_a, space_b;
static page_t page_a, page_b, page_c, page_s, page_p, page_q;

/* Code at the end of page_s whose last instruction continues on the next page (page_p or
 * page_q): addi a0, zero, 0 at 0xffa; addi a0, a0, step at 0xffe, its upper half (the step)
 * on the next page, where ret follows. Returns the step of the page mapped after page_s. */
#define STRADDLE_VA (WINDOW_VA + 2 * PAGE - 6)
static void write_straddle(void) {
  volatile u16 *s = (volatile u16 *)&page_s;
  s[0xffa / 2] = addi(10, 0, 0) & 0xffff;
  s[0xffc / 2] = addi(10, 0, 0) >> 16;
  s[0xffe / 2] = step_insn(4) & 0xffff;
  for (int i = 0; i < 2; i++) {
    volatile u16 *n = (volatile u16 *)(i ? &page_q : &page_p);
    n[0] = step_insn(i ? 6 : 5) >> 16;
    n[1] = 0x8067; /* ret */
    n[2] = 0x0000;
  }
}

static int straddle_wrong(u64 step) {
  int wrong = 0;
  for (int i = 0; i < SWITCHES; i++) wrong += ((u64(*)(void))STRADDLE_VA)() != step;
  return wrong;
}

/* An instruction page fault on a call of the code returns to the caller with a0 = 0 (the
 * caller's ra is intact: the fault is on the callee's first fetch). */
static volatile u64 fault_cause = 0, fault_tval = 0;
void fetch_fault(void);
__asm__(".text\n"
        ".balign 4\n"
        "fetch_fault:\n"
        "  csrr t0, scause\n"
        "  lla t1, fault_cause\n"
        "  sd t0, 0(t1)\n"
        "  csrr t0, stval\n"
        "  lla t1, fault_tval\n"
        "  sd t0, 0(t1)\n"
        "  csrw sepc, ra\n"
        "  li a0, 0\n"
        "  sret\n");

/* start-s.S's entry for harts started with HSM: this program starts none. */
void hart_main(void) {}

/* Switches satp between a and b `SWITCHES` times each way, calling the code each time; counts
 * the calls that ran the other space's code. */
static int ping_pong(u64 satp_a, u64 satp_b, int fence_each) {
  int wrong = 0;
  for (int i = 0; i < SWITCHES; i++) {
    csr_write(satp, satp_a);
    if (fence_each) sfence_vma_asid(0UL);
    wrong += run_counter(CODE_VA, N, 1) != 1 * N;
    csr_write(satp, satp_b);
    if (fence_each) sfence_vma_asid(0UL);
    wrong += run_counter(CODE_VA, N, 1) != 2 * N;
  }
  return wrong;
}

/* Calls the code in the current space hot; counts the calls that did not return n * step. */
static int calls_wrong(u64 step) {
  int wrong = 0;
  for (int i = 0; i < SWITCHES; i++) wrong += run_counter(CODE_VA, N, 1) != step * N;
  return wrong;
}

int main(void) {
  kprintf("asid: start\n");
  write_counter((volatile u32 *)&page_a, 1);
  write_counter((volatile u32 *)&page_b, 2);
  write_counter((volatile u32 *)&page_c, 3);
  fence_i();
  space_init(&space_a);
  space_init(&space_b);
  map_window(&space_a, CODE_VA, &page_a, PTE_R | PTE_X);
  map_window(&space_b, CODE_VA, &page_b, PTE_R | PTE_X);

  u64 a1 = satp_of(&space_a.root, 1), b2 = satp_of(&space_b.root, 2);
  csr_write(satp, a1);
  sfence_vma();
  kprintf("ASIDs 1 and 2: %d calls of %d ran the other space's code\n", ping_pong(a1, b2, 0), 2 * SWITCHES);
  kprintf("ASID 0 for both, sfence.vma zero, asid after each switch: %d calls of %d ran the other space's code\n",
          ping_pong(satp_of(&space_a.root, 0), satp_of(&space_b.root, 0), 1), 2 * SWITCHES);

  csr_write(satp, a1);
  sfence_vma();
  kprintf("space A before remapping: %d wrong of %d\n", calls_wrong(1), SWITCHES);
  map_window(&space_a, CODE_VA, &page_c, PTE_R | PTE_X);
  sfence_vma_va(CODE_VA);
  kprintf("remapped to step 3, sfence.vma va, zero: %d wrong of %d\n", calls_wrong(3), SWITCHES);
  map_window(&space_a, CODE_VA, &page_a, PTE_R | PTE_X);
  sfence_vma_asid(1UL);
  kprintf("remapped to step 1, sfence.vma zero, asid: %d wrong of %d\n", calls_wrong(1), SWITCHES);
  map_window(&space_a, CODE_VA, &page_c, PTE_R | PTE_X);
  sfence_vma_va_asid(CODE_VA, 1UL);
  kprintf("remapped to step 3, sfence.vma va, asid: %d wrong of %d\n", calls_wrong(3), SWITCHES);
  map_window(&space_a, CODE_VA, &page_a, PTE_R | PTE_X);
  sfence_vma();
  kprintf("remapped to step 1, sfence.vma zero, zero: %d wrong of %d\n", calls_wrong(1), SWITCHES);
  map_window(&space_a, CODE_VA, &page_a, PTE_R);
  sfence_vma_va(CODE_VA);
  csr_write(stvec, (u64)fetch_fault);
  u64 got = run_counter(CODE_VA, N, 1);
  csr_write(stvec, (u64)unexpected_strap);
  kprintf("made non-executable, sfence.vma va, zero: returned %lu, scause %lu, stval is the code: %s\n", got,
          fault_cause, yesno(fault_tval == CODE_VA));
  map_window(&space_a, CODE_VA, &page_a, PTE_R | PTE_X);
  sfence_vma_va(CODE_VA);
  kprintf("executable again: %d wrong of %d\n", calls_wrong(1), SWITCHES);
  write_straddle();
  fence_i();
  map_window(&space_a, WINDOW_VA + PAGE, &page_s, PTE_R | PTE_X);
  map_window(&space_a, WINDOW_VA + 2 * PAGE, &page_p, PTE_R | PTE_X);
  sfence_vma();
  kprintf("instruction across two pages, second page step 5: %d wrong of %d\n", straddle_wrong(5), SWITCHES);
  map_window(&space_a, WINDOW_VA + 2 * PAGE, &page_q, PTE_R | PTE_X);
  sfence_vma_va(WINDOW_VA + 2 * PAGE);
  kprintf("second page remapped to step 6, sfence.vma va: %d wrong of %d\n", straddle_wrong(6), SWITCHES);
  ((volatile u16 *)&page_q)[0] = step_insn(7) >> 16;
  fence_i();
  kprintf("second page's half patched to step 7, fence.i: %d wrong of %d\n", straddle_wrong(7), SWITCHES);
  /* Space B kept its code through all of it (ASID 2 was never fenced). */
  csr_write(satp, b2);
  kprintf("space B afterwards: %d wrong of %d\n", calls_wrong(2), SWITCHES);
  kprintf("asid: done\n");
  return 0;
}
