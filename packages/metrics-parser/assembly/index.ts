// Prometheus text-format page scanner (AssemblyScript -> WASM).
//
// One call per page: the host copies the page's UTF-8 bytes to inputPtr() and calls parse(len). Lines whose metric
// name no configured spec asks for are skipped with a SIMD newline search and never validated; lines of wanted
// families are fully parsed (labels with escapes, value, optional timestamp, OpenMetrics exemplar tail) and the
// per-spec selection rule is applied. Results go to a static output table. Nothing is allocated on the hot path
// at all (no allocator use), so memory never grows with the number of pages; it grows only when a page is larger
// than any before. Malformed input sets status codes; nothing here traps.

import { POW5_128, POW5_MAX_Q, POW5_MIN_Q } from './gen/pow5';

// ---- layout shared with src/wasm-layout.ts (keep in sync) ----
const MAX_SLOTS: i32 = 8;
const MAX_GROUPS: i32 = 8;
const MAX_LABELS: i32 = 14;
const GROUP_BYTES: usize = 32; // nameOff i32, nameLen i32, slotMask i32, pad, prefix u64, prefixMask u64
const GROUPS_AT: usize = 64;
const SLOT_BYTES: usize = 256; // mode, nLabels, captures[3] x (off len), labels[14] x (nOff nLen vOff vLen)
const SLOTS_AT: usize = GROUPS_AT + <usize>MAX_GROUPS * GROUP_BYTES;
const OUT_BYTES: usize = 96;
const MAX_CAPTURES: i32 = 3;
const STR_BYTES: i32 = 8192;
const MAX_FLOAT_TOKEN: i32 = 1024;

const CFG = memory.data(4096, 16);
const STR = memory.data(STR_BYTES, 16);
const OUT = memory.data(<i32>(<usize>MAX_SLOTS * OUT_BYTES), 16);
const MATCHED = memory.data(MAX_SLOTS * 4, 16); // per slot: bitmask of spec labels seen on the current line
const NONEMPTY = memory.data(MAX_SLOTS * 4, 16); // per slot (lora mode): capture 0 or 1 is a non-empty value
const CAPS = memory.data(MAX_SLOTS * MAX_CAPTURES * 8, 16); // per slot, per capture: value span on the current line
const PREFIX_TABLE = memory.data(256 * 4, 16); // hash of a line's first bytes -> candidate groups

// Output fields (byte offsets inside a slot's 64-byte record).
const O_DECLARED: usize = 0; // a HELP/TYPE line names the family
const O_SAMPLES: usize = 4; // sample lines with the family's name (valid or not)
const O_SELECTED: usize = 8; // 1 when a sample was selected
const O_ERR: usize = 12; // first malformed-line reason code (0 = none)
const O_ERR_LINE: usize = 16;
const O_LBL_START: usize = 20; // selected sample: label section [start, end) relative to the input
const O_LBL_END: usize = 24;
const O_SEL_LINE: usize = 28;
const O_VALUE: usize = 32; // f64
const O_TS: usize = 40; // i64 (best timestamp; -1 before any)
const O_LORA_BEST: usize = 48; // f64
const O_ERR_COL: usize = 56;
const O_CAPS: usize = 64; // selected sample: per capture [start, end) relative to the input, -1 when absent

// Malformed-line reason codes (names in src/wasm-layout.ts).
const E_LABEL_NAME: i32 = 1;
const E_EXPECTED_EQ: i32 = 2;
const E_EXPECTED_QUOTE: i32 = 3;
const E_UNTERMINATED: i32 = 4;
const E_ESCAPE: i32 = 5;
const E_EXPECTED_COMMA: i32 = 6;
const E_MISSING_VALUE: i32 = 7;
const E_VALUE: i32 = 8;
const E_TIMESTAMP: i32 = 9;
const E_TRAILING: i32 = 10;
const E_NAME_END: i32 = 11;

const MODE_LATEST: i32 = 0;
const MODE_LORA: i32 = 1;

let nslots: i32 = 0;
let ngroups: i32 = 0;

function inputBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

export function cfgPtr(): usize {
  return CFG;
}
export function strPtr(): usize {
  return STR;
}
export function outPtr(): usize {
  return OUT;
}
export function inputPtr(): usize {
  return inputBase();
}

