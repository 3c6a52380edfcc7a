// Faults inside hot code: a loop that has long been running (and so is translated by the
// recompiler) reads into a page without access. The SIGSEGV handler prints the registers of
// the signal frame, makes the page readable and returns, so the load is retried and the
// loop goes on; five rounds fault again on purpose. The registers in the frame, the sums and
// the fault addresses must be the same whether the code is interpreted or translated.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGES 8
static uint64_t *area;
static long page_bytes;
static int faults;

static void on_segv(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  (void)sig;
  char line[1024];
  int n = snprintf(line, sizeof line, "fault %d at page %ld:", faults,
                   (long)(((uintptr_t)info->si_addr - (uintptr_t)area) / page_bytes));
  // The loop's registers as the frame holds them (pc and x1..x31).
  for (int r = 0; r < 32; r++)
    n += snprintf(line + n, sizeof line - n, " %llx", (unsigned long long)uc->uc_mcontext.__gregs[r]);
  puts(line);
  faults++;
  mprotect((char *)area + (PAGES - 1) * page_bytes, page_bytes, PROT_READ | PROT_WRITE);
}

static uint64_t sum_area(uint64_t salt) {
  uint64_t sum = salt, x = salt;
  size_t words = PAGES * page_bytes / sizeof(uint64_t);
  for (size_t i = 0; i < words; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sum += area[i] ^ (x >> 17);
    sum = (sum << 7) | (sum >> 57);
  }
  return sum;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  page_bytes = sysconf(_SC_PAGESIZE);
  area = mmap(NULL, PAGES * page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return 1;
  for (size_t i = 0; i < PAGES * page_bytes / sizeof(uint64_t); i++) area[i] = i * 0x9e3779b97f4a7c15ULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  uint64_t total = 0;
  for (int round = 0; round < 40; round++) {
    // Every eighth round the last page has no access: the hot loop faults there.
    if (round % 8 == 7) mprotect((char *)area + (PAGES - 1) * page_bytes, page_bytes, PROT_NONE);
    total += sum_area(round);
  }
  printf("faults %d, total %016llx\n", faults, (unsigned long long)total);
  return 0;
}
