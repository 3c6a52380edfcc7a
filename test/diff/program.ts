// Turns generated blocks into one assembly program (bare-metal HTIF or Linux user mode),
// parses the register dumps the program prints, and compares two runs block by block.
//
// Each block copies its initial scratch contents and loads its initial registers from a table,
// runs its sequence, saves every register into its region (addressed by the base register,
// which the sequence never writes), possibly repeats all that, and prints the region as one
// line: "B" <index> <dword>*, each 16 hex digits:
//   region +0    scratch buffer (SCRATCH_BYTES)
//   region +128  x0..x31
//   region +384  f0..f31 (raw 64 bits)
//   region +640  fcsr
// A trap (bare-metal) prints "T" mcause mepc mtval; the end of the program prints "E".
import { type Block, SCRATCH_BYTES } from "./gen.js";
import { FREG, RM_NAMES, XREG } from "./names.js";

export type Target = "baremetal" | "linux";

const X_OFF = SCRATCH_BYTES;
const F_OFF = X_OFF + 32 * 8;
const FCSR_OFF = F_OFF + 32 * 8;
const REGION_BYTES = FCSR_OFF + 8;
/** Not dumped: how many more times the block runs. */
const COUNT_OFF = REGION_BYTES;
export const DUMP_DWORDS = REGION_BYTES / 8;
/** The x register that walks the initial-state table; the base register is never this one. */
const LOADER = 31;

/** Name of dword i of a dump. */
export function dumpName(i: number): string {
  const off = i * 8;
  if (off < X_OFF) return `mem+0x${off.toString(16).padStart(2, "0")}`;
  if (off < F_OFF) return XREG[(off - X_OFF) / 8];
  if (off < FCSR_OFF) return FREG[(off - F_OFF) / 8];
  return "fcsr";
}

const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;

/** Initial-state table: f0..f31, fcsr, x1..x31 (x0's slot is fcsr), then the scratch contents. */
const INIT_X = 256;
const INIT_SCRATCH = INIT_X + 32 * 8;

/** Macros shared by every block: load the initial state from the table in t6 into the
 *  registers (scratch via t5), and save every register into the region at \base. */
function macros(): string {
  const load = [".macro hw_load"];
  for (let i = 0; i < SCRATCH_BYTES; i += 8)
    load.push(`\tld t0, ${INIT_SCRATCH + i}(t6)`, `\tsd t0, ${i}(t5)`);
  for (let i = 0; i < 32; i++) load.push(`\tfld ${FREG[i]}, ${8 * i}(t6)`);
  load.push(`\tld ra, ${INIT_X}(t6)`, "\tfscsr ra");
  for (let i = 1; i < 32; i++) if (i !== LOADER) load.push(`\tld ${XREG[i]}, ${INIT_X + 8 * i}(t6)`);
  load.push(`\tld t6, ${INIT_X + 8 * LOADER}(t6)`, ".endm");
  const save = [".macro hw_save base"];
  for (let i = 0; i < 32; i++) save.push(`\tsd ${XREG[i]}, ${X_OFF + 8 * i}(\\base)`);
  for (let i = 0; i < 32; i++) save.push(`\tfsd ${FREG[i]}, ${F_OFF + 8 * i}(\\base)`);
  save.push("\tfrcsr t0", `\tsd t0, ${FCSR_OFF}(\\base)`, ".endm");
  return [...load, ...save].join("\n");
}

function blockAsm(b: Block, repeat: number): string {
  const base = XREG[b.base];
  const i = b.index;
  const out = [
    `hw_block_${i}:`,
    `\tlla t5, hw_region_${i}`,
    `\tli t0, ${repeat}`,
    `\tsd t0, ${COUNT_OFF}(t5)`,
  ];
  out.push(
    `hw_loop_${i}:`,
    `\tlla t5, hw_region_${i}`,
    `\tlla t6, hw_init_${i}`,
    "\thw_load",
    "\t# sequence",
  );
  for (const l of b.lines) out.push(l.asm.endsWith(":") ? l.asm : `\t${l.asm}`);
  out.push(`\thw_save ${base}`);
  // Run the block `repeat` times (so a recompiler sees hot code); the last run is dumped.
  out.push(`\tld t0, ${COUNT_OFF}(${base})`, "\taddi t0, t0, -1", `\tsd t0, ${COUNT_OFF}(${base})`);
  out.push("\tbeqz t0, 1f", `\tj hw_loop_${i}`, "1:");
  out.push(`\tmv a0, ${base}`, `\tli a1, ${i}`, "\tcall hw_dump");
  return out.join("\n");
}

function blockData(b: Block): string {
  const dw = (v: bigint | string) => `\t.dword ${typeof v === "string" ? v : `0x${v.toString(16)}`}`;
  const out = ["\t.balign 8", `hw_init_${b.index}:`];
  for (const f of b.initF) out.push(dw(f));
  out.push(dw(BigInt(b.frm << 5)));
  for (let i = 1; i < 32; i++) out.push(dw(i === b.base ? `hw_region_${b.index}` : b.initX[i]));
  for (const v of b.scratch) out.push(dw(v));
  out.push(`hw_region_${b.index}:`, `\t.zero ${COUNT_OFF + 8}`);
  return out.join("\n");
}

