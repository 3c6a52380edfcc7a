/* Sieve of Eratosthenes up to 16 M, repeatedly. */
#include <string.h>

#include "bench.h"

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 8);
  enum { N = 16 * 1024 * 1024 };
  static uint8_t composite[N + 1];
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    memset(composite, 0, sizeof composite);
    long count = 0;
    for (long i = 2; i <= N; i++) {
      if (composite[i]) continue;
      count++;
      sum += (uint64_t)i * (uint64_t)(r + 1);
      for (long j = i * i; j <= N; j += i) composite[j] = 1;
    }
    if (count != 1077871) { /* pi(2^24) */
      printf("sieve: counted %ld primes\n", count);
      return 1;
    }
  }
  bench_checksum("sieve", sum);
  return 0;
}
