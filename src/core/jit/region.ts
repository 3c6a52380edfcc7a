// Which code one translation covers: the code reachable from its entry (through branches both
// ways, jumps, the return addresses of calls, and the targets learnt for indirect jumps), up
// to MAX_INSNS instructions (MAX_SWITCH_INSNS with a switch's learnt cases), an indirect
// jump, code the hart cannot fetch or decode, or (where the code view asks) the end of the
// entry's page. It is cut into basic blocks, so that jumps between them stay inside the
// translation and guest registers stay in wasm locals across a whole loop nest or function.
// Where each instruction sends control comes from its definition (JitIsa.controlFlow); the
// recompiler knows no opcode.
import type { CodeView, ControlFlow, GuestInsn, JitIsa } from "./isa.js";

/**
 * Instructions in one translation at most, by default. Measured on the benchmark programs in
 * user mode (2026-12-06, an idle machine, one run each): 32 gave a geometric mean of 2.80 s
 * over sha256, nbody, strings, fft, embedded, calls and statemachine (the last three at their
 * small sizes); 64 gave 2.07 s, 96 2.02 s and 128 1.99 s. Long unrolled bodies (sha256: 5.4 s
 * at 32, 2.6 s at 128) need room; at 512 everything got slower again. A booting kernel, whose code mostly runs a
 * few times, is served better by small ones (system mode passes 32: 128 took the smoke boot
 * from 6.6 s to 12.8 s, with 2.6 times the wasm).
 */
export const MAX_INSNS = 128;

/**
 * Instructions at most in a translation that holds a switch (an indirect jump, not a call or a
 * return) whose cases were learnt: the code around a switch (a tokenizer's loop, a bytecode
 * interpreter's) is often larger than MAX_INSNS, and a case left out costs a trip through the
 * dispatcher at every pass. Measured (2026-12-06, main-thread CPU, best of 4 on a loaded
 * machine, with switches' holders built again at every report of the dispatcher; a look every
 * fourth, Recompiler's REPORTS_PER_REBUILD, came later): against 128, `statemachine 3800`
 * 6.88 → 6.34 s, `embedded 145` 4.76 → 4.06 s, `embedded 22` 1.02 → 0.91 s, the others within
 * noise.
 */
export const MAX_SWITCH_INSNS = 384;

/** Instructions at most in a translation that holds a switch whose cases came from its jump table (JitIsa.jumpTable). */
export const MAX_TABLE_INSNS = 512;

/**
 * Distinct cases a jump table may have for a translation to take them in (JitIsa.jumpTable);
 * a larger switch is left to the cases the dispatcher learns (Recompiler.learnAt). A switch
 * of many cases often runs only a few: glibc's vfprintf's (9-31 cases a jump, on the format's
 * characters) taken whole made `statemachine 575` and `strings 2` slower (Speed, the fifteenth
 * session). The instructions before the jump handed to the ISA to recognise its table by.
 */
export const MAX_TABLE_TARGETS = 12;
const TABLE_PATH_INSNS = 40;

/** Straight-line code: control enters at its first instruction and leaves after its last. */
export interface Block<Insn extends GuestInsn> {
  readonly start: number;
  readonly insns: readonly Insn[];
  /** The control flow of each instruction, by index. */
  readonly flows: readonly ControlFlow[];
}

export interface Region<Insn extends GuestInsn> {
  /** In layout order; the first starts at the entry. */
  readonly blocks: readonly Block<Insn>[];
  /** Instructions in all blocks. */
  readonly size: number;
  /** Pcs where a call's callee returns (an indirect jump there stays in the translation). */
  readonly returnSites: ReadonlySet<number>;
  /** Pcs an indirect jump of the region was guessed to go to (it stays in the translation there too). */
  readonly indirectTargets: ReadonlySet<number>;
  /** Indirect jumps whose targets were read from their jump table (JitIsa.jumpTable). */
  readonly tableJumps: number;
  /**
   * Indices of the blocks (besides the entry, block 0) where a run may begin too: no code
   * reachable from them was left out for want of room (MAX_INSNS), or enough of it is inside
   * (entryBlocks); none inside a loop in place. A pc that becomes hot there is served by this
   * translation instead of one of its own, which would repeat the same code.
   */
  readonly entries: readonly number[];
  /**
   * Loops that run in place (a wasm `loop` around their code, see codegen.ts), as ranges of
   * block indices: control enters a range only at its first block, its other blocks are
   * reached only from earlier blocks of the range, and its back edges all go to its first
   * block, or to the heads of loops nested in it (loopRanges). By head, in layout order.
   */
  readonly loops: readonly LoopRange[];
}

