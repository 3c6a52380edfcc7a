// The virt board's devices and SBI, seen by bare-metal programs (test/guest/virt): each runs
// on QEMU's `virt` machine, the reference, whose output must show what the datasheet or
// specification requires, and then on `hartwood boot`, which must print the same lines
// (apart from the differences documented below) and exit with the same status.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  buildVirt,
  describeRun,
  FW_JUMP,
  fromMarker,
  type Machine,
  type Run,
  runOnHartwood,
  runOnQemu,
  splitTagged,
} from "./guest/virt/programs.js";

/** A line QEMU prints that Hartwood is expected to print differently, and why. */
interface Difference {
  qemu: string;
  hartwood: string;
  why: string;
}

interface Program {
  name: string;
  machine: Machine;
  /** The exit status: 0 = power off through the test device (or SBI SRST shutdown). */
  status: number;
  /** Where the program's own output starts (after a firmware banner). */
  marker: string;
  /** Lines the reference run must print: what the datasheet or specification requires. */
  required: string[];
  differences?: Difference[];
}

const VIRTIO_BUFFER_OUTSIDE_RAM: Difference = {
  qemu: "(b) buffer outside RAM: Status 0x0f (NEEDS_RESET no), config change interrupt no, used ring advanced: yes (len 513, status byte 0x00)",
  hartwood:
    "(b) buffer outside RAM: Status 0x4f (NEEDS_RESET yes), config change interrupt yes, used ring advanced: no",
  why:
    "QEMU 7.2 maps DMA to unassigned physical memory as a discarding bounce buffer and completes the " +
    "request with status OK; Hartwood's device treats a buffer outside RAM as a device error " +
    "(VIRTIO 1.2 §2.1.2: NEEDS_RESET, then a configuration change notification), as QEMU does for the other chains",
};

const SBI_SPEC_VERSION: Difference = {
  qemu: "base: get_spec_version: error 0, 1.0, at least 0.2: yes",
  hartwood: "base: get_spec_version: error 0, 2.0, at least 0.2: yes",
  why: "OpenSBI 1.1 implements SBI 1.0; the built-in SBI implements DBCN, an SBI 2.0 extension, and says 2.0",
};

