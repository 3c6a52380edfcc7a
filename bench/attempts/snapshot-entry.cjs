// The twenty-second session's experiment (docs/speed-sessions.md, "launch"): a V8 startup snapshot of the
// run bundle. HW_ROOT=. node --snapshot-blob run.blob --build-snapshot bench/attempts/snapshot-entry.cjs, then
// node --snapshot-blob run.blob run PROG. It lost: 2,200 more page faults than the code cache's path.
// Experiment: a startup snapshot holding the run bundle's top level and the bin compiled.
const fs = require("node:fs");
const path = require("node:path");
const v8 = require("node:v8");
const ROOT = process.env.HW_ROOT;
const dist = path.join(ROOT, "dist");
const file = path.join(dist, "hartwood-run.cjs");
let text = fs.readFileSync(file, "latin1");
// the prebuilt file opened at first read (an fd does not survive a snapshot)
text = text.replace('const fd=(0,import_node_fs.openSync)(file2,"r")', 'let fd_;const fdOf=()=>fd_??=(0,import_node_fs.openSync)(file2,"r")');
text = text.replace("(0,import_node_fs.readSync)(fd,bytes3,0,length,offset)", "(0,import_node_fs.readSync)(fdOf(),bytes3,0,length,offset)");
text = text.replace("var waitAsync=Atomics.waitAsync;", "var waitAsync=(...a)=>Atomics.waitAsync(...a);");
const wrapper = (0, eval)(text.slice(text.indexOf("\n") + 1));
const mod = { exports: {} };
const loaded = new Map();
const requireOnce = (id) => { let m = loaded.get(id); if (m === undefined) loaded.set(id, (m = require(id))); return m; };
wrapper(mod.exports, requireOnce, mod, file, dist);
const base = { exports: mod.exports, save() {} };
const binFile = path.join(ROOT, "bin", "hartwood.js");
let bin = fs.readFileSync(binFile, "utf8").replace(/^#!.*\n/, "");
const binFn = (0, eval)(`(function (exports, require, module, __filename, __dirname) {${bin}\n})`);
const waText = fs.readFileSync(path.join(ROOT, "bin", "worker-ahead.js"), "utf8");
const waFn = (0, eval)(`(function (exports, require, module, __filename, __dirname) {${waText}\n})`);
v8.startupSnapshot.setDeserializeMainFunction(() => {
  const wa = { exports: {} };
  const shim = (id) => id === "./code-cache.js" ? { loadBundle: () => base } : id === "./worker-ahead.js" ? wa.exports : require(id);
  waFn(wa.exports, shim, wa, path.join(ROOT, "bin", "worker-ahead.js"), path.join(ROOT, "bin"));
  process.argv.splice(1, 0, binFile);
  binFn({}, shim, { exports: {} }, binFile, path.join(ROOT, "bin"));
});
