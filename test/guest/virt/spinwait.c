/* A hart that waits for another by spinning on a flag, two ways:
 * 1. In a WFI loop while an interrupt is pending that it never takes, as OpenSBI 1.1's HSM
 *    start wait does with the cold-boot IPI still pending: hart 1 enables MSIP in mie, leaves
 *    mstatus.MIE clear and sends itself an IPI. Priv spec §3.3.3: WFI is unaffected by the
 *    global enables, so with a locally enabled interrupt pending it does not wait, and no
 *    interrupt is taken (the catch-all vector would fail the run).
 * 2. With PAUSE (Zihintpause), as Linux's cpu_relax does in its spin loops.
 * Meanwhile hart 0 runs a fixed loop, then raises the flag.
 * 3. The other way round: hart 1 waits in WFI with nothing pending (parked, on Hartwood),
 *    hart 0 wakes it with an IPI and spins without a hint until it answers (as OpenSBI's
 *    remote fences wait). The [spins] ipi line says how often hart 0 went round meanwhile: on
 *    Hartwood, how long the woken hart waited for hart 0's turn to end. The [spins] lines say how often
 * hart 1 went round its loop against the instructions hart 0 retired meanwhile: on QEMU (a
 * thread per hart, and a minstret that counts no instructions without -icount) a figure of
 * the host; on Hartwood (harts take turns on one thread) what its scheduler gave the
 * spinning hart. */
#include "virt.h"

/* Hart 0 raises `go` to 1, then 2, to end hart 1's loops; hart 1 answers in `done`. Counters
 * only grow: neither side needs to see a value before it changes again. */
static volatile int ready, go, done;
static volatile int msip_before, msip_after;
static volatile u64 spins;

static inline void pause(void) {
  __asm__ volatile(".option push\n.option arch, +zihintpause\npause\n.option pop" ::: "memory");
}

static void answer(int loop, u64 n) {
  spins = n;
  fence();
  done = loop;
}

void secondary_main(u64 hart) {
  if (hart != 1)
    for (;;) wfi();
  csr_write(mie, MIP_MSIP);
  wr32(CLINT_MSIP(1), 1);
  msip_before = mip_bit(MIP_MSIP, 1);
  fence();
  ready = 1;
  u64 n = 0;
  while (go < 1) {
    wfi();
    n++;
  }
  wr32(CLINT_MSIP(1), 0);
  msip_after = mip_bit(MIP_MSIP, 0);
  csr_write(mie, 0);
  answer(1, n);
  for (n = 0; go < 2; n++) pause();
  answer(2, n);
  while (go < 3) pause(); /* hart 0 has read the count */
  csr_write(mie, MIP_MSIP); /* mstatus.MIE stays clear: WFI returns at the IPI, no trap */
  fence();
  done = 3;
  while (go < 4) wfi();
  wr32(CLINT_MSIP(1), 0);
  fence();
  done = 4;
  csr_write(mie, 0);
  for (;;) wfi();
}

/* Hart 0's work while hart 1 spins: the instructions it retired. */
static u64 work(void) {
  u64 before = csr_read(minstret);
  u64 acc = 1;
  for (u64 i = 0; i < 2000000; i++) {
    acc = acc * 31 + i;
    barrier();
  }
  if (acc == 0) kprintf("(never)\n"); /* keeps the loop */
  return csr_read(minstret) - before;
}

/* Ends hart 1's loop `loop` and waits for its count; true when it came. */
static int release(int loop) {
  fence();
  go = loop;
  u64 start = mtime();
  while (done < loop && mtime() - start < 10 * TIMEBASE_HZ) {
  }
  return done >= loop;
}

int main(void) {
  kprintf("spinwait: start\n");
  u64 start = mtime();
  while (!ready && mtime() - start < 10 * TIMEBASE_HZ) {
  }
  kprintf("hart 1 polling: %s, MSIP pending with mstatus.MIE clear: %d\n", yesno(ready), msip_before);
  u64 retired = work();
  int ok = release(1);
  kprintf("hart 1: WFI returned with MSIP pending and no interrupt taken: %s\n", yesno(ok && spins > 0));
  kprintf("hart 1: after msip[1] = 0, MSIP %d\n", msip_after);
  kprintf("[spins] wfi: hart 1 went round %lu times while hart 0 retired %lu instructions\n", spins, retired);
  retired = work();
  ok = release(2);
  kprintf("hart 1: spun with pause: %s\n", yesno(ok && spins > 0));
  kprintf("[spins] pause: hart 1 went round %lu times while hart 0 retired %lu instructions\n", spins, retired);
  ok = release(3);
  start = mtime();
  while (mtime() - start < TIMEBASE_HZ / 100) { /* 10 ms: hart 1 is in WFI by then */
  }
  go = 4;
  fence();
  wr32(CLINT_MSIP(1), 1);
  u64 n = 0;
  while (done < 4 && n < 100000000) n++;
  kprintf("hart 1: woken from WFI by an IPI: %s\n", yesno(ok && done == 4));
  kprintf("[spins] ipi: hart 0 went round %lu times before hart 1 answered\n", n);
  kprintf("spinwait: done\n");
  return 0;
}
