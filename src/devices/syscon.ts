// The SiFive test device (sifive,test0) that QEMU virt's syscon-poweroff and syscon-reboot
// nodes point at: a write to offset 0 of 0x5555 powers off, 0x3333 | code << 16 fails with
// `code`, 0x7777 resets. Writes may be 16 or 32 bits wide, as on QEMU (OpenSBI writes 16);
// other values and offsets are ignored; reads answer 0.
import type { Device, DeviceState } from "../core/device.js";
import { UserError } from "../core/errors.js";

const FINISHER_FAIL = 0x3333;
const FINISHER_PASS = 0x5555;
const FINISHER_RESET = 0x7777;

export type SysconEvent = { kind: "poweroff" } | { kind: "fail"; code: number } | { kind: "reset" };

export class Syscon implements Device {
  readonly name = "syscon";

  constructor(private readonly onEvent: (event: SysconEvent) => void) {}

  read(_offset: number, _bytes: 1 | 2 | 4): number {
    return 0;
  }

  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if (offset !== 0 || bytes === 1) return;
    const code = (value >>> 16) & 0xffff;
    switch (value & 0xffff) {
      case FINISHER_PASS:
        return this.onEvent({ kind: "poweroff" });
      case FINISHER_FAIL:
        return this.onEvent({ kind: "fail", code });
      case FINISHER_RESET:
        return this.onEvent({ kind: "reset" });
    }
  }

  /** The device has no state of its own. */
  save(): DeviceState {
    return {};
  }

  restore(state: DeviceState): void {
    if (typeof state !== "object" || state === null || Array.isArray(state) || state instanceof Uint8Array)
      throw new UserError("saved syscon state: not a record");
  }
}
