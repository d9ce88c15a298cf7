// Memory layout shared with assembly/index.ts (keep the two in sync).

export const MAX_SLOTS = 8;
export const MAX_GROUPS = 8;
export const MAX_LABELS = 14;
export const GROUP_BYTES = 32;
export const GROUPS_AT = 64;
export const SLOT_BYTES = 256;
export const SLOTS_AT = GROUPS_AT + MAX_GROUPS * GROUP_BYTES;
export const STR_BYTES = 8192;
export const OUT_BYTES = 96;
export const MAX_CAPTURES = 3;
/** Bytes the page area needs beyond the page: sentinel newline + SIMD over-read. */
export const INPUT_SLACK = 128;

export const MODE_LATEST = 0;
export const MODE_LORA = 1;

/** Output record of a slot (byte offsets). */
export const Out = {
  declared: 0,
  samples: 4,
  selected: 8,
  err: 12,
  errLine: 16,
  value: 32,
  ts: 40,
  loraBest: 48,
  errCol: 56,
  caps: 64,
} as const;

/** Malformed-line reasons by WASM code. */
export const MALFORMED_REASONS: Record<number, string> = {
  1: 'invalid label name',
  2: 'expected "=" after label name',
  3: "expected '\"' to start the label value",
  4: 'unterminated label value',
  5: 'invalid escape sequence in label value',
  6: 'expected "," or "}" after label value',
  7: 'missing sample value',
  8: 'invalid sample value',
  9: 'invalid timestamp',
  10: 'unexpected text after timestamp',
  11: 'unexpected character after metric name',
};

/** The raw exports of build/metrics_parser.wasm (no bindings: numbers only). */
export interface ParserExports {
  memory: WebAssembly.Memory;
  cfgPtr(): number;
  strPtr(): number;
  outPtr(): number;
  inputPtr(): number;
  reserve(len: number): number;
  configure(): number;
  parse(len: number): number;
  countNewlines(len: number): number;
}
