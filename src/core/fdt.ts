// The flattened device tree (Devicetree Specification v0.4, chapter 5): a writer that builds
// a tree of nodes and serialises it as a DTB, and a parser that checks a DTB a user supplies
// and reads what the boot code needs from it. ISA-neutral: the board decides what the tree
// says. Big-endian throughout (§5.1).
import { UserError } from "./errors.js";

const FDT_MAGIC = 0xd00dfeed;
const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;
/** §5.2: the v17 header is ten u32 fields. */
const HEADER_BYTES = 40;
/** §5.4.1 structure block tokens. */
const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_NOP = 0x4;
const FDT_END = 0x9;
/** Deeper nesting than this in a user's file is refused rather than walked. */
const MAX_DEPTH = 64;

/** One cell of a property: a number is a u32; a node stands for its phandle (§2.3.3). */
export type Cell = number | FdtNode;

/** A /memreserve/ entry (§5.3). */
export interface MemoryReservation {
  readonly address: number;
  readonly sizeBytes: number;
}

const utf8 = new TextEncoder();

/** A node of a tree being built; properties keep the order they were added in. */
export class FdtNode {
  readonly props = new Map<string, Uint8Array | readonly Cell[]>();
  readonly children: FdtNode[] = [];

  constructor(readonly name: string) {}

  /** Appends a child node and returns it. */
  addNode(name: string): FdtNode {
    if (this.children.some((c) => c.name === name)) throw new Error(`fdt: duplicate node ${name}`);
    const node = new FdtNode(name);
    this.children.push(node);
    return node;
  }

  /** u32 cells; a node among them is written as its phandle, allocated at serialisation. */
  cells(name: string, ...cells: Cell[]): this {
    for (const c of cells)
      if (typeof c === "number" && !(Number.isInteger(c) && c >= 0 && c <= 0xffff_ffff))
        throw new RangeError(`fdt: ${name}: ${c} is not a u32`);
    return this.set(name, cells);
  }

  /** u64 values, each as two cells (high, low). */
  u64(name: string, ...values: number[]): this {
    return this.cells(name, ...values.flatMap((v) => splitU64(v, name)));
  }

  string(name: string, value: string): this {
    return this.strings(name, value);
  }

  /** A string list (§2.2.4 `<stringlist>`): NUL-terminated strings back to back. */
  strings(name: string, ...values: string[]): this {
    for (const v of values) if (v.includes("\0")) throw new Error(`fdt: ${name}: string contains NUL`);
    return this.set(name, utf8.encode(values.map((v) => v + "\0").join("")));
  }

  bytes(name: string, value: Uint8Array): this {
    return this.set(name, value.slice());
  }

  /** A property with no value, such as `interrupt-controller` or `ranges`. */
  empty(name: string): this {
    return this.set(name, new Uint8Array(0));
  }

  private set(name: string, value: Uint8Array | readonly Cell[]): this {
    // phandles are allocated by serializeFdt so that references and values cannot disagree.
    if (name === "phandle" || name === "linux,phandle")
      throw new Error(`fdt: ${name} is allocated automatically`);
    this.props.set(name, value);
    return this;
  }
}

function splitU64(v: number, what: string): [number, number] {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`fdt: ${what}: ${v} is not a u64`);
  return [Math.floor(v / 0x1_0000_0000), v >>> 0];
}

/** Grows as bytes are appended; big-endian u32s. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u32(v: number): void {
    this.reserve(4);
    new DataView(this.buf.buffer).setUint32(this.length, v);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  align4(): void {
    this.bytes(new Uint8Array((4 - (this.length & 3)) & 3));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function preorder(root: FdtNode): FdtNode[] {
  const out: FdtNode[] = [];
  const visit = (n: FdtNode): void => {
    out.push(n);
    n.children.forEach(visit);
  };
  visit(root);
  return out;
}

/** Numbers the referenced nodes 1, 2, ... in tree order. */
function allocatePhandles(nodes: readonly FdtNode[]): Map<FdtNode, number> {
  const inTree = new Set(nodes);
  const referenced = new Set<FdtNode>();
  for (const n of nodes)
    for (const [name, v] of n.props)
      if (!(v instanceof Uint8Array))
        for (const c of v)
          if (typeof c !== "number") {
            if (!inTree.has(c))
              throw new Error(`fdt: ${name} refers to node ${c.name}, which is not in the tree`);
            referenced.add(c);
          }
  const phandles = new Map<FdtNode, number>();
  for (const n of nodes) if (referenced.has(n)) phandles.set(n, phandles.size + 1);
  return phandles;
}

