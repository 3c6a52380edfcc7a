// Code in the last two bytes of a page: compressed instructions there (the interpreter reads
// four bytes at an instruction's address, two of them past the page, and keeps the decode),
// and a 32-bit instruction that straddles two pages (its upper half on the next page, which
// the fetch must take from there). argv[1] "c" runs the compressed case, "w" the straddling
// one, each argv[2] times (default 100000). "x" runs straight-line code from one page into
// the next that many times, then takes PROT_EXEC from the next page and runs it once more:
// it must fault at that page's first byte (the interpreter looks a page up again only where
// straight-line code enters it).
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

typedef long (*fn_t)(long);

static void put16(uint8_t *at, uint16_t h) { memcpy(at, &h, 2); }
static void put32(uint8_t *at, uint32_t w) { memcpy(at, &w, 4); }

static sigjmp_buf faulted;
static void *fault_at;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  fault_at = si->si_addr;
  siglongjmp(faulted, 1);
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "c";
  long calls = argc > 2 ? atol(argv[2]) : 100000;
  long page = sysconf(_SC_PAGESIZE);
  uint8_t *code = mmap(0, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(code != MAP_FAILED);
  uint8_t *end = code + page; /* the second page's first byte */
  fn_t f;
  if (which[0] == 'c') {
    put16(end - 6, 0x0505); /* c.addi a0, 1 */
    put16(end - 4, 0x0509); /* c.addi a0, 2 */
    put16(end - 2, 0x050d); /* c.addi a0, 3: the page's last two bytes */
    put16(end, 0x8082);     /* c.jr ra */
    f = (fn_t)(end - 6);
  } else if (which[0] == 'x') {
    for (int i = 4; i >= 1; i--) put32(end - 4 * i, 0x00150513); /* addi a0, a0, 1 */
    put32(end, 0x00150513);
    put32(end + 4, 0x00008067); /* ret */
    f = (fn_t)(end - 16);
  } else {
    put16(end - 4, 0x0505);     /* c.addi a0, 1 */
    put32(end - 2, 0x00550513); /* addi a0, a0, 5: two bytes on each page */
    put16(end + 2, 0x8082);     /* c.jr ra */
    f = (fn_t)(end - 4);
  }
  __builtin___clear_cache((char *)code, (char *)code + 2 * page);
  long sum = 0;
  for (long i = 0; i < calls; i++) sum += f(i) - i;
  if (which[0] == 'x') {
    printf("into the next page: %ld calls, sum %ld\n", calls, sum);
    CHECK(mprotect(end, page, PROT_READ | PROT_WRITE) == 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGSEGV, &sa, 0) == 0);
    if (sigsetjmp(faulted, 1) == 0) printf("ran into a page without PROT_EXEC: %ld\n", f(0));
    else printf("SIGSEGV at the next page's byte %ld\n", (long)((uint8_t *)fault_at - end));
    return 0;
  }
  printf("%s: %ld calls, sum %ld\n", which[0] == 'c' ? "compressed in a page's last two bytes" : "32-bit across two pages", calls, sum);
  return 0;
}