/** Blocks `head`..`last` (indices in the layout) as one loop: see Region.loops. */
export interface LoopRange {
  readonly head: number;
  readonly last: number;
}

/** True when block `i` is inside one of `loops` after its head: reached only from within it. */
export const innerBlock = (loops: readonly LoopRange[], i: number): boolean =>
  loops.some((l) => i > l.head && i <= l.last);

/**
 * Where the indirect jump at guest pc `site` may go: a guess (where it went before). Any guess is safe: the code at a guessed pc is
 * decoded and watched like the rest, and entered only when the jump goes there.
 */
export type IndirectGuess = (site: number) => Iterable<number>;

/**
 * An indirect jump whose targets are guessed: a switch's, or a call through a pointer (its
 * callee then joins the translation, and the callee's return comes back to the return site
 * inside), not a return (its caller's return site stays inside already when it is in the
 * translation).
 */
export const guessable = (flow: ControlFlow): boolean => flow.kind === "indirect" && !flow.isReturn;

interface Decoded<Insn> {
  readonly insn: Insn;
  readonly flow: ControlFlow;
}

/** By pc, what one discovery of a region decoded there (null: nothing it could take in). */
type DecodeMemo<Insn> = Map<number, Decoded<Insn> | null>;

/**
 * True for a pc no jump was seen to go to (the interpreter counts taken jumps by target,
 * hotness.ts): a branch's target that the branch never took, a jump or call never made. A
 * region takes such code in after the rest it reaches, and only within its room for plain
 * code (a switch's larger room is for its cases), so that error paths and rare cases do not
 * take the room of the code that runs: `vfprintf`'s first region held its error paths and the
 * code of `__libc_fatal`, `__fortify_fail` and `_IO_vtable_check`, and left its hot path at its
 * 60th instruction (Speed, "The nineteenth session: hand-overs"). Left out altogether, a loop's
 * exit not taken yet when its region was built became translations of their own (`list 2`: 1
 * → 4). Only where a branch or jump goes when taken: a branch's fall-through (which no count
 * covers) and a call's return site (which a waiting call needs, and without which `nbody`'s
 * main loop became one loop in place with no entries, built twice) are never cold.
 */
export type ColdCode = (pc: number) => boolean;

/**
 * Rounds of discovery that leave out callees found cut: each round may cut others (what it
 * frees is taken by the code behind them).
 */
const CALLEE_ROUNDS = 3;

/**
 * The blocks reachable from `pc` as `code` fetches them. A callee of a direct call with a loop
 * that the region could take in only in part (a pc inside the loop left out for want of room)
 * is left out whole: the call then leaves for the callee's own translation, which holds
 * its loop whole, and waits there for its return (TranslationContext.callOut). Taken in part,
 * its loop often ran in a copy cut at the region's end, leaving and coming back through the
 * dispatcher every pass. A callee without a loop stays in part: its hot path is often inside,
 * and left out it would cost two exits every call (glibc's `strchrnul`, `memcpy` in
 * `vfprintf`'s regions).
 */
