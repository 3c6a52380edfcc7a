// Layout of one hart's state in wasm memory. Translated code and the interpreter address
// these fields as constant offsets from the hart's base; the TypeScript side reads the same
// bytes through typed-array views.

export const HART_STATE_BYTES = 1024;

export const X = 0; // x0..x31, i64 each
export const F = 256; // f0..f31, raw 64-bit patterns (binary32 values NaN-boxed)
export const PC = 512; // i64
export const FFLAGS = 520; // i32, accrued exception flags (fcsr[4:0])
export const FRM = 524; // i32, dynamic rounding mode (fcsr[7:5])
export const PRIV = 528; // i32, the privilege the hart runs at (part of translations' code key)
export const TLB_DATA = 532; // i32, host offset of the TLB set used by loads and stores
export const TLB_FETCH = 536; // i32, host offset of the TLB set used by instruction fetch
export const BUDGET = 540; // i32, instructions left in the current run slice
export const STOP = 544; // i32, non-zero asks the running loop to return: the interpreter at its next jump or trap, a translation at its end
export const FS_OFF = 548; // i32, non-zero while mstatus.FS = Off (FP instructions are illegal)
export const SCRATCH = 552; // i64, values passed to and from host helpers
export const SCRATCH2 = 560; // i64
export const RES_ADDR = 568; // i64, LR reservation address, -1 when none
export const RES_VAL = 576; // i64, value loaded by the LR that made the reservation
export const INSN = 584; // i32, raw bits of the instruction a helper is serving
export const INSN_LEN = 588; // i32, its length in bytes
export const FS_DIRTY = 592; // i32, set by FP instructions that write FP state; folded into mstatus.FS
export const JIT_INSNS = 600; // i64 x 4, by privilege (U, S, -, M): instructions run in translated code
// CSRs the engines serve in wasm (csr instructions, sem.ts) as well as the TypeScript side.
export const MSTATUS = 632; // i64, mstatus without SD (FS_DIRTY not yet folded in)
export const SSCRATCH = 640; // i64; sepc, scause and stval follow in CSR-number order
export const SEPC = 648; // i64
export const SCAUSE = 656; // i64
export const STVAL = 664; // i64
export const JIT_SWITCHED = 672; // i32, the recompiler's address-space generation at the hart's last satp change
export const JIT_REUSED = 680; // i64, entries into translations made before that change (core/jit/table.ts)
// Interrupt and trap state the engines' supervisor fast paths read and write (sem.ts), with
// Hart's accessors as the TypeScript side's view of the same bytes.
export const MIE = 688; // i32
export const MIDELEG = 692; // i32
export const MEDELEG = 696; // i32
export const MIP_SW = 700; // i32, software-writable pending bits (SSIP, STIP, SEIP)
export const MIP = 704; // i32, mip as read: device lines | MIP_SW, STIP from TIMER_STIP while STCE = 1
export const TIMER_STIP = 708; // i32, mip.STIP as stimecmp drives it (0 or 1 << 5), as of the last evaluation
export const STCE = 712; // i32, menvcfg.STCE
export const MCOUNTEREN = 716; // i32
export const STVEC = 720; // i64
export const SATP = 728; // i64, a copy of the MMU's (written only by the host)
export const STIMECMP = 736; // i64 (unsigned)
export const TLB_U = 744; // i32, host offset of the TLB set U-mode uses in the current address space
export const TLB_S = 748; // i32, the S-mode set with SUM = 0 (fetch always; loads and stores add TLB_SET_BYTES when SUM = 1)
export const SCOUNTEREN = 752; // i32
export const FAST_TRAPS = 756; // i32, non-zero when the host lets the engines take traps from U delegated to S in wasm
// The last exit from translated code to the engine (core/jit/isa.ts HartStateLayout.exit):
export const JIT_EXIT_SITE = 760; // i64, pc of the indirect jump that left (0: another exit, or read)
export const JIT_EXIT_TARGET = 768; // i64, where it went
export const JIT_SIDE_EXITS = 776; // i64, side exits taken from translated code (core/jit/context.ts)
// The interpreter's predecoded instructions (interp.ts):
export const X_SINK = 784; // i64, where the interpreter's writes to x0 go (x0 itself stays 0)
export const PREDECODE_FILLS = 792; // i64, instructions the interpreter decoded into its predecode table
export const FETCH_PAGE = 800; // i64, the guest page of the interpreter's last fetch (-1: none, or to be looked up again)
export const FETCH_BASE = 808; // i32, that page's host offset (guest address + FETCH_BASE = host address)
// Calls from translated code waiting for their return (core/jit/isa.ts HartStateLayout.calls):
export const JIT_RET_EXPECT = 816; // i64, the return site the innermost waiting call goes on at (1: none, never a pc)
export const JIT_PREDICTED = 824; // i64, returns that went back to their caller's translation
export const JIT_CALL_DEPTH = 832; // i32, calls waiting
// i32, host offset of the predecode table of the engine running the hart (set at each slice:
// engines on other threads keep tables of their own and share one interpreter module)
export const PREDECODE = 836;
// i64, pc minus the interpreter's host address of it (the loop carries the host address alone
// in straight-line code, and derives the pc from it where an instruction reads it)
export const PC_DELTA = 840;

/** Interpreter/translated-code exit reasons returned by `run`. */
export const enum Exit {
  Budget = 0, // the slice ran out; the host checks timers, devices and interrupts
  Stop = 1, // the host asked the hart to stop (halt, power-off, HTIF exit)
  Wfi = 2, // the hart executes WFI with no interrupt pending
}

// The software TLB: per hart, one direct-mapped set per translation context (see mmu.ts).
// Entry: tag for loads, tag for stores, tag for fetch, addend (guest virtual -> host offset).
export const TLB_ENTRIES = 4096;
export const TLB_ENTRY_BYTES = 32;
export const TLB_SET_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;
export const TLB_READ = 0;
export const TLB_WRITE = 8;
export const TLB_EXEC = 16;
export const TLB_ADDEND = 24;