/** Makes room for a page of `len` bytes (+ sentinel and SIMD slack). Returns 1, or 0 when memory cannot grow. */
export function reserve(len: i32): i32 {
  if (len < 0) return 0;
  const need: usize = inputBase() + <usize>len + 128; // sentinel + over-read slack (INPUT_SLACK)
  const have: usize = <usize>memory.size() << 16;
  if (need <= have) return 1;
  const pages = <i32>((need - have + 65535) >> 16);
  return memory.grow(pages) < 0 ? 0 : 1;
}

/** Reads the tables the host wrote to cfgPtr()/strPtr(). Returns 0, or -1 when they are out of range. */
export function configure(): i32 {
  const ns = load<i32>(CFG);
  const ng = load<i32>(CFG + 4);
  if (ns < 0 || ns > MAX_SLOTS || ng < 0 || ng > MAX_GROUPS) return -1;
  for (let g = 0; g < ng; g++) {
    const gp = CFG + GROUPS_AT + <usize>g * GROUP_BYTES;
    if (!strOk(load<i32>(gp), load<i32>(gp + 4))) return -1;
  }
  for (let s = 0; s < ns; s++) {
    const sp = CFG + SLOTS_AT + <usize>s * SLOT_BYTES;
    const nl = load<i32>(sp + 4);
    if (nl < 0 || nl > MAX_LABELS) return -1;
    for (let k = 0; k < MAX_CAPTURES; k++) {
      if (!strOk(load<i32>(sp + 8 + <usize>k * 8), load<i32>(sp + 12 + <usize>k * 8))) return -1;
    }
    for (let i = 0; i < nl; i++) {
      const lp = sp + 32 + <usize>i * 16;
      if (!strOk(load<i32>(lp), load<i32>(lp + 4)) || !strOk(load<i32>(lp + 8), load<i32>(lp + 12))) return -1;
    }
  }
  nslots = ns;
  ngroups = ng;
  // Hash the first min(8, shortest name) bytes of each name, so a line costs one lookup before any compare.
  let minLen = 8;
  for (let g = 0; g < ng; g++) minLen = min(minLen, load<i32>(CFG + GROUPS_AT + <usize>g * GROUP_BYTES + 4));
  prefixMask = minLen >= 8 ? <u64>-1 : (<u64>1 << (<u64>minLen * 8)) - 1;
  memory.fill(PREFIX_TABLE, 0, 1024);
  for (let g = 0; g < ng; g++) {
    const gp = CFG + GROUPS_AT + <usize>g * GROUP_BYTES;
    const h = prefixHash(load<u64>(gp + 16));
    store<i32>(PREFIX_TABLE + h, load<i32>(PREFIX_TABLE + h) | (1 << g));
  }
  return 0;
}

let prefixMask: u64 = 0;

/** Byte offset into PREFIX_TABLE for a (masked) 8-byte head. */
@inline function prefixHash(head: u64): usize {
  return <usize>(((head & prefixMask) * 0x9e3779b97f4a7c15) >> 56) << 2;
}

function strOk(off: i32, len: i32): bool {
  return off >= 0 && len >= 0 && off + len <= STR_BYTES;
}

@inline function isBlank(c: u32): bool {
  return c == 32 || c == 9;
}

/** Newline bits of the 64 bytes at blk (bit i = byte blk+i); may read up to 63 bytes past the sentinel, which the
 * host reserves as slack. */
@inline function newlineMask(blk: usize): u64 {
  const nl = i8x16.splat(10);
  return (
    <u64>i8x16.bitmask(i8x16.eq(v128.load(blk), nl)) |
    (<u64>i8x16.bitmask(i8x16.eq(v128.load(blk, 16), nl)) << 16) |
    (<u64>i8x16.bitmask(i8x16.eq(v128.load(blk, 32), nl)) << 32) |
    (<u64>i8x16.bitmask(i8x16.eq(v128.load(blk, 48), nl)) << 48)
  );
}

