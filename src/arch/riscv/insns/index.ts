// Every instruction Hartwood implements, in one list both engines are built from.
import type { InsnDef } from "../insn.js";
import { RV64A } from "./a.js";
import { RV64FD } from "./fd.js";
import { RV64I } from "./i.js";
import { RV64M } from "./m.js";
import { SYSTEM_INSNS } from "./system.js";

export const ALL_INSNS: readonly InsnDef[] = [...RV64I, ...RV64M, ...RV64A, ...RV64FD, ...SYSTEM_INSNS];
