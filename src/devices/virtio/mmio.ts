// The virtio-mmio transport, version 2 (VIRTIO 1.2 §4.2.2), in front of a device-specific
// backend. An empty slot (no backend) answers DeviceID 0, as QEMU's unused virtio-mmio slots
// do. A queue the driver breaks sets DEVICE_NEEDS_RESET and raises a configuration change
// interrupt (§2.1.2); nothing more is served until the driver resets the device.
import type { Device, DeviceState, GuestMemory, IrqLine } from "../../core/device.js";
import { UserError } from "../../core/errors.js";
import { QUEUE_NUM_MAX, Virtqueue } from "./queue.js";

/** What a virtio device type adds to the transport. */
export interface VirtioBackend {
  /** VIRTIO 1.2 §5: 2 block, 4 entropy, ... */
  readonly deviceId: number;
  /** Device feature bits; the transport adds VIRTIO_F_VERSION_1. */
  readonly features: bigint;
  readonly queueCount: number;
  /** The device configuration space (read-only to the driver). */
  readonly config: Uint8Array;
  /** Serves what the driver made available on queue `index`; a malformed request is `queue.fail(...)`. */
  process(queue: Virtqueue, index: number): void;
  /** The driver reset the device (Status ← 0). */
  reset(): void;
}

export const VIRTIO_F_VERSION_1 = 1n << 32n;

export const VIRTIO_MMIO_SIZE = 0x1000;
const MAGIC = 0x74726976; // "virt"
const VENDOR_QEMU = 0x554d4551; // "QEMU"

// Register offsets, VIRTIO 1.2 §4.2.2.
const MagicValue = 0x000;
const Version = 0x004;
const DeviceID = 0x008;
const VendorID = 0x00c;
const DeviceFeatures = 0x010;
const DeviceFeaturesSel = 0x014;
const DriverFeatures = 0x020;
const DriverFeaturesSel = 0x024;
const QueueSel = 0x030;
const QueueNumMax = 0x034;
const QueueNum = 0x038;
const QueueReady = 0x044;
const QueueNotify = 0x050;
const InterruptStatus = 0x060;
const InterruptACK = 0x064;
const Status = 0x070;
const QueueDescLow = 0x080;
const QueueDescHigh = 0x084;
const QueueDriverLow = 0x090;
const QueueDriverHigh = 0x094;
const QueueDeviceLow = 0x0a0;
const QueueDeviceHigh = 0x0a4;
const SHMLenLow = 0x0b0;
const SHMLenHigh = 0x0b4;
const SHMBaseLow = 0x0b8;
const SHMBaseHigh = 0x0bc;
const ConfigGeneration = 0x0fc;
const Config = 0x100;

const QUEUE_REGS: Record<
  number,
  "size" | "descLo" | "descHi" | "driverLo" | "driverHi" | "deviceLo" | "deviceHi"
> = {
  [QueueNum]: "size",
  [QueueDescLow]: "descLo",
  [QueueDescHigh]: "descHi",
  [QueueDriverLow]: "driverLo",
  [QueueDriverHigh]: "driverHi",
  [QueueDeviceLow]: "deviceLo",
  [QueueDeviceHigh]: "deviceHi",
};

// Device status bits, §2.1.
const DRIVER_OK = 4;
const FEATURES_OK = 8;
const DEVICE_NEEDS_RESET = 0x40;

const INT_USED_BUFFER = 1;
const INT_CONFIG_CHANGE = 2;

export class VirtioMmio implements Device {
  readonly name: string;
  private readonly queues: Virtqueue[];
  private readonly deviceFeatures: bigint;
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = [0, 0]; // 32-bit words; higher words are not offered, so not kept
  private queueSel = 0;
  private interruptStatus = 0;

  constructor(
    readonly backend: VirtioBackend | undefined,
    mem: GuestMemory,
    private readonly irq: IrqLine,
  ) {
    this.name = backend ? `virtio-mmio(${backend.deviceId})` : "virtio-mmio(empty)";
    this.queues = Array.from({ length: backend?.queueCount ?? 0 }, () => new Virtqueue(mem));
    this.deviceFeatures = backend ? backend.features | VIRTIO_F_VERSION_1 : 0n;
  }

  /** Why the device asked for a reset (the first broken queue's reason), or null. */
  get deviceError(): string | null {
    return this.queues.find((q) => q.error !== null)?.error ?? null;
  }

