// Where a Hartwood process spends its time: reads a V8 CPU profile (`node --cpu-prof`) and
// splits its samples by what ran, from the wasm module names (the interpreter, translations
// and the dispatcher name their modules) and the source files of the JavaScript. Used by
// bench/system.ts.
import { readFileSync } from "node:fs";

export const CATEGORIES = [
  "interpreter (wasm)",
  "translated code (wasm)",
  "recompiler (JS)",
  "wasm compilation",
  "hart helpers, CSRs, MMU (JS)",
  "devices, board, firmware (JS)",
  "garbage collection",
  "Node and the rest",
  "idle",
] as const;
export type Category = (typeof CATEGORIES)[number];

interface CallFrame {
  functionName: string;
  url: string;
}

function categorise(f: CallFrame): Category {
  const u = f.url;
  if (u.startsWith("wasm://wasm/interpreter-")) return "interpreter (wasm)";
  if (u.startsWith("wasm://")) return "translated code (wasm)";
  if (f.functionName === "(garbage collector)") return "garbage collection";
  if (f.functionName === "(idle)") return "idle";
  if (
    u === "" &&
    (f.functionName === "Module" || f.functionName === "Instance" || f.functionName === "compile")
  )
    return "wasm compilation";
  if (/\/core\/jit\/|\/core\/wasm\.|\/riscv\/recompiler\.|\/riscv\/code-memory\./.test(u))
    return "recompiler (JS)";
  if (/\/arch\/riscv\//.test(u)) return "hart helpers, CSRs, MMU (JS)";
  if (/\/devices\/|\/modes\/system\/|\/core\/machine\.|\/core\/physmem\.|\/core\/device\./.test(u))
    return "devices, board, firmware (JS)";
  return "Node and the rest";
}

/** Milliseconds of samples per category, and the total. */
export function profileSplit(path: string): { ms: Map<Category, number>; totalMs: number } {
  const p = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: { id: number; callFrame: CallFrame }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, categorise(n.callFrame)]));
  const ms = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  let total = 0;
  p.samples.forEach((id, i) => {
    const t = (p.timeDeltas[i] ?? 0) / 1000;
    const c = byId.get(id) ?? "Node and the rest";
    ms.set(c, (ms.get(c) ?? 0) + t);
    total += t;
  });
  return { ms, totalMs: total };
}

/** A Markdown table of one or more splits, one column each. */
export function splitTable(columns: { label: string; path: string }[]): string {
  const splits = columns.map((c) => profileSplit(c.path));
  const lines = [
    `| where | ${columns.map((c) => `${c.label} ms | %`).join(" | ")} |`,
    `|---|${columns.map(() => "--:|--:").join("|")}|`,
  ];
  for (const cat of CATEGORIES) {
    const cells = splits.map((s) => {
      const v = s.ms.get(cat) ?? 0;
      return `${v.toFixed(0)} | ${((100 * v) / s.totalMs).toFixed(1)}`;
    });
    lines.push(`| ${cat} | ${cells.join(" | ")} |`);
  }
  lines.push(`| **total** | ${splits.map((s) => `${s.totalMs.toFixed(0)} | 100`).join(" | ")} |`);
  return lines.join("\n");
}
