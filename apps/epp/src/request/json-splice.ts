// Finds a top-level string member of a JSON object text without re-serialising it, so a rewritten `model`
// changes only those bytes (big integers, key order and spacing of the rest survive). The text must already be
// known-valid JSON (JSON.parse succeeded); the scanner only tracks strings and nesting depth.

export interface StringMemberSpan {
  /** Offset of the opening quote of the value. */
  start: number;
  /** Offset just past the closing quote of the value. */
  end: number;
}

/** Skips a JSON string starting at the quote at `i`; returns the offset just past its closing quote. */
function skipString(text: string, i: number): number {
  i++;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22 /* " */) return i + 1;
    else i++;
  }
  return i;
}

function skipWs(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/**
 * The span of the LAST top-level member `key` whose value is a string (JSON.parse keeps the last duplicate),
 * or null when there is none.
 */
export function findTopLevelStringMember(text: string, key: string): StringMemberSpan | null {
  const quotedKey = JSON.stringify(key);
  let found: StringMemberSpan | null = null;
  let depth = 0;
  let i = 0;
  // At depth 1, a string directly after `{` or `,` is a member name.
  let expectKey = false;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = skipString(text, i);
      if (depth === 1 && expectKey) {
        const name = text.slice(i, end);
        const colon = skipWs(text, end);
        const valueAt = skipWs(text, colon + 1);
        if (
          text.charCodeAt(valueAt) === 0x22 &&
          (name === quotedKey || (name.includes('\\') && JSON.parse(name) === key))
        ) {
          found = { start: valueAt, end: skipString(text, valueAt) };
        }
        expectKey = false;
        i = colon + 1;
        continue;
      }
      i = end;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      expectKey = depth === 1 && c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return found;
}

/** `text` with the value of its last top-level string member `key` replaced by `value`; null when absent. */
export function replaceTopLevelString(text: string, key: string, value: string): string | null {
  const span = findTopLevelStringMember(text, key);
  if (span === null) return null;
  return text.slice(0, span.start) + JSON.stringify(value) + text.slice(span.end);
}
