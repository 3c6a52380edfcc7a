/* The NS16550A UART at 0x1000_0000 (National Semiconductor PC16550D datasheet; QEMU's
 * hw/char/serial.c). Only behaviour that both the datasheet and QEMU 7.2 define is
 * printed: reset values of IER/IIR/LCR/LSR, LCR/SCR/IER read-back, the divisor latch
 * behind DLAB, the THRE interrupt identification and its clearing by an IIR read, FIFO
 * enable and RX FIFO reset, and loopback (MCR bit 4): modem lines, a byte round trip
 * through the FIFO, and an overrun without the FIFO. Loopback results are collected
 * first and printed after loopback is off again (nothing reaches the console in loopback). */
#include "virt.h"

static u8 lsr_settled(void) {
  uart_wait_thre();
  for (int i = 0; i < 100000 && !(uart_rd(UART_LSR) & LSR_TEMT); i++) {
  }
  return uart_rd(UART_LSR);
}

int main(void) {
  kputs("uart: start\n");
  /* Nothing has written IER/LCR/FCR since reset; printing does not change them. */
  kprintf("reset: IER 0x%02x IIR 0x%02x LCR 0x%02x\n", uart_rd(UART_IER), uart_rd(UART_IIR),
          uart_rd(UART_LCR));
  kprintf("idle LSR 0x%02x (THRE|TEMT, no DR)\n", lsr_settled());

  uart_wr(UART_LCR, 0x03);
  u8 lcr8n1 = uart_rd(UART_LCR);
  uart_wr(UART_LCR, 0x1b); /* 8 bits, 2 stop bits, even parity */
  u8 lcr8e2 = uart_rd(UART_LCR);
  uart_wr(UART_LCR, 0x03);
  kprintf("LCR read-back: 0x%02x 0x%02x\n", lcr8n1, lcr8e2);

  uart_wr(UART_SCR, 0xa5);
  u8 scr1 = uart_rd(UART_SCR);
  uart_wr(UART_SCR, 0x5a);
  kprintf("SCR read-back: 0x%02x 0x%02x\n", scr1, uart_rd(UART_SCR));

  /* DLAB: offsets 0 and 1 become the divisor latch; IER keeps its value behind it. */
  uart_wr(UART_IER, 0x00);
  lsr_settled();
  uart_wr(UART_LCR, 0x03 | LCR_DLAB);
  uart_wr(UART_DLL, 0x34);
  uart_wr(UART_DLM, 0x12);
  u8 dll = uart_rd(UART_DLL), dlm = uart_rd(UART_DLM), lcr_dlab = uart_rd(UART_LCR);
  uart_wr(UART_DLL, 0x01); /* divisor 1: 230400 baud at 3.6864 MHz */
  uart_wr(UART_DLM, 0x00);
  uart_wr(UART_LCR, 0x03);
  u8 ier_after = uart_rd(UART_IER);
  kprintf("DLAB: DLL 0x%02x DLM 0x%02x LCR 0x%02x, IER after DLAB off 0x%02x\n", dll, dlm, lcr_dlab,
          ier_after);

  /* IER holds its four defined bits. */
  uart_wr(UART_IER, 0x05); /* ERBFI | ELSI: no interrupt source is active */
  u8 ier5 = uart_rd(UART_IER);
  u8 iir5 = uart_rd(UART_IIR);
  uart_wr(UART_IER, 0x00);
  kprintf("IER read-back 0x%02x, IIR with RX/line-status enabled but idle 0x%02x\n", ier5, iir5);

  /* THRE interrupt: pending as soon as ETBEI is set with an empty THR; reading IIR while
   * it is the reported source clears it (datasheet table 4). */
  lsr_settled();
  uart_wr(UART_IER, IER_ETBEI);
  u8 iir_thre = uart_rd(UART_IIR);
  u8 iir_after = uart_rd(UART_IIR);
  uart_wr(UART_IER, 0x00);
  kprintf("THRE interrupt: IIR 0x%02x, then 0x%02x after the read\n", iir_thre, iir_after);

  /* FIFOs on: IIR bits 7:6 = 11. */
  uart_wr(UART_FCR, 0x07); /* enable, clear RX and TX FIFOs */
  u8 iir_fifo = uart_rd(UART_IIR);
  kprintf("FIFO enabled: IIR 0x%02x\n", iir_fifo);

  /* ---- loopback: nothing may be printed until MCR is restored */
  lsr_settled();
  u8 mcr_saved = uart_rd(UART_MCR);
  uart_wr(UART_MCR, MCR_LOOP | 0x0f); /* DTR RTS OUT1 OUT2 */
  u8 msr_all = uart_rd(UART_MSR) & 0xf0;
  uart_wr(UART_MCR, MCR_LOOP | 0x05); /* DTR OUT1 */
  u8 msr_some = uart_rd(UART_MSR) & 0xf0;
  uart_wr(UART_MCR, MCR_LOOP);
  u8 msr_none = uart_rd(UART_MSR) & 0xf0;

  static const char sent[] = "Hartwood\x00\xff\n";
  const int n = sizeof sent - 1;
  u8 got[16];
  int ngot = 0;
  for (int i = 0; i < n; i++) {
    uart_wait_thre();
    uart_wr(UART_THR, (u8)sent[i]);
  }
  u8 lsr_loop = lsr_settled();
  for (int spins = 0; ngot < n && spins < 1000000; spins++)
    if (uart_rd(UART_LSR) & LSR_DR) got[ngot++] = uart_rd(UART_RBR);
  u8 lsr_drained = uart_rd(UART_LSR);

  /* RX FIFO reset discards what was received. */
  for (int i = 0; i < 3; i++) {
    uart_wait_thre();
    uart_wr(UART_THR, 'x');
  }
  u8 lsr_before_reset = lsr_settled() & LSR_DR;
  uart_wr(UART_FCR, 0x03); /* enable, clear RX FIFO */
  u8 lsr_after_reset = uart_rd(UART_LSR) & LSR_DR;

  /* Without FIFOs a second byte overruns the first: OE|DR, the newer byte survives, reading
   * LSR clears OE. */
  uart_wr(UART_FCR, 0x00);
  uart_wait_thre();
  uart_wr(UART_THR, 'a');
  uart_wait_thre();
  uart_wr(UART_THR, 'b');
  /* Reading LSR clears OE, so the reads that wait for the transmitter are OR-ed together. */
  u8 lsr_overrun = 0;
  for (int i = 0; i < 100000 && (lsr_overrun & (LSR_THRE | LSR_TEMT)) != (LSR_THRE | LSR_TEMT); i++)
    lsr_overrun |= uart_rd(UART_LSR);
  u8 lsr_overrun2 = uart_rd(UART_LSR);
  u8 rbr_overrun = uart_rd(UART_RBR);
  u8 lsr_overrun3 = uart_rd(UART_LSR);

  uart_wr(UART_MCR, mcr_saved);
  /* ---- loopback off */

  kprintf("loopback MSR[7:4]: 0x%02x with DTR|RTS|OUT1|OUT2, 0x%02x with DTR|OUT1, 0x%02x with none\n",
          msr_all, msr_some, msr_none);
  kprintf("loopback: sent %d bytes, LSR 0x%02x, received %d:", n, lsr_loop, ngot);
  for (int i = 0; i < ngot; i++) kprintf(" %02x", got[i]);
  kprintf(", LSR after 0x%02x\n", lsr_drained);
  int same = ngot == n;
  for (int i = 0; i < ngot && i < n; i++) same &= got[i] == (u8)sent[i];
  kprintf("loopback round trip intact: %s\n", yesno(same));
  kprintf("RX FIFO reset: DR %d before, %d after\n", lsr_before_reset, lsr_after_reset);
  kprintf("overrun without FIFO: LSR 0x%02x then 0x%02x, RBR '%c', LSR 0x%02x\n", lsr_overrun,
          lsr_overrun2, rbr_overrun, lsr_overrun3);
  kputs("uart: done\n");
  return 0;
}
