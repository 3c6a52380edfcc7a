// The system board: QEMU `virt`'s memory map and interrupts (virt-map.ts) with Hartwood's
// devices, a generated device tree, and one of three firmwares: the built-in SBI, none (the
// kernel starts in M-mode), or a firmware file such as OpenSBI's fw_jump or fw_dynamic.
import { closeSync, fstatSync, openSync } from "node:fs";
import type { JitCounts } from "../../core/jit/compile-stats.js";
import type { JitOptions } from "../../core/jit/recompiler.js";
import { createRiscvCpu, riscv64 } from "../../arch/riscv/plugin.js";
import type { Hart } from "../../arch/riscv/hart.js";
import { PRV_M } from "../../arch/riscv/priv.js";
import { GuestMemory, type Device } from "../../core/device.js";
import { UserError } from "../../core/errors.js";
import { Machine, HartRun, type Timed } from "../../core/machine.js";
import type { Cpu } from "../../core/isa.js";
import { MemoryLayout, WASM_PAGE } from "../../core/memory.js";
import { PhysMap } from "../../core/physmem.js";
import { Clint } from "../../devices/clint.js";
import { GoldfishRtc } from "../../devices/goldfish-rtc.js";
import { Plic } from "../../devices/plic.js";
import { Syscon } from "../../devices/syscon.js";
import { Uart16550 } from "../../devices/uart16550.js";
import { VirtioBlk } from "../../devices/virtio/blk.js";
import { VirtioMmio } from "../../devices/virtio/mmio.js";
import { VirtioRng } from "../../devices/virtio/rng.js";
import { checkDtbFile } from "../../core/fdt.js";
import {
  align2M,
  checkDisjoint,
  dtbAddress,
  fwDynamicInfo,
  initrdAddress,
  loadBlob,
  loadFile,
  loadFirmware,
  loadKernel,
  type FileOnDisk,
  type Placed,
  type RamView,
} from "./loader.js";
import { BuiltinSbi } from "./sbi.js";
import { VIRT_DEFAULT_ISA, virtDeviceTree } from "./virt-dt.js";
import { MAX_HARTS, PLIC_SOURCES, TIMEBASE_HZ, VIRT } from "./virt-map.js";

/**
 * The ISA the harts implement, as the device tree advertises it. Zihintpause matters beyond
 * the hint: Linux's cpu_relax executes PAUSE only when the device tree names it (else a
 * division as a delay), and PAUSE is where a spinning hart gives the thread up (hart.ts).
 */
export const VIRT_ISA = VIRT_DEFAULT_ISA;

export interface Drive {
  readonly path: string;
  readonly readOnly: boolean;
}

export interface NamedFile {
  readonly name: string;
  readonly data: Uint8Array;
  /** A file on disk, which the board reads straight into guest RAM when it places it whole (loader.ts, FileOnDisk). */
  readonly onDisk?: FileOnDisk;
}

export interface VirtOptions {
  readonly ramBytes: number;
  readonly harts: number;
  readonly bios: "builtin" | "none" | NamedFile;
  readonly kernel?: NamedFile;
  readonly initrd?: NamedFile;
  readonly append?: string;
  /** A device tree to pass instead of the generated one. */
  readonly dtb?: NamedFile;
  readonly drives: readonly Drive[];
  readonly jit: boolean;
  readonly jitOptions?: JitOptions;
  /** Instructions per run slice at most (Machine's default when absent). */
  readonly sliceInsns?: number;
  /** The console's output (the UART and the SBI console). */
  readonly write: (bytes: Uint8Array) => void;
}

/** The largest -m a 32-bit wasm memory holds beside the VMM's own state, for `harts` harts. */
export function maxRamBytes(harts: number): number {
  const vmm = Math.ceil((WASM_PAGE + riscv64.vmmBytes(harts)) / WASM_PAGE) * WASM_PAGE;
  return 4 * 1024 * 1024 * 1024 - vmm;
}

function validate(o: VirtOptions): void {
  if (!Number.isInteger(o.harts) || o.harts < 1 || o.harts > MAX_HARTS)
    throw new UserError(`--smp must be 1..${MAX_HARTS}, got ${o.harts}`);
  const maxRam = maxRamBytes(o.harts);
  if (o.ramBytes > maxRam)
    throw new UserError(
      `-m ${o.ramBytes >> 20}M does not fit in a 32-bit wasm memory beside the VMM's state (at most ${Math.floor(maxRam / (1 << 20))}M)`,
    );
  if (o.ramBytes < 16 << 20 || o.ramBytes % 4096)
    throw new UserError("-m must be at least 16M and a whole number of pages");
  if (o.drives.length > VIRT.virtio.count - 1)
    throw new UserError(`at most ${VIRT.virtio.count - 1} drives (one virtio slot holds the rng)`);
}

/** The harts' own timers (Sstc `stimecmp`) as something the run loop polls and sleeps for. */
function hartTimers(harts: readonly Hart[], now: () => number): Timed {
  return {
    poll: () => {
      const t = now();
      for (const h of harts) h.updateTimer(t);
    },
    msUntilDue: () => {
      let next = Infinity;
      for (const h of harts) next = Math.min(next, h.nextTimerDeadline());
      return next === Infinity ? Infinity : Math.max(0, ((next - now()) * 1000) / TIMEBASE_HZ);
    },
  };
}

