/* A hart that polls memory in a WFI loop while an interrupt is pending that it never takes,
 * as OpenSBI 1.1's HSM start wait does with the cold-boot IPI still pending: hart 1 enables
 * MSIP in mie, leaves mstatus.MIE clear, sends itself an IPI and polls a flag with WFI. Priv
 * spec §3.3.3: WFI is unaffected by the global enables, so with a locally enabled interrupt
 * pending it does not wait, and no interrupt is taken (the catch-all vector would fail the
 * run). Meanwhile hart 0 runs a fixed loop, then raises the flag. The [polls] line says how
 * often hart 1's WFI returned against the instructions hart 0 retired meanwhile: on QEMU (a
 * thread per hart, and a minstret that counts no instructions without -icount) a figure of
 * the host; on Hartwood (harts take turns on one thread) what its scheduler gave the polling
 * hart. */
#include "virt.h"

static volatile int ready, go, done;
static volatile int msip_before, msip_after;
static volatile u64 polls;

void secondary_main(u64 hart) {
  if (hart != 1)
    for (;;) wfi();
  csr_write(mie, MIP_MSIP);
  wr32(CLINT_MSIP(1), 1);
  msip_before = mip_bit(MIP_MSIP, 1);
  fence();
  ready = 1;
  u64 n = 0;
  while (!go) {
    wfi();
    n++;
  }
  polls = n;
  wr32(CLINT_MSIP(1), 0);
  msip_after = mip_bit(MIP_MSIP, 0);
  csr_write(mie, 0);
  fence();
  done = 1;
  for (;;) wfi();
}

int main(void) {
  kprintf("wfipoll: start\n");
  u64 start = mtime();
  while (!ready && mtime() - start < 10 * TIMEBASE_HZ) {
  }
  kprintf("hart 1 polling: %s, MSIP pending with mstatus.MIE clear: %d\n", yesno(ready), msip_before);
  u64 before = csr_read(minstret);
  u64 acc = 1;
  for (u64 i = 0; i < 2000000; i++) {
    acc = acc * 31 + i;
    barrier();
  }
  u64 retired = csr_read(minstret) - before;
  go = 1;
  start = mtime();
  while (!done && mtime() - start < 10 * TIMEBASE_HZ) {
  }
  kprintf("hart 1: WFI returned with MSIP pending and no interrupt taken: %s\n", yesno(done && polls > 0));
  kprintf("hart 1: after msip[1] = 0, MSIP %d\n", msip_after);
  kprintf("[polls] hart 1 polled %lu times while hart 0 retired %lu instructions (%lx)\n", polls, retired, acc);
  kprintf("wfipoll: done\n");
  return 0;
}