export function discoverRegion<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  pc: number,
  code: CodeView,
  maxInsns = MAX_INSNS,
  guess?: IndirectGuess,
  switchInsns = maxInsns,
  tableInsns = switchInsns,
  /** Calls that leave wait for their return (codegen.ts callsWait): only then are callees left out. */
  callsWait = false,
  /** Code no jump was seen to go to: taken in after the rest. */
  cold?: ColdCode,
): Region<Insn> {
  const outside = new Set<number>();
  // What each round decodes, for the next: nothing runs between them, so the code is the same.
  const seen: DecodeMemo<Insn> = new Map();
  let found = discover(isa, pc, code, maxInsns, outside, guess, switchInsns, tableInsns, cold, seen);
  for (let round = 0; callsWait && round < CALLEE_ROUNDS && found.cut.size > 0; round++) {
    const partial = cutCallees(found.decoded, found.cut, pc);
    if (partial.length === 0) break;
    for (const t of partial) outside.add(t);
    found = discover(isa, pc, code, maxInsns, outside, guess, switchInsns, tableInsns, cold, seen);
  }
  return regionOf(pc, found);
}

/**
 * The targets of the direct calls among `decoded` (other than `entry`) whose own code (through
 * branches, jumps and the return sites of their calls, not into their callees) reaches a pc of
 * `cut` inside one of its loops: a pc left out lies between a backward branch or jump and its
 * target, as far as the code taken in shows. A callee whose loops were all taken in whole and
 * that was cut later (`sha256`'s block function, whose first loop ran in place in its caller's
 * region) stays in part: left out, `sha256 1280` took 1.30-1.49 s against 1.11-1.22.
 */
function cutCallees<Insn extends GuestInsn>(
  decoded: ReadonlyMap<number, Decoded<Insn>>,
  cut: ReadonlySet<number>,
  entry: number,
): number[] {
  const callees = new Set<number>();
  for (const { flow } of decoded.values())
    if (flow.kind === "jump" && flow.link !== undefined && flow.target !== entry) callees.add(flow.target);
  const partial: number[] = [];
  for (const callee of callees) {
    const seen = new Set<number>();
    const todo = [callee];
    const cutAt: number[] = [];
    const backEdges: [number, number][] = [];
    while (todo.length > 0) {
      const at = todo.pop()!;
      if (seen.has(at)) continue;
      seen.add(at);
      const d = decoded.get(at);
      if (!d) {
        if (cut.has(at)) cutAt.push(at);
        continue;
      }
      const { insn, flow } = d;
      const next = at + insn.len;
      if (flow.kind === "fallthrough" || flow.kind === "branch") todo.push(next);
      if (flow.kind === "branch" || (flow.kind === "jump" && flow.link === undefined)) {
        todo.push(flow.target);
        if (flow.target <= at) backEdges.push([flow.target, at]);
      }
      if ((flow.kind === "jump" || flow.kind === "indirect") && flow.link !== undefined) todo.push(flow.link);
    }
    if (backEdges.some(([head, end]) => cutAt.some((c) => c >= head && c <= end))) partial.push(callee);
  }
  return partial;
}

