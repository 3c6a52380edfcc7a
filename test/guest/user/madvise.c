// madvise(MADV_DONTNEED) on private anonymous memory: the pages it names read as zero
// afterwards and the pages around them keep their bytes. Pages that were never touched, pages
// written with zeros only, and pages whose one non-zero byte is the first or the last all sit
// inside the range (a zero-filler that skips pages already zero must look at every byte).
// Then the range is written and discarded again, the program break's pages are discarded, and
// a shared anonymous mapping keeps its bytes (its pages belong to the shared object). Last,
// fresh pages whose first writer is not a plain store (a read(2), an atomic, a signal frame, a
// store across two pages) must read zero after a discard too.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define PAGES 320UL
#define FROM 20UL /* the discarded pages: [FROM, TO) */
#define TO 300UL

static unsigned char pattern(size_t i) {
  return (unsigned char)((i * 7 + i / 4093) | 1); /* never zero */
}

/* The pattern on pages [from, to), then the special pages (whichever side of them). */
static void fill(unsigned char *m, size_t from, size_t to) {
  for (size_t i = from * PAGE; i < to * PAGE; i++) m[i] = pattern(i);
  memset(m + 40 * PAGE, 0, PAGE);       /* written, but with zeros only */
  memset(m + 41 * PAGE, 0, PAGE);
  m[41 * PAGE + PAGE - 1] = 0x80;        /* one non-zero byte, the page's last */
  memset(m + 42 * PAGE, 0, PAGE);
  m[42 * PAGE] = 0x01;                   /* one non-zero byte, the page's first */
  memset(m + 200 * PAGE, 0, 16 * PAGE);  /* a zero run across 64 KiB */
  m[207 * PAGE + 1234] = 0xff;
}

/* Bytes of [from, to) pages that are not zero, and bytes outside that lost their pattern. */
static void check(const char *what, unsigned char *m, size_t from, size_t to) {
  size_t nonzero = 0, changed = 0;
  for (size_t i = 0; i < PAGES * PAGE; i++) {
    int inside = i >= from * PAGE && i < to * PAGE;
    if (inside && m[i]) nonzero++;
    if (!inside && i < 40 * PAGE && m[i] != pattern(i)) changed++;
    if (!inside && i >= 216 * PAGE && m[i] != pattern(i)) changed++;
  }
  printf("%s: non-zero bytes in the range %zu, changed bytes outside %zu\n", what, nonzero, changed);
}

static volatile sig_atomic_t handled;
static void onSignal(int sig) {
  handled = sig;
}

static size_t nonZero(const unsigned char *m, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += m[i] != 0;
  return n;
}

/* Fresh pages first written by something other than a plain store, then discarded. */
static void firstWriters(void) {
  unsigned char *f = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(f != MAP_FAILED);
  int fds[2];
  CHECK(pipe(fds) == 0);
  CHECK(write(fds[1], "from a pipe", 11) == 11);
  SHOW("read into a fresh page", read(fds[0], f + 5, 11));
  printf("read: '%.11s'\n", (char *)f + 5);
  long *counter = (long *)(f + 2 * PAGE + 64);
  SHOW("atomic add on a fresh page", __atomic_fetch_add(counter, 7, __ATOMIC_SEQ_CST) + *counter);
  uint64_t *across = (uint64_t *)(f + 5 * PAGE - 4); /* half on page 4, half on page 5 */
  *(volatile uint64_t *)across = 0x1122334455667788ULL;
  printf("store across two pages: %llx\n", (unsigned long long)*(volatile uint64_t *)across);
  /* The stack's top 688 bytes into page 14: the frame (Hartwood's is 1088 bytes) spans two pages. */
  stack_t ss = {.ss_sp = f + 8 * PAGE, .ss_size = 6 * PAGE + 688, .ss_flags = 0};
  CHECK(sigaltstack(&ss, NULL) == 0);
  struct sigaction sa = {.sa_handler = onSignal, .sa_flags = SA_ONSTACK};
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  raise(SIGUSR1);
  ss.ss_flags = SS_DISABLE;
  CHECK(sigaltstack(&ss, NULL) == 0);
  printf("handled on the fresh alternate stack: %d, frame left there: %d\n", handled, nonZero(f + 8 * PAGE, 8 * PAGE) > 0);
  SHOW("madvise after the first writers", madvise(f, 16 * PAGE, MADV_DONTNEED));
  printf("first writers: non-zero bytes %zu\n", nonZero(f, 16 * PAGE));
  /* Known zero again: the next stores land, and the pages keep them. */
  f[3] = 1;
  __atomic_fetch_add(counter, 2, __ATOMIC_SEQ_CST);
  printf("stores after the discard: %d %ld, non-zero bytes %zu\n", f[3], *counter, nonZero(f, 16 * PAGE));
}

int main(void) {
  unsigned char *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  fill(m, 0, 44);
  fill(m, 60, PAGES); /* pages 44 to 59 are never touched */
  SHOW("madvise DONTNEED", madvise(m + FROM * PAGE, (TO - FROM) * PAGE, MADV_DONTNEED));
  check("first", m, FROM, TO);

  /* Written again (every page now resident on the host), discarded again, a length not a page multiple. */
  fill(m, FROM, TO);
  SHOW("madvise again, length rounded up", madvise(m + FROM * PAGE, (TO - FROM) * PAGE - 100, MADV_DONTNEED));
  check("second", m, FROM, TO);

  /* A fresh mapping: the untouched part of it reads zero before and after. */
  unsigned char *fresh = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(fresh != MAP_FAILED);
  fresh[63 * PAGE + 5] = 9;
  SHOW("madvise fresh", madvise(fresh, 64 * PAGE, MADV_DONTNEED));
  size_t nz = 0;
  for (size_t i = 0; i < 64 * PAGE; i++) nz += fresh[i] != 0;
  printf("fresh: non-zero bytes %zu\n", nz);

  SHOW("madvise unaligned", madvise(m + 1, PAGE, MADV_DONTNEED));

  /* The program break's pages. */
  unsigned char *brk0 = sbrk(0);
  unsigned char *top = (unsigned char *)(((uintptr_t)brk0 + PAGE - 1) & ~(PAGE - 1));
  CHECK(sbrk((top - brk0) + 8 * PAGE) != (void *)-1);
  memset(top, 0x5a, 8 * PAGE);
  SHOW("madvise heap", madvise(top + 2 * PAGE, 4 * PAGE, MADV_DONTNEED));
  size_t heapZero = 0, heapKept = 0;
  for (size_t i = 0; i < 8 * PAGE; i++) {
    if (i >= 2 * PAGE && i < 6 * PAGE) heapZero += top[i] == 0;
    else heapKept += top[i] == 0x5a;
  }
  printf("heap: zero %zu of %lu, kept %zu of %lu\n", heapZero, 4 * PAGE, heapKept, 4 * PAGE);

  /* A shared anonymous mapping: its pages stay in the shared object, so its bytes stay. */
  unsigned char *s = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  memset(s, 0x33, 4 * PAGE);
  SHOW("madvise shared", madvise(s, 4 * PAGE, MADV_DONTNEED));
  size_t sharedKept = 0;
  for (size_t i = 0; i < 4 * PAGE; i++) sharedKept += s[i] == 0x33;
  printf("shared: kept %zu of %lu\n", sharedKept, 4 * PAGE);

  firstWriters();
  printf("done\n");
  return 0;
}
