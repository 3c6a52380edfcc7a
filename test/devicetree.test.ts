// The `virt` board's device tree against the reference we did not write: QEMU 7.2's own
// `virt` tree (dumped by qemu-system-riscv64 in this test) and dtc's checks. Both trees are
// read with src/core/fdt.ts's parser; the differences Hartwood means to have are one list.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { UserError } from "../src/core/errors.js";
import {
  FdtNode,
  type ParsedFdt,
  type ParsedNode,
  findNode,
  parseFdt,
  propCells,
  propStrings,
  readChosen,
  readMemory,
  serializeFdt,
} from "../src/core/fdt.js";
import { checkDtbFile, virtDeviceTree, type VirtDtConfig } from "../src/modes/system/virt-dt.js";

const MiB = 1 << 20;

/**
 * Where Hartwood's tree differs from QEMU's on purpose. An entry without `prop` is a QEMU
 * node (and everything under it) for hardware the board does not have; an entry with `prop`
 * is a property that is allowed to differ or to be present on one side only.
 */
const DIFFERENCES: readonly { path: RegExp; prop?: string; why: string }[] = [
  { path: /^\/pmu$/, why: "no SBI PMU counters" },
  { path: /^\/fw-cfg@/, why: "no fw-cfg device" },
  { path: /^\/flash@/, why: "no CFI flash" },
  { path: /^\/platform-bus@/, why: "no dynamic sysbus devices" },
  { path: /^\/soc\/pci@/, why: "no PCI host bridge" },
  { path: /^\/cpus\/cpu@\d+$/, prop: "riscv,isa", why: "the extensions Hartwood implements, not QEMU's" },
  { path: /^\/chosen$/, prop: "rng-seed", why: "written only when the board passes entropy" },
  {
    path: /^\/soc\/plic@c000000$/,
    prop: "riscv,ndev",
    why: "QEMU 7.2 says 0x60, one past its PLIC's last source 0x5f; Linux would program source 0x60",
  },
  {
    path: /^\/cpus\/cpu@\d+\/interrupt-controller$/,
    prop: "#address-cells",
    why: "Hartwood adds <0> so that dtc's interrupt_provider check passes",
  },
];

const nodeExempt = (path: string): boolean =>
  DIFFERENCES.some(
    (d) =>
      d.prop === undefined &&
      path.split("/").some((_, i, parts) => d.path.test(parts.slice(0, i + 1).join("/"))),
  );
const propExempt = (path: string, prop: string): boolean =>
  DIFFERENCES.some((d) => d.prop === prop && d.path.test(path));

/** Properties whose cells are phandles: compared by the path of the node they name. */
const PHANDLE_PROPS = new Set(["interrupt-parent", "regmap", "cpu"]);

let scratch = "";
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "hartwood-dt-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function qemuDtb(smp: number, mem: string, extra: string[] = []): Uint8Array {
  const file = join(scratch, `qemu-${smp}-${mem}-${extra.length}.dtb`);
  execFileSync(
    "qemu-system-riscv64",
    ["-M", `virt,dumpdtb=${file}`, "-m", mem, "-smp", String(smp), "-nographic", ...extra],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return new Uint8Array(readFileSync(file));
}

function dtc(dtb: Uint8Array): { dts: string; warnings: string; status: number | null } {
  const file = join(scratch, "check.dtb");
  writeFileSync(file, dtb);
  const r = spawnSync("dtc", ["-I", "dtb", "-O", "dts", file], { encoding: "utf8" });
  return { dts: r.stdout, warnings: r.stderr, status: r.status };
}

/** Every node by its full path, and every phandle's node path. */
function index(fdt: ParsedFdt): { nodes: Map<string, ParsedNode>; phandles: Map<number, string> } {
  const nodes = new Map<string, ParsedNode>();
  const phandles = new Map<number, string>();
  const visit = (node: ParsedNode, path: string): void => {
    nodes.set(path, node);
    const ph = propCells(node, "phandle")?.[0];
    if (ph !== undefined) phandles.set(ph, path);
    for (const c of node.children) visit(c, (path === "/" ? "" : path) + "/" + c.name);
  };
  visit(fdt.root, "/");
  return { nodes, phandles };
}