function discover<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  pc: number,
  code: CodeView,
  maxInsns: number,
  /** Callees whose calls leave the region. */
  outside: ReadonlySet<number>,
  guess: IndirectGuess | undefined,
  switchInsns: number,
  tableInsns: number,
  cold: ColdCode | undefined,
  memo: DecodeMemo<Insn>,
): Found<Insn> {
  let room = maxInsns;
  const page = code.pageBytes;
  const firstPage = page === undefined ? 0 : Math.floor(pc / page);
  const inPage = (a: number) => page === undefined || Math.floor(a / page) === firstPage;
  const decoded = new Map<number, Decoded<Insn>>();
  const leaders = new Set<number>([pc]);
  const returnSites = new Set<number>();
  const indirectTargets = new Set<number>();
  /** By pc, an instruction control reaches it from (the one before it, a branch, a jump): the path to a jump table. */
  const before = new Map<number, number>();
  const tables = isa.jumpTable !== undefined && code.readData !== undefined; // else no path is needed
  const from = (t: number, at: number) => {
    if (tables && !before.has(t)) before.set(t, at);
  };
  let tableJumps = 0;
  const queue = [pc]; // breadth first: the code nearest the entry comes in first
  /** Cold code (ColdCode) reached: taken in, breadth first, once the rest is in. */
  const later: number[] = [];
  /** Pcs the region would have taken in had it had room. */
  const cut = new Set<number>();
  /** `taken`: `t` is where a branch or jump goes when taken, which may be cold (ColdCode). */
  const lead = (t: number, taken = true) => {
    if (!inPage(t)) return;
    leaders.add(t);
    (taken && cold?.(t) ? later : queue).push(t);
  };
  /** A guessed target is taken in next: it was learnt because it runs, and behind the rest it would often find no room. */
  const leadNext = (t: number, q: number) => {
    if (!inPage(t)) return;
    leaders.add(t);
    queue.splice(q + 1, 0, t);
  };
  for (let q = 0; q < queue.length || later.length > 0; q++) {
    if (q === queue.length) {
      queue.push(...later.splice(0));
      room = Math.min(room, maxInsns); // a switch's room is for its cases, not for cold code
    }
    for (let at = queue[q]; ;) {
      if (decoded.size >= room) {
        if (!decoded.has(at)) cut.add(at);
        break;
      }
      if (decoded.has(at)) {
        leaders.add(at); // reached again by falling through: a block starts here
        break;
      }
      let d = memo.get(at);
      if (d === undefined) {
        const insn = isa.decode(at, code);
        // Unfetchable, undecodable or across the page's end: the interpreter raises the fault.
        d = insn && inPage(at + insn.len - 1) ? { insn, flow: isa.controlFlow(insn) } : null;
        memo.set(at, d);
      }
      if (d === null) break;
      decoded.set(at, d);
      const { insn, flow } = d;
      const next = at + insn.len;
      if (flow.kind === "fallthrough") {
        if (!inPage(next)) break;
        from(next, at);
        at = next;
        continue;
      }
      if (flow.kind === "branch") {
        from(next, at);
        from(flow.target, at);
        lead(next, false);
        lead(flow.target);
      } else if (flow.kind === "jump" || flow.kind === "indirect") {
        if (flow.kind === "jump" && !(flow.link !== undefined && outside.has(flow.target))) {
          from(flow.target, at);
          lead(flow.target);
        }
        if (flow.link !== undefined && inPage(flow.link)) {
          returnSites.add(flow.link);
          lead(flow.link, false); // where the call waits for its return (TranslationContext.callOut)
        }
        if (guessable(flow)) {
          const table = flow.link === undefined ? jumpTable(isa, code, decoded, before, at) : undefined;
          if (table) {
            tableJumps++;
            room = Math.max(room, tableInsns);
          }
          for (const t of [...(guess?.(at) ?? []), ...(table ?? [])])
            if (inPage(t)) {
              indirectTargets.add(t);
              leadNext(t, q);
              if (flow.link === undefined) room = Math.max(room, switchInsns); // a switch's case
            }
        }
      }
      break;
    }
  }
  return { decoded, leaders, cut, returnSites, indirectTargets, tableJumps };
}

/** The code one round of discovery took in (by pc), where blocks start, and what it cut. */
interface Found<Insn extends GuestInsn> {
  readonly decoded: ReadonlyMap<number, Decoded<Insn>>;
  readonly leaders: ReadonlySet<number>;
  readonly cut: ReadonlySet<number>;
  readonly returnSites: ReadonlySet<number>;
  readonly indirectTargets: ReadonlySet<number>;
  readonly tableJumps: number;
}

/** The region entered at `pc` that the last round of discovery found: its blocks, laid out, its loops and entries. */
function regionOf<Insn extends GuestInsn>(pc: number, found: Found<Insn>): Region<Insn> {
  const { decoded, leaders, cut, returnSites, indirectTargets, tableJumps } = found;
  const blocks: Block<Insn>[] = [];
  let size = 0;
  for (const start of leaders) {
    if (!decoded.has(start)) continue;
    const insns: Insn[] = [];
    const flows: ControlFlow[] = [];
    for (let at = start; ;) {
      const d = decoded.get(at);
      if (!d) break;
      insns.push(d.insn);
      flows.push(d.flow);
      at += d.insn.len;
      if (d.flow.kind !== "fallthrough" || leaders.has(at)) break;
    }
    blocks.push({ start, insns, flows });
    size += insns.length;
  }
  // The entry first, then the code after it in address order, then the code before it: most
  // jumps then go forward in the layout (cheap), and loops back (checked for the budget).
  const after = (b: Block<Insn>) => b.start >= pc;
  blocks.sort((a, b) => (after(a) === after(b) ? a.start - b.start : after(a) ? -1 : 1));
  const index = new Map<number, number>();
  blocks.forEach((b, i) => index.set(b.start, i));
  const loops = loopRanges(blocks, index, returnSites, indirectTargets);
  const entries = entryBlocks(blocks, index, cut).filter((i) => !innerBlock(loops, i));
  return { blocks, size, returnSites, indirectTargets, tableJumps, entries, loops };
}

