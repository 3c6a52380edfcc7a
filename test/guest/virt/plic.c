/* The PLIC at 0x0c00_0000 (RISC-V PLIC specification 1.0.0; QEMU hw/intc/sifive_plic.c)
 * with the UART's THRE interrupt (IER.ETBEI, source 10) as a real level-triggered source.
 * Hart 0's M-mode context is 0 and its S-mode context 1. Checks: claim with nothing
 * pending, register read-back, the pending bit, priority 0 never interrupts, the enable
 * bit gates, the threshold masks unless priority > threshold (spec §"Priority Thresholds"),
 * a machine external interrupt taken through mtvec whose claim returns 10 and whose
 * completion lets the source interrupt again, and the S-mode context driving mip.SEIP.
 * Claims are never made while the threshold masks: the spec says a claim ignores the
 * threshold and QEMU 7.2 applies it, so that case is left out. */
#include "virt.h"

#define PLIC_PRIORITY(src) (PLIC_BASE + 4 * (src))
#define PLIC_PENDING(src) (PLIC_BASE + 0x1000 + 4 * ((src) / 32))
#define PLIC_ENABLE(ctx, src) (PLIC_BASE + 0x2000 + 0x80 * (ctx) + 4 * ((src) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_BASE + 0x200004 + 0x1000 * (ctx))
#define SRC UART_IRQ
#define BIT (1u << (SRC % 32))

static volatile int irq_count;
static volatile u64 irq_cause[4];
static volatile u32 irq_claim[4];
static volatile u8 irq_iir[4];

M_HANDLER void plic_mtrap(void) {
  u64 cause = csr_read(mcause);
  if (cause != (CAUSE_INTR | 11)) {
    kprintf("unexpected trap: mcause 0x%lx mepc 0x%lx\n", cause, csr_read(mepc));
    test_exit(99);
  }
  int i = irq_count;
  u32 id = rd32(PLIC_CLAIM(0));
  /* Service the device before completing, so the level is low when the gateway reopens. */
  u8 iir = uart_rd(UART_IIR); /* reading IIR clears the THRE interrupt */
  uart_wr(UART_IER, 0);
  wr32(PLIC_CLAIM(0), id);
  if (i < 4) {
    irq_cause[i] = cause;
    irq_claim[i] = id;
    irq_iir[i] = iir;
  }
  irq_count = i + 1;
}

static int pending_bit(int want) {
  int v = 0;
  for (int i = 0; i < 100000; i++) {
    v = (rd32(PLIC_PENDING(SRC)) & BIT) != 0;
    if (v == want) break;
  }
  return v;
}

static void thre_irq_on(void) {
  uart_wait_thre();
  for (int i = 0; i < 100000 && !(uart_rd(UART_LSR) & LSR_TEMT); i++) {
  }
  uart_wr(UART_IER, IER_ETBEI);
}

