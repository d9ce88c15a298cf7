// Top-level JSON object scanner (AssemblyScript -> WASM, SIMD).
//
// One call per request body: the host copies the body to inputPtr() and calls scan(len). The whole input is
// validated with JSON.parse's grammar (RFC 8259: no trailing commas, no comments, no control characters in strings,
// only the standard escapes) without building anything: strings - the bulk of an LLM request - are skipped 64 bytes
// at a time with SIMD (one mask of quotes, backslashes and control characters; `\n` and `\"` escapes, the commonest
// in prompts, are recognised in SIMD too, other escapes by a short walk of the mask). For a top-level object, each
// member's key and value spans are written to a static table so the host can read the few fields it wants (`model`)
// without a JSON.parse of the body. Nothing is allocated; errors are status codes with a position, never traps.
// The host leaves 16 spare bytes after the input: scan() writes a 0 sentinel at its end, and the 64-byte loop may
// read up to 15 bytes past it, and up to 15 bytes before the input (static data); neither changes the result.

// ---- layout shared with src/scan/wasm-layout.ts (keep in sync) ----
const MAX_MEMBERS: i32 = 4096;
const MEMBER_BYTES: i32 = 20; // keyStart, keyEnd, valueStart, valueEnd (offsets into the input), flags
const MAX_DEPTH: i32 = 65536;

const OUT = memory.data(MAX_MEMBERS * MEMBER_BYTES, 16);
const STACK = memory.data(MAX_DEPTH >> 3, 16); // one bit per nesting level: 1 = object, 0 = array
// 1 for the bytes that may follow a backslash as a two-byte escape: " \ / b f n r t
const SIMPLE_ESCAPE = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
  0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

// Status codes returned by scan() when negative.
const S_INVALID: i32 = -1;
const S_NOT_OBJECT: i32 = -2;
const S_TOO_MANY_MEMBERS: i32 = -3;
const S_TOO_DEEP: i32 = -4;

// Error contexts (the wording of Go's encoding/json errors; names in src/scan/wasm-layout.ts).
const E_EOF: i32 = 1;
const E_VALUE: i32 = 2; // looking for beginning of value
const E_KEY: i32 = 3; // looking for beginning of object key string
const E_COLON: i32 = 4; // after object key
const E_OBJ_NEXT: i32 = 5; // after object key:value pair
const E_ARR_NEXT: i32 = 6; // after array element
const E_TRAILING: i32 = 7; // after top-level value
const E_STRING: i32 = 8; // in string literal
const E_ESCAPE: i32 = 9; // in string escape code
const E_NUMBER: i32 = 10; // in numeric literal
const E_LITERAL: i32 = 11; // in literal true/false/null

// Member flags.
const F_KEY_ESCAPED: i32 = 1;
const F_VALUE_ESCAPED: i32 = 2;

// Parser states.
const ST_VALUE: i32 = 0;
const ST_ARRAY_FIRST: i32 = 1; // after '[': a value or ']'
const ST_OBJECT_FIRST: i32 = 2; // after '{': a key or '}'
const ST_KEY: i32 = 3; // after ',' in an object
const ST_COLON: i32 = 4;
const ST_AFTER_VALUE: i32 = 5;

let errPos: i32 = 0;
let errCode: i32 = 0;
let topByte: i32 = 0;
let sawEscape: bool = false;
let base: usize = 0;