/** Bitmask of groups whose name is exactly the token at p (followed by one of `delims`). */
function matchGroups(p: usize, end: usize, forComment: bool): i32 {
  const head = load<u64>(p);
  let cand = load<i32>(PREFIX_TABLE + prefixHash(head));
  let found = 0;
  while (cand != 0) {
    const g = ctz<i32>(cand);
    cand &= cand - 1;
    const gp = CFG + GROUPS_AT + <usize>g * GROUP_BYTES;
    if ((head & load<u64>(gp + 24)) != load<u64>(gp + 16)) continue;
    const len = <usize>load<i32>(gp + 4);
    if (p + len > end) continue;
    if (len > 8 && !eqBytes(p, STR + <usize>load<i32>(gp), len)) continue;
    const d = <u32>load<u8>(p + len);
    const delimOk = forComment
      ? isBlank(d) || d == 10 || d == 13
      : d == 123 || isBlank(d) || d == 10 || d == 13;
    if (delimOk) found |= 1 << g;
  }
  return found;
}

function slotOut(s: i32): usize {
  return OUT + <usize>s * OUT_BYTES;
}
function slotCfg(s: i32): usize {
  return CFG + SLOTS_AT + <usize>s * SLOT_BYTES;
}

/** Slots (bitmask) fed by the groups in `gmask`. */
function slotsOf(gmask: i32): i32 {
  let sm = 0;
  for (let g = 0; g < ngroups; g++) {
    if (gmask & (1 << g)) sm |= load<i32>(CFG + GROUPS_AT + <usize>g * GROUP_BYTES + 8);
  }
  return sm;
}

/** Does the escaped label value [p, e) equal the raw bytes [v, v+vlen)? */
function escapedEquals(p: usize, e: usize, v: usize, vlen: usize): bool {
  let i: usize = 0;
  while (p < e) {
    let c = <u32>load<u8>(p);
    if (c == 92) {
      p++;
      const n = <u32>load<u8>(p);
      c = n == 110 ? 10 : n;
    }
    if (i >= vlen || <u32>load<u8>(v + i) != c) return false;
    i++;
    p++;
  }
  return i == vlen;
}

function bytesEqual(p: usize, len: usize, off: i32, slen: i32): bool {
  return len == <usize>slen && eqBytes(p, STR + <usize>off, len);
}

/** Byte equality with unaligned 8-byte loads (AssemblyScript's memory.compare goes byte by byte when the two
 * pointers are differently aligned, which is the usual case here). */
@inline function eqBytes(a: usize, b: usize, len: usize): bool {
  while (len >= 8) {
    if (load<u64>(a) != load<u64>(b)) return false;
    a += 8;
    b += 8;
    len -= 8;
  }
  while (len > 0) {
    if (load<u8>(a) != load<u8>(b)) return false;
    a++;
    b++;
    len--;
  }
  return true;
}

// ---- numbers ----
let numOk: bool = false;

const POW10: StaticArray<f64> = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

@inline function lower(c: u32): u32 {
  return c | 32;
}

function wordIs(p: usize, e: usize, w: string): bool {
  const n = <usize>w.length;
  if (e - p != n) return false;
  for (let i: usize = 0; i < n; i++) {
    if (lower(<u32>load<u8>(p + i)) != <u32>w.charCodeAt(<i32>i)) return false;
  }
  return true;
}

