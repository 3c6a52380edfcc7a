// The device tree of Hartwood's `virt` board: the same nodes, compatibles, addresses and
// interrupts as QEMU 7.2's `virt` machine for every device the board models (so Linux and
// OpenSBI find what they find under QEMU), and nothing for hardware it lacks (no PCI, flash,
// fw-cfg, platform bus or PMU). test/devicetree.test.ts compares the two trees.
import { FdtNode, serializeFdt } from "../../core/fdt.js";
import { MAX_HARTS, PLIC_SOURCES, TIMEBASE_HZ, VIRT } from "./virt-map.js";

/** `--dtb` validation; ISA-neutral, so it lives with the parser. */
export { checkDtbFile } from "../../core/fdt.js";

/** What the board implements; QEMU 7.2 adds h and zb* to its own. */
export const VIRT_DEFAULT_ISA = "rv64imafdc_zicsr_zifencei_zihintpause_sstc";
export const VIRT_DEFAULT_MMU_TYPE = "riscv,sv48";

/** Interrupt numbers of the cpu-intc binding: mcause interrupt codes (Priv spec §3.1.15). */
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

/** syscon-poweroff / syscon-reboot values written to the test device (QEMU's sifive_test). */
const TEST_POWEROFF = 0x5555;
const TEST_RESET = 0x7777;

export interface VirtDtConfig {
  readonly ramBytes: number;
  readonly harts: number;
  /** riscv,isa of every cpu; VIRT_DEFAULT_ISA when absent. */
  readonly isa?: string;
  /** mmu-type of every cpu; VIRT_DEFAULT_MMU_TYPE when absent. */
  readonly mmuType?: string;
  readonly bootargs?: string;
  /** Guest-physical bounds of the initrd, end exclusive. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** virtio-mmio transports to describe (the board has VIRT.virtio.count = 8). */
  readonly virtioSlots: number;
  /**
   * Entropy for /chosen/rng-seed, which Linux mixes into its pool early. QEMU always writes
   * 32 random bytes; Hartwood writes it only when given, so that a boot is reproducible
   * unless the board asks otherwise.
   */
  readonly rngSeed?: Uint8Array;
}

const unit = (base: number): string => base.toString(16);

/** The board's DTB. Throws RangeError for a configuration the board cannot have. */
export function virtDeviceTree(cfg: VirtDtConfig): Uint8Array {
  if (!Number.isInteger(cfg.harts) || cfg.harts < 1 || cfg.harts > MAX_HARTS)
    throw new RangeError(`virt: ${cfg.harts} harts (1..${MAX_HARTS})`);
  if (!Number.isInteger(cfg.virtioSlots) || cfg.virtioSlots < 0 || cfg.virtioSlots > VIRT.virtio.count)
    throw new RangeError(`virt: ${cfg.virtioSlots} virtio slots (0..${VIRT.virtio.count})`);
  if (!Number.isSafeInteger(cfg.ramBytes) || cfg.ramBytes <= 0)
    throw new RangeError(`virt: RAM ${cfg.ramBytes}`);

  const root = new FdtNode("");
  root.cells("#address-cells", 2).cells("#size-cells", 2);
  root.string("compatible", "riscv-virtio").string("model", "riscv-virtio,qemu");

  const intcs = addCpus(root, cfg);

  root
    .addNode(`memory@${unit(VIRT.ram.base)}`)
    .string("device_type", "memory")
    .u64("reg", VIRT.ram.base, cfg.ramBytes);

  const soc = root.addNode("soc");
  soc.cells("#address-cells", 2).cells("#size-cells", 2).string("compatible", "simple-bus").empty("ranges");
  const reg = (node: FdtNode, dev: { base: number; size: number }): FdtNode =>
    node.u64("reg", dev.base, dev.size);

  reg(soc.addNode(`clint@${unit(VIRT.clint.base)}`), VIRT.clint)
    .strings("compatible", "sifive,clint0", "riscv,clint0")
    .cells("interrupts-extended", ...intcs.flatMap((intc) => [intc, IRQ_M_SOFT, intc, IRQ_M_TIMER]));

  const plic = reg(soc.addNode(`plic@${unit(VIRT.plic.base)}`), VIRT.plic)
    .strings("compatible", "sifive,plic-1.0.0", "riscv,plic0")
    .cells("#address-cells", 0)
    .cells("#interrupt-cells", 1)
    .empty("interrupt-controller")
    .cells("riscv,ndev", PLIC_SOURCES)
    // Context 2n is hart n's M mode, 2n+1 its S mode: the order of these pairs.
    .cells("interrupts-extended", ...intcs.flatMap((intc) => [intc, IRQ_M_EXT, intc, IRQ_S_EXT]));
  const plicIrq = (node: FdtNode, irq: number): FdtNode =>
    node.cells("interrupt-parent", plic).cells("interrupts", irq);

  plicIrq(reg(soc.addNode(`serial@${unit(VIRT.uart.base)}`), VIRT.uart), VIRT.uart.irq)
    .string("compatible", "ns16550a")
    .cells("clock-frequency", VIRT.uart.clockHz);

  plicIrq(reg(soc.addNode(`rtc@${unit(VIRT.rtc.base)}`), VIRT.rtc), VIRT.rtc.irq).string(
    "compatible",
    "google,goldfish-rtc",
  );

  const test = reg(soc.addNode(`test@${unit(VIRT.test.base)}`), VIRT.test).strings(
    "compatible",
    "sifive,test1",
    "sifive,test0",
    "syscon",
  );

  // Highest slot first, as in QEMU's tree: Linux probes in tree order, so the device in the
  // highest slot (where QEMU puts the first -drive) becomes vda.
  for (let slot = cfg.virtioSlots - 1; slot >= 0; slot--) {
    const base = VIRT.virtio.base + slot * VIRT.virtio.stride;
    plicIrq(soc.addNode(`virtio_mmio@${unit(base)}`), VIRT.virtio.firstIrq + slot)
      .u64("reg", base, VIRT.virtio.size)
      .string("compatible", "virtio,mmio");
  }

  for (const [name, value] of [
    ["poweroff", TEST_POWEROFF],
    ["reboot", TEST_RESET],
  ] as const)
    root
      .addNode(name)
      .string("compatible", `syscon-${name}`)
      .cells("regmap", test)
      .cells("offset", 0)
      .cells("value", value);

  addChosen(root, cfg);
  return serializeFdt(root, { bootCpuidPhys: 0 });
}

