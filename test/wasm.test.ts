// The wasm emitter (src/core/wasm.ts). Branch hints (FunctionBuilder.rarely): the custom
// section "metadata.code.branch_hint" must name each hinted instruction by its offset in the
// function's body, also after code was inserted before it (regcache.ts inserts the register
// loads at a translation's entry once the body is emitted). An exported table of functions
// (ModuleBuilder.exportTable, how translation modules give their entry functions).
import { expect, test } from "vitest";
import { I32, ModuleBuilder } from "../src/core/wasm.js";
import { readUleb as uleb, sections } from "./wasm-bytes.js";

test("hinted br_if and if instructions are found at the offsets the hint section gives, after inserts", () => {
  const m = new ModuleBuilder("t");
  const imported = m.importFunc("host", "f", [], []);
  const [, plain] = m.func([I32], [I32], "plain");
  plain.get(plain.param(0));
  const [, w] = m.func([I32], [I32], "hinted");
  const x = w.param(0);
  const y = w.local(I32);
  const mark = w.code.length; // code goes in here afterwards
  w.block("out");
  w.get(x).i32_eqz().rarely().br_if("out");
  w.get(x).i32_const(7).i32_gt_u().rarely().if_();
  w.call(imported);
  w.end();
  w.end();
  w.get(x).get(y).i32_add();
  w.insert([{ at: mark, bytes: [0x41, 0x85, 0x03, 0x21, y.index] }]); // y = 389 (a 3-byte const)
  const bytes = m.encode();

  const s = sections(bytes);
  const [hs, he] = s.get("metadata.code.branch_hint")!;
  expect(s.get("metadata.code.branch_hint")![0]).toBeLessThan(s.get(10)![0]); // before the code
  const hints: { func: number; offset: number; value: number }[] = [];
  let [funcs, at] = uleb(bytes, hs);
  for (; funcs > 0; funcs--) {
    let func: number, n: number;
    [func, at] = uleb(bytes, at);
    [n, at] = uleb(bytes, at);
    for (; n > 0; n--) {
      let offset: number, len: number;
      [offset, at] = uleb(bytes, at);
      [len, at] = uleb(bytes, at);
      expect(len).toBe(1);
      hints.push({ func, offset, value: bytes[at++] });
    }
  }
  expect(at).toBe(he);
  expect(hints.map((h) => [h.func, h.value])).toEqual([
    [2, 0],
    [2, 0],
  ]);
  // The second defined function's body: skip the first's.
  const [, c] = uleb(bytes, s.get(10)![0]);
  const [firstSize, firstBody] = uleb(bytes, c);
  const [, body] = uleb(bytes, firstBody + firstSize);
  expect(hints.map((h) => bytes[body + h.offset])).toEqual([0x0d, 0x04]); // br_if, if

  const calls: number[] = [];
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
    host: { f: () => calls.push(1) },
  });
  const hinted = inst.exports.hinted as (x: number) => number;
  expect([hinted(0), hinted(3), hinted(9)]).toEqual([389, 392, 398]);
  expect(calls.length).toBe(1);
});

test("a module without hints has no hint section", () => {
  const m2 = new ModuleBuilder();
  const [, w2] = m2.func([I32], [I32], "f");
  w2.get(w2.param(0));
  expect(sections(m2.encode()).has("metadata.code.branch_hint")).toBe(false);
});

test("an exported table holds the functions it was given, in order, and works beside hints", () => {
  const m = new ModuleBuilder("entries");
  const [body, w] = m.func([I32, I32], [I32]);
  w.get(w.param(0)).i32_const(0).i32_ne().rarely().if_().get(w.param(0)).return_().end();
  w.get(w.param(1));
  const entries = [30, 10, 20].map((k) => {
    const [index, e] = m.func([I32], [I32]);
    e.i32_const(0).get(e.param(0)).i32_const(k).i32_add().return_call(body);
    return index;
  });
  m.exportTable("entries", entries);
  const module = new WebAssembly.Module(m.encode() as BufferSource);
  expect(WebAssembly.Module.exports(module)).toEqual([{ name: "entries", kind: "table" }]);
  const table = new WebAssembly.Instance(module).exports.entries as WebAssembly.Table;
  expect(table.length).toBe(3);
  expect([0, 1, 2].map((i) => (table.get(i) as (x: number) => number)(5))).toEqual([35, 15, 25]);
});