const PROGRAMS: Program[] = [
  {
    name: "uart",
    machine: { privilege: "M" },
    status: 0,
    marker: "uart: start",
    required: [
      // PC16550D datasheet: reset values (table 9), LCR/SCR/divisor latch read-back, THRE
      // interrupt cleared by reading IIR (table 4), IIR[7:6] = 11 with FIFOs, loopback wiring.
      "reset: IER 0x00 IIR 0x01 LCR 0x00",
      "idle LSR 0x60 (THRE|TEMT, no DR)",
      "LCR read-back: 0x03 0x1b",
      "SCR read-back: 0xa5 0x5a",
      "DLAB: DLL 0x34 DLM 0x12 LCR 0x83, IER after DLAB off 0x00",
      "IER read-back 0x05, IIR with RX/line-status enabled but idle 0x01",
      "THRE interrupt: IIR 0x02, then 0x01 after the read",
      "FIFO enabled: IIR 0xc1",
      "loopback MSR[7:4]: 0xf0 with DTR|RTS|OUT1|OUT2, 0x60 with DTR|OUT1, 0x00 with none",
      "loopback: sent 11 bytes, LSR 0x61, received 11: 48 61 72 74 77 6f 6f 64 00 ff 0a, LSR after 0x60",
      "loopback round trip intact: yes",
      "RX FIFO reset: DR 1 before, 0 after",
      "overrun without FIFO: LSR 0x63 then 0x61, RBR 'b', LSR 0x60",
      "uart: done",
    ],
  },
  {
    name: "plic",
    machine: { privilege: "M" },
    status: 0,
    marker: "plic: start",
    required: [
      // PLIC spec 1.0.0: claim 0 = nothing pending; priority 0 = never; interrupts only
      // when priority > threshold; claim returns the source id, completion re-arms it.
      "claim with nothing pending: 0",
      "read-back: priority 7 -> 7, 0 -> 0; enable 0x400; threshold 7 -> 7",
      "THRE interrupt makes source 10 pending: 1 (MEIP 0 while disabled)",
      "priority 0 never interrupts: MEIP 0, claim 0",
      "enable bit clear: MEIP 0",
      "threshold: MEIP 0 at priority 1 threshold 1, 1 at 3 > 2, 0 at 2 = 2, 1 at 2 > 0",
      "interrupt taken: 1 time(s), mcause 0x800000000000000b, claim 10, UART IIR 0x02",
      "after completion: pending 0, MEIP 0, claim 0",
      "second interrupt after completion: 2 time(s) in all, claim 10",
      "S-mode context: SEIP 1, MEIP 0, claim 10, SEIP after completion 0",
      "plic: done",
    ],
  },
  {
    name: "clint",
    machine: { privilege: "M", smp: 2 },
    status: 0,
    marker: "clint: start",
    required: [
      "mtime advances: yes",
      "time CSR between two mtime reads: yes",
      "mtime runs at 10 MHz against the RTC (within 2x): yes",
      "MTIP: 1 with mtimecmp 0, 0 with mtimecmp far, 0 with hart 1's mtimecmp 0",
      "mtimecmp read-back: yes",
      "hart 0: timer interrupt: taken 1 time(s), mcause 0x8000000000000007, not before mtimecmp: yes, within 1 s: yes",
      "hart 0: msip to self: msip 1, MSIP 1, interrupt taken 1 time(s), mcause 0x8000000000000003, then msip 0, MSIP 0",
      "hart 1 waiting: yes",
      "hart 1: woken by msip: mcause 0x8000000000000003, msip 0, MSIP 0",
      "hart 1: timer interrupt: taken 1 time(s), mcause 0x8000000000000007, not before mtimecmp: yes, within 1 s: yes",
      "hart 0: msip[1] left hart 0's MSIP at 0; hart 1 finished: yes",
      "clint: done",
    ],
  },
  {
    name: "testdev",
    machine: { privilege: "M" },
    // QEMU 7.2's sifive_test exits with the code of a 0x3333 | code << 16 write.
    status: 42,
    marker: "testdev: ",
    required: ["testdev: writing 0x3333 | 42 << 16"],
  },
  {
    name: "virtio_hostile",
    machine: { privilege: "M" },
    status: 0,
    marker: "virtio: start",
    required: [
      'virtio-blk found: magic "virt", version 2',
      "init: status after reset 0x0, VERSION_1 offered: yes, FEATURES_OK kept: yes, QueueReady before setup 0, QueueNumMax >= 8: yes, status 0xf",
      "config: capacity 128 sectors",
      // §2.7.8: len = bytes written into the buffer (512 data + 1 status for a read).
      'read sector 0: status 0, used len 513, data "Hartwood virtio-blk test image, ", checksum 0xf160064f',
      "write sector 1: status 0, used len 1",
      "read sector 1 back: status 0, used len 513, matches: yes",
      "read beyond the capacity: status 1 (IOERR)",
      "request type 99: status 2 (UNSUPP)",
      "(a) descriptor loop 0 -> 1 -> 0: Status 0x4f (NEEDS_RESET yes), config change interrupt yes, used ring advanced: no",
      "(c1) head index >= queue size: Status 0x4f (NEEDS_RESET yes), config change interrupt yes, used ring advanced: no",
      "(c2) next index >= queue size: Status 0x4f (NEEDS_RESET yes), config change interrupt yes, used ring advanced: no",
      "(d) 4-byte request header: Status 0x4f (NEEDS_RESET yes), config change interrupt yes, used ring advanced: no",
      'after reset, read sector 0: status 0, used len 513, data "Hartwood virtio-blk test image, ", checksum 0xf160064f',
      "virtio: done",
    ],
    differences: [VIRTIO_BUFFER_OUTSIDE_RAM],
  },
  {
    name: "sbi",
    machine: { privilege: "S", smp: 2 },
    status: 0,
    marker: "sbi: start",
    required: [
      // SBI 2.0: error codes (§3.2), HSM states (§9: 0 STARTED, 1 STOPPED), BASE (§4).
      "base: get_spec_version: error 0, 1.0, at least 0.2: yes",
      "base: get_impl_id: error 0, nonzero",
      "base: probe_extension(TIME): error 0, available",
      "base: probe_extension(IPI): error 0, available",
      "base: probe_extension(RFENCE): error 0, available",
      "base: probe_extension(HSM): error 0, available",
      "base: probe_extension(SRST): error 0, available",
      "base: probe_extension(unknown 0x5A5A5A5A): error 0, absent",
      "base: function 7 (none): error -2",
      "unknown extension 0x5A5A5A5A: error -2",
      "time: set_timer: error 0; interrupt taken 1 time(s), scause 0x8000000000000005, not before the deadline: yes",
      "ipi: send_ipi(self): error 0; interrupt taken 1 time(s), scause 0x8000000000000001",
      "ipi: send_ipi(all harts: base -1): error 0",
      "ipi: SSIP pending after send_ipi(all harts): yes",
      "rfence: remote_fence_i(self): error 0",
      "rfence: remote_sfence_vma(self, all): error 0",
      "rfence: remote_sfence_vma_asid(self, all, asid 0): error 0",
      "hsm: hart_get_status(boot hart): error 0, state 0",
      "hsm: hart_get_status(other hart): error 0, state 1",
      "hsm: hart_get_status(hart 8, absent): error -3",
      "hsm: hart_start(boot hart, already started): error -6",
      "hsm: hart_start(hart 8, absent): error -3",
      "other hart: running, a1 = 0x1234, satp 0, sstatus.SIE 0",
      "other hart: running, a1 = 0x5678, satp 0, sstatus.SIE 0",
      "hsm: other hart ran: yes, its a0 was its hart id: yes",
      "hsm: hart_get_status(other hart) after its hart_stop: error 0, state 1",
      "hsm: hart_suspend(default retentive): error 0, resumed with STIP pending: yes, not before the timer: yes",
      "hsm: hart_suspend(reserved type 1): error -3",
      "legacy: console_putchar",
      "legacy: console_putchar returned 0",
      "legacy: console_getchar with no input: -1",
      "srst: system_reset(reserved type 0x1000): error -3",
      "srst: system_reset(shutdown)",
    ],
    differences: [SBI_SPEC_VERSION],
  },
];

