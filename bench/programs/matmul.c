/* Dense double-precision matrix multiply, 256 x 256, i-k-j loop order. */
#include "bench.h"

enum { N = 256 };
static double a[N][N], b[N][N], c[N][N];

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 8);
  uint64_t seed = 5;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = (double)(bench_rand(&seed) % 2001) / 1000.0 - 1.0;
      b[i][j] = (double)(bench_rand(&seed) % 2001) / 1000.0 - 1.0;
    }
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) c[i][j] = 0.0;
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        double aik = a[i][k];
        for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
      }
    double trace = 0.0;
    for (int i = 0; i < N; i++) trace += c[i][i] + c[i][N - 1 - i];
    sum = sum * 31 + bench_bits(trace);
    a[r % N][(r * 7) % N] += 0.5; /* every pass computes something new */
  }
  printf("matmul c[17][42] = %.17g\n", c[17][42]);
  bench_checksum("matmul", sum);
  return 0;
}
