// Control and status registers (Priv spec ch. 2-4) and the Zicsr instructions' semantics.
import { HelperResult } from "./sem.js";
import { COUNTEREN, IRQ, MENVCFG, MSTATUS, PRV_M, PRV_S, SSTATUS_MASK } from "./priv.js";
import type { Hart } from "./hart.js";
import * as S from "./state.js";

const M64 = (1n << 64n) - 1n;
const SEIP = 1n << 9n;

// misa: MXL = 2 (64-bit) and the extensions I M A F D C S U (Priv spec §3.1.1).
const MISA = (2n << 62n) | [..."IMAFDCSU"].reduce((a, c) => a | (1n << BigInt(c.charCodeAt(0) - 65)), 0n);

const MIP_WRITABLE = (1 << 1) | (1 << 5) | (1 << 9); // SSIP STIP SEIP
const STIP = 1 << IRQ.STI;
const MIE_WRITABLE = 0xaaa; // SSIE MSIE STIE MTIE SEIE MEIE
const MIDELEG_WRITABLE = (1 << 1) | (1 << 5) | (1 << 9);
const MEDELEG_WRITABLE = 0xb3ff; // every exception but ecall from M (11) and the reserved causes
const SATP_MODES = new Set([0n, 8n, 9n, 10n]); // Bare, Sv39, Sv48, Sv57

export const CSR = {
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a,
  sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144, stimecmp: 0x14d, satp: 0x180,
  mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305,
  mcounteren: 0x306, menvcfg: 0x30a, mcountinhibit: 0x320,
  mscratch: 0x340, mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344,
  pmpcfg0: 0x3a0, pmpaddr0: 0x3b0,
  tselect: 0x7a0, tdata1: 0x7a1, tdata2: 0x7a2, tdata3: 0x7a3, tinfo: 0x7a4,
  mcycle: 0xb00, minstret: 0xb02, cycle: 0xc00, time: 0xc01, instret: 0xc02,
  mvendorid: 0xf11, marchid: 0xf12, mimpid: 0xf13, mhartid: 0xf14, mconfigptr: 0xf15,
} as const; // prettier-ignore

/** Counter access from S/U-mode needs mcounteren (and scounteren for U) (Priv spec §3.1.11). */
function counterAllowed(h: Hart, index: number): boolean {
  if (h.priv === PRV_M) return true;
  if (!((h.mcounteren >>> index) & 1)) return false;
  return h.priv === PRV_S || ((h.scounteren >>> index) & 1) === 1;
}

/**
 * Sstc: below M-mode, stimecmp needs menvcfg.STCE ("an attempt to access stimecmp in a mode
 * other than M-mode raises an illegal-instruction exception" when it is 0) and mcounteren.TM.
 */
function stimecmpAllowed(h: Hart): boolean {
  return h.priv === PRV_M || (h.stce && ((h.mcounteren >>> COUNTEREN.TM) & 1) === 1);
}

/**
 * The engines charge an instruction before it runs, so while a CSR instruction executes
 * `h.instret` already counts it. Zicsr §9.1: a CSR read returns the value from before the
 * instruction, and a write "is done instead of the increment".
 */
function instretBefore(h: Hart): bigint {
  return BigInt(h.instret - 1);
}
function cycleBefore(h: Hart): bigint {
  return BigInt.asUintN(64, BigInt(h.instret - 1 + h.cycleOffset));
}

function fpAllowed(h: Hart): boolean {
  return (h.getMstatus() & MSTATUS.FS) !== 0n;
}