/** Float value token [p, e): [+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?, or [+-]?Inf(inity), NaN. */
function parseFloatToken(p: usize, e: usize): f64 {
  numOk = false;
  if (p >= e || e - p > <usize>MAX_FLOAT_TOKEN) return 0;
  const start = p;
  let neg = false;
  let c = <u32>load<u8>(p);
  if (c == 43 || c == 45) {
    neg = c == 45;
    p++;
    if (p >= e) return 0;
    c = <u32>load<u8>(p);
  }
  if (lower(c) == 105) {
    // i
    if (wordIs(p, e, 'inf') || wordIs(p, e, 'infinity')) {
      numOk = true;
      return neg ? -Infinity : Infinity;
    }
    return 0;
  }
  if (lower(c) == 110) {
    // n: NaN only without a sign
    if (p == start && wordIs(p, e, 'nan')) {
      numOk = true;
      return NaN;
    }
    return 0;
  }
  let mant: u64 = 0;
  let sig = 0; // significant digits kept in mant
  let dropped = false; // a non-zero digit did not fit
  let exp10: i32 = 0;
  let digits = 0;
  while (p < e) {
    c = <u32>load<u8>(p);
    if (c < 48 || c > 57) break;
    digits++;
    if (sig < 19) {
      if (mant != 0 || c != 48) {
        mant = mant * 10 + <u64>(c - 48);
        sig++;
      }
    } else {
      exp10++;
      if (c != 48) dropped = true;
    }
    p++;
  }
  if (p < e && load<u8>(p) == 46) {
    p++;
    while (p < e) {
      c = <u32>load<u8>(p);
      if (c < 48 || c > 57) break;
      digits++;
      if (sig < 19) {
        if (mant != 0 || c != 48) {
          mant = mant * 10 + <u64>(c - 48);
          sig++;
        }
        exp10--;
      } else if (c != 48) {
        dropped = true;
      }
      p++;
    }
  }
  if (digits == 0) return 0;
  if (p < e) {
    c = <u32>load<u8>(p);
    if (c != 101 && c != 69) return 0;
    p++;
    let eneg = false;
    if (p < e) {
      c = <u32>load<u8>(p);
      if (c == 43 || c == 45) {
        eneg = c == 45;
        p++;
      }
    }
    let ev: i32 = 0;
    let edigits = 0;
    while (p < e) {
      c = <u32>load<u8>(p);
      if (c < 48 || c > 57) return 0;
      if (ev < 100000) ev = ev * 10 + <i32>(c - 48);
      edigits++;
      p++;
    }
    if (edigits == 0) return 0;
    exp10 += eneg ? -ev : ev;
  }
  numOk = true;
  if (mant == 0) return neg ? -0.0 : 0.0;
  // Clinger's fast path: exact when the mantissa and the power of ten are both exact doubles.
  if (!dropped && mant <= 9007199254740992 && exp10 >= -22 && exp10 <= 22) {
    const m = <f64>mant;
    const r = exp10 >= 0 ? m * unchecked(POW10[exp10]) : m / unchecked(POW10[-exp10]);
    return neg ? -r : r;
  }
  // Up to 19 significant digits (Python's repr prints 17): Eisel-Lemire, exact without fallback.
  if (!dropped) {
    const r = eiselLemire(mant, exp10);
    return neg ? -r : r;
  }
  return slowFloat(start, e);
}

// 64x64 -> 128-bit product (high word in mulHi).
let mulHi: u64 = 0;
@inline function mul128(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff;
  const aHi = a >> 32;
  const bLo = b & 0xffffffff;
  const bHi = b >> 32;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  mulHi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
  return (mid << 32) | (ll & 0xffffffff);
}

/**
 * w * 10^q correctly rounded to a double (w != 0, exact decimal mantissa). The Eisel-Lemire algorithm as in the
 * fast_float library (Lemire, "Number Parsing at a Gigabyte per Second"; Mushtak & Lemire, "Fast Number Parsing
 * Without Fallback"), with the 128-bit powers of five generated by scripts/gen-pow5.mjs.
 */
function eiselLemire(w: u64, q: i32): f64 {
  if (q < POW5_MIN_Q) return 0;
  if (q > POW5_MAX_Q) return Infinity;
  const lz = <i32>clz<u64>(w);
  w <<= <u64>lz;
  const index = (q - POW5_MIN_Q) << 1;
  let lo = mul128(w, unchecked(POW5_128[index]));
  let hi = mulHi;
  if ((hi & 0x1ff) == 0x1ff) {
    mul128(w, unchecked(POW5_128[index + 1]));
    const secondHi = mulHi;
    lo += secondHi;
    if (secondHi > lo) hi++;
  }
  const upperbit = <i32>(hi >> 63);
  const shift = <u64>(upperbit + 64 - 52 - 3);
  let mantissa = hi >> shift;
  let power2 = ((217706 * q) >> 16) + 63 + upperbit - lz + 1023;
  if (power2 <= 0) {
    // subnormal
    if (-power2 + 1 >= 64) return 0;
    mantissa >>= <u64>(-power2 + 1);
    mantissa += mantissa & 1;
    mantissa >>= 1;
    power2 = mantissa < (<u64>1 << 52) ? 0 : 1;
    return reinterpret<f64>(mantissa | (<u64>power2 << 52));
  }
  // round half to even when exactly halfway
  if (lo <= 1 && q >= -4 && q <= 23 && (mantissa & 3) == 1 && mantissa << shift == hi) {
    mantissa &= ~(<u64>1);
  }
  mantissa += mantissa & 1;
  mantissa >>= 1;
  if (mantissa >= <u64>2 << 52) {
    mantissa = <u64>1 << 52;
    power2++;
  }
  mantissa &= ~(<u64>1 << 52);
  if (power2 >= 0x7ff) return Infinity;
  return reinterpret<f64>(mantissa | (<u64>power2 << 52));
}