/**
 * The cases of the switch whose jump is at `site`, from its table (JitIsa.jumpTable), given the
 * path control took to it in the region; at most MAX_TABLE_TARGETS.
 */
function jumpTable<Insn extends GuestInsn>(
  isa: JitIsa<Insn>,
  code: CodeView,
  decoded: ReadonlyMap<number, Decoded<Insn>>,
  before: ReadonlyMap<number, number>,
  site: number,
): number[] | undefined {
  if (!isa.jumpTable || !code.readData) return undefined;
  const path: Insn[] = [];
  for (
    let at: number | undefined = site;
    at !== undefined && path.length < TABLE_PATH_INSNS;
    at = before.get(at)
  ) {
    const d = decoded.get(at);
    if (!d || path.includes(d.insn)) break;
    path.push(d.insn);
  }
  const targets = isa.jumpTable(path.reverse(), code);
  const distinct = targets && [...new Set(targets)];
  return distinct && distinct.length <= MAX_TABLE_TARGETS ? distinct : undefined;
}

/**
 * The pcs control may go to after block `b` directly: the next instruction (when it falls
 * through or does not take its branch) and a branch's or jump's target; with `links`, also a
 * call's return site (where its callee comes back to).
 */
function exitsOf<Insn extends GuestInsn>(b: Block<Insn>, links: boolean): number[] {
  const k = b.insns.length - 1;
  const last = b.insns[k];
  const flow = b.flows[k];
  const next: number[] = [];
  if (flow.kind === "fallthrough" || flow.kind === "branch") next.push(last.pc + last.len);
  if (flow.kind === "branch" || flow.kind === "jump") next.push(flow.target);
  if (links && (flow.kind === "jump" || flow.kind === "indirect") && flow.link !== undefined)
    next.push(flow.link);
  return next;
}

/**
 * For each of `region`'s Region.entries, the set of the blocks (layout indices) control may
 * reach from it without leaving the region.
 */
export function reachFromEntries<Insn extends GuestInsn>(region: Region<Insn>): Set<number>[] {
  const succ = successors(region.blocks, new Map(region.blocks.map((b, i) => [b.start, i])), true);
  return region.entries.map((from) => {
    const seen = new Set([from]);
    const todo = [from];
    while (todo.length > 0)
      for (const j of succ[todo.pop()!])
        if (!seen.has(j)) {
          seen.add(j);
          todo.push(j);
        }
    return seen;
  });
}

/**
 * For each of `region`'s blocks (layout indices), whether it lies on a cycle of control inside
 * the region: through its branches and jumps, a call's return site, and an indirect jump's
 * ways to the blocks it may stay inside at (return sites, guessed targets). Code on no cycle
 * runs at most once between the translation's entry and its exit.
 */
export function blocksOnCycles<Insn extends GuestInsn>(region: Region<Insn>): boolean[] {
  const blocks = region.blocks;
  const index = new Map(blocks.map((b, i) => [b.start, i]));
  const succ = successors(blocks, index, true);
  const landings: number[] = [];
  blocks.forEach((b, i) => {
    if (region.returnSites.has(b.start) || region.indirectTargets.has(b.start)) landings.push(i);
  });
  blocks.forEach((b, i) => {
    if (b.flows[b.flows.length - 1].kind === "indirect") succ[i].push(...landings);
  });
  // A block is on a cycle when a walk from its successors comes back to it.
  const seen = new Int32Array(blocks.length).fill(-1);
  return blocks.map((_, i) => {
    const todo = [...succ[i]];
    while (todo.length > 0) {
      const j = todo.pop()!;
      if (j === i) return true;
      if (seen[j] === i) continue;
      seen[j] = i;
      todo.push(...succ[j]);
    }
    return false;
  });
}

