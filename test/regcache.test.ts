// Guest registers in wasm locals (src/core/jit/regcache.ts): a translation is emitted once, and
// the loads and stores of the registers it uses go in at its marks afterwards, inline or
// through the two small functions beside it. A toy translation keeps four registers of a
// state in memory, calls the host twice or once, and the host reads and changes the state.
import { expect, test } from "vitest";
import { RegCache } from "../src/core/jit/regcache.js";
import { I32, ModuleBuilder, sleb64, slebSafe } from "../src/core/wasm.js";

const REGS = 4;
const offset = (r: number) => 8 * r;

/**
 * Runs: r0 += 1; r1 = r2 * 3; host call (`calls` times, each followed by r0 += r1);
 * r3 = r0 + r1. Returns what the host saw at each call and the state at the end. With
 * `inMemory` the registers stay in the state (RegCache.inMemory); without `marks` nothing
 * is written back or reloaded around the host calls.
 */
function run(
  calls: number,
  initial: bigint[],
  { inMemory = false, marks = true, maxLocals = REGS } = {},
): { seen: bigint[][]; end: bigint[]; leftInState: number } {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", 1, 1, false);
  const hostCall = m.importFunc("host", "call", [I32], []);
  const [, w] = m.func([I32], [], "t");
  const hart = w.param(0);
  const regs = new RegCache({ count: REGS, offset }, w, hart, inMemory, maxLocals);
  const add = (to: number, a: number, b: number) =>
    regs.set(to, () => {
      regs.get(a);
      regs.get(b);
      w.i64_add();
    });
  regs.loadAll();
  regs.set(0, () => {
    regs.get(0);
    w.i64_const(1).i64_add();
  });
  regs.set(1, () => {
    regs.get(2);
    w.i64_const(3).i64_mul();
  });
  for (let i = 0; i < calls; i++) {
    if (marks) regs.writeBackForHost();
    w.get(hart).call(hostCall);
    if (marks) regs.reloadAfterHost();
    add(0, 0, 1);
  }
  add(3, 0, 1);
  regs.writeBack();
  regs.finish(m);

  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const state = new BigInt64Array(memory.buffer, 0, REGS);
  state.set(initial);
  const seen: bigint[][] = [];
  const call = () => {
    seen.push([...state]);
    state[1] += 100n; // the host changes a register (as a signal handler's frame would)
  };
  const module = new WebAssembly.Module(m.encode() as BufferSource);
  const { t } = new WebAssembly.Instance(module, { env: { memory }, host: { call } }).exports as {
    t: (h: number) => void;
  };
  t(0);
  return { seen, end: [...state], leftInState: regs.inMemoryCount };
}

test("host calls see every register written so far and the translation goes on with what the host changed", () => {
  for (const inMemory of [false, true]) {
    const { seen, end } = run(2, [10n, 20n, 7n, 40n], { inMemory });
    expect(seen).toEqual([
      [11n, 21n, 7n, 40n],
      [132n, 121n, 7n, 40n],
    ]);
    expect(end).toEqual([353n, 221n, 7n, 574n]);
  }
});

test("a single host call (its loads and stores inline) behaves the same", () => {
  for (const inMemory of [false, true]) {
    const { seen, end } = run(1, [10n, 20n, 7n, 40n], { inMemory });
    expect(seen).toEqual([[11n, 21n, 7n, 40n]]);
    expect(end).toEqual([132n, 121n, 7n, 253n]);
  }
});

test("only the registers used most get a local; the others stay in the state, and host calls and the end see the same values", () => {
  for (const calls of [1, 2]) {
    const all = run(calls, [10n, 20n, 7n, 40n]);
    expect(all.leftInState, "every register in a local").toBe(0);
    // r0 (read and written at each step) keeps its local; r1, r2 and r3 (fewer accesses) stay in the state.
    const one = run(calls, [10n, 20n, 7n, 40n], { maxLocals: 1 });
    expect(one.leftInState, "registers left in the state (counted by RegCache)").toBe(3);
    expect(one.seen).toEqual(all.seen);
    expect(one.end).toEqual(all.end);
    // Without the marks, what the host sees of r1 (in the state) is still what the code wrote.
    const unmarked = run(1, [10n, 20n, 7n, 40n], { maxLocals: 1, marks: false });
    expect(unmarked.seen).toEqual([[10n, 21n, 7n, 40n]]);
  }
});

test("registers kept in memory need nothing moved around a host call; in locals they do", () => {
  expect(run(1, [10n, 20n, 7n, 40n], { inMemory: true, marks: false }).seen).toEqual([[11n, 21n, 7n, 40n]]);
  // In locals, without the marks the host sees the state as it was at entry, and its change is lost.
  const cached = run(1, [10n, 20n, 7n, 40n], { marks: false });
  expect(cached.seen).toEqual([[10n, 20n, 7n, 40n]]);
  expect(cached.end).toEqual([32n, 21n, 7n, 53n]);
});

test("64-bit constants that are safe integers encode as the BigInt encoder does", () => {
  const values = [
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    2 ** 32,
    -(2 ** 32),
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
  ];
  for (let e = 0; e < 53; e++) values.push(2 ** e + 1, -(2 ** e) - 3, 2 ** e - 1);
  for (const v of values) {
    const a: number[] = [];
    const b: number[] = [];
    slebSafe(a, v);
    sleb64(b, BigInt(v));
    expect(a, String(v)).toEqual(b);
  }
});
