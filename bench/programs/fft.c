/* Radix-2 complex FFT of 64 Ki points, forward then inverse, repeatedly. Twiddle factors come
 * from Taylor series (plain arithmetic) rather than libm, so every target computes the same
 * bits. */
#include "bench.h"

enum { LOG2N = 16, N = 1 << LOG2N };
#define PI 3.141592653589793

static double re[N], im[N], wre[N / 2], wim[N / 2];

/* sin and cos of x in [-pi, pi] by Taylor series to 30 terms (error below 1 ulp scale). */
static void sincos_taylor(double x, double *s, double *c) {
  double term_s = x, term_c = 1.0, sum_s = x, sum_c = 1.0, x2 = x * x;
  for (int k = 1; k < 30; k++) {
    term_s *= -x2 / ((2.0 * k) * (2.0 * k + 1.0));
    term_c *= -x2 / ((2.0 * k - 1.0) * (2.0 * k));
    sum_s += term_s;
    sum_c += term_c;
  }
  *s = sum_s;
  *c = sum_c;
}

static void fft(int inverse) {
  for (uint32_t i = 1, j = 0; i < N; i++) { /* bit-reversal permutation */
    uint32_t bit = N >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j], re[j] = t;
      t = im[i];
      im[i] = im[j], im[j] = t;
    }
  }
  for (uint32_t len = 2; len <= N; len <<= 1) {
    uint32_t half = len / 2, step = N / len;
    for (uint32_t i = 0; i < N; i += len)
      for (uint32_t k = 0; k < half; k++) {
        double wr = wre[k * step], wi = inverse ? -wim[k * step] : wim[k * step];
        double xr = re[i + k + half] * wr - im[i + k + half] * wi;
        double xi = re[i + k + half] * wi + im[i + k + half] * wr;
        re[i + k + half] = re[i + k] - xr, im[i + k + half] = im[i + k] - xi;
        re[i + k] += xr, im[i + k] += xi;
      }
  }
  if (inverse)
    for (uint32_t i = 0; i < N; i++) re[i] /= N, im[i] /= N;
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 24);
  for (uint32_t k = 0; k < N / 2; k++) sincos_taylor(-2.0 * PI * k / N, &wim[k], &wre[k]);
  uint64_t seed = 1, sum = 0;
  double maxerr = 0.0;
  for (long r = 0; r < reps; r++) {
    static double orig[N];
    for (uint32_t i = 0; i < N; i++) {
      orig[i] = re[i] = (double)(bench_rand(&seed) % 20001) / 10000.0 - 1.0;
      im[i] = 0.0;
    }
    fft(0);
    sum = sum * 31 + bench_bits(re[1]) + bench_bits(im[N / 3]);
    fft(1);
    for (uint32_t i = 0; i < N; i++) {
      double d = re[i] - orig[i];
      if (d < 0) d = -d;
      if (d > maxerr) maxerr = d;
    }
  }
  if (maxerr > 1e-9) {
    printf("fft: round trip error %g\n", maxerr);
    return 1;
  }
  bench_checksum("fft", sum);
  return 0;
}