export class VirtBoard {
  readonly machine: Machine;
  private readonly cpu: Cpu;
  readonly harts: readonly Hart[];
  readonly uart: Uart16550;
  /** The device tree handed to the firmware or kernel. */
  readonly dtb: Uint8Array;
  private readonly fds: number[] = [];

  constructor(o: VirtOptions) {
    validate(o);
    let layout: MemoryLayout;
    try {
      layout = new MemoryLayout(riscv64.vmmBytes(o.harts), o.ramBytes);
    } catch (e) {
      throw new UserError(`cannot allocate ${o.ramBytes >> 20} MiB of guest RAM: ${(e as Error).message}`);
    }
    const phys = new PhysMap();
    phys.addRam({ base: VIRT.ram.base, sizeBytes: o.ramBytes, hostOffset: layout.ramHostOffset });
    const u8 = new Uint8Array(layout.memory.buffer);
    const dma = new GuestMemory(phys, u8);

    const builtin = o.bios === "builtin";
    let sbi: BuiltinSbi | undefined;
    const { cpu, harts } = createRiscvCpu(
      layout,
      {
        phys,
        now: () => clint.now(),
        timerArmed: () => this.machine.timerArmed(),
        ecall: builtin ? (h) => sbi!.ecall(h) : undefined,
        trap: builtin ? (h, cause, irq) => this.trapToM(h, cause, irq) : undefined,
        // The built-in SBI serves ecalls from S-mode only, and trapToM passes delegated traps on.
        passesDelegatedUserTraps: true,
      },
      o.harts,
      { jit: o.jit, jitOptions: o.jitOptions },
    );
    this.harts = harts;
    const { devices, clint, rtc, uart } = this.addDevices(o, cpu, phys, dma);
    this.uart = uart;
    const timed: Timed[] = [
      { poll: () => clint.update(), msUntilDue: () => clint.msUntilNextTimer() },
      { poll: () => rtc.poll(), msUntilDue: () => rtc.nextDeadlineMs() },
      hartTimers(harts, () => clint.now()),
    ];
    this.cpu = cpu;
    this.machine = new Machine({ phys, cpu, devices, timed, sliceInsns: o.sliceInsns });
    if (builtin) {
      const s = (sbi = new BuiltinSbi({
        machine: this.machine,
        harts,
        write: o.write,
        readByte: () => uart.takeInputByte(),
        readPhys: (pa, n) => dma.read(pa, n),
        writePhys: (pa, data) => dma.write(pa, data),
      }));
      const poll = () => s.poll(clint.now(), TIMEBASE_HZ);
      timed.push({ poll, msUntilDue: poll });
    }
    if (o.dtb) checkDtbFile(o.dtb.data);
    const ram = u8.subarray(layout.ramHostOffset, layout.ramHostOffset + o.ramBytes);
    this.dtb = this.boot(o, { base: VIRT.ram.base, bytes: ram }, sbi);
  }

  /** Puts the board's devices on the bus and wires their interrupts (the machine is created after them). */
  private addDevices(o: VirtOptions, cpu: Cpu, phys: PhysMap, dma: GuestMemory) {
    const devices = new Map<string, Device>();
    const add = (name: string, base: number, sizeBytes: number, device: Device) => {
      devices.set(name, device);
      phys.addMmio({ base, sizeBytes, device });
    };
    const clint = new Clint(o.harts, {
      software: (h, level) => {
        cpu.setIrqLine(h, "MSI", level);
        if (level) this.machine.interruptRaised(h);
      },
      timer: (h, level) => cpu.setIrqLine(h, "MTI", level),
    }, TIMEBASE_HZ, () => this.machine.timerArmed()); // prettier-ignore
    add("clint", VIRT.clint.base, VIRT.clint.size, clint);
    const toHart = (ctx: number, level: boolean) => {
      cpu.setIrqLine(ctx >> 1, ctx & 1 ? "SEI" : "MEI", level); // contexts 2n, 2n + 1: hart n's M and S
      this.machine.interruptRaised(ctx >> 1);
    };
    const plic = new Plic(o.harts, toHart, PLIC_SOURCES);
    add("plic", VIRT.plic.base, VIRT.plic.size, plic);
    const irq = (n: number) => (level: boolean) => plic.setSource(n, level);
    const uart = new Uart16550(o.write, irq(VIRT.uart.irq));
    add("uart", VIRT.uart.base, VIRT.uart.size, uart);
    const rtc = new GoldfishRtc(irq(VIRT.rtc.irq), undefined, () => this.machine.timerArmed());
    add("rtc", VIRT.rtc.base, VIRT.rtc.size, rtc);
    const syscon = new Syscon((e) =>
      this.machine.finish(e.kind === "fail" ? { kind: "fail", code: e.code } : { kind: e.kind }),
    );
    add("test", VIRT.test.base, VIRT.test.size, syscon);
    // Drives fill slots 0, 1, ... as QEMU's bus=virtio-mmio-bus.N; the rng takes the last slot.
    for (let i = 0; i < VIRT.virtio.count; i++) {
      const drive = o.drives[i];
      let backend;
      if (drive) backend = new VirtioBlk(this.openDrive(drive), { readOnly: drive.readOnly });
      else if (i === VIRT.virtio.count - 1) backend = new VirtioRng();
      const base = VIRT.virtio.base + i * VIRT.virtio.stride;
      add(`virtio${i}`, base, VIRT.virtio.size, new VirtioMmio(backend, dma, irq(VIRT.virtio.firstIrq + i)));
    }
    return { devices, clint, rtc, uart };
  }