// Correctly rounded decimal -> double for more than 19 significant digits (never seen in real pages). AssemblyScript's
// parseFloat is not correctly rounded (e.g. 3.0000000003e40 is off by one ulp), so the host's Number() does it.
@external("env", "parseDecimal")
declare function parseDecimal(ptr: usize, len: i32): f64;

function slowFloat(p: usize, e: usize): f64 {
  return parseDecimal(p, <i32>(e - p));
}

let tsValue: i64 = 0;

/** Timestamp token: integer milliseconds ([+-]?digits, int64), or OpenMetrics float seconds. */
function parseTimestamp(p: usize, e: usize): bool {
  if (e - p > <usize>MAX_FLOAT_TOKEN) return false;
  let q = p;
  let isFloat = false;
  while (q < e) {
    const c = <u32>load<u8>(q);
    if (c == 46 || c == 101 || c == 69 || lower(c) == 105 || lower(c) == 110) isFloat = true;
    q++;
  }
  if (isFloat) {
    const sec = parseFloatToken(p, e);
    if (!numOk || !isFinite(sec)) return false;
    const ms = Math.trunc(sec * 1000);
    if (!(ms > -9.2e18 && ms < 9.2e18)) return false;
    tsValue = <i64>ms;
    return true;
  }
  let neg = false;
  const c0 = <u32>load<u8>(p);
  if (c0 == 43 || c0 == 45) {
    neg = c0 == 45;
    p++;
  }
  if (p >= e) return false;
  let v: u64 = 0;
  while (p < e) {
    const c = <u32>load<u8>(p);
    if (c < 48 || c > 57) return false;
    const d = <u64>(c - 48);
    if (v > (<u64>9223372036854775807 - d) / 10) {
      // allow exactly -2^63
      if (!(neg && v == 922337203685477580 && d == 8 && p + 1 == e)) return false;
    }
    v = v * 10 + d;
    p++;
  }
  tsValue = neg ? -(<i64>v) : <i64>v;
  return true;
}

// ---- lines ----
let errCode: i32 = 0;
let errAt: usize = 0;

@inline function fail(code: i32, at: usize): void {
  errCode = code;
  errAt = at;
}

@inline function isNameStart(c: u32): bool {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95;
}

/** First '"' or '\\' at or after p (16 bytes per step; the line always ends in '\n', so this may run past the line
 * end, and the caller compares with it). */
@inline function nextQuoteOrBackslash(p: usize): usize {
  const quote = i8x16.splat(34);
  const bslash = i8x16.splat(92);
  const nl = i8x16.splat(10);
  while (true) {
    const v = v128.load(p);
    const m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, bslash)), i8x16.eq(v, nl)));
    if (m != 0) return p + <usize>ctz<i32>(m);
    p += 16;
  }
}

/** First byte at or after p that is not [A-Za-z0-9_] (16 bytes per step). */
@inline function skipNameChars(p: usize): usize {
  const a = i8x16.splat(97);
  const z = i8x16.splat(122);
  const d0 = i8x16.splat(48);
  const d9 = i8x16.splat(57);
  const us = i8x16.splat(95);
  const caseBit = i8x16.splat(32);
  while (true) {
    const v = v128.load(p);
    const lower = v128.or(v, caseBit);
    const alpha = v128.and(i8x16.ge_u(lower, a), i8x16.le_u(lower, z));
    const digit = v128.and(i8x16.ge_u(v, d0), i8x16.le_u(v, d9));
    const ok = v128.or(v128.or(alpha, digit), i8x16.eq(v, us));
    const m = ~i8x16.bitmask(ok) & 0xffff;
    if (m != 0) return p + <usize>ctz<i32>(m);
    p += 16;
  }
}

