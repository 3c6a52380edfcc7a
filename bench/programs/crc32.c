/* CRC-32 (IEEE 802.3, reflected, table-driven) over a 1 MiB buffer, repeatedly. */
#include "bench.h"

static uint32_t table[256];

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 320);
  enum { SIZE = 1 << 20 };
  static uint8_t buf[SIZE];
  uint64_t seed = 0x1234567;
  for (size_t i = 0; i < SIZE; i++) buf[i] = (uint8_t)bench_rand(&seed);
  make_table();
  uint32_t crc = 0;
  for (long r = 0; r < reps; r++) {
    crc = crc32(crc, buf, SIZE);
    buf[r % SIZE] ^= (uint8_t)crc; /* every pass sees different data */
  }
  bench_checksum("crc32", crc);
  return 0;
}
