// The library entry (`import { runBaremetal } from "hartwood"`): the three modes the CLI
// runs, the machine and ISA plug-in interfaces they are built on, and the riscv64 plug-in.
// Everything else under src/ is internal and may change without notice.

// Bare-metal mode: an HTIF program on one hart in M-mode (`hartwood baremetal`).
export {
  runBaremetal,
  InstructionLimitError,
  type BaremetalOptions,
  type BaremetalResult,
  type BaremetalMachine,
} from "./modes/baremetal.js";

// User mode: a riscv64 Linux program under emulated Linux syscalls (`hartwood run`).
export {
  run as runUser,
  signalName,
  DEFAULT_ROOT,
  type RunOptions as UserRunOptions,
  type Bind,
  type UserResult,
} from "./modes/user/index.js";

// System mode: the QEMU-virt-compatible board (`hartwood boot`) and the built-in guest.
export {
  VirtBoard,
  VIRT_ISA,
  maxRamBytes,
  type VirtOptions,
  type Drive,
  type NamedFile,
} from "./modes/system/virt.js";
export { buildGuestImage, type GuestImage } from "./modes/system/image.js";

// The ISA-neutral core and the riscv64 plug-in.
export { Machine, type MachineExit, type MachineParts, type Timed } from "./core/machine.js";
export type { Cpu, CpuHost, HartExit, IsaPlugin, RegisterInfo } from "./core/isa.js";
export { riscv64 } from "./arch/riscv/plugin.js";

// Failures caused by the caller's input (a bad ELF, a bad option) are UserErrors.
export { UserError } from "./core/errors.js";