/** What OpenSBI 1.1 (SBI 1.0, no DBCN) prints for the debug console. */
const QEMU_DBCN = ["[dbcn] base: probe_extension(DBCN): error 0, absent"];
/** What an SBI 2.0 implementation must print for it (SBI 2.0 §12). */
const HARTWOOD_DBCN = [
  "[dbcn] base: probe_extension(DBCN): error 0, available",
  "[dbcn] console_write: text from physical memory",
  "[dbcn] console_write: error 0, wrote 48 of 48 bytes",
  "[dbcn] console_write_byte",
  "[dbcn] console_write_byte: errors 0",
  "[dbcn] console_read with no input: error 0, read 0",
  // §12.1: memory the parameters describe that does not satisfy §3.2 is SBI_ERR_INVALID_PARAM.
  "[dbcn] console_write from beyond RAM: error -3",
];

/**
 * SBI BASE get_marchid/get_mimpid return the machine's CSRs: QEMU 7.2.22 reports its own
 * version (0x70216) in both, Hartwood its own values, so only the error code is compared.
 */
function withoutMachineIds(lines: string[]): string[] {
  return lines.map((l) =>
    l.replace(/^(base: get_(?:marchid|mimpid): error -?\d+), 0x[0-9a-f]+$/, "$1, <id>"),
  );
}

