// The physical memory map and interrupt numbers of QEMU's `virt` board, which Hartwood's
// system board reproduces (addresses and IRQs that Linux and OpenSBI find in the device tree).

export const VIRT = {
  test: { base: 0x0010_0000, size: 0x1000 },
  rtc: { base: 0x0010_1000, size: 0x1000, irq: 11 },
  clint: { base: 0x0200_0000, size: 0x1_0000 },
  plic: { base: 0x0c00_0000, size: 0x60_0000 },
  uart: { base: 0x1000_0000, size: 0x100, irq: 10, clockHz: 3_686_400 },
  virtio: { base: 0x1000_1000, size: 0x1000, stride: 0x1000, count: 8, firstIrq: 1 },
  ram: { base: 0x8000_0000 },
} as const;

/** The highest PLIC interrupt source (riscv,ndev; QEMU virt 7.2 says 0x60). */
export const PLIC_SOURCES = 0x60;
/** mtime / time CSR frequency. */
export const TIMEBASE_HZ = 10_000_000;
export const MAX_HARTS = 8;
