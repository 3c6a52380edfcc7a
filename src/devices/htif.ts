// The host-target interface of the RISC-V test environments: the guest writes a command to
// the 64-bit `tohost` word in RAM and spins until the host clears it. Device 0 with an odd
// payload is an exit (payload >> 1 is the status), device 0 with an even payload points at a
// syscall block (only write is served), device 1 command 1 prints a character.
import type { PhysMap } from "../core/physmem.js";

const SYS_WRITE = 64;

export class Htif {
  /** Set when the guest asked to exit: its status (0 = pass). */
  exitCode: number | undefined;

  constructor(
    private readonly phys: PhysMap,
    private readonly u8: Uint8Array,
    private readonly tohost: number,
    private readonly fromhost: number | undefined,
    private readonly out: (bytes: Uint8Array) => void,
    private readonly onExit: () => void,
  ) {
    if (phys.ramOffset(tohost, 8) < 0) throw new RangeError("tohost is not in RAM");
    phys.watch(tohost - (tohost % 4096));
    phys.onStore((pa) => {
      if (pa >= tohost && pa < tohost + 8) this.poll();
    });
  }

  private read64(pa: number): bigint {
    const off = this.phys.ramOffset(pa, 8);
    if (off < 0) return 0n;
    return new DataView(this.u8.buffer).getBigUint64(off, true);
  }

  private write64(pa: number, v: bigint): void {
    const off = this.phys.ramOffset(pa, 8);
    if (off >= 0) new DataView(this.u8.buffer).setBigUint64(off, v, true);
  }

  /** Serves a command in tohost (called after every guest store to it). */
  poll(): void {
    const v = this.read64(this.tohost);
    if (v === 0n) return;
    const device = Number(v >> 56n);
    const cmd = Number((v >> 48n) & 0xffn);
    const payload = v & 0xffffffffffffn;
    if (device === 0 && cmd === 0) {
      if (payload & 1n) {
        this.exitCode = Number(payload >> 1n);
        this.onExit();
        return;
      }
      this.syscall(Number(payload));
      this.respond(1n);
    } else if (device === 1 && cmd === 1) {
      this.out(Uint8Array.of(Number(payload & 0xffn)));
      this.respond((1n << 56n) | (1n << 48n));
    }
    this.write64(this.tohost, 0n);
  }

  private respond(v: bigint): void {
    if (this.fromhost !== undefined) this.write64(this.fromhost, v);
  }

  /** A syscall block of eight u64: number, three arguments... (riscv-tests' magic_mem). */
  private syscall(block: number): void {
    const n = this.read64(block);
    if (n !== BigInt(SYS_WRITE)) {
      this.write64(block, -38n & 0xffffffffffffffffn); // -ENOSYS
      return;
    }
    const buf = Number(this.read64(block + 16));
    const len = Number(this.read64(block + 24));
    const off = this.phys.ramOffset(buf, len);
    if (off < 0 || len > 1 << 20) {
      this.write64(block, -14n & 0xffffffffffffffffn); // -EFAULT
      return;
    }
    this.out(this.u8.slice(off, off + len));
    this.write64(block, BigInt(len));
  }
}
