/* The CLINT at 0x0200_0000 (SiFive CLINT / RISC-V ACLINT: msip +0, mtimecmp +0x4000,
 * mtime +0xBFF8, 10 MHz; QEMU hw/intc/riscv_aclint.c), run with two harts. Hart 0: mtime
 * advances, the time CSR follows it, its rate against the goldfish RTC's nanoseconds,
 * MTIP pending while mtime >= mtimecmp, a timer interrupt taken once the deadline passes,
 * hart 1's mtimecmp not touching hart 0, msip to itself taken as a software interrupt.
 * Then hart 0 sends an IPI to hart 1 through msip[1]; hart 1 takes it, runs its own timer
 * and prints while hart 0 waits, so the output order is fixed. */
#include "virt.h"

#define RTC_TIME_LOW (RTC_BASE + 0x00)
#define RTC_TIME_HIGH (RTC_BASE + 0x04)

struct hart_log {
  volatile int count;
  volatile u64 cause[4];
  volatile u64 when[4]; /* mtime when the handler ran */
};
static struct hart_log logs[2];
static volatile int hart1_ready, hart1_done;

M_HANDLER void clint_mtrap(void) {
  u64 hart = csr_read(mhartid);
  u64 cause = csr_read(mcause);
  u64 now = mtime();
  if (hart > 1 || !(cause & CAUSE_INTR)) {
    kprintf("unexpected trap on hart %lu: mcause 0x%lx mepc 0x%lx\n", hart, cause, csr_read(mepc));
    test_exit(99);
  }
  if ((cause & 0xff) == 7) wr64(CLINT_MTIMECMP(hart), TIME_NEVER);
  if ((cause & 0xff) == 3) wr32(CLINT_MSIP(hart), 0);
  struct hart_log *l = &logs[hart];
  int i = l->count;
  if (i < 4) {
    l->cause[i] = cause;
    l->when[i] = now;
  }
  l->count = i + 1;
}

/* Waits (interrupts enabled, in wfi) until the hart's log has n entries or `ticks` pass. */
static void wait_irqs(struct hart_log *l, int n, u64 ticks) {
  u64 start = mtime();
  csr_set(mstatus, MSTATUS_MIE);
  while (l->count < n && mtime() - start < ticks) wfi();
  csr_clear(mstatus, MSTATUS_MIE);
}

/* Arms the hart's timer `delta` ticks ahead and takes the interrupt; prints the result. */
static void timer_interrupt(u64 hart, u64 delta) {
  struct hart_log *l = &logs[hart];
  int before = l->count;
  csr_write(mie, MIP_MTIP);
  u64 deadline = mtime() + delta;
  wr64(CLINT_MTIMECMP(hart), deadline);
  wait_irqs(l, before + 1, 10 * TIMEBASE_HZ);
  csr_write(mie, 0);
  kprintf("hart %lu: timer interrupt: taken %d time(s), mcause 0x%lx, not before mtimecmp: %s, "
          "within 1 s: %s\n",
          hart, l->count - before, l->cause[before], yesno(l->when[before] >= deadline),
          yesno(l->when[before] - deadline < TIMEBASE_HZ));
}

static u64 rtc_ns(void) {
  u64 lo = rd32(RTC_TIME_LOW); /* latches TIME_HIGH */
  return (u64)rd32(RTC_TIME_HIGH) << 32 | lo;
}

int main(void) {
  kputs("clint: start\n");
  csr_write(mtvec, (u64)clint_mtrap);
  csr_write(mie, 0);
  wr64(CLINT_MTIMECMP(0), TIME_NEVER);

  u64 t0 = mtime(), t1 = t0;
  for (int i = 0; i < 10000000 && t1 == t0; i++) t1 = mtime();
  kprintf("mtime advances: %s\n", yesno(t1 > t0));
  u64 a = mtime(), b = rdtime(), c = mtime();
  kprintf("time CSR between two mtime reads: %s\n", yesno(a <= b && b <= c));

  /* 100 ms of mtime against the RTC's nanoseconds: 10 MHz within a factor of 2. */
  u64 r0 = rtc_ns(), m0 = mtime();
  while (mtime() - m0 < TIMEBASE_HZ / 10) {
  }
  u64 r1 = rtc_ns(), m1 = mtime();
  u64 ns = r1 - r0, ticks_ns = (m1 - m0) * (1000000000 / TIMEBASE_HZ);
  kprintf("mtime runs at 10 MHz against the RTC (within 2x): %s\n",
          yesno(ns < 2 * ticks_ns && ticks_ns < 2 * ns));

  wr64(CLINT_MTIMECMP(0), 0);
  int mtip_due = mip_bit(MIP_MTIP, 1);
  wr64(CLINT_MTIMECMP(0), TIME_NEVER);
  int mtip_never = mip_bit(MIP_MTIP, 0);
  wr64(CLINT_MTIMECMP(1), 0);
  int mtip_other = mip_bit(MIP_MTIP, 0);
  wr64(CLINT_MTIMECMP(1), TIME_NEVER);
  kprintf("MTIP: %d with mtimecmp 0, %d with mtimecmp far, %d with hart 1's mtimecmp 0\n", mtip_due,
          mtip_never, mtip_other);
  kprintf("mtimecmp read-back: %s\n", yesno(rd64(CLINT_MTIMECMP(0)) == TIME_NEVER));

  timer_interrupt(0, TIMEBASE_HZ / 1000);

  wr32(CLINT_MSIP(0), 1);
  u32 msip_set = rd32(CLINT_MSIP(0));
  int msip_pending = mip_bit(MIP_MSIP, 1);
  int before = logs[0].count;
  csr_write(mie, MIP_MSIP);
  wait_irqs(&logs[0], before + 1, 10 * TIMEBASE_HZ);
  csr_write(mie, 0);
  kprintf("hart 0: msip to self: msip %u, MSIP %d, interrupt taken %d time(s), mcause 0x%lx, then msip %u, "
          "MSIP %d\n",
          msip_set, msip_pending, logs[0].count - before, logs[0].cause[before], rd32(CLINT_MSIP(0)), mip_bit(MIP_MSIP, 0));

  u64 start = mtime();
  while (!hart1_ready && mtime() - start < 10 * TIMEBASE_HZ) {
  }
  kprintf("hart 1 waiting: %s\n", yesno(hart1_ready));
  fence();
  wr32(CLINT_MSIP(1), 1);
  int own = mip_bit(MIP_MSIP, 0);
  start = mtime();
  while (!hart1_done && mtime() - start < 20 * TIMEBASE_HZ) {
  }
  fence();
  kprintf("hart 0: msip[1] left hart 0's MSIP at %d; hart 1 finished: %s\n", own, yesno(hart1_done));
  kputs("clint: done\n");
  return 0;
}

void secondary_main(u64 hart) {
  if (hart != 1) return;
  csr_write(mtvec, (u64)clint_mtrap);
  csr_write(mie, MIP_MSIP);
  fence();
  hart1_ready = 1;
  wait_irqs(&logs[1], 1, 20 * TIMEBASE_HZ); /* hart 0 prints meanwhile: wait long */
  csr_write(mie, 0);
  kprintf("hart 1: woken by msip: mcause 0x%lx, msip %u, MSIP %d\n", logs[1].cause[0], rd32(CLINT_MSIP(1)),
          mip_bit(MIP_MSIP, 0));
  timer_interrupt(1, TIMEBASE_HZ / 1000);
  fence();
  hart1_done = 1;
}
