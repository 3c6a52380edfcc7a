/* Sorting 1 M random 32-bit keys with a hand-written quicksort (median of three, insertion
 * sort for short ranges), repeatedly. */
#include "bench.h"

static void insertion(uint32_t *a, long n) {
  for (long i = 1; i < n; i++) {
    uint32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void quicksort(uint32_t *a, long n) {
  while (n > 16) {
    long m = n / 2;
    uint32_t x = a[0], y = a[m], z = a[n - 1];
    uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      uint32_t t = a[i];
      a[i] = a[j];
      a[j] = t;
      i++;
      j--;
    }
    /* Recurse into the smaller half, loop on the larger: O(log n) stack. */
    if (j + 1 < n - j - 1) {
      quicksort(a, j + 1);
      a += j + 1;
      n -= j + 1;
    } else {
      quicksort(a + j + 1, n - j - 1);
      n = j + 1;
    }
  }
  insertion(a, n);
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 8);
  enum { N = 1 << 20 };
  static uint32_t a[N];
  uint64_t seed = 7, sum = 0;
  for (long r = 0; r < reps; r++) {
    for (long i = 0; i < N; i++) a[i] = (uint32_t)bench_rand(&seed);
    quicksort(a, N);
    for (long i = 1; i < N; i++)
      if (a[i - 1] > a[i]) {
        printf("sort: not sorted at %ld\n", i);
        return 1;
      }
    for (long i = 0; i < N; i += 4097) sum = sum * 31 + a[i];
  }
  bench_checksum("sort", sum);
  return 0;
}
