// Accesses through one base register in one block: the recompiler checks their pages once
// for the whole group (src/arch/riscv/recompiler.ts, joinGroup). Each case runs hot, so it is
// translated, and every 500th call its accesses meet a page that refuses one of them; the
// SIGSEGV handler prints which instruction faulted on which page, gives the page back its
// access and returns, so the access is retried. Interpreted and translated, the output (and
// the memory's checksum at the end) must be the same:
//   1. a load and then a store on a read-only page: the store faults, not skipped;
//   2. a span that crosses into a page without access: the load on that page faults;
//   3. the base register moves between two loads: the second is checked on its own page;
//   4. a system call between two loads takes the page's access away: the second faults;
//   5. two loads and a store all on a read-only page, the store last: it faults;
//   6. a loop whose head loads through the base the block before it loaded through, and
//      whose end moves the base a page on: the second pass faults on the next page.
#include "pagefaults.h"

/* 1: ld, then sd 8 bytes further (same page). */
__attribute__((noinline)) static uint64_t load_store(char *p) {
  uint64_t a;
  asm volatile("ld %0, 0(%1)\n\taddi %0, %0, 3\n\tsd %0, 8(%1)" : "=&r"(a) : "r"(p) : "memory");
  return a;
}

/* 2: two loads 16 bytes apart. */
__attribute__((noinline)) static uint64_t span(char *p) {
  uint64_t a, b;
  asm volatile("ld %0, 0(%2)\n\tld %1, 16(%2)" : "=&r"(a), "=&r"(b) : "r"(p) : "memory");
  return a + b;
}

/* 3: a load, the base moves one page on, a load at the same offset. */
__attribute__((noinline)) static uint64_t moved(char *p) {
  uint64_t a, b;
  char *q = p;
  asm volatile("ld %0, 0(%2)\n\taddi %2, %2, 2047\n\taddi %2, %2, 2047\n\taddi %2, %2, 2\n\tld %1, 8(%2)"
               : "=&r"(a), "=&r"(b), "+r"(q)
               : : "memory");
  return a + b;
}

/* 4: a load, mprotect(page, PROT_NONE or PROT_READ) through ecall, a load 8 bytes on. */
__attribute__((noinline)) static uint64_t syscall_between(char *p, char *pg, long prot) {
  uint64_t a, b;
  register long a0 asm("a0") = (long)pg;
  register long a1 asm("a1") = page;
  register long a2 asm("a2") = prot;
  register long a7 asm("a7") = 226; /* mprotect */
  asm volatile("ld %0, 0(%2)\n\tecall\n\tld %1, 8(%2)"
               : "=&r"(a), "=&r"(b), "+r"(p), "+r"(a0)
               : "r"(a1), "r"(a2), "r"(a7)
               : "memory");
  return a + b + (uint64_t)a0;
}

/* 5: two loads and a store through one base, the store last. */
__attribute__((noinline)) static uint64_t loads_then_store(char *p) {
  uint64_t a, b;
  asm volatile("ld %0, 24(%2)\n\tld %1, 0(%2)\n\tadd %0, %0, %1\n\tsd %0, 40(%2)"
               : "=&r"(a), "=&r"(b)
               : "r"(p)
               : "memory");
  return a;
}

/* 6: a load, then a loop of two passes: a load 8 bytes on, the base one page on. */
__attribute__((noinline)) static uint64_t loop_moves(char *p) {
  uint64_t a, b, n = 2, sum = 0;
  asm volatile("ld %0, 0(%3)\n"
               "1:\tld %1, 8(%3)\n\tadd %4, %4, %1\n"
               "\taddi %3, %3, 2047\n\taddi %3, %3, 2047\n\taddi %3, %3, 2\n"
               "\taddi %2, %2, -1\n\tbnez %2, 1b"
               : "=&r"(a), "=&r"(b), "+r"(n), "+r"(p), "+r"(sum)
               :
               : "memory");
  return a + sum;
}

int main(void) {
  if (setup_pages() != 0) return 1;
  char *p1 = area + page, *p2 = area + 2 * page;
  uint64_t sum = 0;
  for (int i = 1; i <= 3000; i++) {
    int bad = i % 500 == 0;
    fix_prot = PROT_READ | PROT_WRITE;
    // 1: page 1 read-only
    fix_page = p1;
    if (bad) mprotect(p1, page, PROT_READ);
    sum += load_store(p1 + 8 * (i % 16));
    // 2: the span's last load on page 2, without access
    fix_page = p2;
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += span(p2 - 8);
    // 3: the second load one page on, on page 2 without access
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += moved(p1 + 64);
    // 4: the system call takes page 1's access away when bad
    fix_page = p1;
    sum += syscall_between(p1 + 128, p1, bad ? PROT_NONE : PROT_READ | PROT_WRITE);
    mprotect(p1, page, PROT_READ | PROT_WRITE);
    // 5: page 1 read-only
    if (bad) mprotect(p1, page, PROT_READ);
    sum += loads_then_store(p1 + 256 + 8 * (i % 8));
    // 6: the loop's second pass on page 2, without access
    fix_page = p2;
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += loop_moves(p1 + 512);
  }
  report(sum);
  return 0;
}
