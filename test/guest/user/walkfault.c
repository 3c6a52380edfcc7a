// Loops whose pointer walks an array (src/arch/riscv/recompiler.ts, hoistChecks): the
// recompiler checks such an access before the loop and, for the next pass, at its back edge,
// not at the access. Each case runs hot, so it is translated, and every 500th call its walk
// meets a page that refuses the access; the SIGSEGV handler prints which instruction faulted
// on which page, gives the page back its access and returns, so the access is retried.
// Interpreted, translated and under qemu-riscv64 the output must be the same:
//   1. loads walk up from page 1 onto page 2, which has no access: the first load there faults;
//   2. stores walk up from page 1 onto page 2, read-only: the first store there faults;
//   3. loads walk down from page 1 onto page 0, which has no access;
//   4. the walk begins on page 2, without access: its first pass faults;
//   5. word loads at addresses 2 bytes off alignment walk across pages 1 and 2 (both
//      allowed): the access across the boundary reads both pages;
//   6. a byte store loop whose pointer also loads, stepping 64 bytes, onto read-only page 2;
//   7. byte stores whose pointer steps by a register (a sieve's marking loop), onto read-only
//      page 2;
//   8. word loads whose pointer steps by a register of more than a page: each pass on a new
//      page, page 2 without access;
//   9. a loop around another (it runs in place with the inner one inside): the outer loop's
//      load walks onto page 2, without access, and then the inner loop's does.
#include "pagefaults.h"

/* The sum of n words from p up, 4 bytes a pass (one block: the loop runs in place). */
__attribute__((noinline)) static uint64_t load_up(char *p, long n) {
  uint64_t sum = 0, t;
  asm volatile("1:\tlw %0, 0(%2)\n\tadd %1, %1, %0\n\taddi %2, %2, 4\n\taddi %3, %3, -1\n\tbnez %3, 1b"
               : "=&r"(t), "+r"(sum), "+r"(p), "+r"(n)
               :
               : "memory");
  return sum;
}

__attribute__((noinline)) static void store_up(char *p, long n, uint64_t v) {
  asm volatile("1:\tsw %2, 0(%0)\n\taddi %2, %2, 7\n\taddi %0, %0, 4\n\taddi %1, %1, -1\n\tbnez %1, 1b"
               : "+r"(p), "+r"(n), "+r"(v)
               :
               : "memory");
}

__attribute__((noinline)) static uint64_t load_down(char *p, long n) {
  uint64_t sum = 0, t;
  asm volatile("1:\tld %0, 0(%2)\n\txor %1, %1, %0\n\taddi %2, %2, -8\n\taddi %3, %3, -1\n\tbnez %3, 1b"
               : "=&r"(t), "+r"(sum), "+r"(p), "+r"(n)
               :
               : "memory");
  return sum;
}

__attribute__((noinline)) static uint64_t load_store_step(char *p, long n) {
  uint64_t sum = 0, t;
  asm volatile("1:\tlbu %0, 1(%2)\n\tadd %1, %1, %0\n\tsb %1, 0(%2)\n\taddi %2, %2, 64\n\taddi %3, %3, -1\n\tbnez %3, 1b"
               : "=&r"(t), "+r"(sum), "+r"(p), "+r"(n)
               :
               : "memory");
  return sum;
}

__attribute__((noinline)) static void store_stride(char *p, long n, long step) {
  asm volatile("1:\tsb %1, 0(%0)\n\tadd %0, %0, %2\n\taddi %1, %1, -1\n\tbnez %1, 1b"
               : "+r"(p), "+r"(n)
               : "r"(step)
               : "memory");
}

__attribute__((noinline)) static uint64_t load_stride(char *p, long n, long step) {
  uint64_t sum = 0, t;
  asm volatile("1:\tlw %0, 0(%2)\n\tadd %1, %1, %0\n\tadd %2, %2, %4\n\taddi %3, %3, -1\n\tbnez %3, 1b"
               : "=&r"(t), "+r"(sum), "+r"(p), "+r"(n)
               : "r"(step)
               : "memory");
  return sum;
}

/* n passes of an outer loop loading a word at p (4 bytes up a pass); each runs an inner loop
   of one or two passes (two when the word is odd) loading bytes at q (a byte up a pass). */
__attribute__((noinline)) static uint64_t load_nested(char *p, char *q, long n) {
  uint64_t sum = 0, t, u, k;
  asm volatile("1:\tlw %0, 0(%3)\n\tadd %2, %2, %0\n\tandi %5, %0, 1\n\taddi %5, %5, 1\n"
               "2:\tlbu %1, 0(%4)\n\tadd %2, %2, %1\n\taddi %4, %4, 1\n\taddi %5, %5, -1\n\tbnez %5, 2b\n"
               "\taddi %3, %3, 4\n\taddi %6, %6, -1\n\tbnez %6, 1b"
               : "=&r"(t), "=&r"(u), "+r"(sum), "+r"(p), "+r"(q), "=&r"(k), "+r"(n)
               :
               : "memory");
  return sum;
}

int main(void) {
  if (setup_pages() != 0) return 1;
  char *p0 = area, *p1 = area + page, *p2 = area + 2 * page;
  uint64_t sum = 0;
  for (int i = 1; i <= 3000; i++) {
    int bad = i % 500 == 0;
    // 1: 16 words before page 2, 16 on it
    fix_page = p2, fix_prot = PROT_READ | PROT_WRITE;
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += load_up(p2 - 64, 32);
    // 2: the stores' page 2 read-only
    fix_prot = PROT_READ | PROT_WRITE;
    if (bad) mprotect(p2, page, PROT_READ);
    store_up(p2 - 32 - 4 * (i % 8), 24, i);
    // 3: down from page 1 onto page 0
    fix_page = p0;
    if (bad) mprotect(p0, page, PROT_NONE);
    sum += load_down(p1 + 64 + 8 * (i % 4), 16);
    // 4: the first pass on page 2, without access
    fix_page = p2;
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += load_up(p2 + 4 * (i % 16), 8);
    // 5: misaligned words across the boundary of two pages that allow them
    sum += load_up(p2 - 34, 20);
    // 6: byte loads and stores 64 bytes apart onto read-only page 2
    fix_prot = PROT_READ | PROT_WRITE;
    if (bad) mprotect(p2, page, PROT_READ);
    sum += load_store_step(p2 - 64 * 6 + (i % 32), 12);
    // 7: byte stores stepping 24-31 bytes (a register) onto read-only page 2
    fix_prot = PROT_READ | PROT_WRITE;
    if (bad) mprotect(p2, page, PROT_READ);
    store_stride(p2 - 100 - i % 7, 8, 24 + i % 8);
    // 8: word loads a page and 8 bytes apart, from page 0 over pages 1, 2 (no access) and 3
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += load_stride(p0 + 4 * (i % 64), 4, page + 8);
    // 9: the outer loop's load onto page 2 (no access) while the inner one's stays on page 1,
    // then the inner one's while the outer one's stays on page 1
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += load_nested(p2 - 40, p1 + i % 64, 16);
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += load_nested(p1 + 4 * (i % 16), p2 - 9, 16);
  }
  report(sum);
  return 0;
}