/**
 * A property in a form both trees share: phandles replaced by the path they name, and
 * interrupts-extended as (controller path, irq) pairs.
 */
function meaning(tree: ReturnType<typeof index>, node: ParsedNode, prop: string): unknown {
  const target = (ph: number): string => tree.phandles.get(ph) ?? `<dangling ${ph}>`;
  if (PHANDLE_PROPS.has(prop)) return propCells(node, prop)!.map(target);
  if (prop === "interrupts-extended") {
    const cells = propCells(node, prop)!;
    const out: [string, number[]][] = [];
    for (let i = 0; i < cells.length;) {
      const ctrl = target(cells[i]);
      const n = propCells(tree.nodes.get(ctrl)!, "#interrupt-cells")![0];
      out.push([ctrl, cells.slice(i + 1, i + 1 + n)]);
      i += 1 + n;
    }
    return out;
  }
  return Array.from(node.props.get(prop)!);
}

const QEMU_LEGACY_OFF = ["-global", "virtio-mmio.force-legacy=false"];

describe.each([
  { smp: 1, mem: "256M", ramBytes: 256 * MiB },
  { smp: 2, mem: "256M", ramBytes: 256 * MiB },
  { smp: 8, mem: "3G", ramBytes: 3072 * MiB },
])("against QEMU's virt tree with -smp $smp -m $mem", ({ smp, mem, ramBytes }) => {
  let qemu: ReturnType<typeof index>;
  let ours: ReturnType<typeof index>;
  let qemuFdt: ParsedFdt;
  let oursFdt: ParsedFdt;
  beforeAll(() => {
    qemuFdt = parseFdt(qemuDtb(smp, mem, QEMU_LEGACY_OFF));
    oursFdt = parseFdt(virtDeviceTree({ ramBytes, harts: smp, virtioSlots: 8 }));
    qemu = index(qemuFdt);
    ours = index(oursFdt);
  });

  test("every QEMU node outside the exceptions is in Hartwood's tree with the same properties", () => {
    const missing: string[] = [];
    const differing: string[] = [];
    for (const [path, qnode] of qemu.nodes) {
      if (nodeExempt(path)) continue;
      const onode = ours.nodes.get(path);
      if (!onode) {
        missing.push(path);
        continue;
      }
      for (const prop of qnode.props.keys()) {
        if (prop === "phandle" || propExempt(path, prop)) continue;
        if (!onode.props.has(prop)) differing.push(`${path} lacks ${prop}`);
        else if (JSON.stringify(meaning(qemu, qnode, prop)) !== JSON.stringify(meaning(ours, onode, prop)))
          differing.push(`${path} ${prop}`);
      }
    }
    expect(missing).toEqual([]);
    expect(differing).toEqual([]);
  });

  test("compatible, reg and interrupts of every device node are QEMU's", () => {
    // The test above covers these too; this one says in so many words which nodes it saw.
    const devices = [...qemu.nodes].filter(([p, n]) => !nodeExempt(p) && n.props.has("compatible"));
    expect(devices.length).toBeGreaterThanOrEqual(smp * 2 + 9 + 8);
    for (const [path, qnode] of devices) {
      const onode = ours.nodes.get(path)!;
      expect(propStrings(onode, "compatible"), path).toEqual(propStrings(qnode, "compatible"));
      expect(propCells(onode, "reg"), path).toEqual(propCells(qnode, "reg"));
      for (const p of ["interrupts", "interrupts-extended", "interrupt-parent"])
        if (qnode.props.has(p))
          expect(meaning(ours, onode, p), `${path} ${p}`).toEqual(meaning(qemu, qnode, p));
    }
  });

  test("Hartwood has no node or property that QEMU lacks, except the listed ones", () => {
    const extra: string[] = [];
    for (const [path, onode] of ours.nodes) {
      const qnode = qemu.nodes.get(path);
      if (!qnode) extra.push(path);
      else
        for (const prop of onode.props.keys())
          if (prop !== "phandle" && !qnode.props.has(prop) && !propExempt(path, prop))
            extra.push(`${path} ${prop}`);
    }
    expect(extra).toEqual([]);
  });

  test("memory size, number of cpus and timebase match", () => {
    expect(readMemory(oursFdt)).toEqual(readMemory(qemuFdt));
    expect(readMemory(oursFdt)).toEqual([{ base: 0x8000_0000, sizeBytes: ramBytes }]);
    const cpus = (t: ReturnType<typeof index>): string[] =>
      [...t.nodes.keys()].filter((p) => /^\/cpus\/cpu@\d+$/.test(p));
    expect(cpus(ours)).toHaveLength(smp);
    expect(cpus(ours).sort()).toEqual(cpus(qemu).sort());
    const timebase = (f: ParsedFdt): number[] | undefined =>
      propCells(findNode(f.root, "/cpus")!, "timebase-frequency");
    expect(timebase(oursFdt)).toEqual([10_000_000]);
    expect(timebase(oursFdt)).toEqual(timebase(qemuFdt));
  });

  test("QEMU's blob passes checkDtbFile", () => {
    expect(() => checkDtbFile(qemuDtb(smp, mem))).not.toThrow();
  });
});

