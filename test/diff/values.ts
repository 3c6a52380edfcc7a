// Seeded randomness and the edge values the differential generator draws operands from.
// Values are raw 64-bit patterns (BigInt: this is test-time code, never a hot path).

const MASK64 = (1n << 64n) - 1n;
const BOX = 0xffff_ffffn << 32n;

/** sfc32: small, fast and good enough to drive a fuzzer; the same seed gives the same stream. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** Picks an index by weight. */
  weighted(weights: readonly number[]): number {
    let r = this.u32() / 2 ** 32;
    const total = weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] / total;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

const f64 = new Float64Array(1);
const f64Bits = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

export function bitsOfF64(x: number): bigint {
  f64[0] = x;
  return f64Bits[0];
}

export function bitsOfF32(x: number): number {
  f32[0] = x;
  return f32Bits[0];
}

export function sext32(v: bigint): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(32, v));
}

const convLimits = [2 ** 31, 2 ** 32, 2 ** 63, 2 ** 64, 2 ** 24, 2 ** 53];

/** Numbers around the integer conversion limits and the rounding ties. */
const interesting = [
  0.5,
  1.5,
  2.5,
  3.5,
  0.25,
  0.75,
  1 / 3,
  0.1,
  3,
  10,
  ...convLimits.flatMap((x) => [x, x - 1, x - 0.5, x + 0.5, x + 1, x - 1.5]),
];

/** Single-precision patterns: signed zeros, infinities, NaNs, subnormals, limits and their neighbours. */
const F32_EDGES: number[] = (() => {
  const raw = [
    0x0000_0000, 0x3f80_0000, 0x4000_0000, 0x7f80_0000, 0x7fc0_0000, 0x7fc1_2345, 0x7fff_ffff, 0x7f80_0001,
    0x7fa0_0000, 0x7fbf_ffff, 0x0000_0001, 0x0000_0002, 0x007f_ffff, 0x0080_0000, 0x0080_0001, 0x7f7f_ffff,
    0x7f7f_fffe, 0x3f80_0001, 0x3f7f_ffff, 0x3400_0000, 0x3380_0000, 0x0040_0000, 0x00ff_ffff,
    // 2^-63 and 2^-64 with neighbours: products land on the tininess boundary.
    0x2000_0000, 0x1fff_ffff, 0x2000_0001, 0x1f80_0000, 0x1f7f_ffff, 0x5f7f_ffff, 0x5f00_0000,
  ];
  const nums = interesting.map(bitsOfF32);
  const base = [...raw, ...nums, ...nums.map((b) => b + 1), ...nums.map((b) => b - 1)].map((b) => b >>> 0);
  return [...base, ...base.map((b) => (b | 0x8000_0000) >>> 0)];
})();

/** Double-precision patterns, same idea, plus values that are limits of the single format. */
const F64_EDGES: bigint[] = (() => {
  const raw = [
    0x0000_0000_0000_0000n,
    0x3ff0_0000_0000_0000n,
    0x7ff0_0000_0000_0000n,
    0x7ff8_0000_0000_0000n,
    0x7ff8_0000_1234_5678n,
    0x7fff_ffff_ffff_ffffn,
    0x7ff0_0000_0000_0001n,
    0x7ff4_0000_0000_0000n,
    0x7ff7_ffff_ffff_ffffn,
    0x0000_0000_0000_0001n,
    0x000f_ffff_ffff_ffffn,
    0x0010_0000_0000_0000n,
    0x0010_0000_0000_0001n,
    0x7fef_ffff_ffff_ffffn,
    0x3ff0_0000_0000_0001n,
    0x3fef_ffff_ffff_ffffn,
    0x3ca0_0000_0000_0000n,
    0x7ff8_0000_7fc0_0000n,
    // 2^-511 and 2^-512 with neighbours: products land on the tininess boundary.
    0x2000_0000_0000_0000n,
    0x1fff_ffff_ffff_ffffn,
    0x2000_0000_0000_0001n,
    0x1ff0_0000_0000_0000n,
    0x1fef_ffff_ffff_ffffn,
  ];
  const f32Limits = [
    3.4028234663852886e38, 3.4028235677973366e38, 1.1754943508222875e-38, 1.401298464324817e-45,
  ];
  const fromF32 = [2 ** -149, 2 ** -150, 2 ** -126, 2 ** 128, 1 + 2 ** -24, 1 + 2 ** -23 + 2 ** -24].concat([
    2 ** -126 * (1 - 2 ** -24),
    2 ** -126 * (1 - 2 ** -25),
    2 ** -149 * 1.5,
    2 ** 128 * (1 - 2 ** -25),
  ]);
  const nums = [...interesting, ...f32Limits, ...fromF32].map(bitsOfF64);
  const base = [...raw, ...nums, ...nums.map((b) => b + 1n), ...nums.map((b) => b - 1n)];
  return [...base, ...base.map((b) => b | (1n << 63n))].map((b) => BigInt.asUintN(64, b));
})();