/** Check one parsed label against the spec labels of every slot in `sm`. */
@inline function noteLabel(sm: i32, np: usize, nlen: usize, vp: usize, ve: usize): void {
  while (sm != 0) {
    const s = ctz<i32>(sm);
    sm &= sm - 1;
    const sc = slotCfg(s);
    const nl = load<i32>(sc + 4);
    for (let i = 0; i < nl; i++) {
      const lp = sc + 32 + <usize>i * 16;
      if (!bytesEqual(np, nlen, load<i32>(lp), load<i32>(lp + 4))) continue;
      if (escapedEquals(vp, ve, STR + <usize>load<i32>(lp + 8), <usize>load<i32>(lp + 12))) {
        const mp = MATCHED + <usize>s * 4;
        store<i32>(mp, load<i32>(mp) | (1 << i));
      }
    }
    for (let k = 0; k < MAX_CAPTURES; k++) {
      const cp = sc + 8 + <usize>k * 8;
      const clen = load<i32>(cp + 4);
      if (clen == 0 || !bytesEqual(np, nlen, load<i32>(cp), clen)) continue;
      const slotCap = CAPS + (<usize>s * <usize>MAX_CAPTURES + <usize>k) * 8;
      store<i32>(slotCap, <i32>vp);
      store<i32>(slotCap + 4, <i32>ve);
      if (k < 2 && ve > vp) store<i32>(NONEMPTY + <usize>s * 4, 1);
    }
  }
}