test("/chosen with a kernel command line and an initrd says what QEMU's says", () => {
  const kernel = join(scratch, "kernel.bin");
  const initrd = join(scratch, "initrd.bin");
  writeFileSync(kernel, new Uint8Array(4096));
  writeFileSync(initrd, new Uint8Array(1000).fill(0xa5));
  const bootargs = "console=ttyS0 root=/dev/vda rw";
  const q = parseFdt(qemuDtb(1, "256M", ["-kernel", kernel, "-initrd", initrd, "-append", bootargs]));
  const qChosen = readChosen(q);
  expect(qChosen.initrd).toBeDefined();
  const ours = parseFdt(
    virtDeviceTree({ ramBytes: 256 * MiB, harts: 1, virtioSlots: 8, bootargs, initrd: qChosen.initrd }),
  );
  expect(readChosen(ours)).toEqual(qChosen);
  const chosenOf = (f: ParsedFdt): ParsedNode => findNode(f.root, "/chosen")!;
  for (const prop of ["bootargs", "stdout-path", "linux,initrd-start", "linux,initrd-end"])
    expect(chosenOf(ours).props.get(prop), prop).toEqual(chosenOf(q).props.get(prop));
});

describe("dtc reads the generated tree without a warning", () => {
  const configs: [string, VirtDtConfig][] = [];
  for (const harts of [1, 2, 8]) {
    configs.push([`${harts} harts`, { ramBytes: 256 * MiB, harts, virtioSlots: 8 }]);
    configs.push([
      `${harts} harts, bootargs and initrd`,
      {
        ramBytes: 512 * MiB,
        harts,
        virtioSlots: 8,
        bootargs: "console=ttyS0 earlycon",
        initrd: { start: 0x8820_0000, end: 0x8830_0000 },
      },
    ]);
  }
  configs.push([
    "initrd above 4 GiB, rng-seed, Sv39",
    {
      ramBytes: 6144 * MiB,
      harts: 2,
      virtioSlots: 8,
      mmuType: "riscv,sv39",
      initrd: { start: 0x1_4000_0000, end: 0x1_4010_0000 },
      rngSeed: new Uint8Array(32).fill(7),
    },
  ]);
  test.each(configs)("%s", (_, cfg) => {
    const dtb = virtDeviceTree(cfg);
    const out = dtc(dtb);
    expect(out.status).toBe(0);
    expect(out.warnings).toBe("");
    expect(out.dts).toContain('riscv,isa = "rv64imafdc_zicsr_zifencei_zihintpause_sstc"');
    const fdt = parseFdt(dtb);
    expect(readMemory(fdt)).toEqual([{ base: 0x8000_0000, sizeBytes: cfg.ramBytes }]);
    expect(readChosen(fdt)).toEqual({
      bootargs: cfg.bootargs,
      stdoutPath: "/soc/serial@10000000",
      initrd: cfg.initrd,
    });
    expect(() => checkDtbFile(dtb)).not.toThrow();
  });
});