const scratch = mkdtempSync(join(tmpdir(), "hartwood-virt-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** virtio_hostile's disk: 64 KiB (128 sectors), sector 0 starts with a known text. */
function diskImage(name: string): string {
  const bytes = Buffer.alloc(64 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13 + 5) & 0xff;
  bytes.write("Hartwood virtio-blk test image, sector 0\n", 0, "latin1");
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

/** What virtio_hostile writes to sector 1. */
function writtenSector(): Buffer {
  const s = Buffer.alloc(512);
  const text = "written by virtio_hostile";
  for (let i = 0; i < 512; i++) s[i] = i < text.length ? text.charCodeAt(i) : (i * 7) & 0xff;
  return s;
}

function sector(image: string, n: number): Buffer {
  return readFileSync(image).subarray(n * 512, (n + 1) * 512);
}

/** The reference run of each program, shared by its tests (started on first use). */
const reference = new Map<string, Promise<{ run: Run; image?: string }>>();
function onQemu(p: Program): Promise<{ run: Run; image?: string }> {
  let r = reference.get(p.name);
  if (r === undefined) {
    const image = p.name === "virtio_hostile" ? diskImage("qemu.img") : undefined;
    r = runOnQemu(buildVirt(p.name, p.machine.privilege), { ...p.machine, drive: image }).then((run) => ({
      run,
      image,
    }));
    reference.set(p.name, r);
  }
  return r;
}

function programLines(r: Run, p: Program): string[] {
  const lines = fromMarker(r.stdout, p.marker).split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

describe.concurrent("virt board programs", () => {
  for (const p of PROGRAMS) {
    test(`${p.name} on QEMU virt prints what the specification requires`, async () => {
      const { run, image } = await onQemu(p);
      expect(run.status, describeRun(run)).toBe(p.status);
      const lines = programLines(run, p);
      expect(lines.join("\n")).not.toMatch(/FAIL|unexpected trap/);
      for (const line of p.required) expect(lines, describeRun(run)).toContain(line);
      for (const d of p.differences ?? [])
        expect(lines, `difference "${d.why}" no longer holds`).toContain(d.qemu);
      if (image !== undefined) expect(sector(image, 1)).toEqual(writtenSector());
    });

    test(`${p.name} on hartwood boot prints what it prints on QEMU`, async () => {
      const { run: qemu } = await onQemu(p);
      const image = p.name === "virtio_hostile" ? diskImage("hartwood.img") : undefined;
      const run = await runOnHartwood(buildVirt(p.name, p.machine.privilege), { ...p.machine, drive: image });
      let expected = programLines(qemu, p).map(
        (l) => p.differences?.find((d) => d.qemu === l)?.hartwood ?? l,
      );
      let actual = programLines(run, p);
      if (p.name === "sbi") {
        const q = splitTagged(expected.join("\n"), "[dbcn]");
        const h = splitTagged(actual.join("\n"), "[dbcn]");
        expect(q.tagged, "OpenSBI 1.1's debug console lines").toEqual(QEMU_DBCN);
        expect(h.tagged, `Hartwood's debug console lines\n${describeRun(run)}`).toEqual(HARTWOOD_DBCN);
        expected = withoutMachineIds(q.rest);
        actual = withoutMachineIds(h.rest);
      }
      expect(actual, describeRun(run)).toEqual(expected);
      expect(run.status, describeRun(run)).toBe(p.status);
      if (image !== undefined) expect(sector(image, 1)).toEqual(writtenSector());
    });
  }

  test.skipIf(!existsSync(FW_JUMP))(
    "sbi prints the same under Debian's OpenSBI fw_jump as under QEMU's",
    async () => {
      const p = PROGRAMS.find((q) => q.name === "sbi")!;
      const { run: dynamic } = await onQemu(p);
      // fw_jump's boot hart is whichever hart wins its lottery; the program prints no hart ids.
      const jump = await runOnQemu(buildVirt("sbi", "S"), p.machine, FW_JUMP);
      expect(jump.status, describeRun(jump)).toBe(0);
      expect(programLines(jump, p)).toEqual(programLines(dynamic, p));
    },
  );
});
