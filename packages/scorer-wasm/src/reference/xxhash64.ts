// XXH64 (seed 0) in plain TypeScript on 32-bit halves (no BigInt on the hot path), for the reference scheduler.
// Results come back as [hi, lo] u32 halves through module variables to avoid allocating per call.

const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

// Results of the helpers below. A typed array, not module `let`s: u32 values >= 2^31 are not small integers, so
// a mutable module variable would box a heap number on every write.
const R = new Uint32Array(2);

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[1] = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  R[0] = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al + bl) >>> 0;
  R[0] = (ah + bh + (lo < al ? 1 : 0)) >>> 0;
  R[1] = lo;
}

function rotl(h: number, l: number, r: number): void {
  if (r >= 32) {
    const t = h;
    h = l;
    l = t;
    r -= 32;
  }
  if (r === 0) {
    R[0] = h;
    R[1] = l;
    return;
  }
  R[0] = ((h << r) | (l >>> (32 - r))) >>> 0;
  R[1] = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** acc = rotl(acc + input * P2, 31) * P1 */
function round(ah: number, al: number, ih: number, il: number): void {
  mul(ih, il, P2H, P2L);
  add(ah, al, R[0]!, R[1]!);
  rotl(R[0]!, R[1]!, 31);
  mul(R[0]!, R[1]!, P1H, P1L);
}

/** acc = (acc ^ round(0, v)) * P1 + P4 */
function mergeRound(ah: number, al: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((ah ^ R[0]!) >>> 0, (al ^ R[1]!) >>> 0, P1H, P1L);
  add(R[0]!, R[1]!, P4H, P4L);
}

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** XXH64 with seed 0 of bytes[start, end); returns [hi, lo]. */
export function xxh64Parts(bytes: Uint8Array, start: number, end: number, out: Uint32Array): void {
  const len = end - start;
  let p = start;
  let hh: number;
  let hl: number;
  if (len >= 32) {
    // v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1
    add(P1H, P1L, P2H, P2L);
    let v1h = R[0]!;
    let v1l = R[1]!;
    let v2h = P2H;
    let v2l = P2L;
    let v3h = 0;
    let v3l = 0;
    // -P1 mod 2^64 = ~P1 + 1
    add(~P1H >>> 0, ~P1L >>> 0, 0, 1);
    let v4h = R[0]!;
    let v4l = R[1]!;
    const limit = end - 32;
    do {
      round(v1h, v1l, u32(bytes, p + 4), u32(bytes, p));
      v1h = R[0]!;
      v1l = R[1]!;
      round(v2h, v2l, u32(bytes, p + 12), u32(bytes, p + 8));
      v2h = R[0]!;
      v2l = R[1]!;
      round(v3h, v3l, u32(bytes, p + 20), u32(bytes, p + 16));
      v3h = R[0]!;
      v3l = R[1]!;
      round(v4h, v4l, u32(bytes, p + 28), u32(bytes, p + 24));
      v4h = R[0]!;
      v4l = R[1]!;
      p += 32;
    } while (p <= limit);
    rotl(v1h, v1l, 1);
    let sh = R[0]!;
    let sl = R[1]!;
    rotl(v2h, v2l, 7);
    add(sh, sl, R[0]!, R[1]!);
    sh = R[0]!;
    sl = R[1]!;
    rotl(v3h, v3l, 12);
    add(sh, sl, R[0]!, R[1]!);
    sh = R[0]!;
    sl = R[1]!;
    rotl(v4h, v4l, 18);
    add(sh, sl, R[0]!, R[1]!);
    hh = R[0]!;
    hl = R[1]!;
    mergeRound(hh, hl, v1h, v1l);
    mergeRound(R[0]!, R[1]!, v2h, v2l);
    mergeRound(R[0]!, R[1]!, v3h, v3l);
    mergeRound(R[0]!, R[1]!, v4h, v4l);
    hh = R[0]!;
    hl = R[1]!;
  } else {
    hh = P5H;
    hl = P5L;
  }
  add(hh, hl, Math.floor(len / 0x100000000), len >>> 0);
  hh = R[0]!;
  hl = R[1]!;
  while (p + 8 <= end) {
    round(0, 0, u32(bytes, p + 4), u32(bytes, p));
    rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 27);
    mul(R[0]!, R[1]!, P1H, P1L);
    add(R[0]!, R[1]!, P4H, P4L);
    hh = R[0]!;
    hl = R[1]!;
    p += 8;
  }
  if (p + 4 <= end) {
    mul(0, u32(bytes, p), P1H, P1L);
    rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 23);
    mul(R[0]!, R[1]!, P2H, P2L);
    add(R[0]!, R[1]!, P3H, P3L);
    hh = R[0]!;
    hl = R[1]!;
    p += 4;
  }
  while (p < end) {
    mul(0, bytes[p]!, P5H, P5L);
    rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 11);
    mul(R[0]!, R[1]!, P1H, P1L);
    hh = R[0]!;
    hl = R[1]!;
    p++;
  }
  // avalanche
  hl = (hl ^ (hh >>> 1)) >>> 0; // h ^= h >> 33
  mul(hh, hl, P2H, P2L);
  hh = R[0]!;
  hl = (R[1]! ^ ((R[1]! >>> 29) | (R[0]! << 3))) >>> 0; // h ^= h >> 29
  hh = (hh ^ (hh >>> 29)) >>> 0;
  mul(hh, hl, P3H, P3L);
  hh = R[0]!;
  hl = (R[1]! ^ R[0]!) >>> 0; // h ^= h >> 32
  out[0] = hh;
  out[1] = hl;
}

const tmp = new Uint32Array(2);

/** XXH64 (seed 0) as a bigint (tests and diagnostics). */
export function xxh64(bytes: Uint8Array): bigint {
  xxh64Parts(bytes, 0, bytes.length, tmp);
  return (BigInt(tmp[0]!) << 32n) | BigInt(tmp[1]!);
}