export interface SerializeOptions {
  /** §5.2 boot_cpuid_phys: the `reg` of the cpu node the boot code starts on. */
  readonly bootCpuidPhys?: number;
  readonly reservations?: readonly MemoryReservation[];
}

/** Serialises a tree (its root node's name is ignored) as a version 17 DTB. */
export function serializeFdt(root: FdtNode, opts: SerializeOptions = {}): Uint8Array {
  const nodes = preorder(root);
  const phandles = allocatePhandles(nodes);
  const strings = new ByteWriter();
  const stringOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      stringOffsets.set(name, off);
      strings.bytes(utf8.encode(name + "\0"));
    }
    return off;
  };

  const struct = new ByteWriter();
  const prop = (name: string, value: Uint8Array): void => {
    struct.u32(FDT_PROP);
    struct.u32(value.length);
    struct.u32(nameOffset(name));
    struct.bytes(value);
    struct.align4();
  };
  const emit = (node: FdtNode, isRoot: boolean): void => {
    struct.u32(FDT_BEGIN_NODE);
    struct.bytes(utf8.encode((isRoot ? "" : node.name) + "\0"));
    struct.align4();
    const ph = phandles.get(node);
    if (ph !== undefined) prop("phandle", cellBytes([ph]));
    for (const [name, v] of node.props)
      prop(
        name,
        v instanceof Uint8Array ? v : cellBytes(v.map((c) => (typeof c === "number" ? c : phandles.get(c)!))),
      );
    for (const child of node.children) emit(child, false);
    struct.u32(FDT_END_NODE);
  };
  emit(root, true);
  struct.u32(FDT_END);

  const rsv = new ByteWriter();
  for (const r of [...(opts.reservations ?? []), { address: 0, sizeBytes: 0 }])
    for (const half of [...splitU64(r.address, "reservation"), ...splitU64(r.sizeBytes, "reservation")])
      rsv.u32(half);

  // Layout (§5.1): header, memory reservation block (8-aligned), structure block, strings.
  const offRsvmap = HEADER_BYTES;
  const offStruct = offRsvmap + rsv.length;
  const offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;
  const out = new ByteWriter();
  for (const field of [
    FDT_MAGIC,
    total,
    offStruct,
    offStrings,
    offRsvmap,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    opts.bootCpuidPhys ?? 0,
    strings.length,
    struct.length,
  ])
    out.u32(field);
  out.bytes(rsv.result());
  out.bytes(struct.result());
  out.bytes(strings.result());
  return out.result();
}

function cellBytes(cells: readonly number[]): Uint8Array {
  const b = new Uint8Array(cells.length * 4);
  const dv = new DataView(b.buffer);
  cells.forEach((c, i) => dv.setUint32(i * 4, c));
  return b;
}

// ---------------------------------------------------------------------------------------
// Parsing

/** A node read from a DTB. Property values are raw bytes; the helpers below decode them. */
export interface ParsedNode {
  readonly name: string;
  readonly props: ReadonlyMap<string, Uint8Array>;
  readonly children: readonly ParsedNode[];
}

export interface ParsedFdt {
  readonly version: number;
  readonly bootCpuidPhys: number;
  readonly reservations: readonly MemoryReservation[];
  readonly root: ParsedNode;
}

function fail(msg: string): never {
  throw new UserError(`device tree: ${msg}`);
}

const hex = (v: number): string => "0x" + v.toString(16);

/**
 * Reads a DTB, checking its header (§5.2), memory reservation block (§5.3), structure block
 * (§5.4) and string references (§5.5). Anything malformed is a one-line UserError.
 */
