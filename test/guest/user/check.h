// Checks for the guest test programs. CHECK(x): a failed check prints its line and errno to stdout (where the comparison with
// qemu-riscv64 sees it) and exits with status 1.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(x)                                                     \
  do {                                                               \
    if (!(x)) {                                                      \
      printf("FAIL line %d: %s (errno %d)\n", __LINE__, #x, errno); \
      exit(1);                                                       \
    }                                                                \
  } while (0)

/** SHOW("what", call): prints what a call returned, and errno when it failed. */
#define SHOW(what, call)                                          \
  do {                                                            \
    errno = 0;                                                    \
    long r_ = (long)(call);                                       \
    printf("%s: %ld errno %d\n", what, r_, r_ < 0 ? errno : 0); \
  } while (0)
