// Zicsr, Zifencei and the privileged instructions (Priv spec ch. 3-4). Their effects live in
// the plug-in's TypeScript side (csr.ts, hart.ts, mmu.ts); both engines reach them through
// the same helper calls, and serve the most frequent CSR accesses in wasm (sem.ts).
import { enc, insn, MASK_ALL, MASK_F3, type InsnDef } from "../insn.js";

const SYSTEM = 0x73;

/** Every instruction here may change what code means (privilege, translation, fences): translations end after it. */
const STOP = { kind: "stop" } as const;

/**
 * A CSR instruction does not end a translation: the engines serve the CSRs the kernel uses
 * all the time in wasm (sem.ts), and the host's slow path for the others always continues
 * at the pc it leaves in the state (which a translation leaves to reach).
 */
const csr = (name: string, f3: number, syntax: string): InsnDef =>
  insn("Zicsr", name, MASK_F3, enc(SYSTEM, f3), syntax, (s) => s.csr());

export const SYSTEM_INSNS: InsnDef[] = [
  csr("csrrw", 1, "rd,csr,rs1"),
  csr("csrrs", 2, "rd,csr,rs1"),
  csr("csrrc", 3, "rd,csr,rs1"),
  csr("csrrwi", 5, "rd,csr,imm:Z"),
  csr("csrrsi", 6, "rd,csr,imm:Z"),
  csr("csrrci", 7, "rd,csr,imm:Z"),
  insn("Zifencei", "fence.i", MASK_F3, enc(0x0f, 1), "", (s) => s.helper("fence_i"), STOP),
  insn("Priv", "ecall", MASK_ALL, 0x00000073, "", (s) => s.ecall(), STOP),
  insn("Priv", "ebreak", MASK_ALL, 0x00100073, "", (s) => s.helper("ebreak"), STOP),
  insn("Priv", "sret", MASK_ALL, 0x10200073, "", (s) => s.sret(), STOP),
  insn("Priv", "mret", MASK_ALL, 0x30200073, "", (s) => s.helper("mret"), STOP),
  insn("Priv", "wfi", MASK_ALL, 0x10500073, "", (s) => s.helper("wfi"), STOP),
  insn("Priv", "sfence.vma", 0xfe007fff, 0x12000073, "rs1,rs2", (s) => s.helper("sfence_vma"), STOP),
];