/**
 * A forward "must" analysis over `region`'s blocks: for each block, the facts (a bit set) that
 * hold whenever control enters it, as `transfer` carries them through each instruction. Where
 * control may come from outside the region's direct edges (the entry, Region.entries, a
 * call's return site, an indirect jump's guessed target, a block no edge reaches) only `none`
 * holds, and in the blocks of `indirect` (those an indirect jump may reach inside the
 * translation); elsewhere what holds at the end of every predecessor.
 *
 * With `assume`: a block control enters from outside only through the translation's start
 * (the first block, Region.entries, a block no edge reaches, a small region's block an
 * indirect jump might reach) but also from predecessors inside may start with more. `assume`
 * gets what holds at the end of all those predecessors (found without the assumption) and
 * returns what the block is to start with; the caller then tests it where the translation is
 * entered at that block and where an indirect jump inside goes to it (TranslationContext.entryGuards).
 */
export function factsAtBlocks<Insn extends GuestInsn>(
  region: Region<Insn>,
  indirect: readonly number[],
  none: number,
  transfer: (insn: Insn, facts: number) => number,
  assume?: (block: number, fromInside: number) => number,
): number[] {
  const blocks = region.blocks;
  const succ = successors(blocks, new Map(blocks.map((b, i) => [b.start, i])), false);
  const preds = blocks.map((): number[] => []);
  succ.forEach((s, p) => s.forEach((j) => preds[j].push(p)));
  const outside = blocks.map(
    (b, i) =>
      i === 0 ||
      preds[i].length === 0 ||
      region.returnSites.has(b.start) ||
      region.indirectTargets.has(b.start),
  );
  for (const i of [...region.entries, ...indirect]) outside[i] = true;
  const seed = blocks.map((_, i) => (outside[i] ? none : -1));
  const atEntry = seed.slice();
  const atEnd = blocks.map(() => -1);
  const solve = (): void => {
    atEnd.fill(-1);
    for (let changed = true; changed;) {
      changed = false;
      blocks.forEach((b, i) => {
        let facts = seed[i];
        for (const p of preds[i]) facts &= atEnd[p];
        atEntry[i] = facts;
        for (const insn of b.insns) facts = transfer(insn, facts);
        if (facts !== atEnd[i]) {
          atEnd[i] = facts;
          changed = true;
        }
      });
    }
  };
  solve();
  if (!assume) return atEntry;
  // What every predecessor inside leaves holds whatever the start assumed: the facts found
  // without an assumption are only ever more with one.
  let assumed = false;
  blocks.forEach((b, i) => {
    if (!outside[i] || preds[i].length === 0) return;
    if (region.returnSites.has(b.start) || region.indirectTargets.has(b.start)) return;
    let fromInside = -1;
    for (const p of preds[i]) fromInside &= atEnd[p];
    const facts = assume(i, fromInside) | none;
    if (facts === none) return;
    seed[i] = facts;
    assumed = true;
  });
  if (assumed) solve();
  return atEntry;
}

/** exitsOf each block, as layout indices of the blocks inside (`index`: block index by start pc). */
function successors<Insn extends GuestInsn>(
  blocks: readonly Block<Insn>[],
  index: ReadonlyMap<number, number>,
  links: boolean,
): number[][] {
  return blocks.map((b) => {
    const inside: number[] = [];
    for (const t of exitsOf(b, links)) {
      const i = index.get(t);
      if (i !== undefined) inside.push(i);
    }
    return inside;
  });
}

