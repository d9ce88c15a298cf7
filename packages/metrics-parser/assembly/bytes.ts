// Byte-level helpers of the scanner: blanks, SIMD searches, comparisons without allocation.

@inline export function isBlank(c: u32): bool {
  return c == 32 || c == 9;
}

@inline export function isNameStart(c: u32): bool {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95;
}

/** Newline bits of the 64 bytes at blk (bit i = byte blk+i); may read up to 63 bytes past the sentinel, which the
 * host reserves as slack. */
@inline export function newlineMask(blk: usize): u64 {
  const nl = i8x16.splat(10);
  return (
    <u64>i8x16.bitmask(i8x16.eq(v128.load(blk), nl)) |
    (<u64>i8x16.bitmask(i8x16.eq(v128.load(blk, 16), nl)) << 16) |
    (<u64>i8x16.bitmask(i8x16.eq(v128.load(blk, 32), nl)) << 32) |
    (<u64>i8x16.bitmask(i8x16.eq(v128.load(blk, 48), nl)) << 48)
  );
}

/** First '"' or '\\' at or after p (16 bytes per step; the line always ends in '\n', so this may run past the line
 * end, and the caller compares with it). */
@inline export function nextQuoteOrBackslash(p: usize): usize {
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
@inline export function skipNameChars(p: usize): usize {
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

/** Byte equality with unaligned 8-byte loads (AssemblyScript's memory.compare goes byte by byte when the two
 * pointers are differently aligned, which is the usual case here). */
@inline export function eqBytes(a: usize, b: usize, len: usize): bool {
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

/** Does the escaped label value [p, e) equal the raw bytes [v, v+vlen)? */
export function escapedEquals(p: usize, e: usize, v: usize, vlen: usize): bool {
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
