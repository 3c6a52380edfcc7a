// The ISA-neutral recompiler (src/core/jit) driven by toy ISAs: one whose instruction cannot
// be emitted (a translation that fails to build is a bug the tests see, and elsewhere the
// code stays interpreted with one message), and one whose instruction ends the translation
// and does nothing, for the code cache's bound and asynchronous compilation.
import { afterEach, expect, test, vi } from "vitest";
import type { CodeMemory, CodeView, ControlFlow, GuestInsn, JitIsa } from "../src/core/jit/isa.js";
import { Recompiler, type RecompilerOptions } from "../src/core/jit/recompiler.js";
import { JIT_TABLE_BYTES, jitLayoutAt, jitSlot, TranslationTable } from "../src/core/jit/table.js";
import {
  discoverRegion,
  MAX_INSNS,
  MAX_SWITCH_INSNS,
  MAX_TABLE_INSNS,
  MAX_TABLE_TARGETS,
} from "../src/core/jit/region.js";
import { emitCountJump, JIT_RETRY, jitThreshold } from "../src/core/jit/hotness.js";
import { I32, I64, ModuleBuilder } from "../src/core/wasm.js";

const brokenIsa: JitIsa<GuestInsn> = {
  state: { pc: 0, budget: 8, stop: 12, exit: { site: 24, target: 32 }, sideExits: 40 },
  registers: { count: 1, offset: () => 16 },
  decode: (pc) => ({ pc, len: 4 }),
  controlFlow: () => ({ kind: "indirect" }),
  emitterFor: () => () => () => {
    throw new Error("toy ISA: no semantics");
  },
};

const stopIsa: JitIsa<GuestInsn> = {
  ...brokenIsa,
  controlFlow: () => ({ kind: "stop" }),
  emitterFor: () => () => () => {},
};

/** A recompiler over toy code: every pc is its own host address, the key is 0, a page is 4 KiB. */
function recompiler(
  strict: boolean,
  isa = brokenIsa,
  opts: RecompilerOptions = {},
): { jit: Recompiler<null, GuestInsn>; protects: () => number } {
  const memory = new WebAssembly.Memory({ initial: 3, maximum: 3 });
  let protects = 0;
  const code: CodeMemory<null> = {
    view: () => ({ host: (pc) => pc, key: () => 0, protect: (pc) => (protects++, pc >>> 12) }),
    unprotectAll: () => {},
  };
  const layout = jitLayoutAt(3 * 65536 - JIT_TABLE_BYTES);
  const jit = new Recompiler(memory, layout, isa, code, {}, { ...opts, strict });
  return { jit, protects: () => protects };
}

afterEach(() => void vi.restoreAllMocks());

/** The toy ISA with `flow` at 0x1000 (an indirect jump) and code that ends a translation everywhere else. */
const jumpAt0x1000 = (flow: ControlFlow): JitIsa<GuestInsn> => ({
  ...stopIsa,
  controlFlow: (i) => (i.pc === 0x1000 ? flow : { kind: "stop" }),
});

/**
 * The toy ISA with `flow` at 0x1000, translated there; then the jump left a translation for
 * 0x2000, which became hot. `before`: the pcs watched before that.
 */
function translatedThenLearnt(flow: ControlFlow) {
  const r = recompiler(true, jumpAt0x1000(flow));
  r.jit.translate(0x1000n, null);
  r.jit.commit();
  const before = r.protects();
  r.jit.translate(0x2000n, null, 0x1000);
  r.jit.commit();
  return { ...r, before };
}

test("a switch's case learnt later is built into the translation holding the switch, and into those made later", () => {
  // 0x1000: an indirect jump (a switch's); 0x2000: code that ends a translation.
  const { jit, protects, before } = translatedThenLearnt({ kind: "indirect" });
  expect(before, "nothing known: the jump alone").toBe(1);
  expect(jit.rebuilds, "the switch's translation, built again").toBe(1);
  expect(protects(), "the jump and its case, which serves 0x2000 too").toBe(3);
  expect(jit.table.holds(0x2000, 0)).toBe(true);
  jit.flush();
  jit.translate(0x1000n, null);
  jit.commit();
  expect(protects(), "made later, the jump and its case").toBe(5);
});