/** Parse a sample line of a wanted family; p is just past the metric name. Updates the slots in `sm`. */
function sampleLine(p: usize, lineEnd: usize, sm: i32, lineNo: i32, base: usize): void {
  errCode = 0;
  for (let bits = sm; bits != 0; bits &= bits - 1) {
    const s = ctz<i32>(bits);
    store<i32>(MATCHED + <usize>s * 4, 0);
    store<i32>(NONEMPTY + <usize>s * 4, 0);
    for (let k = 0; k < MAX_CAPTURES; k++) store<i32>(CAPS + (<usize>s * <usize>MAX_CAPTURES + <usize>k) * 8, -1);
  }
  let lblStart: usize = 0;
  let lblEnd: usize = 0;
  let c = p < lineEnd ? <u32>load<u8>(p) : 10;
  if (c == 123) {
    p++;
    lblStart = p;
    while (true) {
      while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
      if (p >= lineEnd) return fail(E_EXPECTED_COMMA, p);
      c = <u32>load<u8>(p);
      if (c == 125) break;
      const np = p;
      if (!isNameStart(c)) return fail(E_LABEL_NAME, p);
      p = skipNameChars(p + 1); // stops at lineEnd at the latest ('\r' or '\n' there)
      const nlen = p - np;
      while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
      if (p >= lineEnd || load<u8>(p) != 61) return fail(E_EXPECTED_EQ, p);
      p++;
      while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
      if (p >= lineEnd || load<u8>(p) != 34) return fail(E_EXPECTED_QUOTE, p);
      p++;
      const vp = p;
      while (true) {
        p = nextQuoteOrBackslash(p);
        if (p >= lineEnd) return fail(E_UNTERMINATED, lineEnd);
        if (load<u8>(p) == 34) break;
        p++;
        if (p >= lineEnd) return fail(E_UNTERMINATED, lineEnd);
        const n = <u32>load<u8>(p);
        if (n != 92 && n != 34 && n != 110) return fail(E_ESCAPE, p - 1);
        p++;
      }
      noteLabel(sm, np, nlen, vp, p);
      p++;
      while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
      if (p >= lineEnd) return fail(E_EXPECTED_COMMA, p);
      c = <u32>load<u8>(p);
      if (c == 44) {
        p++;
        continue;
      }
      if (c != 125) return fail(E_EXPECTED_COMMA, p);
      break;
    }
    lblEnd = p;
    p++;
  } else if (p < lineEnd && !isBlank(c)) {
    return fail(E_NAME_END, p);
  }
  while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
  const vs = p;
  while (p < lineEnd && !isBlank(<u32>load<u8>(p))) p++;
  if (p == vs) return fail(E_MISSING_VALUE, p);
  const value = parseFloatToken(vs, p);
  if (!numOk) return fail(E_VALUE, vs);
  while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
  let ts: i64 = 0;
  if (p < lineEnd && load<u8>(p) != 35) {
    const ts0 = p;
    while (p < lineEnd && !isBlank(<u32>load<u8>(p))) p++;
    if (!parseTimestamp(ts0, p)) return fail(E_TIMESTAMP, ts0);
    ts = tsValue;
    while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
    if (p < lineEnd && load<u8>(p) != 35) return fail(E_TRAILING, p);
  }
  // A valid sample: apply each slot's selection rule.
  for (let bits = sm; bits != 0; bits &= bits - 1) {
    const s = ctz<i32>(bits);
    const o = slotOut(s);
    if (load<i32>(o + O_ERR) != 0) continue;
    const sc = slotCfg(s);
    const nl = load<i32>(sc + 4);
    const want = nl >= 32 ? -1 : (1 << nl) - 1;
    if ((load<i32>(MATCHED + <usize>s * 4) & want) != want) continue;
    let take = false;
    if (load<i32>(sc) == MODE_LORA) {
      take = load<i32>(NONEMPTY + <usize>s * 4) != 0 && value > load<f64>(o + O_LORA_BEST);
      if (take) store<f64>(o + O_LORA_BEST, value);
    } else {
      take = ts > load<i64>(o + O_TS);
      if (take) store<i64>(o + O_TS, ts);
    }
    if (take) {
      store<i32>(o + O_SELECTED, 1);
      store<f64>(o + O_VALUE, value);
      store<i32>(o + O_LBL_START, lblStart == 0 ? -1 : <i32>(lblStart - base));
      store<i32>(o + O_LBL_END, lblStart == 0 ? -1 : <i32>(lblEnd - base));
      store<i32>(o + O_SEL_LINE, lineNo);
      for (let k = 0; k < MAX_CAPTURES; k++) {
        const slotCap = CAPS + (<usize>s * <usize>MAX_CAPTURES + <usize>k) * 8;
        const cs = load<i32>(slotCap);
        store<i32>(o + O_CAPS + <usize>k * 8, cs < 0 ? -1 : cs - <i32>base);
        store<i32>(o + O_CAPS + <usize>k * 8 + 4, cs < 0 ? -1 : load<i32>(slotCap + 4) - <i32>base);
      }
    }
  }
}

/** '#' line: marks HELP/TYPE-declared families; returns true for the OpenMetrics '# EOF' terminator. */
function commentLine(p: usize, lineEnd: usize): bool {
  p++;
  while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
  if (p + 3 <= lineEnd && load<u8>(p) == 69 && load<u8>(p + 1) == 79 && load<u8>(p + 2) == 70) {
    let q = p + 3;
    while (q < lineEnd && isBlank(<u32>load<u8>(q))) q++;
    if (q == lineEnd) return true;
  }
  if (p + 5 > lineEnd) return false;
  const w = load<u32>(p);
  // "HELP" / "TYPE" little-endian
  if (w != 0x504c4548 && w != 0x45505954) return false;
  p += 4;
  if (!isBlank(<u32>load<u8>(p))) return false;
  while (p < lineEnd && isBlank(<u32>load<u8>(p))) p++;
  if (p >= lineEnd) return false;
  if (load<i32>(PREFIX_TABLE + prefixHash(load<u64>(p))) == 0) return false; // not a wanted family
  const gm = matchGroups(p, lineEnd, true);
  if (gm != 0) {
    const sm = slotsOf(gm);
    for (let s = 0; s < nslots; s++) if (sm & (1 << s)) store<i32>(slotOut(s) + O_DECLARED, 1);
  }
  return false;
}