  private generatedDtb(o: VirtOptions, initrd: Placed | undefined): Uint8Array {
    return virtDeviceTree({
      ramBytes: o.ramBytes,
      harts: o.harts,
      isa: VIRT_ISA,
      bootargs: o.append,
      initrd: initrd && { start: initrd.start, end: initrd.end },
      virtioSlots: VIRT.virtio.count,
    });
  }

  /** Places the images and sets every hart's starting state; returns the device tree passed on. */
  private boot(o: VirtOptions, ram: RamView, sbi: BuiltinSbi | undefined): Uint8Array {
    const firmware = typeof o.bios === "object" ? loadFirmware(ram, o.bios.data, o.bios.name) : undefined;
    if (!o.kernel && !firmware)
      throw new UserError("nothing to boot: give --kernel (or a firmware with --bios FILE)");
    // QEMU: with firmware, the kernel goes to the first 2 MiB boundary after it; without, to the base of RAM.
    const kernelAt = firmware
      ? align2M(firmware.end)
      : o.bios === "builtin"
        ? ram.base + (2 << 20)
        : ram.base;
    const kernel = o.kernel && loadKernel(ram, o.kernel, kernelAt);
    let initrd: Placed | undefined;
    if (o.initrd) {
      if (!kernel) throw new UserError("--initrd needs --kernel");
      initrd = loadFile(ram, initrdAddress(ram, kernel.start), o.initrd, `initrd ${o.initrd.name}`);
    }
    const dtbBytes = o.dtb ? o.dtb.data : this.generatedDtb(o, initrd);
    const dtbAt = dtbAddress(ram, dtbBytes.length);
    const dtb = loadBlob(ram, dtbAt, dtbBytes, "device tree");
    const infoAt = dtbAt - 64;
    const info = kernel ? loadBlob(ram, infoAt, fwDynamicInfo(kernel.entry), "firmware handoff") : undefined;
    checkDisjoint([
      ["firmware", firmware],
      ["kernel", kernel],
      ["initrd", initrd],
      ["device tree", dtb],
      ["firmware handoff", info],
    ]);

    const m = this.machine;
    for (const h of this.harts) {
      const id = BigInt(h.hartId);
      if (sbi) {
        sbi.prepareHart(h);
        if (h.hartId === 0) sbi.enterSupervisor(h, BigInt(kernel!.entry), BigInt(dtbAt));
        else m.hartRun[h.hartId] = HartRun.Stopped; // started through HSM
        continue;
      }
      // M-mode entry as after QEMU's reset vector: a0 = hart id, a1 = DTB, a2 = fw_dynamic_info.
      h.priv = PRV_M;
      h.pc = BigInt((firmware ?? kernel!).entry);
      h.setX(10, id);
      h.setX(11, BigInt(dtbAt));
      h.setX(12, BigInt(infoAt));
      h.privChanged();
    }
    return dtbBytes;
  }

  /** With the built-in SBI there is no M-mode code: a trap that would reach M-mode stops the machine. */
  private trapToM(h: Hart, cause: number, interrupt: boolean): boolean {
    const deleg = (interrupt ? h.mideleg : h.medeleg) & (1 << cause);
    if (h.priv !== PRV_M && deleg) return false;
    this.machine.finish({
      kind: "error",
      message: `hart ${h.hartId}: ${interrupt ? "interrupt" : "exception"} ${cause} at pc 0x${h.pc.toString(16)} would enter M-mode, where the built-in SBI has no code`,
    });
    return true;
  }

  private openDrive(d: Drive): number {
    let fd: number;
    try {
      fd = openSync(d.path, d.readOnly ? "r" : "r+");
    } catch (e) {
      throw new UserError(`cannot open drive ${d.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new UserError(`drive ${d.path} is not a regular file`);
    }
    this.fds.push(fd);
    return fd;
  }

  /** Console input (the UART receives it in order; none is lost). */
  input(bytes: Uint8Array): void {
    this.uart.pushInput(bytes);
    this.machine.wake();
  }

  /** Closes the drives (their data was already flushed where the guest asked). */
  instret(): number {
    let n = 0;
    for (let h = 0; h < this.cpu.hartCount; h++) n += this.cpu.instret(h);
    return n;
  }

  /** What the recompiler has done, when it is on. */
  jitCounts(): JitCounts | undefined {
    return this.cpu.jitCounts();
  }

  close(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}