test("a jump that keeps leaving through the dispatcher has the translations holding it built again, every REPORTS_PER_REBUILD reports", () => {
  // 0x1000: a switch whose case 0x2000 was learnt before the translation holding it was made,
  // and 0x3000 after: the dispatcher reports where the jump goes (Recompiler.learnAt).
  const { jit, protects } = recompiler(true, jumpAt0x1000({ kind: "indirect" }));
  jit.hartAt = () => null;
  const report = (target: number) => jit["learnAt"](0, 0x1000n, BigInt(target));
  jit.translate(0x2000n, null, 0x1000);
  jit.translate(0x1000n, null);
  jit.commit();
  expect(protects(), "0x2000; then the jump with it").toBe(3);
  for (let i = 0; i < 4; i++) report(0x2000);
  expect(jit.rebuilds, "it holds every target learnt").toBe(0);
  for (let i = 0; i < 3; i++) report(0x3000); // the jump went somewhere it does not hold
  expect(jit.rebuilds, "a jump that left for a moment").toBe(0);
  report(0x3000); // the fourth report since the last look
  jit.commit();
  expect(jit.rebuilds).toBe(1);
  expect(protects(), "the jump with both cases").toBe(6);
  for (let i = 0; i < 8; i++) report(0x3000);
  expect(jit.rebuilds, "it holds them both now").toBe(1);
});

/** The toy ISA with a branch at 0x0f00 to 0x0f10, straight-line code from 0x0f04 to `flow` at 0x1000. */
const branchOverTo0x1000 = (flow: ControlFlow): JitIsa<GuestInsn> => ({
  ...stopIsa,
  controlFlow: (i) =>
    i.pc === 0x0f00
      ? { kind: "branch", target: 0x0f10 }
      : i.pc === 0x1000
        ? flow
        : i.pc > 0x0f00 && i.pc < 0x1000
          ? { kind: "fallthrough" }
          : { kind: "stop" },
});

test("an entry holding the jump comes with its translation when that is built again, not built on its own", () => {
  // A switch at 0x1000, whose case 0x2000 is learnt after the translation from 0x0f00 (entries
  // 0x0f04 and 0x0f10) was made.
  const { jit } = recompiler(true, branchOverTo0x1000({ kind: "indirect" }));
  jit.hartAt = () => null;
  jit.translate(0x0f00n, null);
  jit.commit();
  jit.translate(0x0f10n, null); // hot there too: its slot gets the entry
  expect(jit.entered).toBe(1);
  for (let i = 0; i < 4; i++) jit["learnAt"](0, 0x1000n, 0x2000n);
  jit.commit();
  expect(jit.rebuilds, "the translation from 0x0f00 alone").toBe(1);
  expect(jit.entered, "its new entry took 0x0f10's slot").toBe(2);
  expect(jit.table.holds(0x0f10, 0)).toBe(true);
  for (let i = 0; i < 8; i++) jit["learnAt"](0, 0x1000n, 0x2000n);
  expect(jit.rebuilds, "the entry holds the case now").toBe(1);
  // New cases until the translation from 0x0f00 has been built again MAX_REBUILDS (8) times;
  // then the entry at 0x0f10, which lacks the next case, is built on its own.
  const learnCase = (k: number) => {
    for (let i = 0; i < 4; i++) jit["learnAt"](0, 0x1000n, BigInt(0x2000 + 0x100 * k));
    jit.commit();
  };
  for (let k = 1; k < 8; k++) learnCase(k);
  expect(jit.rebuilds, "the translation from 0x0f00, eight times").toBe(8);
  learnCase(8);
  expect(jit.rebuilds, "then the entry on its own").toBe(9);
});

test("an entry runs its translation's own function, from the block the table holds for its slot", () => {
  const { jit } = recompiler(true, branchOverTo0x1000({ kind: "stop" }));
  jit.translate(0x0f00n, null);
  jit.commit();
  jit.translate(0x0f10n, null);
  expect(jit.entered).toBe(1);
  const memory = (jit as unknown as { memory: WebAssembly.Memory }).memory;
  const blocks = new Int32Array(memory.buffer, jit.table.layout.blocks, 4096);
  const [first, entry] = [0x0f00, 0x0f10].map(jitSlot);
  expect(jit.table.functions.get(entry), "no function of its own").toBe(jit.table.functions.get(first));
  expect(blocks[first]).toBe(0);
  // The region's blocks: 0x0f00's, then 0x0f04-0x0f0c and 0x0f10-0x1000 in address order.
  expect(blocks[entry], "0x0f10's block").toBe(2);
});