/** Scan a page of `len` bytes at inputPtr(). Returns the number of lines seen, or -1 for a negative length. */
export function parse(len: i32): i32 {
  if (len < 0) return -1;
  const base = inputBase();
  const end = base + <usize>len;
  store<u8>(end, 10); // sentinel: every line ends with '\n'
  for (let s = 0; s < nslots; s++) {
    const o = slotOut(s);
    // plain stores: V8 runs memory.fill out of line, which costs more than these 12
    for (let k: usize = 0; k < OUT_BYTES; k += 8) store<u64>(o + k, 0);
    store<i64>(o + O_TS, -1);
  }
  // Newlines are found block by block (64 aligned bytes -> one 64-bit mask), like the floor, and consumed in order:
  // each line ends at the lowest newline bit not yet consumed, so no byte is searched twice.
  let blk = base;
  let mask = newlineMask(blk);
  let p = base;
  let lineNo = 0;
  while (p < end) {
    while (mask == 0) {
      blk += 64;
      mask = newlineMask(blk);
    }
    const nl = blk + <usize>ctz<u64>(mask);
    mask &= mask - 1;
    lineNo++;
    const lineStart = p;
    while (isBlank(<u32>load<u8>(p))) p++;
    const c = <u32>load<u8>(p);
    if (c == 10) {
      p = nl + 1;
      continue;
    }
    const le = nl > p && load<u8>(nl - 1) == 13 ? nl - 1 : nl;
    if (c == 35) {
      // canonical "# HELP name" / "# TYPE name" of an unwanted family: one hash lookup, no call
      const head = load<u64>(p) & 0xffffffffffffff;
      if (
        (head == 0x20504c45482023 || head == 0x20455059542023) &&
        !isBlank(<u32>load<u8>(p + 7)) &&
        load<i32>(PREFIX_TABLE + prefixHash(load<u64>(p + 7))) == 0
      ) {
        p = nl + 1;
        continue;
      }
      if (commentLine(p, le)) break;
      p = nl + 1;
      continue;
    }
    // one table lookup rejects almost every line of an unwanted family
    const gm = load<i32>(PREFIX_TABLE + prefixHash(load<u64>(p))) == 0 ? 0 : matchGroups(p, end, false);
    if (gm == 0) {
      p = nl + 1;
      continue;
    }
    const sm = slotsOf(gm);
    for (let bits = sm; bits != 0; bits &= bits - 1) {
      const o = slotOut(ctz<i32>(bits));
      store<i32>(o + O_SAMPLES, load<i32>(o + O_SAMPLES) + 1);
    }
    // the matched name length is the same for every group in gm (exact match)
    const nameLen = <usize>load<i32>(CFG + GROUPS_AT + <usize>ctz<i32>(gm) * GROUP_BYTES + 4);
    sampleLine(p + nameLen, le, sm, lineNo, base);
    if (errCode != 0) {
      for (let bits = sm; bits != 0; bits &= bits - 1) {
        const o = slotOut(ctz<i32>(bits));
        if (load<i32>(o + O_ERR) == 0) {
          store<i32>(o + O_ERR, errCode);
          store<i32>(o + O_ERR_LINE, lineNo);
          store<i32>(o + O_ERR_COL, <i32>(errAt - lineStart) + 1);
        }
      }
    }
    p = nl + 1;
  }
  return lineNo;
}

/** The benchmark floor: count '\n' bytes in the page with SIMD (no parsing at all). */
export function countNewlines(len: i32): i32 {
  if (len < 0) return -1;
  let p = inputBase();
  const end = p + <usize>len;
  const nl = i8x16.splat(10);
  let total: i32 = 0;
  while (p + 16 <= end) {
    // up to 255 vectors per inner round so the i8 lane counters cannot overflow
    let acc = i8x16.splat(0);
    let k = 0;
    while (k < 255 && p + 16 <= end) {
      acc = i8x16.sub(acc, i8x16.eq(v128.load(p), nl));
      p += 16;
      k++;
    }
    const wide = i16x8.extadd_pairwise_i8x16_u(acc);
    const wider = i32x4.extadd_pairwise_i16x8_u(wide);
    total +=
      i32x4.extract_lane(wider, 0) +
      i32x4.extract_lane(wider, 1) +
      i32x4.extract_lane(wider, 2) +
      i32x4.extract_lane(wider, 3);
  }
  while (p < end) {
    if (load<u8>(p) == 10) total++;
    p++;
  }
  return total;
}
