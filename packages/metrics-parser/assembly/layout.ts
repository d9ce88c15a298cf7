// Memory layout of the scanner: static tables (memory.data), output record fields, reason codes, and the page
// area after the heap base. Shared with src/wasm-layout.ts (keep the two in sync).

export const MAX_SLOTS: i32 = 8;
export const MAX_GROUPS: i32 = 8;
export const MAX_LABELS: i32 = 14;
export const GROUP_BYTES: usize = 32; // nameOff i32, nameLen i32, slotMask i32, pad, prefix u64, prefixMask u64
export const GROUPS_AT: usize = 64;
export const SLOT_BYTES: usize = 256; // mode, nLabels, captures[3] x (off len), labels[14] x (nOff nLen vOff vLen)
export const SLOTS_AT: usize = GROUPS_AT + <usize>MAX_GROUPS * GROUP_BYTES;
export const OUT_BYTES: usize = 96;
export const MAX_CAPTURES: i32 = 3;
export const STR_BYTES: i32 = 8192;

export const CFG = memory.data(4096, 16);
export const STR = memory.data(STR_BYTES, 16);
export const OUT = memory.data(<i32>(<usize>MAX_SLOTS * OUT_BYTES), 16);
export const MATCHED = memory.data(MAX_SLOTS * 4, 16); // per slot: bitmask of spec labels seen on the current line
export const NONEMPTY = memory.data(MAX_SLOTS * 4, 16); // per slot (lora mode): capture 0 or 1 is a non-empty value
export const CAPS = memory.data(MAX_SLOTS * MAX_CAPTURES * 8, 16); // per slot, per capture: value span on the current line
export const PREFIX_TABLE = memory.data(256 * 4, 16); // hash of a line's first bytes -> candidate groups

// Output fields (byte offsets inside a slot's 64-byte record).
export const O_DECLARED: usize = 0; // a HELP/TYPE line names the family
export const O_SAMPLES: usize = 4; // sample lines with the family's name (valid or not)
export const O_SELECTED: usize = 8; // 1 when a sample was selected
export const O_ERR: usize = 12; // first malformed-line reason code (0 = none)
export const O_ERR_LINE: usize = 16;
// bytes 20..31 unused
export const O_VALUE: usize = 32; // f64
export const O_TS: usize = 40; // i64 (best timestamp; -1 before any)
export const O_LORA_BEST: usize = 48; // f64
export const O_ERR_COL: usize = 56;
export const O_CAPS: usize = 64; // selected sample: per capture [start, end) relative to the input, -1 when absent

// Malformed-line reason codes (names in src/wasm-layout.ts).
export const E_LABEL_NAME: i32 = 1;
export const E_EXPECTED_EQ: i32 = 2;
export const E_EXPECTED_QUOTE: i32 = 3;
export const E_UNTERMINATED: i32 = 4;
export const E_ESCAPE: i32 = 5;
export const E_EXPECTED_COMMA: i32 = 6;
export const E_MISSING_VALUE: i32 = 7;
export const E_VALUE: i32 = 8;
export const E_TIMESTAMP: i32 = 9;
export const E_TRAILING: i32 = 10;
export const E_NAME_END: i32 = 11;

export const MODE_LATEST: i32 = 0;
export const MODE_LORA: i32 = 1;


export function inputBase(): usize {
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