/** Prints a0 as 16 hex digits through hw_putc; returns to s2. */
const HEX = `
hw_hex:
\tmv s5, a0
\tli s6, 60
1:\tsrl a0, s5, s6
\tandi a0, a0, 15
\tli t0, 10
\tblt a0, t0, 2f
\taddi a0, a0, 39
2:\taddi a0, a0, 48
\tjal s3, hw_putc
\taddi s6, s6, -4
\tbgez s6, 1b
\tjr s2
`;

/** hw_dump(a0 = region, a1 = block index) prints one dump line; it may clobber every register. */
function dumpAsm(flush: string): string {
  return `
hw_dump:
\tmv s0, a0
\tmv s1, ra
\tli a0, 66
\tjal s3, hw_putc
\tmv a0, a1
\tjal s2, hw_hex
\tli s4, 0
1:\tadd t0, s0, s4
\tld a0, 0(t0)
\tjal s2, hw_hex
\taddi s4, s4, 8
\tli t0, ${REGION_BYTES}
\tblt s4, t0, 1b
\tli a0, 10
\tjal s3, hw_putc
${flush}
\tjr s1
${HEX}`;
}

const BAREMETAL_RUNTIME = `
\t.balign 4
hw_trap:
\tli a0, 84
\tjal s3, hw_putc
\tcsrr a0, mcause
\tjal s2, hw_hex
\tcsrr a0, mepc
\tjal s2, hw_hex
\tcsrr a0, mtval
\tjal s2, hw_hex
\tli a0, 10
\tjal s3, hw_putc
\tli t0, 5
\tlla t1, tohost
\tsd t0, 0(t1)
1:\tj 1b

hw_end:
\tli a0, 69
\tjal s3, hw_putc
\tli a0, 10
\tjal s3, hw_putc
\tli t0, 1
\tlla t1, tohost
\tsd t0, 0(t1)
1:\tj 1b

# HTIF console: device 1, command 1 prints a character; the host clears tohost when done.
hw_putc:
\tli t0, 0x0101000000000000
\tor t0, t0, a0
\tlla t1, tohost
\tsd t0, 0(t1)
1:\tld t2, 0(t1)
\tbnez t2, 1b
\tjr s3
${dumpAsm("")}
\t.section .tohost, "aw", @progbits
\t.balign 64
\t.globl tohost
tohost: .dword 0
\t.size tohost, 8
\t.balign 64
\t.globl fromhost
fromhost: .dword 0
\t.size fromhost, 8
`;

const LINUX_RUNTIME = `
hw_end:
\tlla s7, hw_line
\tli a0, 69
\tjal s3, hw_putc
\tli a0, 10
\tjal s3, hw_putc
\tjal s3, hw_flush
\tli a0, 0
\tli a7, 93
\tecall

# Characters collect in hw_line (s7 is the write pointer) until hw_flush writes them to stdout.
hw_putc:
\tsb a0, 0(s7)
\taddi s7, s7, 1
\tjr s3
hw_flush:
\tli a0, 1
\tlla a1, hw_line
\tsub a2, s7, a1
\tli a7, 64
\tecall
\tjr s3
${dumpAsm("\tjal s3, hw_flush").replace("\tmv s1, ra\n", "\tmv s1, ra\n\tlla s7, hw_line\n")}
\t.bss
\t.balign 8
hw_line: .zero ${2 * (2 + 16 * (DUMP_DWORDS + 1))}
`;

/** The whole program: every block in order (each run `repeat` times), then the end marker. */
export function renderProgram(blocks: Block[], target: Target, repeat = 1): string {
  const start =
    target === "baremetal"
      ? [
          "\t.section .text.init",
          "\t.globl _start",
          "_start:",
          "\tlla t0, hw_trap",
          "\tcsrw mtvec, t0",
        ].concat(["\tli t0, 0x6000", "\tcsrs mstatus, t0 # mstatus.FS = Dirty"])
      : ["\t.text", "\t.globl _start", "_start:"];
  return [
    "# Generated by test/diff/gen.ts: random instruction sequences for differential testing.",
    "\t.option norvc",
    "\t.option norelax",
    macros(),
    ...start,
    ...blocks.map((b) => blockAsm(b, repeat)),
    "\tj hw_end",
    target === "baremetal" ? BAREMETAL_RUNTIME : LINUX_RUNTIME,
    "\t.data",
    ...blocks.map(blockData),
    "",
  ].join("\n");
}

export interface Dump {
  blocks: Map<number, bigint[]>;
  /** A trap the program reported: mcause, mepc, mtval. */
  trap?: [bigint, bigint, bigint];
  ended: boolean;
  /** Lines that are none of the above. */
  junk: string[];
}

