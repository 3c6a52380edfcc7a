/* Cross-modifying code on two harts under Sv39 (Zifencei; SBI v2.0 §8 remote_fence_i): the
 * other hart calls the counting loop (paging.h) in a tight loop, hot, while the boot hart
 * rewrites its step 2..6 and after each rewrite makes an SBI remote_fence_i to the other
 * hart, then publishes the step. A call the other hart starts after seeing a step must run
 * that step or a later one; which calls fall between two rewrites depends on timing, so only
 * the count of calls that ran an older step is printed. */
#include "paging.h"

#define CODE_VA WINDOW_VA
#define DATA_VA (WINDOW_VA + PAGE) /* the same page, RW- */
#define N 10
#define LAST_STEP 6
#define WAIT_TICKS (10 * TIMEBASE_HZ)
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D

static space_t space;
static page_t code_page;
extern char hart_entry[]; /* start-s.S: where a hart started with hart_start enters */
/* Written by the boot hart: the step published after its remote fence.i (0 = stop). */
static volatile u64 published = 1;
/* Written by the other hart. */
static volatile u64 ready, calls, stale, last_step, finished;

static i64 sbi(u64 ext, u64 fid, u64 arg0, u64 arg1, u64 arg2) {
  register u64 a0 __asm__("a0") = arg0;
  register u64 a1 __asm__("a1") = arg1;
  register u64 a2 __asm__("a2") = arg2;
  register u64 a6 __asm__("a6") = fid;
  register u64 a7 __asm__("a7") = ext;
  __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
  return (i64)a0;
}

/* Waits (bounded) until *v >= want; returns whether it got there. */
static int wait_for(volatile u64 *v, u64 want) {
  for (u64 start = rdtime(); *v < want;)
    if (rdtime() - start > WAIT_TICKS) return 0;
  return 1;
}

void hart_main(void) {
  csr_write(satp, satp_of(&space.root, 0));
  sfence_vma();
  fence_i();
  ready = 1;
  for (;;) {
    u64 step = published;
    fence();
    if (step == 0) break;
    u64 got = run_counter(CODE_VA, N, 1);
    if (got < step * N) stale = stale + 1;
    last_step = got / N;
    calls = calls + 1;
  }
  finished = 1;
}

int main(u64 hartid) {
  kprintf("smc_smp: start\n");
  space_init(&space);
  map_window(&space, CODE_VA, &code_page, PTE_R | PTE_X);
  map_window(&space, DATA_VA, &code_page, PTE_R | PTE_W);
  write_counter((volatile u32 *)&code_page, 1);
  fence_i();
  csr_write(satp, satp_of(&space.root, 0));
  sfence_vma();
  u64 other = hartid ^ 1;
  i64 e = sbi(EXT_HSM, 0, other, (u64)hart_entry, 0);
  kprintf("hart_start(other hart): error %ld, running: %s\n", e, yesno(wait_for(&ready, 1)));
  int kept_up = 1;
  for (u64 step = 2; step <= LAST_STEP; step++) {
    /* The other hart runs the current code hot before it changes. */
    kept_up &= wait_for(&calls, calls + 200);
    ((volatile u32 *)DATA_VA)[COUNTER_STEP] = step_insn((i64)step);
    fence_i();
    e |= sbi(EXT_RFENCE, 0, 1UL << other, 0, 0);
    fence();
    published = step;
  }
  kept_up &= wait_for(&calls, calls + 200);
  published = 0;
  kprintf("remote_fence_i: errors %ld; the other hart made 200 calls after each rewrite: %s\n", e, yesno(kept_up));
  kprintf("other hart finished: %s, last step run %lu, calls that ran a step older than the one published: %lu\n",
          yesno(wait_for(&finished, 1)), last_step, stale);
  kprintf("smc_smp: done\n");
  return 0;
}
