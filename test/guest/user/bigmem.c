// Has 3 GiB allocated at once and touches every page of it: 512 MiB of malloc chunks from the
// program break, 1 GiB of malloc chunks that malloc maps, and one 1.5 GiB mmap. A value goes
// into every page, and only then are they all read back, so two pages that alias each other
// would show. Then one 3 GiB mapping, touched sparsely (every page costs the host a fault).
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL
#define MiB (1UL << 20)
#define GiB (1UL << 30)
#define MAX_REGIONS 256

static char *regions[MAX_REGIONS];
static size_t sizes[MAX_REGIONS];
static int nregions;

static uint64_t value(uint64_t page) {
  return (page + 1) * 0x9e3779b97f4a7c15ULL;
}

/* Where page k keeps its value: a different word of each page, not always the first. */
static uint64_t *slot(char *page, uint64_t k) {
  return (uint64_t *)(page + (k * 8 * 37) % PAGE);
}

static void touch(const char *what, size_t stride) {
  uint64_t k = 0;
  for (int r = 0; r < nregions; r++)
    for (size_t off = 0; off < sizes[r]; off += stride, k++) *slot(regions[r] + off, k) = value(k);
  uint64_t bad = 0, sum = 0;
  k = 0;
  for (int r = 0; r < nregions; r++)
    for (size_t off = 0; off < sizes[r]; off += stride, k++) {
      uint64_t v = *slot(regions[r] + off, k);
      if (v != value(k)) bad++;
      sum += v >> 32;
    }
  printf("%s: %d regions, %lu pages written and read back, %lu wrong, sum %lx\n", what, nregions, (unsigned long)k,
         (unsigned long)bad, (unsigned long)sum);
}

static void add(char *p, size_t size) {
  CHECK(p != NULL && nregions < MAX_REGIONS);
  regions[nregions] = p;
  sizes[nregions++] = size;
}

int main(void) {
  // Chunks below the mmap threshold come from the program break, larger ones from mmap.
  CHECK(mallopt(M_MMAP_THRESHOLD, 32 * MiB) == 1);
  char *brk0 = sbrk(0);
  for (size_t total = 0; total < GiB / 2; total += 16 * MiB) add(malloc(16 * MiB), 16 * MiB);
  char *brk1 = sbrk(0);
  printf("program break grew by at least 511 MiB: %s\n", brk1 - brk0 >= (long)(511 * MiB) ? "yes" : "no");
  for (size_t total = 0; total < GiB; total += 64 * MiB) add(malloc(64 * MiB), 64 * MiB);
  char *big = mmap(NULL, 3 * GiB / 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(big != MAP_FAILED);
  add(big, 3 * GiB / 2);
  touch("3 GiB: malloc and mmap", PAGE);
  CHECK(munmap(big, 3 * GiB / 2) == 0);
  for (int r = 0; r < nregions - 1; r++) free(regions[r]);
  malloc_trim(0); // the break goes back down: the next mapping needs the room
  nregions = 0;

  big = mmap(NULL, 3 * GiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(big != MAP_FAILED);
  add(big, 3 * GiB);
  touch("one 3 GiB mmap, every 64th page", 64 * PAGE);
  CHECK(munmap(big, 3 * GiB) == 0);
  return 0;
}