/** Reads a CSR; undefined when it does not exist or is not accessible now. */
export function readCsr(h: Hart, csr: number): bigint | undefined {
  if (csr >= CSR.pmpcfg0 && csr < CSR.pmpcfg0 + 16) return h.mmu.readPmpcfg(csr - CSR.pmpcfg0);
  if (csr >= CSR.pmpaddr0 && csr < CSR.pmpaddr0 + 64) return h.mmu.readPmpaddr(csr - CSR.pmpaddr0);
  if (csr >= 0xc00 && csr < 0xc20) {
    if (!counterAllowed(h, csr - 0xc00)) return undefined;
    if (csr === CSR.time) return BigInt(h.host.now());
    return csr === CSR.cycle ? cycleBefore(h) : csr === CSR.instret ? instretBefore(h) : 0n;
  }
  if (csr >= 0xb03 && csr < 0xb20) return 0n; // mhpmcounter3..31
  if (csr >= 0x323 && csr < 0x340) return 0n; // mhpmevent3..31
  switch (csr) {
    case CSR.fflags: return fpAllowed(h) ? BigInt(h.getI32(S.FFLAGS)) : undefined;
    case CSR.frm: return fpAllowed(h) ? BigInt(h.getI32(S.FRM)) : undefined;
    case CSR.fcsr: return fpAllowed(h) ? BigInt(h.getI32(S.FFLAGS) | (h.getI32(S.FRM) << 5)) : undefined;
    case CSR.sstatus: return h.getMstatus() & SSTATUS_MASK;
    case CSR.sie: return BigInt(h.mie & h.mideleg);
    case CSR.stvec: return h.stvec;
    case CSR.scounteren: return BigInt(h.scounteren);
    case CSR.senvcfg: return h.senvcfg;
    case CSR.sscratch: return h.sscratch;
    case CSR.sepc: return h.sepc;
    case CSR.scause: return h.scause;
    case CSR.stval: return h.stval;
    case CSR.sip: if (h.stce) h.updateTimer(); return BigInt(h.mip & h.mideleg);
    case CSR.stimecmp: return stimecmpAllowed(h) ? h.stimecmp : undefined;
    case CSR.satp: return h.priv === PRV_S && h.mstatus & MSTATUS.TVM ? undefined : h.mmu.satp;
    case CSR.mstatus: return h.getMstatus();
    case CSR.misa: return MISA;
    case CSR.medeleg: return BigInt(h.medeleg);
    case CSR.mideleg: return BigInt(h.mideleg);
    case CSR.mie: return BigInt(h.mie);
    case CSR.mtvec: return h.mtvec;
    case CSR.mcounteren: return BigInt(h.mcounteren);
    case CSR.menvcfg: return h.menvcfg;
    case CSR.mcountinhibit: return BigInt(h.mcountinhibit);
    case CSR.mscratch: return h.mscratch;
    case CSR.mepc: return h.mepc;
    case CSR.mcause: return h.mcause;
    case CSR.mtval: return h.mtval;
    case CSR.mip: if (h.stce) h.updateTimer(); return BigInt(h.mip);
    case CSR.mcycle: return cycleBefore(h);
    case CSR.minstret: return instretBefore(h);
    // Sdtrig with no trigger implemented (Debug spec 1.0, trigger module registers): tselect is WARL and stays 0,
    // trigger 0 has type 0 ("there is no trigger at this tselect"), so tdata1's type, dmode
    // and data read 0; tinfo: "If the currently selected trigger doesn't exist, this field
    // contains 1".
    case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return 0n;
    case CSR.tinfo: return 1n;
    case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return 0n;
    case CSR.mhartid: return BigInt(h.hartId);
    default: return undefined;
  } // prettier-ignore
}

/** Writes a CSR (access already checked); false when the CSR cannot be written. */
export function writeCsr(h: Hart, csr: number, v: bigint): boolean {
  v &= M64;
  if (csr >= CSR.pmpcfg0 && csr < CSR.pmpcfg0 + 16) return h.mmu.writePmpcfg(csr - CSR.pmpcfg0, v);
  if (csr >= CSR.pmpaddr0 && csr < CSR.pmpaddr0 + 64) return h.mmu.writePmpaddr(csr - CSR.pmpaddr0, v);
  if ((csr >= 0xb03 && csr < 0xb20) || (csr >= 0x323 && csr < 0x340)) return true; // hardwired to zero
  const lo = Number(v & 0xffffffffn);
  switch (csr) {
    case CSR.fflags: return fpWrite(h, lo & 0x1f, h.getI32(S.FRM));
    case CSR.frm: return fpWrite(h, h.getI32(S.FFLAGS), lo & 7);
    case CSR.fcsr: return fpWrite(h, lo & 0x1f, (lo >> 5) & 7);
    case CSR.sstatus: h.setMstatus((h.getMstatus() & ~SSTATUS_MASK) | (v & SSTATUS_MASK)); break;
    case CSR.sie: h.mie = (h.mie & ~h.mideleg) | (lo & h.mideleg & MIE_WRITABLE); break;
    case CSR.stvec: h.stvec = tvec(h.stvec, v); break;
    case CSR.scounteren: h.scounteren = lo; break; // all 32 enables (hpmcounters read 0)
    case CSR.senvcfg: h.senvcfg = v & 1n; break; // FIOM only
    case CSR.sscratch: h.sscratch = v; break;
    case CSR.sepc: h.sepc = v & ~1n; break;
    case CSR.scause: h.scause = v; break;
    case CSR.stval: h.stval = v; break;
    case CSR.sip: h.mipSw = (h.mipSw & ~(h.mideleg & 2)) | (lo & h.mideleg & 2); break; // only SSIP is writable here
    case CSR.satp: return writeSatp(h, v);
    case CSR.mstatus: h.setMstatus(v); break;
    case CSR.misa: break; // WARL: the extension set is fixed
    case CSR.medeleg: h.medeleg = lo & MEDELEG_WRITABLE; break;
    case CSR.mideleg: h.mideleg = lo & MIDELEG_WRITABLE; break;
    case CSR.mie: h.mie = lo & MIE_WRITABLE; break;
    case CSR.mtvec: h.mtvec = tvec(h.mtvec, v); break;
    case CSR.mcounteren: h.mcounteren = lo; break;
    case CSR.menvcfg: h.menvcfg = v & (MENVCFG.FIOM | MENVCFG.STCE); break;
    case CSR.mcountinhibit: h.mcountinhibit = lo & 5; break;
    case CSR.mscratch: h.mscratch = v; break;
    case CSR.mepc: h.mepc = v & ~1n; break;
    case CSR.mcause: h.mcause = v; break;
    case CSR.mtval: h.mtval = v; break;
    case CSR.mip: return writeMip(h, lo);
    case CSR.mcycle: h.cycleOffset = Number(v & ((1n << 53n) - 1n)) - h.instret; break;
    case CSR.minstret: return writeMinstret(h, Number(v & ((1n << 53n) - 1n)));
    case CSR.stimecmp: if (!stimecmpAllowed(h)) return false; h.stimecmp = v; break;
    case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: case CSR.tinfo: break; // see readCsr
    default: return false;
  } // prettier-ignore
  return true;
}