export function parseFdt(bytes: Uint8Array): ParsedFdt {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER_BYTES) fail(`file is ${bytes.length} bytes, too short for a header`);
  const field = (i: number): number => dv.getUint32(i * 4);
  const magic = field(0);
  if (magic !== FDT_MAGIC) fail(`bad magic ${hex(magic)} (a DTB starts with ${hex(FDT_MAGIC)})`);
  const [totalSize, offStruct, offStrings, offRsvmap, version, lastComp, bootCpuidPhys, sizeStrings] = [
    1, 2, 3, 4, 5, 6, 7, 8,
  ].map(field);
  if (version < 16) fail(`version ${version} is older than 16`);
  if (lastComp > FDT_VERSION) fail(`needs a version ${lastComp} reader (this one reads ${FDT_VERSION})`);
  if (totalSize > bytes.length)
    fail(`file is truncated: header says ${totalSize} bytes, file has ${bytes.length}`);
  // Version 16 has no size_dt_struct: the structure block may run to the end of the blob.
  const sizeStruct = version >= 17 ? field(9) : totalSize - offStruct;
  const headerBytes = version >= 17 ? HEADER_BYTES : HEADER_BYTES - 4;
  const checkBlock = (what: string, off: number, size: number, align: number): void => {
    if (off < headerBytes || off % align !== 0 || off + size > totalSize)
      fail(`${what} block (offset ${hex(off)}, ${size} bytes) lies outside the ${totalSize}-byte blob`);
  };
  checkBlock("structure", offStruct, sizeStruct, 4);
  checkBlock("strings", offStrings, sizeStrings, 1);
  checkBlock("memory reservation", offRsvmap, 16, 8);

  const reservations: MemoryReservation[] = [];
  for (let p = offRsvmap; ; p += 16) {
    if (p + 16 > totalSize) fail("memory reservation block has no terminating entry");
    const address = u64At(dv, p, "reservation address");
    const sizeBytes = u64At(dv, p + 8, "reservation size");
    if (address === 0 && sizeBytes === 0) break;
    reservations.push({ address, sizeBytes });
  }

  const stringAt = (off: number): string => {
    if (off >= sizeStrings) fail(`property name offset ${hex(off)} is past the strings block`);
    const start = offStrings + off;
    const end = bytes.indexOf(0, start);
    if (end < 0 || end >= offStrings + sizeStrings) fail(`property name at ${hex(off)} is not terminated`);
    return new TextDecoder().decode(bytes.subarray(start, end));
  };
  return {
    version,
    bootCpuidPhys,
    reservations,
    root: parseStructure(bytes, dv, offStruct, sizeStruct, stringAt),
  };
}

interface MutableNode extends ParsedNode {
  readonly props: Map<string, Uint8Array>;
  readonly children: MutableNode[];
}

function parseStructure(
  bytes: Uint8Array,
  dv: DataView,
  start: number,
  size: number,
  stringAt: (off: number) => string,
): ParsedNode {
  const end = start + size;
  const stack: MutableNode[] = [];
  let root: MutableNode | undefined;
  let p = start;
  const u32 = (): number => {
    if (p + 4 > end) fail("structure block ends in the middle of a token");
    const v = dv.getUint32(p);
    p += 4;
    return v;
  };
  const align = (): void => void (p = (p + 3) & ~3);
  while (true) {
    const at = p;
    const token = u32();
    const parent = stack[stack.length - 1];
    switch (token) {
      case FDT_BEGIN_NODE: {
        const nul = bytes.indexOf(0, p);
        if (nul < 0 || nul >= end) fail(`node name at ${hex(at)} is not terminated`);
        const name = new TextDecoder().decode(bytes.subarray(p, nul));
        p = nul + 1;
        align();
        if (root && !parent) fail(`a second root node at ${hex(at)}`);
        if (!parent && name !== "") fail(`root node has the name "${name}"`);
        if (stack.length >= MAX_DEPTH) fail(`nodes nest deeper than ${MAX_DEPTH}`);
        const node: MutableNode = { name, props: new Map(), children: [] };
        if (parent) parent.children.push(node);
        else root = node;
        stack.push(node);
        break;
      }
      case FDT_END_NODE:
        if (!parent) fail(`FDT_END_NODE at ${hex(at)} closes no node`);
        stack.pop();
        break;
      case FDT_PROP: {
        if (!parent) fail(`property at ${hex(at)} is outside any node`);
        const len = u32();
        const name = stringAt(u32());
        if (len > end - p) fail(`property ${name} at ${hex(at)} runs past the structure block`);
        // §5.4.2: a node's properties come before its subnodes.
        if (parent.children.length > 0) fail(`property ${name} at ${hex(at)} follows a subnode`);
        if (parent.props.has(name)) fail(`property ${name} appears twice in node "${parent.name}"`);
        parent.props.set(name, bytes.slice(p, p + len));
        p += len;
        align();
        break;
      }
      case FDT_NOP:
        break;
      case FDT_END:
        if (!root) fail("structure block holds no root node");
        if (parent) fail(`structure block ends inside node "${parent.name}"`);
        return root;
      default:
        fail(`unknown structure token ${hex(token)} at offset ${hex(at)}`);
    }
  }
}

function u64At(dv: DataView, off: number, what: string): number {
  return cellsToNumber([dv.getUint32(off), dv.getUint32(off + 4)], what);
}

function cellsToNumber(cells: readonly number[], what: string): number {
  let v = 0;
  for (const c of cells) v = v * 0x1_0000_0000 + c;
  if (!Number.isSafeInteger(v)) fail(`${what} does not fit in 53 bits`);
  return v;
}