test("a region holding a switch with learnt cases has room for MAX_SWITCH_INSNS instructions, others MAX_INSNS", () => {
  // Straight-line code everywhere, but for a switch at 0x1000 and a call through a pointer at 0x1100.
  const isa: JitIsa<GuestInsn> = {
    ...stopIsa,
    controlFlow: (i) =>
      i.pc === 0x1000
        ? { kind: "indirect" }
        : i.pc === 0x1100
          ? { kind: "indirect", link: 0x1104 }
          : { kind: "fallthrough" },
  };
  const view = { host: (pc: number) => pc, key: () => 0, protect: () => undefined };
  const guess = (site: number) => (site === 0x1000 ? [0x2000] : site === 0x1100 ? [0x3000] : []);
  const size = (pc: number, guesses = guess) =>
    discoverRegion(isa, pc, view, MAX_INSNS, guesses, MAX_SWITCH_INSNS).size;
  expect(size(0x1000 - 4 * 8), "the switch's case learnt").toBe(MAX_SWITCH_INSNS);
  expect(
    size(0x1000 - 4 * 8, () => []),
    "nothing learnt",
  ).toBe(9);
  expect(size(0x1100 - 4 * 8), "a callee learnt: no more room").toBe(MAX_INSNS);
});

test("a switch's cases read from its jump table join the region, with room for MAX_TABLE_INSNS; a table of more cases, or none, gives none", () => {
  // Straight-line code everywhere, but for a switch at 0x1000 whose table the ISA reads.
  const isa = (cases: number[] | undefined): JitIsa<GuestInsn> => ({
    ...stopIsa,
    controlFlow: (i) => (i.pc === 0x1000 ? { kind: "indirect" } : { kind: "fallthrough" }),
    jumpTable: (path) => {
      expect(path.at(-1)?.pc, "the path ends at the jump").toBe(0x1000);
      expect(path[0].pc, "and begins where the region does").toBe(0x1000 - 4 * 8);
      return cases;
    },
  });
  const view: CodeView = { host: (pc) => pc, key: () => 0, protect: () => undefined, readData: () => 0 };
  const region = (cases: number[] | undefined, code = view) =>
    discoverRegion(isa(cases), 0x1000 - 4 * 8, code, MAX_INSNS, () => [], MAX_SWITCH_INSNS, MAX_TABLE_INSNS);
  const cases = [0x2000, 0x3000, 0x2000, 0x4000]; // a case for two indices
  const read = region(cases);
  expect(read.tableJumps).toBe(1);
  expect([...read.indirectTargets].sort((a, b) => a - b)).toEqual([0x2000, 0x3000, 0x4000]);
  expect(read.size, "room for the cases").toBe(MAX_TABLE_INSNS);
  const many = Array.from({ length: MAX_TABLE_TARGETS + 1 }, (_, k) => 0x2000 + 0x100 * k);
  for (const [what, r] of [
    ["more cases than MAX_TABLE_TARGETS", region(many)],
    ["no table", region(undefined)],
    ["no data readable", region(cases, { ...view, readData: undefined })],
  ] as const) {
    expect(r.tableJumps, what).toBe(0);
    expect(r.indirectTargets.size, what).toBe(0);
    expect(r.size, what).toBe(9);
  }
});

test("a call through a pointer to a callee learnt later is built again with the callee inside, which then serves it", () => {
  // 0x1000: a call through a pointer, returning to 0x1004; 0x2000 and 0x3000: callees.
  const { jit, protects, before } = translatedThenLearnt({ kind: "indirect", link: 0x1004 });
  expect(before, "the call and its return site").toBe(2);
  expect(jit.rebuilds, "the translation holding the call, built again").toBe(1);
  expect(protects(), "the call, its callee and its return site").toBe(5);
  expect(jit.table.holds(0x2000, 0), "the callee runs in it, entered there").toBe(true);
  expect(jit.entered).toBe(1);
  jit.translate(0x3000n, null, 0x1000);
  jit.commit();
  expect(jit.rebuilds).toBe(2);
  expect(protects(), "both callees").toBe(9);
});

