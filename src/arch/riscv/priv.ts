// Privileged-architecture constants (Priv spec ch. 3-4), by their spec names.

export const PRV_U = 0;
export const PRV_S = 1;
export const PRV_M = 3;

// mcause values (Priv spec §3.1.15)
export const CAUSE = {
  MISALIGNED_FETCH: 0,
  FETCH_ACCESS: 1,
  ILLEGAL_INSTRUCTION: 2,
  BREAKPOINT: 3,
  MISALIGNED_LOAD: 4,
  LOAD_ACCESS: 5,
  MISALIGNED_STORE: 6,
  STORE_ACCESS: 7,
  ECALL_U: 8,
  ECALL_S: 9,
  ECALL_M: 11,
  FETCH_PAGE_FAULT: 12,
  LOAD_PAGE_FAULT: 13,
  STORE_PAGE_FAULT: 15,
} as const;

// mip/mie bits
export const IRQ = { SSI: 1, MSI: 3, STI: 5, MTI: 7, SEI: 9, MEI: 11 } as const;
/** Priv spec §3.1.9: simultaneous interrupts are taken in this order. */
export const IRQ_PRIORITY = [IRQ.MEI, IRQ.MSI, IRQ.MTI, IRQ.SEI, IRQ.SSI, IRQ.STI];

// mstatus fields
export const MSTATUS = {
  SIE: 1n << 1n,
  MIE: 1n << 3n,
  SPIE: 1n << 5n,
  MPIE: 1n << 7n,
  SPP: 1n << 8n,
  MPP: 3n << 11n,
  FS: 3n << 13n,
  MPRV: 1n << 17n,
  SUM: 1n << 18n,
  MXR: 1n << 19n,
  TVM: 1n << 20n,
  TW: 1n << 21n,
  TSR: 1n << 22n,
  UXL: 3n << 32n,
  SXL: 3n << 34n,
  SD: 1n << 63n,
} as const;

/** The mstatus bits sstatus shows (Priv spec §4.1.1). */
export const SSTATUS_MASK =
  MSTATUS.SIE |
  MSTATUS.SPIE |
  MSTATUS.SPP |
  MSTATUS.FS |
  MSTATUS.SUM |
  MSTATUS.MXR |
  MSTATUS.UXL |
  MSTATUS.SD;

// menvcfg fields (Priv spec §3.1.18; STCE from the Sstc extension)
export const MENVCFG = {
  FIOM: 1n << 0n,
  STCE: 1n << 63n,
} as const;

// mcounteren/scounteren bits: counter CSR number - 0xc00 (Priv spec §3.1.11)
export const COUNTEREN = { CY: 0, TM: 1, IR: 2 } as const;