int main(void) {
  kputs("plic: start\n");
  csr_write(mtvec, (u64)plic_mtrap);
  csr_write(mie, MIP_MEIP);
  wr32(PLIC_PRIORITY(SRC), 0);
  wr32(PLIC_ENABLE(0, SRC), 0);
  wr32(PLIC_ENABLE(1, SRC), 0);
  wr32(PLIC_THRESHOLD(0), 0);
  kprintf("claim with nothing pending: %u\n", rd32(PLIC_CLAIM(0)));

  wr32(PLIC_PRIORITY(SRC), 7);
  u32 prio7 = rd32(PLIC_PRIORITY(SRC));
  wr32(PLIC_PRIORITY(SRC), 0);
  u32 prio0 = rd32(PLIC_PRIORITY(SRC));
  wr32(PLIC_ENABLE(0, SRC), BIT);
  u32 en = rd32(PLIC_ENABLE(0, SRC));
  wr32(PLIC_ENABLE(0, SRC), 0);
  wr32(PLIC_THRESHOLD(0), 7);
  u32 thr7 = rd32(PLIC_THRESHOLD(0));
  wr32(PLIC_THRESHOLD(0), 0);
  kprintf("read-back: priority 7 -> %u, 0 -> %u; enable 0x%x; threshold 7 -> %u\n", prio7, prio0, en, thr7);

  /* ---- the UART's line is high from here on; nothing is printed until it is low again */
  thre_irq_on();
  int pend = pending_bit(1);
  int pend_mip = mip_bit(MIP_MEIP, 0);

  wr32(PLIC_ENABLE(0, SRC), BIT); /* priority 0, threshold 0 */
  int p0_meip = mip_bit(MIP_MEIP, 0);
  u32 p0_claim = rd32(PLIC_CLAIM(0));

  wr32(PLIC_ENABLE(0, SRC), 0);
  wr32(PLIC_PRIORITY(SRC), 1);
  int disabled_meip = mip_bit(MIP_MEIP, 0);

  wr32(PLIC_ENABLE(0, SRC), BIT);
  wr32(PLIC_THRESHOLD(0), 1);
  int t1p1 = mip_bit(MIP_MEIP, 0);
  wr32(PLIC_PRIORITY(SRC), 3);
  wr32(PLIC_THRESHOLD(0), 2);
  int t2p3 = mip_bit(MIP_MEIP, 1);
  wr32(PLIC_PRIORITY(SRC), 2);
  int t2p2 = mip_bit(MIP_MEIP, 0);
  wr32(PLIC_THRESHOLD(0), 0);
  int t0p2 = mip_bit(MIP_MEIP, 1);

  csr_set(mstatus, MSTATUS_MIE);
  for (int i = 0; i < 1000000 && irq_count < 1; i++) {
  }
  csr_clear(mstatus, MSTATUS_MIE);
  int after_pending = pending_bit(0);
  int after_meip = mip_bit(MIP_MEIP, 0);
  u32 after_claim = rd32(PLIC_CLAIM(0));
  /* ---- the line is low again */

  kprintf("THRE interrupt makes source 10 pending: %d (MEIP %d while disabled)\n", pend, pend_mip);
  kprintf("priority 0 never interrupts: MEIP %d, claim %u\n", p0_meip, p0_claim);
  kprintf("enable bit clear: MEIP %d\n", disabled_meip);
  kprintf("threshold: MEIP %d at priority 1 threshold 1, %d at 3 > 2, %d at 2 = 2, %d at 2 > 0\n", t1p1,
          t2p3, t2p2, t0p2);
  kprintf("interrupt taken: %d time(s), mcause 0x%lx, claim %u, UART IIR 0x%02x\n", irq_count, irq_cause[0],
          irq_claim[0], irq_iir[0]);
  kprintf("after completion: pending %d, MEIP %d, claim %u\n", after_pending, after_meip, after_claim);

  /* The completed source interrupts again when its line rises again. */
  thre_irq_on();
  csr_set(mstatus, MSTATUS_MIE);
  for (int i = 0; i < 1000000 && irq_count < 2; i++) {
  }
  csr_clear(mstatus, MSTATUS_MIE);
  kprintf("second interrupt after completion: %d time(s) in all, claim %u\n", irq_count, irq_claim[1]);

  /* Hart 0's S-mode context (1) drives mip.SEIP, not MEIP. */
  wr32(PLIC_ENABLE(0, SRC), 0);
  wr32(PLIC_ENABLE(1, SRC), BIT);
  wr32(PLIC_THRESHOLD(1), 0);
  thre_irq_on();
  int seip = mip_bit(MIP_SEIP, 1), s_meip = mip_bit(MIP_MEIP, 0);
  u32 s_claim = rd32(PLIC_CLAIM(1));
  uart_rd(UART_IIR);
  uart_wr(UART_IER, 0);
  wr32(PLIC_CLAIM(1), s_claim);
  int seip_after = mip_bit(MIP_SEIP, 0);
  wr32(PLIC_ENABLE(1, SRC), 0);
  kprintf("S-mode context: SEIP %d, MEIP %d, claim %u, SEIP after completion %d\n", seip, s_meip, s_claim,
          seip_after);
  kputs("plic: done\n");
  return 0;
}