export function parseDump(out: string): Dump {
  const d: Dump = { blocks: new Map(), ended: false, junk: [] };
  const words = (s: string) =>
    Array.from({ length: s.length / 16 }, (_, i) => BigInt(`0x${s.slice(16 * i, 16 * i + 16)}`));
  for (const line of out.split("\n")) {
    if (/^B[0-9a-f]+$/.test(line) && line.length === 1 + 16 * (DUMP_DWORDS + 1)) {
      const [idx, ...vals] = words(line.slice(1));
      d.blocks.set(Number(idx), vals);
    } else if (/^T[0-9a-f]{48}$/.test(line)) {
      const [c, e, t] = words(line.slice(1));
      d.trap = [c, e, t];
    } else if (line === "E") {
      d.ended = true;
    } else if (line !== "") {
      d.junk.push(line.length > 200 ? `${line.slice(0, 200)}...` : line);
    }
  }
  return d;
}

/** What one executor did with a program. */
export interface RunOutput {
  name: string;
  status: number | null;
  out: string;
  /** A host-side failure (crash, timeout, exception), if any. */
  error?: string;
  /** Hartwood's translations (its recompiler's count), when it reported them. */
  translations?: number;
}

function describeFcsr(v: bigint): string {
  const flags = ["NX", "UF", "OF", "DZ", "NV"].filter((_, i) => (v >> BigInt(i)) & 1n);
  return `frm=${RM_NAMES[Number((v >> 5n) & 7n)] || Number((v >> 5n) & 7n)} flags=${flags.join("|") || "-"}`;
}

/** The block's sequence and the initial values of the registers it names. */
export function describeBlock(b: Block): string {
  const text = b.lines.map((l) => l.text);
  const named = new Set(text.join(" ").match(/\b[a-z][a-z0-9]*\b/g) ?? []);
  const init: string[] = [];
  for (let i = 1; i < 32; i++)
    if (i !== b.base && named.has(XREG[i])) init.push(`${XREG[i]}=${hex(b.initX[i])}`);
  for (let i = 0; i < 32; i++) if (named.has(FREG[i])) init.push(`${FREG[i]}=${hex(b.initF[i])}`);
  const mem = b.scratch.map((v, i) => `+0x${(8 * i).toString(16)}=${hex(v)}`);
  return [
    `  base register ${XREG[b.base]} -> scratch; initial frm=${RM_NAMES[b.frm]}, fflags clear`,
    `  initial: ${init.join(" ")}`,
    `  scratch: ${mem.join(" ")}`,
    "  sequence:",
    ...text.map((t) => (t.endsWith(":") ? `    ${t}` : `      ${t}`)),
  ].join("\n");
}

function describeRun(r: RunOutput, d: Dump): string {
  const parts = [`exit status ${r.status}`];
  if (r.error) parts.push(`error: ${r.error}`);
  if (d.trap) parts.push(`trap mcause=${hex(d.trap[0])} mepc=${hex(d.trap[1])} mtval=${hex(d.trap[2])}`);
  if (d.junk.length) parts.push(`other output: ${d.junk.slice(0, 3).join(" | ")}`);
  return parts.join("; ");
}

export interface Comparison {
  /** One report per mismatching block (or run-level problem), ready to print. */
  mismatches: string[];
  /** Blocks both runs dumped identically. */
  matched: number;
}

/** Compares the reference run with the tested one; every difference is named and explained. */
export function compareRuns(blocks: Block[], ref: RunOutput, test: RunOutput, label: string): Comparison {
  const rd = parseDump(ref.out);
  const td = parseDump(test.out);
  const mismatches: string[] = [];
  let matched = 0;
  for (const b of blocks) {
    const rv = rd.blocks.get(b.index);
    const tv = td.blocks.get(b.index);
    if (!rv) {
      mismatches.push(
        `${label} block ${b.index}: the reference (${ref.name}) printed no dump for it, so the generator ` +
          `made something invalid (${describeRun(ref, rd)})\n${describeBlock(b)}`,
      );
      break;
    }
    if (!tv) {
      mismatches.push(
        `${label} block ${b.index}: ${test.name} printed no dump for it (${describeRun(test, td)})\n${describeBlock(b)}`,
      );
      break;
    }
    const diffs: string[] = [];
    for (let i = 0; i < DUMP_DWORDS; i++) {
      if (rv[i] === tv[i]) continue;
      const name = dumpName(i).padEnd(8);
      const extra = name.startsWith("fcsr") ? `  (${describeFcsr(rv[i])} vs ${describeFcsr(tv[i])})` : "";
      diffs.push(`    ${name} ${ref.name}=${hex(rv[i])} ${test.name}=${hex(tv[i])}${extra}`);
    }
    if (diffs.length === 0) {
      matched++;
      continue;
    }
    mismatches.push(
      `${label} block ${b.index}: ${diffs.length} value(s) differ\n${describeBlock(b)}\n  differs:\n${diffs.join("\n")}`,
    );
  }
  if (mismatches.length === 0 && (!td.ended || test.status !== ref.status)) {
    mismatches.push(
      `${label}: ${test.name} did not finish like ${ref.name}: ${describeRun(test, td)} vs ${describeRun(ref, rd)}`,
    );
  }
  return { mismatches, matched };
}
