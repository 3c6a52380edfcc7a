// Syscalls whose buffers sit at guest addresses of 2 GiB and above: read, write, readv,
// writev, futex, execve (arguments and environment), mprotect, munmap, mremap, signals
// (si_addr) and /proc/self/maps. The mappings are MAP_FIXED_NOREPLACE at fixed addresses,
// one of them straddling 2 GiB, so the output is the same wherever the emulator puts the rest.
// "layout" instead prints whether the stack, a thread's stack and TLS and a fresh mapping
// are above 2 GiB (where Hartwood puts them; not compared with QEMU).
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define TWO_GIB 0x80000000UL
#define STRADDLE (TWO_GIB - 0x1000) // two pages: one below 2 GiB, one above
#define HIGH_B 0xc0000000UL
#define HIGH_C 0xf0000000UL
#define SPAN 0x10000UL

static char *fixed(unsigned long addr, size_t len) {
  char *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(p == (char *)addr);
  return p;
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout) {
  return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static sigjmp_buf env;
static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  fault_addr = (uintptr_t)si->si_addr;
  fault_code = si->si_code;
  siglongjmp(env, 1);
}

static void try_store(const char *what, volatile char *p) {
  fault_addr = 0;
  if (sigsetjmp(env, 1) == 0) {
    *p = 1;
    printf("%s: stored\n", what);
  } else {
    printf("%s: SIGSEGV code %d at %#lx\n", what, fault_code, (unsigned long)fault_addr);
  }
}

static uint32_t *futex_word;

static void *waiter(void *arg) {
  (void)arg;
  while (__atomic_load_n(futex_word, __ATOMIC_SEQ_CST) == 0) futex(futex_word, FUTEX_WAIT_PRIVATE, 0, NULL);
  return NULL;
}

static void pipes(char *a, char *b, char *c) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  const char msg[] = "a message through a pipe, above 2 GiB both ways";
  memcpy(c, msg, sizeof msg);
  CHECK(write(fds[1], c, sizeof msg) == (ssize_t)sizeof msg);
  char *across = a + 0x1000 - 20; // the read fills bytes on both sides of 2 GiB
  CHECK(read(fds[0], across, sizeof msg) == (ssize_t)sizeof msg);
  printf("read across 2 GiB: %s\n", across);
  int n = snprintf(b, 100, "write from %#lx\n", (unsigned long)b);
  CHECK(write(1, b, n) == n);

  struct iovec *iov = (struct iovec *)(c + 0x800);
  memcpy(b + 0x100, "vectored ", 9);
  memcpy(across, "I/O above 2 GiB\n", 16);
  iov[0] = (struct iovec){b + 0x100, 9};
  iov[1] = (struct iovec){across, 16};
  fflush(stdout);
  CHECK(writev(fds[1], iov, 2) == 25);
  memset(b + 0x200, 0, 64);
  iov[0] = (struct iovec){c + 0x900, 5};
  iov[1] = (struct iovec){b + 0x200, 20};
  CHECK(readv(fds[0], iov, 2) == 25);
  printf("readv: %.5s|%.20s", c + 0x900, b + 0x200);
  close(fds[0]);
  close(fds[1]);
}

static void futexes(char *a, char *c) {
  // A wait that times out: the word's address was accepted (EFAULT would say otherwise).
  futex_word = (uint32_t *)(a + 0x1000); // exactly 2 GiB
  *futex_word = 0;
  struct timespec short_wait = {0, 2000000};
  errno = 0;
  long r = futex(futex_word, FUTEX_WAIT_PRIVATE, 0, &short_wait);
  printf("futex wait at 2 GiB: %ld errno %d\n", r, errno);
  errno = 0;
  r = futex(futex_word, FUTEX_WAIT_PRIVATE, 5, NULL);
  printf("futex wait, other value: %ld errno %d\n", r, errno);
  // Another thread waits on a word near the top; waking it must find it by that address.
  futex_word = (uint32_t *)(c + 0x100);
  *futex_word = 0;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, waiter, NULL) == 0);
  while (futex(futex_word, FUTEX_WAKE_PRIVATE, 1, NULL) != 1) usleep(1000);
  __atomic_store_n(futex_word, 1, __ATOMIC_SEQ_CST);
  futex(futex_word, FUTEX_WAKE_PRIVATE, 1, NULL);
  CHECK(pthread_join(t, NULL) == 0);
  printf("futex wake at %#lx woke the waiting thread\n", (unsigned long)futex_word);
}

static void protections(char *b) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
  CHECK(mprotect(b + 0x2000, 0x1000, PROT_READ) == 0);
  try_store("store to a read-only page above 2 GiB", b + 0x2010);
  CHECK(munmap(b + 0x3000, 0x1000) == 0);
  try_store("store to an unmapped page above 2 GiB", b + 0x3020);
  try_store("store next to it", b + 0x4000);
  // mremap in place: shrink, then grow back over the hole (zero-filled again).
  b[0x5000] = 42;
  char *r = mremap(b + 0x4000, 0x4000, 0x2000, 0);
  CHECK(r == b + 0x4000);
  try_store("store past the shrunk mapping", b + 0x6000);
  r = mremap(b + 0x4000, 0x2000, 0x4000, 0);
  printf("mremap above 2 GiB: %s, kept %d, new page reads %d\n", r == b + 0x4000 ? "in place" : "moved", r[0x1000],
         r[0x2000]);
}

static void maps(char *b) {
  FILE *f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  char *line = b + 0x8000; // the lines land above 2 GiB too
  while (fgets(line, 256, f)) {
    unsigned long lo, hi;
    char perm[5];
    if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3) continue;
    if ((lo >= STRADDLE && lo < STRADDLE + 0x2000) || (lo >= HIGH_B && lo < HIGH_B + SPAN) ||
        (lo >= HIGH_C && lo < HIGH_C + SPAN))
      printf("maps: %lx-%lx %s\n", lo, hi, perm);
  }
  fclose(f);
}

static void exec_self(const char *self, char *c) {
  // argv, envp and their strings all above 2 GiB.
  char **argv = (char **)(c + 0x2000);
  char **envp = argv + 4;
  char *s = c + 0x3000;
  strcpy(s, self);
  strcpy(s + 0x100, "exec-child");
  strcpy(s + 0x200, "an argument from above 2 GiB");
  strcpy(s + 0x300, "HIGH=an environment from above 2 GiB");
  argv[0] = s, argv[1] = s + 0x100, argv[2] = s + 0x200, argv[3] = NULL;
  envp[0] = s + 0x300, envp[1] = NULL;
  fflush(stdout);
  execve(self, argv, envp);
  CHECK(0);
}

static __thread int tls_var;
static int above(const void *p) {
  return (uintptr_t)p >= TWO_GIB;
}

static void *where(void *arg) {
  int local;
  printf("thread stack %d, thread TLS %d\n", above(&local), above(&tls_var));
  return arg;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
    printf("exec'd with %s, %s\n", argv[2], getenv("HIGH"));
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "layout") == 0) {
    int local;
    printf("stack %d, mmap %d\n", above(&local), above(mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, where, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *a = fixed(STRADDLE, 0x2000);
  char *b = fixed(HIGH_B, SPAN);
  char *c = fixed(HIGH_C, SPAN);
  pipes(a, b, c);
  futexes(a, c);
  maps(b);
  protections(b);
  exec_self(argv[0], c);
}
