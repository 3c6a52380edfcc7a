// Exact IEEE-754 binary32/binary64 arithmetic with RISC-V F/D semantics (slow path of the FPU).
//
// Conventions:
//  - Operands and results are raw bit patterns as bigint. binary32 uses only the low 32 bits of
//    an operand (NaN-boxing checks are the caller's job) and results are in 0..2^32-1; binary64
//    values are 0..2^64-1. Integer results are 64-bit register values in 0..2^64-1.
//  - `rm` is a static rounding mode 0..4 (RNE..RMM); the caller resolves DYN and rejects 5/6.
//  - After every call, `flags` (an ESM live binding) holds the exception flags raised by that
//    call alone, as fflags bits; the caller ORs them into fflags.
//  - NaN results are always the canonical NaN; tininess is detected after rounding; UF is only
//    raised when the tiny result is also inexact.
//
// Internally a finite value is sig * 2^e with sig a positive bigint of any width; roundPack()
// is the single place where such an exact (or sticky-jammed) value becomes a format value.

export const RNE = 0,
  RTZ = 1,
  RDN = 2,
  RUP = 3,
  RMM = 4;
export const NV = 0x10,
  DZ = 0x08,
  OF = 0x04,
  UF = 0x02,
  NX = 0x01;
export type Fmt = 32 | 64;

/** Exception flags (fflags bits) raised by the most recent call; read it right after the call. */
export let flags = 0;

// ---------------------------------------------------------------------------------------------
// Tables and format descriptions

const NBIG = 4096;
// Both made at first use, not at start-up (4,400 BigInts: 2-3 ms of every run's start).
const BIG: bigint[] = [];
/** BigInt(i), kept: avoids converting shift counts on every operation. */
function big(i: number): bigint {
  return BIG[i] ?? (BIG[i] = BigInt(i));
}
const NHALF = 320;
const HALF: bigint[] = [];
/** 1n << BigInt(i - 1) for 1 <= i < NHALF, kept. */
function halfAt(i: number): bigint {
  return HALF[i] ?? (HALF[i] = 1n << big(i - 1));
}

interface FI {
  fb: number; // fraction bits
  p: number; // precision (fb + 1)
  bias: number;
  emin: number; // unbiased exponent of the smallest normal
  emax: number;
  minE: number; // weight exponent of the subnormal LSB: emin - fb
  expAll: number; // all-ones exponent field
  fbB: bigint;
  signBit: bigint;
  magMask: bigint;
  fracMask: bigint;
  hidden: bigint; // 2^fb
  twoP: bigint; // 2^p
  quiet: bigint; // quiet-NaN bit
  inf: bigint;
  maxFin: bigint;
  nan: bigint;
  /** expTab[k] = k << fb, filled at first use (2,300 BigInts built at load cost every start 1-2 ms). */
  expTab: bigint[];
}

function mkFmt(expBits: number, fb: number): FI {
  const bias = (1 << (expBits - 1)) - 1;
  const expAll = (1 << expBits) - 1;
  const fbB = BigInt(fb);
  const inf = BigInt(expAll) << fbB;
  return {
    fb,
    p: fb + 1,
    bias,
    emin: 1 - bias,
    emax: bias,
    minE: 1 - bias - fb,
    expAll,
    fbB,
    signBit: 1n << BigInt(expBits + fb),
    magMask: (1n << BigInt(expBits + fb)) - 1n,
    fracMask: (1n << fbB) - 1n,
    hidden: 1n << fbB,
    twoP: 2n << fbB,
    quiet: 1n << (fbB - 1n),
    inf,
    maxFin: inf - 1n,
    nan: inf | (1n << (fbB - 1n)),
    expTab: [],
  };
}
const F32 = mkFmt(8, 23);
const F64 = mkFmt(11, 52);
const fmtOf = (fmt: Fmt): FI => (fmt === 32 ? F32 : F64);

// ---------------------------------------------------------------------------------------------
// Helpers