describe("the FDT writer", () => {
  test("writes a v17 header, an empty reservation map, and each property name once", () => {
    const root = new FdtNode("");
    const a = root.addNode("a@1").cells("reg", 1).string("compatible", "x");
    root.addNode("b@2").cells("reg", 2).string("compatible", "x").cells("link", a, 5);
    const dtb = serializeFdt(root, {
      bootCpuidPhys: 3,
      reservations: [{ address: 0x8000_0000, sizeBytes: 0x1000 }],
    });
    const dv = new DataView(dtb.buffer);
    expect(dv.getUint32(0)).toBe(0xd00dfeed);
    expect(dv.getUint32(4)).toBe(dtb.length);
    expect([dv.getUint32(20), dv.getUint32(24), dv.getUint32(28)]).toEqual([17, 16, 3]);
    const strings = new TextDecoder().decode(
      dtb.subarray(dv.getUint32(12), dv.getUint32(12) + dv.getUint32(32)),
    );
    expect(strings.split("\0").filter((s) => s)).toEqual(["phandle", "reg", "compatible", "link"]);
    const fdt = parseFdt(dtb);
    expect(fdt.reservations).toEqual([{ address: 0x8000_0000, sizeBytes: 0x1000 }]);
    const ph = propCells(findNode(fdt.root, "/a@1")!, "phandle")!;
    expect(propCells(findNode(fdt.root, "/b")!, "link")).toEqual([ph[0], 5]);
    const out = dtc(dtb);
    expect(out.dts).toContain("/memreserve/\t0x0000000080000000 0x0000000000001000;");
  });

  test("refuses a reference to a node outside the tree", () => {
    const root = new FdtNode("");
    root.cells("x", new FdtNode("stray"));
    expect(() => serializeFdt(root)).toThrow(/not in the tree/);
  });
});

describe("checkDtbFile refuses a malformed DTB with a one-line UserError", () => {
  const good = (): Uint8Array => virtDeviceTree({ ramBytes: 256 * MiB, harts: 2, virtioSlots: 8 });
  const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer).getUint32(off);
  const put = (b: Uint8Array, off: number, v: number): Uint8Array => {
    new DataView(b.buffer).setUint32(off, v);
    return b;
  };
  const structEnd = (b: Uint8Array): number => u32(b, 8) + u32(b, 36);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["truncated", () => good().slice(0, good().length - 10), /truncated/],
    ["shorter than a header", () => good().slice(0, 20), /too short/],
    ["bad magic", () => put(good(), 0, 0xd00dfeee), /bad magic 0xd00dfeee/],
    ["too new", () => put(good(), 24, 18), /version 18 reader/],
    ["bad structure token", () => put(good(), u32(good(), 8), 0x7), /unknown structure token 0x7/],
    ["FDT_END replaced", () => put(good(), structEnd(good()) - 4, 0x5), /unknown structure token 0x5/],
    ["root never closed", () => put(good(), structEnd(good()) - 8, 0x4), /ends inside node/],
    ["structure block past the end", () => put(good(), 36, 0x10_0000), /outside the/],
    ["property name past the strings", () => put(good(), 32, 0), /past the strings block/],
    [
      "no memory node",
      () => {
        const root = new FdtNode("");
        root.addNode("chosen").string("bootargs", "x");
        return serializeFdt(root);
      },
      /no memory node/,
    ],
  ];
  test.each(cases)("%s", (_, make, message) => {
    let error: unknown;
    try {
      checkDtbFile(make());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });
});
