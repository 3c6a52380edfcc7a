// A small typed WebAssembly emitter: one method per wasm instruction, explicit locals.
// Used both to generate the interpreter at start-up and by the recompiler.

export type ValType = 0x7f | 0x7e | 0x7d | 0x7c; // i32 i64 f32 f64
export const I32: ValType = 0x7f;
export const I64: ValType = 0x7e;
export const F32: ValType = 0x7d;
export const F64: ValType = 0x7c;
const VOID = 0x40;

export type BlockType = ValType | typeof VOID;

/** Where encoders append bytes: a plain array, or a `Bytes` buffer. */
export interface ByteSink {
  push(b: number): unknown;
}

/**
 * Copies `from`[begin, end) into `to` at `at`: a loop for a few bytes, where a typed array's
 * `subarray` and `set` (an allocation and a call) cost more than the copy.
 */
function copy(from: ArrayLike<number>, begin: number, end: number, to: Uint8Array, at: number): void {
  if (end - begin <= 32 || !(from instanceof Uint8Array))
    for (let i = begin; i < end; i++) to[at++] = from[i];
  else to.set(from.subarray(begin, end), at);
}

/**
 * Buffers of Bytes given back, by log2 of their size (powers of two from 128 bytes), reused
 * before new ones are made: V8 allocates an array buffer of more than 64 bytes outside its
 * heap, which costs far more than filling it, and a translation's body grows several times.
 * Their contents are stale: Bytes reads only what it wrote.
 */
const spare: Uint8Array<ArrayBuffer>[][] = [];
/** What released Bytes hold (a push makes room again). */
const NO_BYTES = new Uint8Array(0);
/** Buffers kept of each size at most. */
const SPARE_PER_SIZE = 8;

function takeBuffer(size: number): Uint8Array<ArrayBuffer> {
  return spare[Math.log2(size)]?.pop() ?? new Uint8Array(size);
}

function giveBack(buf: Uint8Array<ArrayBuffer>): void {
  const k = Math.log2(buf.length);
  if (buf.length <= 64 || !Number.isInteger(k)) return;
  const list = (spare[k] ??= []);
  if (list.length < SPARE_PER_SIZE) list.push(buf);
}

/**
 * A growable byte buffer for function bodies. Emission appends millions of bytes (the
 * interpreter, every translation): into a JS array of numbers that took half of the emitter's
 * time, measured on building the interpreter.
 */
export class Bytes implements ByteSink {
  // Small at first: most bodies a translation module holds are a few bytes (its entries, the
  // register caches' pieces), and V8 allocates a typed array of up to 64 bytes on its heap.
  private buf = new Uint8Array(64);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[this.length++] = b;
  }

  /** Two bytes, with one test for room (emission is hot, and cold code pays for each call). */
  push2(a: number, b: number): void {
    if (this.length + 2 > this.buf.length) this.grow();
    const buf = this.buf;
    buf[this.length] = a;
    buf[this.length + 1] = b;
    this.length += 2;
  }

  /** Three bytes, with one test for room. */
  push3(a: number, b: number, c: number): void {
    if (this.length + 3 > this.buf.length) this.grow();
    const buf = this.buf;
    buf[this.length] = a;
    buf[this.length + 1] = b;
    buf[this.length + 2] = c;
    this.length += 3;
  }

  /** Twice the room (apart from push, which then stays small enough for V8 to inline). */
  private grow(): void {
    const bigger = takeBuffer(Math.max(64, this.buf.length * 2));
    bigger.set(this.buf);
    giveBack(this.buf);
    this.buf = bigger;
  }

  /** The bytes are no longer needed (nor any view of them): their buffer may serve another. */
  release(): void {
    giveBack(this.buf);
    this.buf = NO_BYTES;
    this.length = 0;
  }

  /** Puts each piece's bytes at its offset (ascending offsets into the bytes as they were). */
  insert(pieces: readonly { readonly at: number; readonly bytes: ArrayLike<number> }[]): void {
    let size = this.length;
    for (const p of pieces) size += p.bytes.length;
    if (size === this.length) return; // nothing to put in (a mark whose code came out empty)
    let room = Math.max(64, this.buf.length);
    while (room < size) room *= 2;
    const out = takeBuffer(room);
    const buf = this.buf;
    let from = 0;
    let to = 0;
    for (const { at, bytes } of pieces) {
      if (bytes.length === 0) continue;
      copy(buf, from, at, out, to);
      to += at - from;
      copy(bytes, 0, bytes.length, out, to);
      to += bytes.length;
      from = at;
    }
    copy(buf, from, this.length, out, to);
    giveBack(buf);
    this.buf = out;
    this.length = size;
  }

  /** Copies the bytes into `to` from offset `at`. */
  copyTo(to: Uint8Array, at: number): void {
    copy(this.buf, 0, this.length, to, at);
  }

  /** The bytes so far (a view: valid until the next push). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export function uleb(out: ByteSink, v: number): void {
  if (v >= 0 && v < 0x80) {
    out.push(v);
    return;
  }
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

export function sleb32(out: ByteSink, v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

export function sleb64(out: ByteSink, v: bigint): void {
  v = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** sleb64 of a safe integer without BigInt (translations emit a 64-bit constant per pc). */