const F64BUF = new Float64Array(1);
const U32BUF = new Uint32Array(F64BUF.buffer);
const HIWORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Number of significant bits of x > 0 (x < 2^1000). */
function bitLen(x: bigint): number {
  const n = Number(x);
  if (n < 4294967296) return 32 - Math.clz32(n);
  F64BUF[0] = n;
  const k = (U32BUF[HIWORD] >>> 20) - 1023; // floor(log2(n)); n may have rounded up to 2^k
  return x >> big(k) === 0n ? k : k + 1;
}

const CLS_ZERO = 0,
  CLS_FIN = 1,
  CLS_INF = 2,
  CLS_QNAN = 3,
  CLS_SNAN = 4;

class Unpacked {
  cls = CLS_ZERO;
  sign = false;
  e = 0;
  sig = 0n;
}
const UA = new Unpacked(),
  UB = new Unpacked(),
  UC = new Unpacked();

function unpack(f: FI, bits: bigint, u: Unpacked): void {
  const mag = bits & f.magMask;
  u.sign = (bits & f.signBit) !== 0n;
  const ex = Number(mag >> f.fbB);
  const frac = mag & f.fracMask;
  if (ex === 0) {
    if (frac === 0n) u.cls = CLS_ZERO;
    else {
      u.cls = CLS_FIN;
      u.sig = frac;
      u.e = f.minE;
    }
  } else if (ex === f.expAll) {
    u.cls = frac === 0n ? CLS_INF : (frac & f.quiet) !== 0n ? CLS_QNAN : CLS_SNAN;
  } else {
    u.cls = CLS_FIN;
    u.sig = frac | f.hidden;
    u.e = ex - f.bias - f.fb;
  }
}

/** Shift a subnormal significand up to exactly p bits. */
function normalize(f: FI, u: Unpacked): void {
  if (u.sig < f.hidden) {
    const s = f.p - bitLen(u.sig);
    u.sig <<= big(s);
    u.e -= s;
  }
}

const withSign = (f: FI, neg: boolean, mag: bigint): bigint => (neg ? f.signBit | mag : mag);

/** Set by shiftRound: whether the discarded bits were nonzero. */
let inexact = false;

/** round(sig / 2^sh) in mode rm for a value of sign `neg` (sig > 0). */
function shiftRound(sig: bigint, sh: number, neg: boolean, rm: number): bigint {
  inexact = false;
  if (sh <= 0) return sh === 0 ? sig : sig << big(-sh);
  let q: bigint, cmp: number;
  if (sh >= NBIG - 8) {
    q = 0n; // far below half an ulp
    cmp = -1;
  } else {
    const s = big(sh);
    q = sig >> s;
    const rem = sig - (q << s);
    if (rem === 0n) return q;
    const half = sh < NHALF ? halfAt(sh) : 1n << big(sh - 1);
    cmp = rem > half ? 1 : rem < half ? -1 : 0;
  }
  inexact = true;
  let up: boolean;
  switch (rm) {
    case RNE:
      up = cmp > 0 || (cmp === 0 && (q & 1n) === 1n);
      break;
    case RMM:
      up = cmp >= 0;
      break;
    case RDN:
      up = neg;
      break;
    case RUP:
      up = !neg;
      break;
    default:
      up = false;
  }
  return up ? q + 1n : q;
}

