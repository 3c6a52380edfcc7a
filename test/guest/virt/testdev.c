/* The sifive,test0 device at 0x10_0000: a write of 0x3333 | code << 16 ends the machine
 * with failure `code`. QEMU 7.2 (hw/misc/sifive_test.c) exits with status `code`;
 * `hartwood boot` does the same. Nothing after the write may run. */
#include "virt.h"

int main(void) {
  kputs("testdev: writing 0x3333 | 42 << 16\n");
  test_exit(42);
}
