// Prometheus text-format page scanner (AssemblyScript -> WASM): configuration, line loop, wanted-line parsing.
//
// One call per page: the host copies the page's UTF-8 bytes to inputPtr() and calls parse(len). Newlines come from
// 64-byte SIMD masks; a line whose metric name no configured spec asks for is rejected by one hash lookup of its
// first bytes and never validated; lines of wanted families are fully parsed (labels with escapes, value, optional
// timestamp, OpenMetrics exemplar tail) and each spec's selection rule is applied. Results go to a static output
// table. Nothing is allocated (no allocator use), so memory never grows with the number of pages; it grows only when
// a page is larger than any before. Malformed input sets status codes; nothing here traps.

import {
  eqBytes,
  escapedEquals,
  isBlank,
  isNameStart,
  newlineMask,
  nextQuoteOrBackslash,
  skipNameChars,
} from './bytes';
import {
  CAPS,
  CFG,
  E_ESCAPE,
  E_EXPECTED_COMMA,
  E_EXPECTED_EQ,
  E_EXPECTED_QUOTE,
  E_LABEL_NAME,
  E_MISSING_VALUE,
  E_NAME_END,
  E_TIMESTAMP,
  E_TRAILING,
  E_UNTERMINATED,
  E_VALUE,
  GROUPS_AT,
  GROUP_BYTES,
  MATCHED,
  MAX_CAPTURES,
  MAX_GROUPS,
  MAX_LABELS,
  MAX_SLOTS,
  MODE_LATEST,
  MODE_LORA,
  NONEMPTY,
  OUT,
  OUT_BYTES,
  O_CAPS,
  O_DECLARED,
  O_ERR,
  O_ERR_COL,
  O_ERR_LINE,
  O_LORA_BEST,
  O_SAMPLES,
  O_SELECTED,
  O_TS,
  O_VALUE,
  PREFIX_TABLE,
  SLOTS_AT,
  SLOT_BYTES,
  STR,
  STR_BYTES,
  inputBase,
} from './layout';
import { numOk, parseFloatToken, parseTimestamp, tsValue } from './number';

export { cfgPtr, inputPtr, outPtr, reserve, strPtr } from './layout';
export { countNewlines } from './floor';

let nslots: i32 = 0;
let ngroups: i32 = 0;

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


function bytesEqual(p: usize, len: usize, off: i32, slen: i32): bool {
  return len == <usize>slen && eqBytes(p, STR + <usize>off, len);
}


// ---- lines ----
let errCode: i32 = 0;
let errAt: usize = 0;

@inline function fail(code: i32, at: usize): void {
  errCode = code;
  errAt = at;
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
function sampleLine(p: usize, lineEnd: usize, sm: i32, base: usize): void {
  errCode = 0;
  for (let bits = sm; bits != 0; bits &= bits - 1) {
    const s = ctz<i32>(bits);
    store<i32>(MATCHED + <usize>s * 4, 0);
    store<i32>(NONEMPTY + <usize>s * 4, 0);
    for (let k = 0; k < MAX_CAPTURES; k++) store<i32>(CAPS + (<usize>s * <usize>MAX_CAPTURES + <usize>k) * 8, -1);
  }
  let c = p < lineEnd ? <u32>load<u8>(p) : 10;
  if (c == 123) {
    p++;
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
    sampleLine(p + nameLen, le, sm, base);
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