export function slebSafe(out: ByteSink, v: number): void {
  for (;;) {
    const b = v & 0x7f; // the low bits of a safe integer's two's complement, as in an i64
    v = Math.floor(v / 128);
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(out: number[], s: string): void {
  // Names are ASCII, but for a test's: then its bytes are its char codes.
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (!ascii) {
    const bytes = new TextEncoder().encode(s);
    uleb(out, bytes.length);
    for (const b of bytes) out.push(b);
    return;
  }
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** Body of one wasm function. Label depths are computed from the block stack by name. */
export class FunctionBuilder {
  readonly code = new Bytes();
  private readonly localTypes: ValType[] = [];
  /** Released locals by type (indexed by the type's low two bits: the four types differ there). */
  private readonly free: (Local[] | undefined)[] = [];
  private readonly labels: (string | undefined)[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** How many blocks, loops and ifs are open at this point of the body. */
  get blockDepth(): number {
    return this.labels.length;
  }

  param(i: number): Local {
    return { index: i, type: this.params[i] };
  }

  /**
   * A fresh (or recycled) local; give it back with `release` when its live range ends. A
   * `fresh` one was never a temporary: code inserted before its first use may set it.
   */
  local(type: ValType, fresh = false): Local {
    const reused = fresh ? undefined : this.free[type & 3]?.pop();
    if (reused) return reused;
    this.localTypes.push(type);
    return { index: this.params.length + this.localTypes.length - 1, type };
  }

  /** How many locals (not parameters) there are so far: a mark for `localsSince`. */
  get localCount(): number {
    return this.localTypes.length;
  }

  /** The locals made since `localCount` was `mark`. */
  localsSince(mark: number): Local[] {
    return this.localTypes.slice(mark).map((type, i) => ({ index: this.params.length + mark + i, type }));
  }

  release(l: Local): void {
    const pool = (this.free[l.type & 3] ??= []);
    pool.push(l);
  }

  /** Appends one to three bytes (fixed arguments: emission is hot, and a rest array is an allocation). */
  private op(a: number, b?: number, c?: number): this {
    const code = this.code;
    if (b === undefined) code.push(a);
    else if (c === undefined) code.push2(a, b);
    else code.push3(a, b, c);
    return this;
  }

  /** An opcode and its unsigned immediate (a local, a label depth, a function), in one call when the immediate is one byte. */
  private opU(a: number, v: number): this {
    if (v >= 0 && v < 0x80) this.code.push2(a, v);
    else {
      this.code.push(a);
      uleb(this.code, v);
    }
    return this;
  }

  /** Where each label is open on the block stack (innermost last): labels resolve in O(1). */
  private readonly open = new Map<string, number[]>();

  private depth(label: string): number {
    const at = this.open.get(label);
    if (!at?.length) throw new Error(`wasm emitter: unknown label ${label}`);
    return this.labels.length - 1 - at[at.length - 1];
  }

  private push(label: string | undefined): void {
    if (label !== undefined) {
      let at = this.open.get(label);
      if (!at) this.open.set(label, (at = []));
      at.push(this.labels.length);
    }
    this.labels.push(label);
  }

  /**
   * Inserts code the rest of the body depended on but that could only be chosen once it was
   * emitted: each piece's bytes go at its offset (`code.length` when it was marked), pieces in
   * ascending order. Wasm code has no byte offsets in it (only the branch hints, which move
   * with their instructions).
   */
  insert(pieces: readonly { readonly at: number; readonly bytes: ArrayLike<number> }[]): void {
    this.code.insert(pieces);
    let k = 0;
    let shift = 0;
    const hints = this.unlikely;
    for (let i = 0; i < hints.length && (k < pieces.length || shift > 0); i++) {
      while (k < pieces.length && pieces[k].at <= hints[i]) shift += pieces[k++].bytes.length;
      hints[i] += shift;
    }
  }

  /** The code offsets of the `br_if`s and `if`s marked `rarely`, ascending. */
  readonly unlikely: number[] = [];
  /**
   * The next instruction, a `br_if` or an `if`, rarely branches (a failed check, a slow path):
   * a hint (the branch hinting proposal's custom section) with which an engine lays that code
   * out of line and keeps the likely path's values in registers. Engines without it ignore it.
   */
  rarely(): this {
    this.unlikely.push(this.code.length);
    return this;
  }

  // Control
  block(label?: string, type: BlockType = VOID): this {
    this.push(label);
    return this.op(0x02, type);
  }
  loop(label?: string, type: BlockType = VOID): this {
    this.push(label);
    return this.op(0x03, type);
  }
  if_(type: BlockType = VOID, label?: string): this {
    this.push(label);
    return this.op(0x04, type);
  }
  else_(): this {
    return this.op(0x05);
  }
  end(): this {
    const label = this.labels.pop();
    if (label !== undefined) this.open.get(label)!.pop();
    return this.op(0x0b);
  }
  br(label: string): this {
    return this.opU(0x0c, this.depth(label));
  }
  br_if(label: string): this {
    return this.opU(0x0d, this.depth(label));
  }
  br_table(labels: readonly string[], dflt: string): this {
    this.op(0x0e);
    uleb(this.code, labels.length);
    for (const l of labels) uleb(this.code, this.depth(l));
    uleb(this.code, this.depth(dflt));
    return this;
  }
  return_(): this {
    return this.op(0x0f);
  }
  unreachable(): this {
    return this.op(0x00);
  }
  call(funcIndex: number): this {
    return this.opU(0x10, funcIndex);
  }
  /** Tail call (the call replaces this frame) of function `funcIndex`. */
  return_call(funcIndex: number): this {
    return this.opU(0x12, funcIndex);
  }
  /** Tail call (the call replaces this frame) through table 0, as call_indirect. */
  return_call_indirect(typeIndex: number): this {
    this.op(0x13);
    uleb(this.code, typeIndex);
    return this.op(0x00);
  }
  /** Calls the function at the i32 index on the stack in table 0; `typeIndex` from ModuleBuilder.funcType. */
  call_indirect(typeIndex: number): this {
    this.op(0x11);
    uleb(this.code, typeIndex);
    return this.op(0x00);
  }
  drop(): this {
    return this.op(0x1a);
  }
  select(): this {
    return this.op(0x1b);
  }

  // Variables
  get(l: Local): this {
    return this.opU(0x20, l.index);
  }
  set(l: Local): this {
    return this.opU(0x21, l.index);
  }
  tee(l: Local): this {
    return this.opU(0x22, l.index);
  }

  // Memory: align is log2 of the natural alignment, offset is a byte offset immediate.
  private mem(opcode: number, align: number, offset: number): this {
    if (offset >= 0 && offset < 0x80 && align < 0x80) return this.op(opcode, align, offset);
    this.op(opcode);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  i32_load(offset = 0, align = 2): this {
    return this.mem(0x28, align, offset);
  }
  i64_load(offset = 0, align = 3): this {
    return this.mem(0x29, align, offset);
  }
  f32_load(offset = 0, align = 2): this {
    return this.mem(0x2a, align, offset);
  }
  f64_load(offset = 0, align = 3): this {
    return this.mem(0x2b, align, offset);
  }
  i32_load8_s(offset = 0): this {
    return this.mem(0x2c, 0, offset);
  }
  i32_load8_u(offset = 0): this {
    return this.mem(0x2d, 0, offset);
  }
  i32_load16_s(offset = 0, align = 1): this {
    return this.mem(0x2e, align, offset);
  }
  i32_load16_u(offset = 0, align = 1): this {
    return this.mem(0x2f, align, offset);
  }
  i64_load8_s(offset = 0): this {
    return this.mem(0x30, 0, offset);
  }
  i64_load8_u(offset = 0): this {
    return this.mem(0x31, 0, offset);
  }
  i64_load16_s(offset = 0, align = 1): this {
    return this.mem(0x32, align, offset);
  }
  i64_load16_u(offset = 0, align = 1): this {
    return this.mem(0x33, align, offset);
  }
  i64_load32_s(offset = 0, align = 2): this {
    return this.mem(0x34, align, offset);
  }
  i64_load32_u(offset = 0, align = 2): this {
    return this.mem(0x35, align, offset);
  }
  i32_store(offset = 0, align = 2): this {
    return this.mem(0x36, align, offset);
  }
  i64_store(offset = 0, align = 3): this {
    return this.mem(0x37, align, offset);
  }
  f32_store(offset = 0, align = 2): this {
    return this.mem(0x38, align, offset);
  }
  f64_store(offset = 0, align = 3): this {
    return this.mem(0x39, align, offset);
  }
  i32_store8(offset = 0): this {
    return this.mem(0x3a, 0, offset);
  }
  i32_store16(offset = 0, align = 1): this {
    return this.mem(0x3b, align, offset);
  }
  i64_store8(offset = 0): this {
    return this.mem(0x3c, 0, offset);
  }
  i64_store16(offset = 0, align = 1): this {
    return this.mem(0x3d, align, offset);
  }
  i64_store32(offset = 0, align = 2): this {
    return this.mem(0x3e, align, offset);
  }

  // Constants
  i32_const(v: number): this {
    if (v >= -64 && v < 64) return this.op(0x41, v & 0x7f); // one byte of sleb
    this.op(0x41);
    sleb32(this.code, v);
    return this;
  }
  i64_const(v: bigint | number): this {
    this.op(0x42);
    if (typeof v === "bigint" && v >= -MAX_SAFE && v <= MAX_SAFE) v = Number(v);
    // An int32 (a kernel's pcs too, 0xffffffff8...) takes sleb32's bit operations: the same bytes.
    if (typeof v === "number" && (v | 0) === v) sleb32(this.code, v);
    else if (typeof v === "number" && Number.isSafeInteger(v)) slebSafe(this.code, v);
    else sleb64(this.code, BigInt(v));
    return this;
  }
  f32_const(v: number): this {
    this.op(0x43);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.code.push(x);
    return this;
  }
  f64_const(v: number): this {
    this.op(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (const x of b) this.code.push(x);
    return this;
  }

  // i32
  i32_eqz(): this { return this.op(0x45); } // prettier-ignore
  i32_eq(): this { return this.op(0x46); } // prettier-ignore
  i32_ne(): this { return this.op(0x47); } // prettier-ignore
  i32_lt_s(): this { return this.op(0x48); } // prettier-ignore
  i32_lt_u(): this { return this.op(0x49); } // prettier-ignore
  i32_gt_s(): this { return this.op(0x4a); } // prettier-ignore
  i32_gt_u(): this { return this.op(0x4b); } // prettier-ignore
  i32_le_s(): this { return this.op(0x4c); } // prettier-ignore
  i32_le_u(): this { return this.op(0x4d); } // prettier-ignore
  i32_ge_s(): this { return this.op(0x4e); } // prettier-ignore
  i32_ge_u(): this { return this.op(0x4f); } // prettier-ignore
  // i64 compare
  i64_eqz(): this { return this.op(0x50); } // prettier-ignore
  i64_eq(): this { return this.op(0x51); } // prettier-ignore
  i64_ne(): this { return this.op(0x52); } // prettier-ignore
  i64_lt_s(): this { return this.op(0x53); } // prettier-ignore
  i64_lt_u(): this { return this.op(0x54); } // prettier-ignore
  i64_gt_s(): this { return this.op(0x55); } // prettier-ignore
  i64_gt_u(): this { return this.op(0x56); } // prettier-ignore
  i64_le_s(): this { return this.op(0x57); } // prettier-ignore
  i64_le_u(): this { return this.op(0x58); } // prettier-ignore
  i64_ge_s(): this { return this.op(0x59); } // prettier-ignore
  i64_ge_u(): this { return this.op(0x5a); } // prettier-ignore
  // f32/f64 compare
  f32_eq(): this { return this.op(0x5b); } // prettier-ignore
  f32_ne(): this { return this.op(0x5c); } // prettier-ignore
  f32_lt(): this { return this.op(0x5d); } // prettier-ignore
  f32_le(): this { return this.op(0x5f); } // prettier-ignore
  f64_eq(): this { return this.op(0x61); } // prettier-ignore
  f64_ne(): this { return this.op(0x62); } // prettier-ignore
  f64_lt(): this { return this.op(0x63); } // prettier-ignore
  f64_gt(): this { return this.op(0x64); } // prettier-ignore
  f64_le(): this { return this.op(0x65); } // prettier-ignore
  f64_ge(): this { return this.op(0x66); } // prettier-ignore
  // i32 arithmetic
  i32_clz(): this { return this.op(0x67); } // prettier-ignore
  i32_ctz(): this { return this.op(0x68); } // prettier-ignore
  i32_popcnt(): this { return this.op(0x69); } // prettier-ignore
  i32_add(): this { return this.op(0x6a); } // prettier-ignore
  i32_sub(): this { return this.op(0x6b); } // prettier-ignore
  i32_mul(): this { return this.op(0x6c); } // prettier-ignore
  i32_div_s(): this { return this.op(0x6d); } // prettier-ignore
  i32_div_u(): this { return this.op(0x6e); } // prettier-ignore
  i32_rem_s(): this { return this.op(0x6f); } // prettier-ignore
  i32_rem_u(): this { return this.op(0x70); } // prettier-ignore
  i32_and(): this { return this.op(0x71); } // prettier-ignore
  i32_or(): this { return this.op(0x72); } // prettier-ignore
  i32_xor(): this { return this.op(0x73); } // prettier-ignore
  i32_shl(): this { return this.op(0x74); } // prettier-ignore
  i32_shr_s(): this { return this.op(0x75); } // prettier-ignore
  i32_shr_u(): this { return this.op(0x76); } // prettier-ignore
  i32_rotl(): this { return this.op(0x77); } // prettier-ignore
  i32_rotr(): this { return this.op(0x78); } // prettier-ignore
  // i64 arithmetic
  i64_clz(): this { return this.op(0x79); } // prettier-ignore
  i64_ctz(): this { return this.op(0x7a); } // prettier-ignore
  i64_popcnt(): this { return this.op(0x7b); } // prettier-ignore
  i64_add(): this { return this.op(0x7c); } // prettier-ignore
  i64_sub(): this { return this.op(0x7d); } // prettier-ignore
  i64_mul(): this { return this.op(0x7e); } // prettier-ignore
  i64_div_s(): this { return this.op(0x7f); } // prettier-ignore
  i64_div_u(): this { return this.op(0x80); } // prettier-ignore
  i64_rem_s(): this { return this.op(0x81); } // prettier-ignore
  i64_rem_u(): this { return this.op(0x82); } // prettier-ignore
  i64_and(): this { return this.op(0x83); } // prettier-ignore
  i64_or(): this { return this.op(0x84); } // prettier-ignore
  i64_xor(): this { return this.op(0x85); } // prettier-ignore
  i64_shl(): this { return this.op(0x86); } // prettier-ignore
  i64_shr_s(): this { return this.op(0x87); } // prettier-ignore
  i64_shr_u(): this { return this.op(0x88); } // prettier-ignore
  i64_rotl(): this { return this.op(0x89); } // prettier-ignore
  i64_rotr(): this { return this.op(0x8a); } // prettier-ignore
  // float arithmetic
  f32_abs(): this { return this.op(0x8b); } // prettier-ignore
  f32_neg(): this { return this.op(0x8c); } // prettier-ignore
  f32_sqrt(): this { return this.op(0x91); } // prettier-ignore
  f32_add(): this { return this.op(0x92); } // prettier-ignore
  f32_sub(): this { return this.op(0x93); } // prettier-ignore
  f32_mul(): this { return this.op(0x94); } // prettier-ignore
  f32_div(): this { return this.op(0x95); } // prettier-ignore
  f64_abs(): this { return this.op(0x99); } // prettier-ignore
  f64_ceil(): this { return this.op(0x9b); } // prettier-ignore
  f64_floor(): this { return this.op(0x9c); } // prettier-ignore
  f64_trunc(): this { return this.op(0x9d); } // prettier-ignore
  f64_nearest(): this { return this.op(0x9e); } // prettier-ignore
  f64_neg(): this { return this.op(0x9a); } // prettier-ignore
  f64_sqrt(): this { return this.op(0x9f); } // prettier-ignore
  f64_add(): this { return this.op(0xa0); } // prettier-ignore
  f64_sub(): this { return this.op(0xa1); } // prettier-ignore
  f64_mul(): this { return this.op(0xa2); } // prettier-ignore
  f64_div(): this { return this.op(0xa3); } // prettier-ignore
  // conversions
  i32_wrap_i64(): this { return this.op(0xa7); } // prettier-ignore
  i64_extend_i32_s(): this { return this.op(0xac); } // prettier-ignore
  i64_extend_i32_u(): this { return this.op(0xad); } // prettier-ignore
  i32_trunc_f64_s(): this { return this.op(0xaa); } // prettier-ignore
  f32_convert_i32_s(): this { return this.op(0xb2); } // prettier-ignore
  f32_convert_i32_u(): this { return this.op(0xb3); } // prettier-ignore
  f32_convert_i64_s(): this { return this.op(0xb4); } // prettier-ignore
  f32_convert_i64_u(): this { return this.op(0xb5); } // prettier-ignore
  f32_demote_f64(): this { return this.op(0xb6); } // prettier-ignore
  f64_convert_i32_s(): this { return this.op(0xb7); } // prettier-ignore
  f64_convert_i32_u(): this { return this.op(0xb8); } // prettier-ignore
  f64_convert_i64_s(): this { return this.op(0xb9); } // prettier-ignore
  f64_convert_i64_u(): this { return this.op(0xba); } // prettier-ignore
  f64_promote_f32(): this { return this.op(0xbb); } // prettier-ignore
  i32_reinterpret_f32(): this { return this.op(0xbc); } // prettier-ignore
  i64_reinterpret_f64(): this { return this.op(0xbd); } // prettier-ignore
  f32_reinterpret_i32(): this { return this.op(0xbe); } // prettier-ignore
  f64_reinterpret_i64(): this { return this.op(0xbf); } // prettier-ignore
  i32_extend8_s(): this { return this.op(0xc0); } // prettier-ignore
  i32_extend16_s(): this { return this.op(0xc1); } // prettier-ignore
  i64_extend8_s(): this { return this.op(0xc2); } // prettier-ignore
  i64_extend16_s(): this { return this.op(0xc3); } // prettier-ignore
  i64_extend32_s(): this { return this.op(0xc4); } // prettier-ignore

  // Saturating float-to-int truncation (0xfc prefix).
  i32_trunc_sat_f32_s(): this { return this.op(0xfc, 0x00); } // prettier-ignore
  i32_trunc_sat_f32_u(): this { return this.op(0xfc, 0x01); } // prettier-ignore
  i32_trunc_sat_f64_s(): this { return this.op(0xfc, 0x02); } // prettier-ignore
  i32_trunc_sat_f64_u(): this { return this.op(0xfc, 0x03); } // prettier-ignore
  i64_trunc_sat_f32_s(): this { return this.op(0xfc, 0x04); } // prettier-ignore
  i64_trunc_sat_f32_u(): this { return this.op(0xfc, 0x05); } // prettier-ignore
  i64_trunc_sat_f64_s(): this { return this.op(0xfc, 0x06); } // prettier-ignore
  i64_trunc_sat_f64_u(): this { return this.op(0xfc, 0x07); } // prettier-ignore

  // Atomics (threads proposal), for shared memories.
  private atomic(sub: number, align: number, offset: number): this {
    this.op(0xfe, sub);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  atomic_fence(): this {
    this.op(0xfe, 0x03, 0x00);
    return this;
  }
  i32_atomic_load(offset = 0): this {
    return this.atomic(0x10, 2, offset);
  }
  i64_atomic_load(offset = 0): this {
    return this.atomic(0x11, 3, offset);
  }
  i32_atomic_rmw_cmpxchg(offset = 0): this {
    return this.atomic(0x48, 2, offset);
  }
  i64_atomic_rmw_cmpxchg(offset = 0): this {
    return this.atomic(0x49, 3, offset);
  }

  /**
   * The encoded function body's head: its size, then its locals (the code and a closing
   * `end` follow it; ModuleBuilder.encode copies the code once, where it goes).
   */
  encodeHead(): number[] {
    // The locals in groups of consecutive locals of one type: their count, then each group.
    const types = this.localTypes;
    let groups = 0;
    for (let i = 0; i < types.length; i++) if (i === 0 || types[i] !== types[i - 1]) groups++;
    const locals: number[] = [];
    uleb(locals, groups);
    for (let i = 0; i < types.length;) {
      let n = 1;
      while (i + n < types.length && types[i + n] === types[i]) n++;
      uleb(locals, n);
      locals.push(types[i]);
      i += n;
    }
    const head: number[] = [];
    uleb(head, locals.length + this.code.length + 1);
    for (const b of locals) head.push(b);
    return head;
  }
}

/**
 * A signature as a number when it is short (every translation asks for a few; a string would
 * be made each time): each type a base-5 digit from 1, params and results apart by a 0.
 */
function signatureKey(params: readonly ValType[], results: readonly ValType[]): number | string {
  if (params.length + results.length > 20) return `${params.join(",")}:${results.join(",")}`;
  let k = 0;
  for (const t of params) k = k * 5 + (t - 0x7b);
  k *= 5;
  for (const t of results) k = k * 5 + (t - 0x7b);
  return k;
}

interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

/** A module: imported functions first (they take the low function indices), then defined ones. */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly imports: { module: string; field: string; type: number }[] = [];
  private readonly funcs: { type: number; body: FunctionBuilder }[] = [];
  private readonly exports: { name: string; index: number }[] = [];
  private memoryImport?: {
    module: string;
    field: string;
    minPages: number;
    maxPages: number;
    shared: boolean;
  };

  private tableImport?: { module: string; field: string; minSize: number };
  /** A table the module defines, filled with these functions and exported (exportTable). */
  private tableExport?: { name: string; funcs: readonly number[] };

  /**
   * `moduleName` goes into the name section: V8 shows it in stack traces and profiles
   * (`wasm://wasm/NAME-hash`), which is how a profile tells the engines apart.
   */
  constructor(private readonly moduleName?: string) {}

  /** The index of a function type (for call_indirect). */
  funcType(params: readonly ValType[], results: readonly ValType[]): number {
    return this.typeIndex(params, results);
  }

  /** Imports a funcref table as table 0 (the target of call_indirect). */
  importTable(module: string, field: string, minSize: number): void {
    this.tableImport = { module, field, minSize };
  }

  /**
   * Defines table 0 holding `funcs` (function indices) and exports it as `name`. Exporting
   * many functions one by one costs at instantiation (an engine makes a JS function for each
   * export: V8 about 2 ms per module for 500 of them); a table's elements become JS functions
   * only when read from it.
   */
  exportTable(name: string, funcs: readonly number[]): void {
    if (this.tableImport) throw new Error("wasm emitter: the module already imports table 0");
    this.tableExport = { name, funcs };
  }

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const k = signatureKey(params, results);
    let i = this.typeIndices.get(k);
    if (i === undefined) {
      this.typeIndices.set(k, (i = this.types.length));
      this.types.push({ params, results });
    }
    return i;
  }
  /** Index by a type's signature (translation modules have one type per helper's arity). */
  private readonly typeIndices = new Map<number | string, number>();

  importMemory(module: string, field: string, minPages: number, maxPages: number, shared: boolean): void {
    this.memoryImport = { module, field, minPages, maxPages, shared };
  }

  /** Import a host function. All imports must be declared before the first `func`. */
  importFunc(module: string, field: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.funcs.length > 0) throw new Error("wasm emitter: imports must precede functions");
    this.imports.push({ module, field, type: this.typeIndex(params, results) });
    return this.imports.length - 1;
  }

  /** The functions imported so far, with their types. */
  funcImports(): {
    module: string;
    field: string;
    params: readonly ValType[];
    results: readonly ValType[];
  }[] {
    return this.imports.map(({ module, field, type }) => ({ module, field, ...this.types[type] }));
  }

  /** Reserve a function index; fill its body through the returned builder. */
  func(
    params: readonly ValType[],
    results: readonly ValType[],
    exportName?: string,
  ): [number, FunctionBuilder] {
    const body = new FunctionBuilder(params, results);
    this.funcs.push({ type: this.typeIndex(params, results), body });
    const index = this.imports.length + this.funcs.length - 1;
    if (exportName) this.exports.push({ name: exportName, index });
    return [index, body];
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    // Sections before the code are small: they are built as arrays; the code is copied once.
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(out, content.length);
      for (const b of content) out.push(b);
    };
    // types
    const types: number[] = [];
    uleb(types, this.types.length);
    for (const t of this.types) {
      types.push(0x60);
      uleb(types, t.params.length);
      types.push(...t.params);
      uleb(types, t.results.length);
      types.push(...t.results);
    }
    section(1, types);
    // imports
    const imps: number[] = [];
    uleb(imps, this.imports.length + (this.memoryImport ? 1 : 0) + (this.tableImport ? 1 : 0));
    if (this.memoryImport) {
      const m = this.memoryImport;
      name(imps, m.module);
      name(imps, m.field);
      imps.push(0x02, m.shared ? 0x03 : 0x01);
      uleb(imps, m.minPages);
      uleb(imps, m.maxPages);
    }
    if (this.tableImport) {
      const t = this.tableImport;
      name(imps, t.module);
      name(imps, t.field);
      imps.push(0x01, 0x70, 0x00); // funcref, no maximum
      uleb(imps, t.minSize);
    }
    for (const i of this.imports) {
      name(imps, i.module);
      name(imps, i.field);
      imps.push(0x00);
      uleb(imps, i.type);
    }
    section(2, imps);
    // functions
    const fn: number[] = [];
    uleb(fn, this.funcs.length);
    for (const f of this.funcs) uleb(fn, f.type);
    section(3, fn);
    const table = this.tableExport;
    if (table) {
      const tab = [1, 0x70, 0x00]; // one funcref table, no maximum
      uleb(tab, table.funcs.length);
      section(4, tab);
    }
    // exports
    const ex: number[] = [];
    uleb(ex, this.exports.length + (table ? 1 : 0));
    for (const e of this.exports) {
      name(ex, e.name);
      ex.push(0x00);
      uleb(ex, e.index);
    }
    if (table) {
      name(ex, table.name);
      ex.push(0x01, 0x00); // table 0
    }
    section(7, ex);
    if (table) {
      // one active segment: table 0 from offset 0 (i32.const 0) holds the functions
      const elem = [1, 0x00, 0x41, 0x00, 0x0b];
      uleb(elem, table.funcs.length);
      for (const f of table.funcs) uleb(elem, f);
      section(9, elem);
    }
    // code
    const heads = this.funcs.map((f) => f.body.encodeHead());
    const hints = this.branchHints(heads);
    if (hints.length > 0) section(0, hints);
    const count: number[] = [];
    uleb(count, this.funcs.length);
    let size = count.length;
    this.funcs.forEach((f, i) => (size += heads[i].length + f.body.code.length + 1));
    out.push(10);
    uleb(out, size);
    const names = this.nameSection();
    const bytes = new Uint8Array(out.length + size + names.length);
    bytes.set(out);
    let at = out.length;
    const put = (b: ArrayLike<number>) => {
      copy(b, 0, b.length, bytes, at);
      at += b.length;
    };
    put(count);
    this.funcs.forEach((f, i) => {
      put(heads[i]);
      f.body.code.copyTo(bytes, at);
      at += f.body.code.length;
      bytes[at++] = 0x0b;
    });
    put(names);
    return bytes;
  }

  /** The module is encoded and its functions' code no longer needed: their buffers may serve other modules. */
  recycle(): void {
    for (const f of this.funcs) f.body.code.release();
  }

  /**
   * The content of the custom section "metadata.code.branch_hint" (before the code, where
   * engines look for it), or nothing when no branch is hinted: per function with hints its
   * index and, for each hinted instruction, its offset from the start of the function's
   * locals, the hint's length (1) and 0 (unlikely).
   */
  private branchHints(heads: readonly number[][]): number[] {
    const hinted = this.funcs.flatMap((f, i) => (f.body.unlikely.length > 0 ? [i] : []));
    if (hinted.length === 0) return [];
    const out: number[] = [];
    name(out, "metadata.code.branch_hint");
    uleb(out, hinted.length);
    for (const i of hinted) {
      const offsets = this.funcs[i].body.unlikely;
      uleb(out, this.imports.length + i);
      uleb(out, offsets.length);
      const head = heads[i];
      let sizeBytes = 1; // the body's size (a uleb) comes before its locals
      while (head[sizeBytes - 1] & 0x80) sizeBytes++;
      const locals = head.length - sizeBytes;
      for (const o of offsets) {
        uleb(out, locals + o);
        out.push(1, 0);
      }
    }
    return out;
  }

  /** The custom section "name" with the module name subsection (id 0), when there is a name. */
  private nameSection(): number[] {
    if (this.moduleName === undefined) return [];
    const moduleName: number[] = [];
    name(moduleName, this.moduleName);
    const content: number[] = [];
    name(content, "name");
    content.push(0);
    uleb(content, moduleName.length);
    content.push(...moduleName);
    const out = [0];
    uleb(out, content.length);
    return out.concat(content);
  }
}