/** Rounds the value (-1)^neg * sig * 2^e (sig > 0) to format f; sets `flags`. */
function roundPack(f: FI, neg: boolean, e: number, sig: bigint, rm: number): bigint {
  const L = bitLen(sig);
  let E = e + L - 1; // exponent of the leading bit
  const sgn = neg ? f.signBit : 0n;
  if (E >= f.emin) {
    let q = shiftRound(sig, L - f.p, neg, rm);
    const fl = inexact ? NX : 0;
    if (q === f.twoP) {
      q = f.hidden;
      E++;
    }
    if (E > f.emax) {
      flags = OF | NX;
      const toInf = rm === RNE || rm === RMM || (rm === RDN ? neg : rm === RUP ? !neg : false);
      return sgn | (toInf ? f.inf : f.maxFin);
    }
    flags = fl;
    const k = E + f.bias - 1;
    return sgn | ((f.expTab[k] ??= BigInt(k) << f.fbB) + q); // the hidden bit adds 1 to the exponent field
  }
  // Below the normal range before rounding: round at the fixed subnormal LSB.
  const q = shiftRound(sig, f.minE - e, neg, rm);
  if (!inexact) flags = 0;
  else {
    let fl = NX | UF;
    // Tininess after rounding: not tiny if rounding to p bits with unbounded exponent reaches 2^emin.
    if (E === f.emin - 1 && L > f.p && shiftRound(sig, L - f.p, neg, rm) === f.twoP) fl = NX;
    flags = fl;
  }
  return sgn | q; // q === 2^fb encodes the smallest normal
}

// Result of addExact.
let rNeg = false,
  rSig = 0n,
  rE = 0;

/** Exact (up to a sticky bit) sum of two nonzero values x*2^ex and y*2^ey with signs; rSig may be 0n. */
function addExact(f: FI, nx: boolean, x: bigint, ex: number, ny: boolean, y: bigint, ey: number): void {
  let lx = bitLen(x),
    ly = bitLen(y);
  if (ex + lx < ey + ly) {
    const tn = nx,
      t = x,
      te = ex,
      tl = lx;
    nx = ny;
    x = y;
    ex = ey;
    lx = ly;
    ny = tn;
    y = t;
    ey = te;
    ly = tl;
  }
  // Give x at least p+3 bits so that a y entirely below x's LSB can be replaced by a sticky bit.
  const want = f.p + 3;
  if (lx < want) {
    x <<= big(want - lx);
    ex -= want - lx;
  }
  if (ey + ly <= ex) {
    y = 1n;
    ey = ex - 1;
  }
  if (ex > ey) {
    x <<= big(ex - ey);
    ex = ey;
  } else if (ey > ex) y <<= big(ey - ex);
  rE = ex;
  if (nx === ny) {
    rNeg = nx;
    rSig = x + y;
  } else {
    const d = x - y;
    if (d < 0n) {
      rNeg = ny;
      rSig = -d;
    } else {
      rNeg = nx;
      rSig = d;
    }
  }
}

function nanOut(f: FI, ...us: Unpacked[]): bigint {
  let fl = 0;
  for (const u of us) if (u.cls === CLS_SNAN) fl = NV;
  flags = fl;
  return f.nan;
}