/**
 * Finds a node by its path ("/soc/serial@10000000"). A component without "@" also matches
 * a node whose name has a unit address, as Linux's of_find_node_by_path does ("/memory").
 */
export function findNode(root: ParsedNode, path: string): ParsedNode | undefined {
  let node: ParsedNode | undefined = root;
  for (const part of path.split("/").filter((s) => s !== "")) {
    const children: readonly ParsedNode[] = node.children;
    node =
      children.find((c) => c.name === part) ??
      (part.includes("@") ? undefined : children.find((c) => c.name.split("@")[0] === part));
    if (!node) return undefined;
  }
  return node;
}

/** A property as u32 cells; a length that is not a multiple of 4 is an error. */
export function propCells(node: ParsedNode, name: string): number[] | undefined {
  const v = node.props.get(name);
  if (!v) return undefined;
  if (v.length % 4 !== 0) fail(`property ${name} of "${node.name}" is ${v.length} bytes, not whole cells`);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return Array.from({ length: v.length / 4 }, (_, i) => dv.getUint32(i * 4));
}

/** A property as a string list. */
export function propStrings(node: ParsedNode, name: string): string[] | undefined {
  const v = node.props.get(name);
  if (!v) return undefined;
  if (v.length === 0 || v[v.length - 1] !== 0)
    fail(`property ${name} of "${node.name}" is not a string list`);
  return new TextDecoder().decode(v.subarray(0, v.length - 1)).split("\0");
}

/** What the boot code reads from /chosen (Linux Documentation/devicetree/bindings/chosen.txt). */
export interface FdtChosen {
  readonly bootargs?: string;
  readonly stdoutPath?: string;
  readonly initrd?: { readonly start: number; readonly end: number };
}

export function readChosen(fdt: ParsedFdt): FdtChosen {
  const chosen = findNode(fdt.root, "/chosen");
  if (!chosen) return {};
  // linux,initrd-* may be one or two cells; Linux reads whatever length is there.
  const num = (name: string): number | undefined => {
    const cells = propCells(chosen, name);
    if (cells && (cells.length < 1 || cells.length > 2)) fail(`/chosen ${name} is ${cells.length} cells`);
    return cells && cellsToNumber(cells, `/chosen ${name}`);
  };
  const start = num("linux,initrd-start");
  const end = num("linux,initrd-end");
  if ((start === undefined) !== (end === undefined)) fail("/chosen has only one of linux,initrd-start/-end");
  return {
    bootargs: propStrings(chosen, "bootargs")?.[0],
    stdoutPath: propStrings(chosen, "stdout-path")?.[0],
    initrd: start !== undefined && end !== undefined ? { start, end } : undefined,
  };
}

export interface MemoryRange {
  readonly base: number;
  readonly sizeBytes: number;
}

/** RAM ranges: the `reg` of every node with device_type "memory" under the root (§3.4). */
export function readMemory(fdt: ParsedFdt): MemoryRange[] {
  // §2.3.5: a missing #address-cells means 2, a missing #size-cells means 1.
  const addressCells = propCells(fdt.root, "#address-cells")?.[0] ?? 2;
  const sizeCells = propCells(fdt.root, "#size-cells")?.[0] ?? 1;
  if (addressCells < 1 || addressCells > 2 || sizeCells > 2)
    fail("root #address-cells/#size-cells out of range");
  const ranges: MemoryRange[] = [];
  for (const node of fdt.root.children) {
    if (propStrings(node, "device_type")?.[0] !== "memory") continue;
    const reg = propCells(node, "reg") ?? fail(`memory node "${node.name}" has no reg`);
    const entry = addressCells + sizeCells;
    if (reg.length === 0 || reg.length % entry !== 0)
      fail(`reg of "${node.name}" is not whole (address, size) pairs`);
    for (let i = 0; i < reg.length; i += entry)
      ranges.push({
        base: cellsToNumber(reg.slice(i, i + addressCells), `${node.name} address`),
        sizeBytes: cellsToNumber(reg.slice(i + addressCells, i + entry), `${node.name} size`),
      });
  }
  return ranges;
}

/**
 * Checks a DTB a user gives (`--dtb`): a well-formed blob (header, reservations, structure,
 * strings) whose /chosen is readable and which describes some RAM. Throws UserError.
 */
export function checkDtbFile(bytes: Uint8Array): void {
  const fdt = parseFdt(bytes);
  readChosen(fdt);
  if (readMemory(fdt).length === 0) fail('no memory node (device_type "memory")');
}
