// Layout and codes shared with assembly/index.ts (keep in sync).
export const MAX_MEMBERS = 4096;
export const MEMBER_BYTES = 20;

export const S_INVALID = -1;
export const S_NOT_OBJECT = -2;
export const S_TOO_MANY_MEMBERS = -3;
export const S_TOO_DEEP = -4;

export const F_KEY_ESCAPED = 1;
export const F_VALUE_ESCAPED = 2;

/** Error contexts, worded like Go's encoding/json syntax errors. */
export const ERROR_CONTEXT: Record<number, string> = {
  2: 'looking for beginning of value',
  3: 'looking for beginning of object key string',
  4: 'after object key',
  5: 'after object key:value pair',
  6: 'after array element',
  7: 'after top-level value',
  8: 'in string literal',
  9: 'in string escape code',
  10: 'in numeric literal',
  11: 'in literal',
};
export const E_EOF = 1;
export const E_LITERAL = 11;

export interface ScannerExports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  outPtr(): number;
  errorPos(): number;
  errorCode(): number;
  topLevelByte(): number;
  scan(len: number): number;
}
