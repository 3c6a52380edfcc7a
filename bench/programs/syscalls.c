/* Kernel-heavy: each repetition makes 4,000 system calls that move data between the kernel and
 * the program (a pipe written and read back, /dev/zero read, /dev/null written). Under a
 * system emulator nearly all of its instructions are the guest kernel's. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 20);
  static unsigned char buf[4096];
  int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY), p[2];
  if (zero < 0 || null < 0 || pipe(p) != 0) {
    fprintf(stderr, "syscalls: cannot open /dev/zero, /dev/null or a pipe\n");
    return 1;
  }
  uint64_t sum = 0, seed = 7;
  for (long r = 0; r < reps; r++)
    for (int i = 0; i < 1000; i++) {
      memset(buf, 0xa5, 512);
      buf[i % 512] = (unsigned char)bench_rand(&seed);
      sum += (uint64_t)write(p[1], buf, 512);
      memset(buf, 0, 512);
      sum += (uint64_t)read(p[0], buf, 512);
      sum = sum * 31 + buf[i % 512];
      sum += (uint64_t)read(zero, buf, sizeof buf);
      sum = sum * 31 + buf[(i * 7) % sizeof buf];
      sum += (uint64_t)write(null, buf, sizeof buf);
    }
  bench_checksum("syscalls", sum);
  return 0;
}