function invalid(f: FI): bigint {
  flags = NV;
  return f.nan;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

function addF(f: FI, a: bigint, b: bigint, negB: boolean, rm: number): bigint {
  unpack(f, a, UA);
  unpack(f, b, UB);
  if (UA.cls >= CLS_QNAN || UB.cls >= CLS_QNAN) return nanOut(f, UA, UB);
  const nb = UB.sign !== negB;
  flags = 0;
  if (UA.cls === CLS_INF) {
    if (UB.cls === CLS_INF && UA.sign !== nb) return invalid(f);
    return withSign(f, UA.sign, f.inf);
  }
  if (UB.cls === CLS_INF) return withSign(f, nb, f.inf);
  if (UA.cls === CLS_ZERO) {
    if (UB.cls === CLS_ZERO) return withSign(f, UA.sign === nb ? nb : rm === RDN, 0n);
    return withSign(f, nb, b & f.magMask);
  }
  if (UB.cls === CLS_ZERO) return a & (f.magMask | f.signBit);
  addExact(f, UA.sign, UA.sig, UA.e, nb, UB.sig, UB.e);
  if (rSig === 0n) return withSign(f, rm === RDN, 0n);
  return roundPack(f, rNeg, rE, rSig, rm);
}

export function fadd(fmt: Fmt, a: bigint, b: bigint, rm: number): bigint {
  return addF(fmtOf(fmt), a, b, false, rm);
}

export function fsub(fmt: Fmt, a: bigint, b: bigint, rm: number): bigint {
  return addF(fmtOf(fmt), a, b, true, rm);
}

export function fmul(fmt: Fmt, a: bigint, b: bigint, rm: number): bigint {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  unpack(f, b, UB);
  if (UA.cls >= CLS_QNAN || UB.cls >= CLS_QNAN) return nanOut(f, UA, UB);
  const neg = UA.sign !== UB.sign;
  flags = 0;
  if (UA.cls === CLS_INF || UB.cls === CLS_INF) {
    if (UA.cls === CLS_ZERO || UB.cls === CLS_ZERO) return invalid(f);
    return withSign(f, neg, f.inf);
  }
  if (UA.cls === CLS_ZERO || UB.cls === CLS_ZERO) return withSign(f, neg, 0n);
  return roundPack(f, neg, UA.e + UB.e, UA.sig * UB.sig, rm);
}

export function fdiv(fmt: Fmt, a: bigint, b: bigint, rm: number): bigint {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  unpack(f, b, UB);
  if (UA.cls >= CLS_QNAN || UB.cls >= CLS_QNAN) return nanOut(f, UA, UB);
  const neg = UA.sign !== UB.sign;
  flags = 0;
  if (UA.cls === CLS_INF) return UB.cls === CLS_INF ? invalid(f) : withSign(f, neg, f.inf);
  if (UB.cls === CLS_INF) return withSign(f, neg, 0n);
  if (UB.cls === CLS_ZERO) {
    if (UA.cls === CLS_ZERO) return invalid(f);
    flags = DZ;
    return withSign(f, neg, f.inf);
  }
  if (UA.cls === CLS_ZERO) return withSign(f, neg, 0n);
  normalize(f, UA);
  normalize(f, UB);
  // Quotient with at least p+2 bits plus a sticky bit for the remainder.
  const num = UA.sig << big(f.p + 2);
  const q = num / UB.sig;
  const sticky = num === q * UB.sig ? 0n : 1n;
  return roundPack(f, neg, UA.e - UB.e - f.p - 3, (q << 1n) | sticky, rm);
}

function isqrt(n: bigint): bigint {
  let r = BigInt(Math.floor(Math.sqrt(Number(n))));
  if (r === 0n) r = 1n;
  r = (r + n / r) >> 1n; // one Newton step: now r >= floor(sqrt(n)), off by at most a little
  while (r * r > n) r--;
  return r;
}

export function fsqrt(fmt: Fmt, a: bigint, rm: number): bigint {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  if (UA.cls >= CLS_QNAN) return nanOut(f, UA);
  flags = 0;
  if (UA.cls === CLS_ZERO) return withSign(f, UA.sign, 0n);
  if (UA.sign) return invalid(f);
  if (UA.cls === CLS_INF) return f.inf;
  normalize(f, UA);
  let sig = UA.sig,
    e = UA.e;
  if (e & 1) {
    sig <<= 1n;
    e -= 1;
  }
  const k2 = (f.p + 5) & ~1; // even shift giving a root of at least p+2 bits
  const n = sig << big(k2);
  const r = isqrt(n);
  const sticky = r * r === n ? 0n : 1n;
  return roundPack(f, false, (e - k2) / 2 - 1, (r << 1n) | sticky, rm);
}

function fmaF(fmt: Fmt, a: bigint, b: bigint, c: bigint, negP: boolean, negC: boolean, rm: number): bigint {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  unpack(f, b, UB);
  unpack(f, c, UC);
  const ca = UA.cls,
    cb = UB.cls,
    cc = UC.cls;
  const infZero = (ca === CLS_INF && cb === CLS_ZERO) || (ca === CLS_ZERO && cb === CLS_INF);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN || cc >= CLS_QNAN) {
    // RISC-V: inf*0 is invalid even when the addend is a quiet NaN.
    return infZero ? invalid(f) : nanOut(f, UA, UB, UC);
  }
  if (infZero) return invalid(f);
  const np = (UA.sign !== UB.sign) !== negP;
  const nc = UC.sign !== negC;
  flags = 0;
  if (ca === CLS_INF || cb === CLS_INF) {
    if (cc === CLS_INF && np !== nc) return invalid(f);
    return withSign(f, np, f.inf);
  }
  if (cc === CLS_INF) return withSign(f, nc, f.inf);
  if (ca === CLS_ZERO || cb === CLS_ZERO) {
    if (cc === CLS_ZERO) return withSign(f, np === nc ? np : rm === RDN, 0n);
    return withSign(f, nc, c & f.magMask);
  }
  const psig = UA.sig * UB.sig;
  const pe = UA.e + UB.e;
  if (cc === CLS_ZERO) return roundPack(f, np, pe, psig, rm);
  addExact(f, np, psig, pe, nc, UC.sig, UC.e);
  if (rSig === 0n) return withSign(f, rm === RDN, 0n);
  return roundPack(f, rNeg, rE, rSig, rm);
}