export function inputPtr(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
export function outPtr(): usize {
  return OUT;
}
export function errorPos(): i32 {
  return errPos;
}
export function errorCode(): i32 {
  return errCode;
}
/** First byte of the top-level value ('{', '[', '"', 't', ...). */
export function topLevelByte(): i32 {
  return topByte;
}

@inline function fail(p: usize, code: i32): usize {
  errPos = <i32>(p - base);
  errCode = code;
  return 0;
}

@inline function isWs(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

@inline function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

@inline function isHex(c: u32): bool {
  return c - 0x30 < 10 || (c | 0x20) - 0x61 < 6;
}

/** Bytes that are a quote, a backslash or a control character (< 0x20): '"' ^ 0x02 is 0x20 and controls stay below. */
@inline function specials(v: v128): v128 {
  const x = v128.xor(v, i8x16.splat(0x02));
  return v128.or(i8x16.eq(i8x16.min_u(x, i8x16.splat(0x20)), x), i8x16.eq(v, i8x16.splat(0x5c)));
}

@inline function mask64(a: v128, b: v128, c: v128, d: v128): u64 {
  return (
    <u64>i8x16.bitmask(a) |
    (<u64>i8x16.bitmask(b) << 16) |
    (<u64>i8x16.bitmask(c) << 32) |
    (<u64>i8x16.bitmask(d) << 48)
  );
}

/** Bytes 1..16 of the 32 bytes x:y (one byte further on than x). */
@inline function nextBytes(x: v128, y: v128): v128 {
  return i8x16.shuffle(x, y, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
}

/** Lanes holding a backslash followed by 'n' (`next` is the same 16 bytes shifted by one). */
@inline function newlineEscapes(v: v128, next: v128): v128 {
  return v128.and(i8x16.eq(v, i8x16.splat(0x5c)), i8x16.eq(next, i8x16.splat(0x6e)));
}

/** Bytes -1..14 of y (x holds the 16 bytes before y). */
@inline function prevBytes(x: v128, y: v128): v128 {
  return i8x16.shuffle(x, y, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
}

/** Lanes holding a backslash that follows no backslash and is followed by a quote. */
@inline function quoteEscapes(v: v128, next: v128, prev: v128): v128 {
  const bs = i8x16.splat(0x5c);
  return v128.andnot(v128.and(i8x16.eq(v, bs), i8x16.eq(next, i8x16.splat(0x22))), i8x16.eq(prev, bs));
}

/** p is just after the opening quote; returns the position after the closing quote, or 0 on error. */
function scanString(p: usize, end: usize): usize {
  // scan() put a 0 byte at `end`: a backslash at end - 1 is then never a two-byte escape (no bounds check here).
  let escaped = false;
  while (true) {
    while (p + 64 <= end) {
      const a = v128.load(p);
      const b = v128.load(p, 16);
      const c = v128.load(p, 32);
      const d = v128.load(p, 48);
      const bits0 = mask64(specials(a), specials(b), specials(c), specials(d));
      if (bits0 == 0) {
        p += 64;
        continue;
      }
      // A backslash followed by 'n' (the commonest escape in prompts) needs no walk: the 'n' is plain text, and a
      // backslash escaped by the one before it is consumed with that one by the walk (whose own backslash is
      // followed by a backslash, so it stays a special).
      const e = v128.load(p, 64); // the input has 16 spare bytes after its end
      const nl = mask64(
        newlineEscapes(a, nextBytes(a, b)),
        newlineEscapes(b, nextBytes(b, c)),
        newlineEscapes(c, nextBytes(c, d)),
        newlineEscapes(d, nextBytes(d, e)),
      );
      let bits = bits0 & ~nl;
      let simd = nl; // escapes recognised in SIMD
      if (bits != 0) {
        // Then \" escapes whose backslash does not follow another one (so it starts the escape): both bytes leave
        // the mask. Not at bit 63, whose quote is in the next block: the walk steps over that one.
        const z = v128.load(p - 16); // p - 1 is in the string (at least its opening quote)
        const qe =
          mask64(
            quoteEscapes(a, nextBytes(a, b), prevBytes(z, a)),
            quoteEscapes(b, nextBytes(b, c), prevBytes(a, b)),
            quoteEscapes(c, nextBytes(c, d), prevBytes(b, c)),
            quoteEscapes(d, nextBytes(d, e), prevBytes(c, d)),
          ) & ~(<u64>1 << 63);
        bits &= ~(qe | (qe << 1));
        simd |= qe;
      }
      // Walk what is left: other two-byte escapes are consumed here; the first quote, control character or other
      // escape (\u, invalid) stops the block.
      let next = p + 64;
      let stopAt: usize = 0;
      while (bits != 0) {
        const k = <usize>ctz<u64>(bits);
        const q = p + k;
        const pair = <u32>load<u16>(q);
        if ((pair & 0xff) == 0x5c && load<u8>(SIMPLE_ESCAPE + <usize>(pair >> 8)) != 0) {
          escaped = true;
          bits &= ~(<u64>3 << <u64>k);
          next = max(next, q + 2);
          continue;
        }
        stopAt = q;
        break;
      }
      if (stopAt != 0) {
        // Only the SIMD-recognised escapes before the stop belong to this string.
        if ((simd & ((<u64>1 << <u64>(stopAt - p)) - 1)) != 0) escaped = true;
        p = stopAt;
        break;
      }
      escaped |= simd != 0;
      p = next;
    }
    if (escaped) sawEscape = true;
    if (p + 64 > end) {
      while (p + 16 <= end) {
        const bits = i8x16.bitmask(specials(v128.load(p)));
        if (bits == 0) {
          p += 16;
          continue;
        }
        p += <usize>ctz<i32>(bits);
        break;
      }
      while (p < end) {
        const c = <u32>load<u8>(p);
        if (c == 0x22 || c == 0x5c || c < 0x20) break;
        p++;
      }
    }
    if (p >= end) return fail(p, E_EOF);
    const c = <u32>load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c < 0x20) return fail(p, E_STRING);
    // backslash
    sawEscape = true;
    if (p + 1 >= end) return fail(p + 1, E_EOF);
    const e = <u32>load<u8>(p + 1);
    if (load<u8>(SIMPLE_ESCAPE + <usize>e) != 0) {
      p += 2;
      continue;
    }
    if (e != 0x75) return fail(p + 1, E_ESCAPE);
    for (let i: usize = 2; i < 6; i++) {
      if (p + i >= end) return fail(p + i, E_EOF);
      if (!isHex(<u32>load<u8>(p + i))) return fail(p + i, E_ESCAPE);
    }
    p += 6;
  }
  return 0;
}

function scanNumber(p: usize, end: usize): usize {
  if (load<u8>(p) == 0x2d) {
    p++;
    if (p >= end) return fail(p, E_EOF);
  }
  let c = <u32>load<u8>(p);
  if (c == 0x30) {
    p++;
  } else if (c - 0x31 < 9) {
    p++;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  } else {
    return fail(p, E_NUMBER);
  }
  if (p < end && load<u8>(p) == 0x2e) {
    p++;
    if (p >= end) return fail(p, E_EOF);
    if (!isDigit(<u32>load<u8>(p))) return fail(p, E_NUMBER);
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  }
  if (p < end && (<u32>load<u8>(p) | 0x20) == 0x65) {
    p++;
    if (p >= end) return fail(p, E_EOF);
    c = <u32>load<u8>(p);
    if (c == 0x2b || c == 0x2d) {
      p++;
      if (p >= end) return fail(p, E_EOF);
    }
    if (!isDigit(<u32>load<u8>(p))) return fail(p, E_NUMBER);
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
  }
  return p;
}

/** Literal `true`, `false` or `null` at p (first byte already known). */
function scanLiteral(p: usize, end: usize, lit: u64, n: usize): usize {
  for (let i: usize = 0; i < n; i++) {
    if (p + i >= end) return fail(p + i, E_EOF);
    if (<u64>load<u8>(p + i) != ((lit >> (i << 3)) & 0xff)) return fail(p + i, E_LITERAL);
  }
  return p + n;
}

@inline function pushLevel(depth: i32, isObject: bool): void {
  const at = STACK + <usize>(depth >> 3);
  const bit = <u8>(1 << <u8>(depth & 7));
  const cur = load<u8>(at);
  store<u8>(at, isObject ? cur | bit : cur & ~bit);
}

@inline function levelIsObject(depth: i32): bool {
  return ((load<u8>(STACK + <usize>(depth >> 3)) >> <u8>(depth & 7)) & 1) != 0;
}

@inline function member(i: i32): usize {
  return OUT + <usize>(i * MEMBER_BYTES);
}

/**
 * Validate input[0, len) as JSON. Returns the number of top-level members (>= 0) when the value is an object
 * (0 also for `null`, which Go decodes into an empty map), or a negative status (S_*).
 */
export function scan(len: i32): i32 {
  base = inputPtr();
  let p = base;
  const end = base + <usize>len;
  store<u8>(end, 0); // sentinel for scanString (the host leaves 16 spare bytes after the input)
  errPos = 0;
  errCode = 0;
  topByte = 0;
  let depth: i32 = 0; // number of open containers
  let members: i32 = 0;
  let state = ST_VALUE;
  let topIsObject = false;
  let overflow = false;

  while (true) {
    while (p < end && isWs(<u32>load<u8>(p))) p++;
    if (p >= end) {
      if (state == ST_AFTER_VALUE && depth == 0) break;
      fail(p, E_EOF);
      return S_INVALID;
    }
    const c = <u32>load<u8>(p);
    if (state == ST_VALUE || state == ST_ARRAY_FIRST) {
      if (state == ST_ARRAY_FIRST && c == 0x5d) {
        depth--;
        p++;
        state = ST_AFTER_VALUE;
        if (depth == 1 && topIsObject && !overflow) store<i32>(member(members - 1), <i32>(p - base), 12);
        continue;
      }
      if (depth == 0) {
        topByte = <i32>c;
        topIsObject = c == 0x7b;
      }
      if (depth == 1 && topIsObject && !overflow) store<i32>(member(members - 1), <i32>(p - base), 8);
      if (c == 0x7b || c == 0x5b) {
        if (depth >= MAX_DEPTH) return S_TOO_DEEP;
        pushLevel(depth, c == 0x7b);
        depth++;
        p++;
        state = c == 0x7b ? ST_OBJECT_FIRST : ST_ARRAY_FIRST;
        continue;
      }
      let q: usize = 0;
      if (c == 0x22) {
        sawEscape = false;
        q = scanString(p + 1, end);
        if (q != 0 && sawEscape && depth == 1 && topIsObject && !overflow) {
          const m = member(members - 1);
          store<i32>(m, load<i32>(m, 16) | F_VALUE_ESCAPED, 16);
        }
      } else if (c == 0x2d || isDigit(c)) {
        q = scanNumber(p, end);
      } else if (c == 0x74) {
        q = scanLiteral(p, end, 0x65757274, 4); // "true"
      } else if (c == 0x66) {
        q = scanLiteral(p, end, 0x65736c6166, 5); // "false"
      } else if (c == 0x6e) {
        q = scanLiteral(p, end, 0x6c6c756e, 4); // "null"
      } else {
        fail(p, E_VALUE);
        return S_INVALID;
      }
      if (q == 0) return S_INVALID;
      p = q;
      if (depth == 1 && topIsObject && !overflow) store<i32>(member(members - 1), <i32>(p - base), 12);
      state = ST_AFTER_VALUE;
      continue;
    }
    if (state == ST_OBJECT_FIRST || state == ST_KEY) {
      if (state == ST_OBJECT_FIRST && c == 0x7d) {
        depth--;
        p++;
        state = ST_AFTER_VALUE;
        if (depth == 1 && topIsObject && !overflow) store<i32>(member(members - 1), <i32>(p - base), 12);
        continue;
      }
      if (c != 0x22) {
        fail(p, E_KEY);
        return S_INVALID;
      }
      sawEscape = false;
      const q = scanString(p + 1, end);
      if (q == 0) return S_INVALID;
      if (depth == 1) {
        if (members >= MAX_MEMBERS) {
          overflow = true;
        } else {
          const m = member(members);
          store<i32>(m, <i32>(p + 1 - base), 0);
          store<i32>(m, <i32>(q - 1 - base), 4);
          store<i32>(m, 0, 8);
          store<i32>(m, 0, 12);
          store<i32>(m, sawEscape ? F_KEY_ESCAPED : 0, 16);
          members++;
        }
      }
      p = q;
      state = ST_COLON;
      continue;
    }
    if (state == ST_COLON) {
      if (c != 0x3a) {
        fail(p, E_COLON);
        return S_INVALID;
      }
      p++;
      state = ST_VALUE;
      continue;
    }
    // ST_AFTER_VALUE
    if (depth == 0) {
      fail(p, E_TRAILING);
      return S_INVALID;
    }
    const inObject = levelIsObject(depth - 1);
    if (c == 0x2c) {
      p++;
      state = inObject ? ST_KEY : ST_VALUE;
      continue;
    }
    if ((inObject && c == 0x7d) || (!inObject && c == 0x5d)) {
      depth--;
      p++;
      if (depth == 1 && topIsObject && !overflow) store<i32>(member(members - 1), <i32>(p - base), 12);
      continue;
    }
    fail(p, inObject ? E_OBJ_NEXT : E_ARR_NEXT);
    return S_INVALID;
  }
  if (topByte == 0x6e) return 0; // null: Go leaves the map empty
  if (!topIsObject) return S_NOT_OBJECT;
  if (overflow) return S_TOO_MANY_MEMBERS;
  return members;
}
