// Top-level JSON object scanner (AssemblyScript -> WASM, SIMD).
//
// One call per request body: the host copies the body to inputPtr() and calls scan(len). The whole input is
// validated with JSON.parse's grammar (RFC 8259: no trailing commas, no comments, no control characters in strings,
// only the standard escapes) without building anything: strings - the bulk of an LLM request - are skipped 16 bytes
// at a time with SIMD. For a top-level object, each member's key and value spans are written to a static table so
// the host can read the few fields it wants (`model`) without a JSON.parse of the body. Nothing is allocated;
// errors are status codes with a position, never traps.

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

/** p is just after the opening quote; returns the position after the closing quote, or 0 on error. */
function scanString(p: usize, end: usize): usize {
  const quote = i8x16.splat(0x22);
  const bslash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  while (true) {
    while (p + 16 <= end) {
      if (p + 64 <= end) {
        // Long runs of plain text: 64 bytes per iteration, one branch.
        const a = v128.load(p);
        const b = v128.load(p, 16);
        const c = v128.load(p, 32);
        const d = v128.load(p, 48);
        const ma = v128.or(v128.or(i8x16.eq(a, quote), i8x16.eq(a, bslash)), i8x16.lt_u(a, space));
        const mb = v128.or(v128.or(i8x16.eq(b, quote), i8x16.eq(b, bslash)), i8x16.lt_u(b, space));
        const mc = v128.or(v128.or(i8x16.eq(c, quote), i8x16.eq(c, bslash)), i8x16.lt_u(c, space));
        const md = v128.or(v128.or(i8x16.eq(d, quote), i8x16.eq(d, bslash)), i8x16.lt_u(d, space));
        let bits: u64 =
          <u64>i8x16.bitmask(ma) |
          (<u64>i8x16.bitmask(mb) << 16) |
          (<u64>i8x16.bitmask(mc) << 32) |
          (<u64>i8x16.bitmask(md) << 48);
        // Walk the specials of this window; simple two-byte escapes (\n, \", ...), frequent in prompts, are
        // consumed here without leaving the SIMD loop.
        let next = p + 64;
        let stopAt: usize = 0;
        while (bits != 0) {
          const k = <usize>ctz<u64>(bits);
          const q = p + k;
          if (load<u8>(q) == 0x5c && q + 1 < end && load<u8>(SIMPLE_ESCAPE + <usize>load<u8>(q + 1)) != 0) {
            sawEscape = true;
            bits &= ~(<u64>3 << <u64>k);
            if (q + 2 > next) next = q + 2;
            continue;
          }
          stopAt = q;
          break;
        }
        if (stopAt == 0) {
          p = next;
          continue;
        }
        p = stopAt;
        break;
      }
      const v = v128.load(p);
      const m = v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, bslash)), i8x16.lt_u(v, space));
      const bits = i8x16.bitmask(m);
      if (bits == 0) {
        p += 16;
        continue;
      }
      p += <usize>ctz<i32>(bits);
      // Simple two-byte escapes (\n, \", ...) are common in prompts: handle them without leaving the SIMD loop.
      if (load<u8>(p) == 0x5c && p + 1 < end && load<u8>(SIMPLE_ESCAPE + <usize>load<u8>(p + 1)) != 0) {
        sawEscape = true;
        p += 2;
        continue;
      }
      break;
    }
    while (p < end) {
      const c = <u32>load<u8>(p);
      if (c == 0x22 || c == 0x5c || c < 0x20) break;
      p++;
    }
    if (p >= end) return fail(p, E_EOF);
    const c = <u32>load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c < 0x20) return fail(p, E_STRING);
    // backslash
    sawEscape = true;
    if (p + 1 >= end) return fail(p + 1, E_EOF);
    const e = <u32>load<u8>(p + 1);
    if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
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