/** /cpus with one cpu per hart and the cpu-map; returns each hart's interrupt controller. */
function addCpus(root: FdtNode, cfg: VirtDtConfig): FdtNode[] {
  const cpus = root.addNode("cpus");
  cpus.cells("#address-cells", 1).cells("#size-cells", 0).cells("timebase-frequency", TIMEBASE_HZ);
  const cpuNodes: FdtNode[] = [];
  const intcs: FdtNode[] = [];
  for (let hart = 0; hart < cfg.harts; hart++) {
    const cpu = cpus
      .addNode(`cpu@${unit(hart)}`)
      .string("device_type", "cpu")
      .cells("reg", hart)
      .string("status", "okay")
      .string("compatible", "riscv")
      .string("riscv,isa", cfg.isa ?? VIRT_DEFAULT_ISA)
      .string("mmu-type", cfg.mmuType ?? VIRT_DEFAULT_MMU_TYPE);
    // #address-cells = 0 is not in QEMU's node; without it dtc warns (interrupt_provider).
    const intc = cpu
      .addNode("interrupt-controller")
      .cells("#address-cells", 0)
      .cells("#interrupt-cells", 1)
      .empty("interrupt-controller")
      .string("compatible", "riscv,cpu-intc");
    cpuNodes.push(cpu);
    intcs.push(intc);
  }
  const cluster = cpus.addNode("cpu-map").addNode("cluster0");
  cpuNodes.forEach((cpu, hart) => cluster.addNode(`core${hart}`).cells("cpu", cpu));
  return intcs;
}

function addChosen(root: FdtNode, cfg: VirtDtConfig): void {
  const chosen = root.addNode("chosen");
  chosen.string("stdout-path", `/soc/serial@${unit(VIRT.uart.base)}`);
  if (cfg.bootargs !== undefined) chosen.string("bootargs", cfg.bootargs);
  if (cfg.initrd) {
    const { start, end } = cfg.initrd;
    if (!(start <= end)) throw new RangeError(`virt: initrd ${start}..${end}`);
    // QEMU 7.2 writes one cell each; an initrd above 4 GiB needs two, which Linux also reads.
    if (end <= 0xffff_ffff) chosen.cells("linux,initrd-start", start).cells("linux,initrd-end", end);
    else chosen.u64("linux,initrd-start", start).u64("linux,initrd-end", end);
  }
  if (cfg.rngSeed) chosen.bytes("rng-seed", cfg.rngSeed);
}