test("a return's targets are not guessed; a call's are, beside its return site", () => {
  for (const [flow, watched] of [
    [{ kind: "indirect", isReturn: true }, 2], // 0x2000 alone, then 0x1000 alone
    [{ kind: "indirect", link: 0x1004 }, 4], // 0x2000, then 0x1000 with its callee and return site
  ] as const) {
    const { jit, protects } = recompiler(true, jumpAt0x1000(flow));
    jit.translate(0x2000n, null, 0x1000);
    jit.translate(0x1000n, null);
    jit.commit();
    expect(protects(), JSON.stringify(flow)).toBe(watched);
  }
});

test("under the tests a translation that fails to build throws", () => {
  const { jit } = recompiler(true);
  jit.translate(0x1000n, null);
  expect(() => jit.commit()).toThrow("toy ISA: no semantics");
});

test("outside the tests it leaves the code to the interpreter and says so once per pc", () => {
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  const { jit, protects } = recompiler(false);
  jit.translate(0x1000n, null);
  expect(protects(), "the region is watched while its module waits").toBe(1);
  jit.translate(0x1000n, null); // asked again while pending: the batch is built now
  expect(error).toHaveBeenCalledTimes(1);
  expect(String(error.mock.calls[0][0])).toContain("0x1000 stays interpreted");
  expect(jit.translations).toBe(0);
  jit.translate(0x1000n, null);
  jit.commit();
  expect(error, "a pc that failed is not tried again").toHaveBeenCalledTimes(1);
  jit.translate(0x2000n, null);
  jit.commit();
  expect(error).toHaveBeenCalledTimes(2);
});

test("past its bound the code cache evicts the oldest module's translations, and counts what it holds", () => {
  const { jit } = recompiler(true, stopIsa, { cacheBytes: 1 });
  jit.translate(0x1000n, null);
  jit.commit();
  expect(jit.table.holds(0x1000, 0), "translated").toBe(true);
  jit.translate(0x2000n, null);
  jit.commit();
  expect(jit.table.holds(0x1000, 0), "evicted").toBe(false);
  expect(jit.table.holds(0x2000, 0)).toBe(true);
  expect(jit.counts()).toMatchObject({
    translations: 2,
    evictions: 1,
    cacheModules: 1,
    cacheTranslations: 1,
  });
  jit.translate(0x1000n, null); // hot again: it comes back
  jit.commit();
  expect(jit.table.holds(0x1000, 0)).toBe(true);
  expect(jit.counts().evictions).toBe(2);
});

test("an asynchronous compilation installs its translations when ready, but none whose page was written meanwhile", async () => {
  const { jit } = recompiler(true, stopIsa, { async: true });
  jit.translate(0x1000n, null);
  jit.translate(0x2000n, null);
  jit.commit();
  expect(jit.table.holds(0x2000, 0), "nothing installed before the module is ready").toBe(false);
  jit.translate(0x2000n, null); // asked again while compiling: nothing more to do
  jit.invalidatePage(0x1); // a store to 0x1000's page
  await jit.settled();
  expect(jit.table.holds(0x1000, 0), "stale: not installed").toBe(false);
  expect(jit.table.holds(0x2000, 0)).toBe(true);
  expect(jit.counts()).toMatchObject({ translations: 1, discarded: 1, cacheTranslations: 1 });
});

test("a flush while a module compiles asynchronously discards the whole module", async () => {
  const { jit } = recompiler(true, stopIsa, { async: true });
  jit.translate(0x1000n, null);
  jit.commit();
  jit.flush();
  await jit.settled();
  expect(jit.table.holds(0x1000, 0)).toBe(false);
  expect(jit.counts()).toMatchObject({ translations: 0, discarded: 1, cacheModules: 0 });
  jit.translate(0x1000n, null);
  jit.commit();
  await jit.settled();
  expect(jit.table.holds(0x1000, 0), "asked again after the flush: installed").toBe(true);
});

test("under the tests an asynchronous compilation that fails to build throws at the next commit", async () => {
  const { jit } = recompiler(true, brokenIsa, { async: true });
  jit.translate(0x1000n, null);
  expect(() => jit.commit()).not.toThrow();
  await expect(jit.settled()).rejects.toThrow("toy ISA: no semantics");
});