  read(offset: number, bytes: 1 | 2 | 4): number {
    if (offset >= Config) return this.readConfig(offset - Config, bytes);
    if (bytes !== 4 || offset & 3) return 0; // §4.2.2.2: control registers take aligned 32-bit accesses
    if (offset === MagicValue) return MAGIC;
    if (offset === Version) return 2;
    if (!this.backend) return 0;
    const q = this.queues[this.queueSel] as Virtqueue | undefined;
    switch (offset) {
      case DeviceID:
        return this.backend.deviceId;
      case VendorID:
        return VENDOR_QEMU;
      case DeviceFeatures:
        return this.deviceFeaturesSel > 1
          ? 0
          : Number((this.deviceFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case QueueNumMax:
        return q ? QUEUE_NUM_MAX : 0;
      case QueueReady:
        return q?.ready ? 1 : 0;
      case InterruptStatus:
        return this.interruptStatus;
      case Status:
        return this.status;
      case SHMLenLow:
      case SHMLenHigh:
        return 0xffff_ffff; // §4.2.2: no shared memory region
      case SHMBaseLow:
      case SHMBaseHigh:
        return 0xffff_ffff;
      case ConfigGeneration:
        return 0; // the configuration space never changes
      default: {
        const reg = QUEUE_REGS[offset];
        return reg && q ? q.reg[reg] : 0;
      }
    }
  }

  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if (!this.backend || offset >= Config || bytes !== 4 || offset & 3) return; // config space is read-only
    const v = value >>> 0;
    const q = this.queues[this.queueSel] as Virtqueue | undefined;
    switch (offset) {
      case DeviceFeaturesSel:
        this.deviceFeaturesSel = v;
        return;
      case DriverFeatures:
        if (this.driverFeaturesSel < 2 && !(this.status & FEATURES_OK))
          this.driverFeatures[this.driverFeaturesSel] = v;
        return;
      case DriverFeaturesSel:
        this.driverFeaturesSel = v;
        return;
      case QueueSel:
        this.queueSel = v;
        return;
      case QueueReady:
        if (q) q.ready = (v & 1) === 1;
        return;
      case QueueNotify:
        this.notify(v);
        return;
      case InterruptACK:
        this.interruptStatus &= ~v;
        this.update();
        return;
      case Status:
        this.writeStatus(v & 0xff);
        return;
      default: {
        const reg = QUEUE_REGS[offset];
        if (reg && q) q.reg[reg] = v;
      }
    }
  }

  private readConfig(offset: number, bytes: 1 | 2 | 4): number {
    const config = this.backend?.config;
    if (!config || offset + bytes > config.length) return 0;
    let v = 0;
    for (let i = bytes - 1; i >= 0; i--) v = v * 256 + config[offset + i];
    return v;
  }

  private writeStatus(v: number): void {
    if (v === 0) return this.reset();
    // §3.1.1: FEATURES_OK sticks only if the device accepts the driver's subset, which must
    // include VIRTIO_F_VERSION_1 (a legacy-only driver cannot use a version 2 transport).
    if (v & FEATURES_OK && !(this.status & FEATURES_OK)) {
      const driver = (BigInt(this.driverFeatures[1]) << 32n) | BigInt(this.driverFeatures[0]);
      if (driver & ~this.deviceFeatures || !(driver & VIRTIO_F_VERSION_1)) v &= ~FEATURES_OK;
    }
    this.status = (v & ~DEVICE_NEEDS_RESET) | (this.status & DEVICE_NEEDS_RESET); // only the device sets it
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = [0, 0];
    this.queueSel = 0;
    this.interruptStatus = 0;
    for (const q of this.queues) q.reset();
    this.backend?.reset();
    this.update();
  }

  private notify(index: number): void {
    const q = this.queues[index] as Virtqueue | undefined;
    // §3.1: no buffers are consumed before DRIVER_OK; none after the device asked for a reset.
    if (!this.backend || !q || !q.ready || !(this.status & DRIVER_OK) || this.status & DEVICE_NEEDS_RESET)
      return;
    this.backend.process(q, index);
    if (q.takeInterrupt()) this.interruptStatus |= INT_USED_BUFFER;
    if (q.error !== null) {
      this.status |= DEVICE_NEEDS_RESET;
      this.interruptStatus |= INT_CONFIG_CHANGE;
    }
    this.update();
  }

  private update(): void {
    this.irq(this.interruptStatus !== 0);
  }

  save(): DeviceState {
    return {
      deviceId: this.backend?.deviceId ?? 0,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [...this.driverFeatures],
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      queues: this.queues.map((q) => q.save()),
    };
  }

  restore(state: DeviceState): void {
    const bad = (why: string) => new UserError(`saved ${this.name} state: ${why}`);
    if (typeof state !== "object" || state === null || Array.isArray(state) || state instanceof Uint8Array)
      throw bad("not a record");
    const s = state as Record<string, DeviceState>;
    if (s.deviceId !== (this.backend?.deviceId ?? 0)) throw bad("another device type");
    const u32 = (v: DeviceState): v is number =>
      typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
    for (const k of ["status", "deviceFeaturesSel", "driverFeaturesSel", "queueSel", "interruptStatus"])
      if (!u32(s[k])) throw bad(`${k} is not a register value`);
    const df = s.driverFeatures;
    if (!Array.isArray(df) || df.length !== 2 || !df.every(u32)) throw bad("driverFeatures");
    const qs = s.queues;
    if (!Array.isArray(qs) || qs.length !== this.queues.length) throw bad("another number of queues");
    // Check every queue into scratch copies first, so a bad state leaves the device untouched.
    const scratch = this.queues.map((q) => new Virtqueue(q.mem));
    qs.forEach((qs1: DeviceState, i: number) => {
      const why = scratch[i].restore(qs1);
      if (why !== undefined) throw bad(`queue ${i}: ${why}`);
    });
    qs.forEach((qs1: DeviceState, i: number) => this.queues[i].restore(qs1));
    this.status = (s.status as number) & 0xff;
    this.deviceFeaturesSel = s.deviceFeaturesSel as number;
    this.driverFeaturesSel = s.driverFeaturesSel as number;
    this.driverFeatures = [...(df as number[])];
    this.queueSel = s.queueSel as number;
    this.interruptStatus = (s.interruptStatus as number) & 3;
    this.update();
  }
}
