/* Shared helpers for the benchmark programs: the size argument, a deterministic random
 * generator, and the checksum line every runner's output is compared on. */
#ifndef HARTWOOD_BENCH_H
#define HARTWOOD_BENCH_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* argv[1], if given, is the repetition count (the runner passes a smaller one for --quick). */
static inline long bench_reps(int argc, char **argv, long dflt) {
  if (argc < 2) return dflt;
  long n = strtol(argv[1], NULL, 10);
  if (n <= 0) {
    fprintf(stderr, "usage: %s [repetitions > 0]\n", argv[0]);
    exit(2);
  }
  return n;
}

/* xorshift64*: fast, and the same sequence on every target. */
static inline uint64_t bench_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static inline void bench_checksum(const char *name, uint64_t sum) {
  printf("%s checksum: %016" PRIx64 "\n", name, sum);
}

/* Floating-point results are compared bit for bit: the programs use only + - * / and sqrt
 * (correctly rounded in IEEE 754) and are built with -ffp-contract=off, so no target fuses
 * a multiply-add the others do not. */
static inline uint64_t bench_bits(double d) {
  union {
    double d;
    uint64_t u;
  } v = {d};
  return v.u;
}

#endif