test("at most 8 modules compile asynchronously at once: later requests wait for the next commit", async () => {
  const { jit } = recompiler(true, stopIsa, { async: true });
  for (let i = 1; i <= 9; i++) {
    jit.translate(BigInt(i * 0x1000), null);
    jit.commit();
  }
  await jit.settled();
  expect(jit.counts().translations, "the ninth waited").toBe(8);
  expect(jit.table.holds(0x9000, 0)).toBe(false);
  jit.commit();
  await jit.settled();
  expect(jit.table.holds(0x9000, 0)).toBe(true);
});

/** The counts of jumps to one target at which an interpreter built with `threshold` asks for its translation. */
function asksAt(threshold: number, jumps: number): number[] {
  const layout = jitLayoutAt(0);
  const m = new ModuleBuilder("count");
  m.importMemory("env", "memory", 1, 1, false);
  const ask = m.importFunc("host", "ask", [], []);
  const [, w] = m.func([I64], [], "jump");
  emitCountJump(w, layout, w.param(0), w.local(I32), jitThreshold(threshold), () => void w.call(ask));
  const asks: number[] = [];
  let n = 0;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(m.encode() as BufferSource), {
    env: { memory },
    host: { ask: () => void asks.push(n) },
  });
  const jump = exports.jump as (pc: bigint) => void;
  for (n = 1; n <= jumps; n++) jump(0x8020_1000n);
  return asks;
}

test("a target asks for its translation at the threshold, then every JIT_RETRY jumps, thresholds above JIT_RETRY too", () => {
  expect(asksAt(32, 32 + 2 * JIT_RETRY)).toEqual([32, 32 + JIT_RETRY, 32 + 2 * JIT_RETRY]);
  // Above JIT_RETRY the threshold is what it says (it was once cut to JIT_RETRY - 1, and the
  // retry one jump later built every request as a module of its own).
  expect(asksAt(3000, 3000 + JIT_RETRY)).toEqual([3000, 3000 + JIT_RETRY]);
  expect(asksAt(1, 1 + JIT_RETRY)).toEqual([1, 1 + JIT_RETRY]);
});

test("a loop at the entry runs in place around a loop nested in it, which runs in place too", () => {
  // 0x1004 loops on itself and is the entry; 0x1010 loops on itself; 0x1014 jumps back to
  // 0x1004 from beyond 0x1010's back edge: one loop from 0x1004 to 0x1014 holding 0x1010's.
  const flows: Record<number, ControlFlow> = {
    0x1004: { kind: "branch", target: 0x1004 },
    0x1008: { kind: "branch", target: 0x1010 },
    0x100c: { kind: "stop" },
    0x1010: { kind: "branch", target: 0x1010 },
    0x1014: { kind: "jump", target: 0x1004 },
  };
  const isa: JitIsa<GuestInsn> = { ...stopIsa, controlFlow: (i) => flows[i.pc] ?? { kind: "stop" } };
  const view = { host: (pc: number) => pc, key: () => 0, protect: () => undefined };
  const region = discoverRegion(isa, 0x1004, view);
  expect(region.blocks.map((b) => b.start)).toEqual([0x1004, 0x1008, 0x100c, 0x1010, 0x1014]);
  expect(region.loops).toEqual([
    { head: 0, last: 4 },
    { head: 3, last: 3 },
  ]);
});

test("a range around a block that a later block jumps back to, not as a loop's head, does not run in place", () => {
  // 0x1008 branches back to 0x1004, 0x100c back to 0x1008 and 0x1010 back to 0x1000: 0x1004's
  // range is entered in its middle by 0x100c's back edge, so neither it nor the range from
  // 0x1000 around it runs in place; 0x1008..0x100c does.
  const flows: Record<number, ControlFlow> = {
    0x1000: { kind: "fallthrough" },
    0x1004: { kind: "fallthrough" },
    0x1008: { kind: "branch", target: 0x1004 },
    0x100c: { kind: "branch", target: 0x1008 },
    0x1010: { kind: "branch", target: 0x1000 },
  };
  const isa: JitIsa<GuestInsn> = { ...stopIsa, controlFlow: (i) => flows[i.pc] ?? { kind: "stop" } };
  const view = { host: (pc: number) => pc, key: () => 0, protect: () => undefined };
  const region = discoverRegion(isa, 0x1000, view);
  expect(region.blocks.map((b) => b.start)).toEqual([0x1000, 0x1004, 0x1008, 0x100c, 0x1010, 0x1014]);
  expect(region.loops).toEqual([{ head: 2, last: 3 }]);
});

