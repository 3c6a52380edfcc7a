// Loops whose accesses the recompiler checks once where the loop is entered
// (src/arch/riscv/loop-accesses.ts, recompiler.ts hoistChecks): a table at a base the loop
// does not write, indexed by a masked and scaled byte (one check of the whole span the index
// can reach), and a pointer the loop steps, loaded after its step in a later block (checked
// at its distance from the pointer at the head). Each case runs hot, so it is translated, and
// every 500th call its accesses meet a page that refuses them; the SIGSEGV handler prints
// which instruction faulted on which page, gives the page back its access and returns, so the
// access is retried. Interpreted, translated and under qemu-riscv64 the output must be the same:
//   1. table loads (a CRC's `table[(crc ^ *p) & 0xff]`) from a table across pages 1 and 2,
//      page 2 without access: the first load that reaches page 2 faults;
//   2. table stores through a masked index, the table across pages 1 and 2, page 2 read-only;
//   3. table loads whose span reaches page 2 (without access, every call) while the indices
//      used stay on page 1: nothing faults;
//   4. a loop that stores a function's new instructions into its code page through a masked
//      index: the function, translated before, runs as rewritten (no flush);
//   5. a pointer stepped in the loop's head and loaded after the step in its last block,
//      walking onto page 2 without access.
#include <stdlib.h>

#include "pagefaults.h"

/* 1: crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8), n bytes (one block: it runs in place). */
__attribute__((noinline)) static uint64_t lookup(const char *table, const char *p, long n) {
  uint64_t crc = 0, t, u;
  asm volatile("1:\tlbu %0, 0(%3)\n\txor %0, %0, %2\n\tandi %0, %0, 255\n\tslli %0, %0, 2\n\tadd %0, %0, %5\n"
               "\tlw %1, 0(%0)\n\tsrli %2, %2, 8\n\txor %2, %2, %1\n\taddi %3, %3, 1\n\taddi %4, %4, -1\n\tbnez %4, 1b"
               : "=&r"(t), "=&r"(u), "+r"(crc), "+r"(p), "+r"(n)
               : "r"(table)
               : "memory");
  return crc;
}

/* 2: table[*p++ & 63] = v, v += 7, n times (words). */
__attribute__((noinline)) static void scatter(char *table, const char *p, long n, uint64_t v) {
  uint64_t t;
  asm volatile("1:\tlbu %0, 0(%2)\n\tandi %0, %0, 63\n\tslli %0, %0, 2\n\tadd %0, %0, %4\n\tsw %3, 0(%0)\n"
               "\taddi %3, %3, 7\n\taddi %2, %2, 1\n\taddi %1, %1, -1\n\tbnez %1, 1b"
               : "=&r"(t), "+r"(n), "+r"(p), "+r"(v)
               : "r"(table)
               : "memory");
}

/* 3: the sum of table[*p++ & 255] (words), n bytes. */
__attribute__((noinline)) static uint64_t gather(const char *table, const char *p, long n) {
  uint64_t sum = 0, t;
  asm volatile("1:\tlbu %0, 0(%2)\n\tandi %0, %0, 255\n\tslli %0, %0, 2\n\tadd %0, %0, %4\n\tlwu %0, 0(%0)\n"
               "\tadd %1, %1, %0\n\taddi %2, %2, 1\n\taddi %3, %3, -1\n\tbnez %3, 1b"
               : "=&r"(t), "+r"(sum), "+r"(p), "+r"(n)
               : "r"(table)
               : "memory");
  return sum;
}

/* 4: code[i & 1] = words[i & 1] for i < n (words). */
__attribute__((noinline)) static void rewrite(uint32_t *code, const uint32_t *words, long n) {
  uint64_t t, u, i = 0;
  asm volatile("1:\tandi %0, %2, 1\n\tslli %0, %0, 2\n\tadd %1, %0, %5\n\tlw %1, 0(%1)\n\tadd %0, %0, %4\n"
               "\tsw %1, 0(%0)\n\taddi %2, %2, 1\n\taddi %3, %3, -1\n\tbnez %3, 1b"
               : "=&r"(t), "=&r"(u), "+r"(i), "+r"(n)
               : "r"(code), "r"(words)
               : "memory");
}

/* 5: two words 4 bytes apart a pass, the second loaded after the pointer's step in the loop's
   last block (an odd first word adds one on the way), 8 bytes up a pass. */
__attribute__((noinline)) static uint64_t pairs(const char *p, long n) {
  uint64_t sum = 0, t;
  asm volatile("1:\tlw %0, 0(%2)\n\taddi %2, %2, 4\n\tadd %1, %1, %0\n\tandi %0, %0, 1\n\tbeqz %0, 2f\n"
               "\taddi %1, %1, 1\n2:\tlw %0, 0(%2)\n\txor %1, %1, %0\n\taddi %2, %2, 4\n\taddi %3, %3, -1\n"
               "\tbnez %3, 1b"
               : "=&r"(t), "+r"(sum), "+r"(p), "+r"(n)
               :
               : "memory");
  return sum;
}

typedef long (*fn_t)(long);

/* addi a0, a0, imm; ret */
static void version(uint32_t words[2], int imm) {
  words[0] = ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u;
  words[1] = 0x00008067u;
}

int main(void) {
  if (setup_pages() != 0) return 1;
  char *p0 = area, *p1 = area + page, *p2 = area + 2 * page, *p3 = area + 3 * page;
  static char small[64];
  for (int i = 0; i < 64; i++) small[i] = (char)(i * 37 % 64);
  uint64_t sum = 0;
  for (int i = 1; i <= 3000; i++) {
    int bad = i % 500 == 0;
    // 1: a 1 KiB table, its second half on page 2
    fix_page = p2, fix_prot = PROT_READ | PROT_WRITE;
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += lookup(p2 - 512, p3 + i % 256, 64);
    // 2: a 256-byte table, its second half on page 2, read-only
    if (bad) mprotect(p2, page, PROT_READ);
    scatter(p2 - 128, p3 + 512 + i % 128, 32, i);
    // 3: indices below 64: only the table's first 256 bytes, all on page 1
    mprotect(p2, page, PROT_NONE);
    sum += gather(p2 - 256, small + i % 32, 32);
    mprotect(p2, page, PROT_READ | PROT_WRITE);
    // 5: 8 bytes a pass onto page 2 without access
    if (bad) mprotect(p2, page, PROT_NONE);
    sum += pairs(p2 - 92 - 8 * (i % 4), 16);
  }
  // 4: a function in a read-write-execute page runs hot, then a loop stores new instructions
  // into it through a masked index, with no flush
  uint32_t *code = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) return 1;
  fn_t f = (fn_t)(uintptr_t)code;
  uint32_t words[2];
  version(words, 1);
  rewrite(code, words, 2);
  __builtin___clear_cache((char *)code, (char *)(code + 2));
  for (int round = 0; round < 12; round++) {
    long s = 0;
    for (long k = 0; k < 2000; k++) s += f(k);
    printf("round %d: sum %ld\n", round, s);
    version(words, 3 + 5 * round);
    for (int k = 0; k < 300; k++) rewrite(code, words, 4);
  }
  report(sum);
  return 0;
}