/** Integers: zero, ±1, the limits of 32 and 64 bits, shift amounts, powers of two ± 1. */
const INT_EDGES: bigint[] = (() => {
  const v = [0n, 1n, 2n, 3n, 5n, 7n, 31n, 32n, 33n, 63n, 64n, 65n, 127n, 0xffn, 0xffffn];
  for (const b of [7n, 15n, 24n, 31n, 32n, 53n, 62n, 63n]) v.push(1n << b, (1n << b) - 1n, (1n << b) + 1n);
  v.push(0xffff_ffffn, 0x8000_0000n, 0x7fff_ffffn, 0x1_0000_0000n, 0xdead_beef_0bad_f00dn);
  return [...v, ...v.map((x) => BigInt.asUintN(64, -x))];
})();

/** A random single in a random interesting neighbourhood (exponents at the extremes and near 1). */
function randomF32(rng: Rng): number {
  const sign = rng.chance(0.5) ? 0x8000_0000 : 0;
  const exp = rng.pick([
    0,
    1,
    2,
    0xfe,
    0xfd,
    0xff,
    127,
    126,
    128,
    150,
    157,
    158,
    159,
    189,
    190,
    191,
    rng.below(256),
  ]);
  const mant = rng.pick([0, 1, 0x7f_ffff, 0x40_0000, 0x3f_ffff, rng.below(1 << 23), rng.below(1 << 23)]);
  return (sign | (exp << 23) | mant) >>> 0;
}

function randomF64(rng: Rng): bigint {
  const sign = rng.chance(0.5) ? 1n << 63n : 0n;
  const e = [
    0, 1, 2, 0x7fe, 0x7fd, 0x7ff, 1023, 1022, 1024, 1054, 1055, 1056, 1086, 1087, 1088, 1150, 896, 873,
  ];
  const exp = BigInt(rng.pick([...e, rng.below(2048)]));
  const frac = rng.u64() & ((1n << 52n) - 1n);
  const mant = rng.pick([0n, 1n, (1n << 52n) - 1n, 1n << 51n, frac, frac, frac & ~0x1fff_ffffn]);
  return sign | (exp << 52n) | mant;
}

export function f32Value(rng: Rng): number {
  if (rng.chance(0.1)) return bitsOfF32(rng.range(-1000, 1000));
  return rng.chance(0.6) ? rng.pick(F32_EDGES) : randomF32(rng);
}

export function f64Value(rng: Rng): bigint {
  if (rng.chance(0.1)) return bitsOfF64(rng.range(-1000, 1000));
  if (rng.chance(0.05)) return bitsOfF64(Math.fround(Number(rng.u32()) * 2 ** rng.range(-160, 140)));
  return rng.chance(0.6) ? rng.pick(F64_EDGES) : randomF64(rng);
}

export function boxed(v: number): bigint {
  return BOX | BigInt(v >>> 0);
}

/** An upper half that is not all ones: the value is not a valid NaN-boxed single. */
export function unboxed(rng: Rng, v: number): bigint {
  const hi = rng.pick([
    0n,
    0xffff_fffen,
    0x7fff_ffffn,
    0xffff_0000n,
    BigInt((rng.u32() & 0xffff_fffe) >>> 0),
  ]);
  return (hi << 32n) | BigInt(v >>> 0);
}

export type FKind = "s" | "d" | "raw";

/** An FP register value of the given kind. */
export function fpValue(rng: Rng, kind: FKind): bigint {
  if (kind === "s") return boxed(f32Value(rng));
  if (kind === "d") return f64Value(rng);
  return unboxed(rng, f32Value(rng));
}

/** An integer operand: an edge value, a float pattern, a small number or random bits. */
export function intValue(rng: Rng): bigint {
  switch (rng.weighted([50, 8, 8, 10, 12, 12])) {
    case 0:
      return rng.pick(INT_EDGES);
    case 1:
      return BigInt(f32Value(rng));
    case 2:
      return f64Value(rng);
    case 3:
      return BigInt.asUintN(64, BigInt(rng.range(-70, 130)));
    case 4:
      return sext32(BigInt(rng.u32()));
    default:
      return rng.u64() & MASK64;
  }
}

/** A signed 12-bit immediate, biased to its limits. */
export function imm12(rng: Rng): number {
  return rng.chance(0.4) ? rng.pick([0, 1, -1, 2047, -2048, 2, 31, 32, 63, -32]) : rng.range(-2048, 2047);
}

export function shamt(rng: Rng, bits: 32 | 64): number {
  return rng.chance(0.5) ? rng.pick([0, 1, bits - 1, bits / 2, bits / 2 - 1, 1]) : rng.below(bits);
}