/**
 * The loops that can run in place (Region.loops): for each block that a later block (or
 * itself) jumps back to, the range from it to the last such block whose range qualifies: every
 * other block of the range is reached only by direct edges from earlier blocks of the range, or
 * is the head of a loop of its own inside the range that jumps back to it (not from outside,
 * not as a call's return site or an indirect jump's guessed target, and not as the entry).
 * Such a range is a wasm `loop`: its back edges need no trip through the translation's
 * dispatch loop. Inner loops are found first (heads from last to first in the layout); a range
 * that would cut one is left to the dispatch loop. Only a range that begins at the entry holds
 * loops: the heads of loops inside one cannot be Region.entries (a wasm loop is entered at its
 * start), and a nest elsewhere in the translation took entries that hot pcs in it were served
 * by, each of which was then translated again (`fft 12`: 6 translations and 11 ms of compiling
 * without nests, 8 and 41 ms with nests anywhere, 6 and 13 ms with nests at the entry).
 */
function loopRanges<Insn extends GuestInsn>(
  blocks: readonly Block<Insn>[],
  index: ReadonlyMap<number, number>,
  returnSites: ReadonlySet<number>,
  indirectTargets: ReadonlySet<number>,
): LoopRange[] {
  const succ = successors(blocks, index, false);
  const preds: number[][] = blocks.map(() => []);
  succ.forEach((s, p) => s.forEach((j) => preds[j].push(p)));
  /** By head, the loop found there (inner ones before the loops around them). */
  const found = new Map<number, LoopRange>();
  for (let head = blocks.length - 1; head >= 0; head--) {
    // The widest range that qualifies: a back edge from beyond it (a loop's preheader laid
    // out last, before the entry in address order) goes round the dispatch loop instead.
    const back = preds[head].filter((p) => p >= head).sort((a, b) => b - a);
    const last = back.find((last) => {
      for (let j = head + 1; j <= last; j++) {
        const b = blocks[j];
        if (returnSites.has(b.start) || indirectTargets.has(b.start)) return false;
        const inner = found.get(j);
        if (inner && (head !== 0 || inner.last > last)) return false;
        if (!preds[j].every((p) => p >= head && (p < j || (inner !== undefined && p <= inner.last))))
          return false;
      }
      return true;
    });
    if (last !== undefined) found.set(head, { head, last });
  }
  return [...found.values()].sort((a, b) => a.head - b.head);
}

/**
 * Reachable code a block needs inside its region to be an entry when some path from it
 * reaches code left out for want of room. Measured (2026-12-06, HARTWOOD_JIT_STATS): without
 * entries `embedded 22` made 107 translations; with entries only where nothing is cut off, 92
 * (10,744 instructions translated in all); with this bound, 25 (2,581); with every block an
 * entry, 30 (2,945). Steady-state speed (`embedded 145`, `calls 1650`, `statemachine 3800`)
 * was the same within noise for all of them.
 */
const MIN_ENTRY_REACH = 16;

/**
 * The blocks besides the first that may begin a run: those from which no path inside the
 * region reaches code left out for want of room, and those that reach at least
 * MIN_ENTRY_REACH instructions inside it. From others a run would soon leave, where a
 * translation of its own would go on.
 */
function entryBlocks<Insn extends GuestInsn>(
  blocks: readonly Block<Insn>[],
  index: ReadonlyMap<number, number>,
  cut: ReadonlySet<number>,
): number[] {
  // Where control may go after each block, inside the region, and whether it may go to cut code.
  const succ = successors(blocks, index, true);
  const cutOff = blocks.map((b) => exitsOf(b, true).some((t) => cut.has(t)));
  const entries: number[] = [];
  // The blocks seen by the walk from block i are those marked i (one array for every walk).
  const seen = new Int32Array(blocks.length).fill(-1);
  const todo: number[] = [];
  for (let i = 1; i < blocks.length; i++) {
    // What a run from block i may reach inside: its instructions, and whether any path is cut.
    seen[i] = i;
    todo.push(i);
    let insns = 0;
    let cut = false;
    while (todo.length > 0) {
      const k = todo.pop()!;
      insns += blocks[k].insns.length;
      cut ||= cutOff[k];
      if (insns >= MIN_ENTRY_REACH) {
        todo.length = 0; // an entry whatever else it reaches
        break;
      }
      for (const j of succ[k])
        if (seen[j] !== i) {
          seen[j] = i;
          todo.push(j);
        }
    }
    if (!cut || insns >= MIN_ENTRY_REACH) entries.push(i);
  }
  return entries;
}