/** Sstc: while menvcfg.STCE = 1, mip.STIP reflects stimecmp and is read-only. */
function writeMip(h: Hart, lo: number): boolean {
  const writable = h.stce ? MIP_WRITABLE & ~STIP : MIP_WRITABLE;
  h.mipSw = (h.mipSw & ~writable) | (lo & writable);
  return true;
}

/** The written value replaces this instruction's increment; mcycle keeps counting on its own. */
function writeMinstret(h: Hart, v: number): boolean {
  const cycle = h.instret + h.cycleOffset;
  h.instret = v;
  h.cycleOffset = cycle - v;
  return true;
}

function fpWrite(h: Hart, fflags: number, frm: number): boolean {
  if (!fpAllowed(h)) return false;
  h.setI32(S.FFLAGS, fflags);
  h.setI32(S.FRM, frm);
  h.setI32(S.FS_DIRTY, 1);
  return true;
}

/** xtvec is WARL: modes 0 (direct) and 1 (vectored); other modes keep the old mode (Priv spec §3.1.7). */
function tvec(old: bigint, v: bigint): bigint {
  const mode = v & 3n;
  return (v & ~3n) | (mode <= 1n ? mode : old & 3n);
}

/** satp is WARL: a write selecting an unsupported mode has no effect (Priv spec §4.1.11). */
function writeSatp(h: Hart, v: bigint): boolean {
  if (h.priv === PRV_S && h.mstatus & MSTATUS.TVM) return false;
  if (!SATP_MODES.has(v >> 60n)) return true;
  // The TLB keeps each address space's entries (mmu.ts); translated code runs only where its
  // pc still maps to the page it came from (its code key, recompiler.ts).
  h.mmu.satp = v;
  return true;
}

/** csrrw/csrrs/csrrc and the immediate forms (Zicsr §9.1). */
export function csrAccess(h: Hart): HelperResult {
  const csr = h.field("csr");
  const f3 = h.field("rm");
  const rd = h.field("rd");
  const src = h.field("rs1");
  const op = f3 & 3; // 1 write, 2 set, 3 clear
  const operand = f3 & 4 ? BigInt(src) : h.getX(src);
  const writes = op === 1 || src !== 0;
  const readOnly = csr >>> 10 === 3;
  // Priv spec §2.1: csr[9:8] is the lowest privilege that may access it, csr[11:10] = 3 is read-only.
  if (h.priv < ((csr >>> 8) & 3) || (writes && readOnly)) return h.illegal();
  const old = op === 1 && rd === 0 ? 0n : readCsr(h, csr);
  if (old === undefined) return h.illegal();
  if (writes) {
    // Priv spec §3.1.9: csrrs/csrrc on mip modify the software-writable SEIP bit, not the OR
    // with the external interrupt line that a read returns (else the line would stick).
    const base = csr === CSR.mip && old !== undefined ? (old & ~SEIP) | BigInt(h.mipSw & Number(SEIP)) : old;
    const next = op === 1 ? operand : op === 2 ? base | operand : base & ~operand;
    if (!writeCsr(h, csr, next)) return h.illegal();
  }
  h.setX(rd, old);
  // A write may enable an interrupt: take it before the next instruction.
  h.pc = h.pc + BigInt(h.getI32(S.INSN_LEN));
  h.checkInterrupts();
  return HelperResult.Redirect;
}