test("code no jump was counted to is taken in after the rest: the hot path past error branches finds room, a call's return site stays", () => {
  // 0x1000-0x10f4: 62 branches, each to an error path of its own (0x8000 + 0x100 * i: 63
  // straight instructions and a stop), then a call at 0x10f8 (to 0x9000, never made) whose
  // return site 0x10fc returns. Breadth first, the error paths fill the room from the second
  // branch on; cold, they come after the hot path and its return site.
  const hot = (pc: number) => pc >= 0x1000 && pc <= 0x10fc;
  const isa: JitIsa<GuestInsn> = {
    ...stopIsa,
    controlFlow: (i) =>
      i.pc === 0x10fc
        ? { kind: "indirect", isReturn: true }
        : i.pc === 0x10f8
          ? { kind: "jump", target: 0x9000, link: 0x10fc }
          : hot(i.pc)
            ? { kind: "branch", target: 0x8000 + 0x40 * (i.pc - 0x1000) }
            : (i.pc & 0xff) === 0xfc
              ? { kind: "stop" }
              : { kind: "fallthrough" },
  };
  const view = { host: (pc: number) => pc, key: () => 0, protect: () => undefined };
  const region = (cold?: (pc: number) => boolean, room = MAX_INSNS) =>
    discoverRegion(isa, 0x1000, view, room, undefined, room, room, true, cold);
  const hotInsns = (r: ReturnType<typeof region>) =>
    r.blocks.filter((b) => hot(b.start)).reduce((n, b) => n + b.insns.length, 0);
  const breadthFirst = region();
  expect(breadthFirst.size).toBe(MAX_INSNS);
  expect(hotInsns(breadthFirst), "breadth first").toBeLessThan(8);
  for (const [what, cold] of [
    ["the error paths and the callee cold", (pc: number) => !hot(pc)],
    ["every pc cold", () => true],
  ] as const) {
    const r = region(cold);
    expect(r.size, what).toBe(MAX_INSNS);
    expect(hotInsns(r), what).toBe(64);
    expect(r.returnSites.has(0x10fc), what).toBe(true);
  }
});

test("the table reads back the interpreter's count of taken jumps to a pc (what marks code cold)", () => {
  const memory = new WebAssembly.Memory({ initial: 3, maximum: 3 });
  const layout = jitLayoutAt(0);
  const m = new ModuleBuilder("count");
  m.importMemory("env", "memory", 3, 3, false);
  const [, w] = m.func([I64], [], "jump");
  emitCountJump(w, layout, w.param(0), w.local(I32), jitThreshold(4096), () => {});
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(m.encode() as BufferSource), {
    env: { memory },
  });
  const jump = exports.jump as (pc: bigint) => void;
  for (let n = 0; n < 3; n++) jump(0x8020_1000n);
  const table = new TranslationTable(memory, layout);
  expect(table.jumpsTo(0x8020_1000)).toBe(3);
  expect(table.jumpsTo(0x8020_1004)).toBe(0);
  table.clear();
  expect(table.jumpsTo(0x8020_1000), "after a flush").toBe(0);
});

test("a flush empties the function table's slots that held translations, and writes none when nothing was installed since the last", () => {
  const { jit } = recompiler(true, stopIsa);
  const set = vi.spyOn(jit.table.functions, "set");
  jit.flush(); // a boot's firmware writes the PMP, and so flushes, tens of times before any translation
  expect(set, "nothing installed: no slot written").not.toHaveBeenCalled();
  jit.translate(0x1000n, null);
  jit.commit();
  expect(jit.table.holds(0x1000, 0)).toBe(true);
  const slot = set.mock.calls.find(([, f]) => f !== null)![0];
  expect(jit.table.functions.get(slot)).not.toBeNull();
  jit.flush();
  expect(jit.table.holds(0x1000, 0)).toBe(false);
  expect(jit.table.functions.get(slot), "its function is gone, so its module can be collected").toBeNull();
  set.mockClear();
  jit.flush();
  expect(set, "emptied already: no slot written").not.toHaveBeenCalled();
});