/** a*b + c */
export function fmadd(fmt: Fmt, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  return fmaF(fmt, a, b, c, false, false, rm);
}
/** a*b - c */
export function fmsub(fmt: Fmt, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  return fmaF(fmt, a, b, c, false, true, rm);
}
/** -(a*b) + c */
export function fnmsub(fmt: Fmt, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  return fmaF(fmt, a, b, c, true, false, rm);
}
/** -(a*b) - c */
export function fnmadd(fmt: Fmt, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  return fmaF(fmt, a, b, c, true, true, rm);
}

// ---------------------------------------------------------------------------------------------
// Comparisons, min/max, classification

/** Ordering of two non-NaN values: -1, 0, 1 (+0 == -0 unless zeroSign, then -0 < +0). */
function compare(f: FI, a: bigint, b: bigint, zeroSign: boolean): number {
  const ma = a & f.magMask,
    mb = b & f.magMask;
  const na = (a & f.signBit) !== 0n,
    nb = (b & f.signBit) !== 0n;
  if (ma === 0n && mb === 0n && !zeroSign) return 0;
  if (na !== nb) return na ? -1 : 1;
  const c = ma < mb ? -1 : ma > mb ? 1 : 0;
  return na ? -c : c;
}

function minMax(fmt: Fmt, a: bigint, b: bigint, max: boolean): bigint {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  unpack(f, b, UB);
  flags = UA.cls === CLS_SNAN || UB.cls === CLS_SNAN ? NV : 0;
  const width = f.magMask | f.signBit;
  const aNaN = UA.cls >= CLS_QNAN,
    bNaN = UB.cls >= CLS_QNAN;
  if (aNaN) return bNaN ? f.nan : b & width;
  if (bNaN) return a & width;
  const c = compare(f, a, b, true);
  return (max ? c >= 0 : c <= 0) ? a & width : b & width;
}

/** IEEE 754-2019 minimumNumber (RISC-V FMIN). */
export function fmin(fmt: Fmt, a: bigint, b: bigint): bigint {
  return minMax(fmt, a, b, false);
}
/** IEEE 754-2019 maximumNumber (RISC-V FMAX). */
export function fmax(fmt: Fmt, a: bigint, b: bigint): bigint {
  return minMax(fmt, a, b, true);
}

function cmpOp(fmt: Fmt, a: bigint, b: bigint, quiet: boolean): number {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  unpack(f, b, UB);
  if (UA.cls >= CLS_QNAN || UB.cls >= CLS_QNAN) {
    flags = !quiet || UA.cls === CLS_SNAN || UB.cls === CLS_SNAN ? NV : 0;
    return 2; // unordered
  }
  flags = 0;
  return compare(f, a, b, false);
}

/** Quiet equality (NV only for signaling NaNs). Returns 0 or 1. */
export function feq(fmt: Fmt, a: bigint, b: bigint): number {
  return cmpOp(fmt, a, b, true) === 0 ? 1 : 0;
}
/** Signaling less-than (NV for any NaN). */
export function flt(fmt: Fmt, a: bigint, b: bigint): number {
  return cmpOp(fmt, a, b, false) === -1 ? 1 : 0;
}
/** Signaling less-or-equal (NV for any NaN). */
export function fle(fmt: Fmt, a: bigint, b: bigint): number {
  const c = cmpOp(fmt, a, b, false);
  return c === -1 || c === 0 ? 1 : 0;
}

