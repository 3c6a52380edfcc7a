/* Address-space switches under Sv39 (Priv spec §4.1.11 satp, §4.2.1 sfence.vma): two
 * address spaces map the same virtual code page to different physical pages holding
 * different code (the counting loop of paging.h with step 1 in one and 2 in the other);
 * satp switches between them hundreds of times, with two ASIDs (no fence needed) and with
 * ASID 0 for both (an sfence.vma after each switch), calling the code each time: every call
 * must run its own space's code, however hot (translated) the other's is. Then one space's
 * code page is remapped to a third page (step 3) and back, followed by each form of
 * sfence.vma that covers the page. */
#include "paging.h"

#define CODE_VA WINDOW_VA
#define SWITCHES 300
#define N 20

static space_t space_a, space_b;
static page_t page_a, page_b, page_c;

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
  /* Space B kept its code through all of it (ASID 2 was never fenced). */
  csr_write(satp, b2);
  kprintf("space B afterwards: %d wrong of %d\n", calls_wrong(2), SWITCHES);
  kprintf("asid: done\n");
  return 0;
}
