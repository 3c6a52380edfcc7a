/* Page protections in user mode: every access below must fault exactly where Linux faults
 * (the reference is qemu-riscv64), and accesses that straddle two accessible pages work. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int faults;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  faults++;
  printf("  signal %d code %d\n", sig, si->si_code);
  siglongjmp(env, 1);
}

#define TRY(what, stmt)                       \
  do {                                        \
    printf("%s\n", what);                     \
    if (sigsetjmp(env, 1) == 0) {             \
      stmt;                                   \
      printf("  ok\n");                       \
    }                                         \
  } while (0)

static int twice(int x) { return 2 * x; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  long page = sysconf(_SC_PAGESIZE);
  char *p = mmap(0, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile char *v = p;
  TRY("write then read a fresh page", (v[0] = 7, v[page] = v[0]));
  TRY("an 8-byte store across two writable pages", *(volatile long *)(p + page - 4) = 0x1122334455667788L);
  TRY("an 8-byte load across two readable pages", printf("  %lx\n", *(volatile long *)(p + page - 4)));
  munmap(p + 2 * page, page);
  TRY("read an unmapped page", (void)v[2 * page]);
  TRY("a load straddling into an unmapped page", (void)*(volatile long *)(p + 2 * page - 4));
  mprotect(p + page, page, PROT_READ);
  TRY("read a read-only page", (void)v[page]);
  TRY("write a read-only page", v[page] = 1);
  TRY("a store straddling into a read-only page", *(volatile int *)(p + page - 2) = 5);
  mprotect(p, page, PROT_NONE);
  TRY("read a PROT_NONE page", (void)v[0]);
  mprotect(p, page, PROT_READ | PROT_WRITE);
  TRY("read it again after mprotect RW", (void)v[0]);
  TRY("write the program's code", *(volatile int *)(void *)twice = 0);
  TRY("call the code afterwards", printf("  %d\n", twice(21)));
  char *x = mmap(0, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(x, (void *)twice, 64);
  mprotect(x, page, PROT_READ);
  TRY("execute a page without PROT_EXEC", printf("  %d\n", ((int (*)(int))(void *)x)(4)));
  printf("faults %d\n", faults);
  return 0;
}