/** The RISC-V FCLASS 10-bit mask. */
export function fclass(fmt: Fmt, a: bigint): number {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  flags = 0;
  const n = UA.sign;
  switch (UA.cls) {
    case CLS_INF:
      return n ? 1 << 0 : 1 << 7;
    case CLS_ZERO:
      return n ? 1 << 3 : 1 << 4;
    case CLS_SNAN:
      return 1 << 8;
    case CLS_QNAN:
      return 1 << 9;
    default:
      if (UA.sig < f.hidden) return n ? 1 << 2 : 1 << 5;
      return n ? 1 << 1 : 1 << 6;
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions

const MASK32 = 0xffffffffn;
const toReg = (v: bigint, intBits: 32 | 64): bigint =>
  intBits === 32 ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : BigInt.asUintN(64, v);

/**
 * FCVT.{W,WU,L,LU}.{S,D}: returns the 64-bit register value (32-bit results sign-extended, also
 * for WU). Out-of-range inputs and NaN saturate with NV (and no NX); otherwise NX if inexact.
 */
export function fcvtIntFromFloat(fmt: Fmt, a: bigint, intBits: 32 | 64, signed: boolean, rm: number): bigint {
  const f = fmtOf(fmt);
  unpack(f, a, UA);
  const maxU = intBits === 32 ? MASK32 : 0xffffffffffffffffn;
  const maxS = maxU >> 1n;
  const hi = signed ? maxS : maxU; // saturation for NaN and positive overflow
  const lo = signed ? -maxS - 1n : 0n; // saturation for negative overflow
  const neg = UA.sign;
  let res: bigint;
  if (UA.cls >= CLS_QNAN) {
    flags = NV;
    res = hi;
  } else if (UA.cls === CLS_INF) {
    flags = NV;
    res = neg ? lo : hi;
  } else if (UA.cls === CLS_ZERO) {
    flags = 0;
    res = 0n;
  } else {
    // magnitudes >= 2^66 saturate anyway; avoid building huge integers
    const q = UA.e > 66 ? 1n << 66n : shiftRound(UA.sig, -UA.e, neg, rm);
    const inx = UA.e <= 66 && inexact;
    if (neg ? q > -lo || (!signed && q !== 0n) : q > hi) {
      flags = NV;
      res = neg ? lo : hi;
    } else {
      flags = inx ? NX : 0;
      res = neg ? -q : q;
    }
  }
  return toReg(res, intBits);
}

/** FCVT.{S,D}.{W,WU,L,LU}: x is the 64-bit source register (W forms use its low 32 bits). */
export function fcvtFloatFromInt(fmt: Fmt, x: bigint, intBits: 32 | 64, signed: boolean, rm: number): bigint {
  const f = fmtOf(fmt);
  const v = signed ? BigInt.asIntN(intBits, x) : BigInt.asUintN(intBits, x);
  if (v === 0n) {
    flags = 0;
    return 0n;
  }
  return v < 0n ? roundPack(f, true, 0, -v, rm) : roundPack(f, false, 0, v, rm);
}

/** FCVT.S.D / FCVT.D.S. */
export function fcvtFloat(toFmt: Fmt, fromFmt: Fmt, a: bigint, rm: number): bigint {
  const from = fmtOf(fromFmt),
    to = fmtOf(toFmt);
  unpack(from, a, UA);
  if (UA.cls >= CLS_QNAN) return nanOut(to, UA);
  flags = 0;
  if (UA.cls === CLS_INF) return withSign(to, UA.sign, to.inf);
  if (UA.cls === CLS_ZERO) return withSign(to, UA.sign, 0n);
  return roundPack(to, UA.sign, UA.e, UA.sig, rm);
}
