// What groupfault.c and walkfault.c share: PAGES pages of patterned memory, and a SIGSEGV
// handler that prints which instruction faulted where, gives fix_page the access fix_prot
// and returns, so that the access is retried.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGES 4
static char *area;
static long page;
static int faults;
static char *volatile fix_page;
static volatile int fix_prot;

static void on_segv(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  (void)sig;
  printf("fault %d: pc %lx, page %ld, offset %ld\n", faults, (unsigned long)uc->uc_mcontext.__gregs[0],
         (long)((char *)info->si_addr - area) / page, (long)((char *)info->si_addr - area) % page);
  faults++;
  mprotect(fix_page, page, fix_prot);
}

/* Maps the pages, fills them and installs the handler; 0 on success. */
static int setup_pages(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  page = sysconf(_SC_PAGESIZE);
  area = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return 1;
  for (long i = 0; i < PAGES * page / 8; i++) ((uint64_t *)area)[i] = i * 0x9e3779b97f4a7c15ULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  return 0;
}

/* Prints the faults, `sum` and a checksum of the pages. */
static void report(uint64_t sum) {
  uint64_t check = 0;
  for (long i = 0; i < PAGES * page / 8; i++) check = check * 31 + ((uint64_t *)area)[i];
  printf("faults %d, sum %016llx, memory %016llx\n", faults, (unsigned long long)sum, (unsigned long long)check);
}
