// Host side of the WASM top-level JSON scanner: one copy of the body into WASM memory and one call per request,
// then field lookups read only the member table and the few value bytes they need. When the scanner gives up
// (more than 4096 top-level members, nesting deeper than 65536) the body goes through JSON.parse instead, so the
// answer is always the one JSON.parse (and Go's encoding/json into a map) would give.
import { readFileSync } from 'node:fs';
import {
  E_EOF,
  E_LITERAL,
  ERROR_CONTEXT,
  F_KEY_ESCAPED,
  F_VALUE_ESCAPED,
  MEMBER_BYTES,
  S_INVALID,
  S_NOT_OBJECT,
  type ScannerExports,
} from './wasm-layout.js';

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'bool';

export type ScanResult =
  | { kind: 'object'; fields: TopLevelFields }
  | { kind: 'invalid'; message: string; offset: number }
  | { kind: 'not-object'; jsonType: Exclude<JsonKind, 'object'> };

/** Read access to the top-level members of a JSON object body; duplicate keys: the last one wins (as JSON.parse). */
export interface TopLevelFields {
  /** `{ found: false }` when absent; the decoded JSON value otherwise. */
  get(name: string): { found: false } | { found: true; value: unknown };
}

const PAGE = 65536;
let compiled: WebAssembly.Module | undefined;

function scannerModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('../../build/json_scan.wasm', import.meta.url)));
  return compiled;
}

export class WasmTrap extends Error {}

export class JsonScanner {
  private readonly ex: ScannerExports;
  private u8: Uint8Array;
  private i32: Int32Array;
  private readonly inputBase: number;
  private readonly outBase: number;

  constructor() {
    const instance = new WebAssembly.Instance(scannerModule(), {
      env: {
        abort: () => {
          throw new WasmTrap('json scanner aborted');
        },
      },
    });
    this.ex = instance.exports as unknown as ScannerExports;
    this.inputBase = this.ex.inputPtr();
    this.outBase = this.ex.outPtr();
    this.u8 = new Uint8Array(this.ex.memory.buffer);
    this.i32 = new Int32Array(this.ex.memory.buffer);
  }

  /** Validate `body` as JSON and index its top-level members. */
  scan(body: Uint8Array): ScanResult {
    const need = this.inputBase + body.length + 16;
    if (need > this.u8.length) {
      this.ex.memory.grow(Math.ceil((need - this.u8.length) / PAGE));
      // Growing detaches the old views.
      this.u8 = new Uint8Array(this.ex.memory.buffer);
      this.i32 = new Int32Array(this.ex.memory.buffer);
    }
    this.u8.set(body, this.inputBase);
    const status = this.ex.scan(body.length);
    if (status >= 0) return { kind: 'object', fields: this.members(body, status) };
    if (status === S_INVALID) return this.invalid(body);
    if (status === S_NOT_OBJECT) return { kind: 'not-object', jsonType: kindOfByte(this.ex.topLevelByte()) };
    return parseWithJsonParse(body);
  }

  private members(body: Uint8Array, n: number): TopLevelFields {
    // Copy the table out: the next scan() reuses it.
    const start = this.outBase >> 2;
    const table = this.i32.slice(start, start + n * (MEMBER_BYTES >> 2));
    return new MemberTable(body, table, n);
  }

  private invalid(body: Uint8Array): ScanResult {
    const offset = this.ex.errorPos();
    const code = this.ex.errorCode();
    if (code === E_EOF) return { kind: 'invalid', message: 'unexpected end of JSON input', offset };
    const c = body[offset] ?? 0;
    let context = ERROR_CONTEXT[code] ?? 'in JSON';
    if (code === E_LITERAL) {
      let s = offset;
      while (s > 0 && (body[s - 1] ?? 0) >= 0x61 && (body[s - 1] ?? 0) <= 0x7a) s--;
      const lit = body[s] === 0x74 ? 'true' : body[s] === 0x66 ? 'false' : 'null';
      context = `in literal ${lit} (expecting ${quoteChar(lit.charCodeAt(offset - s))})`;
    }
    return { kind: 'invalid', message: `invalid character ${quoteChar(c)} ${context}`, offset };
  }
}

const NAME_BYTES = new Map<string, Buffer>();

class MemberTable implements TopLevelFields {
  private readonly cache = new Map<string, { found: false } | { found: true; value: unknown }>();
  constructor(
    private readonly body: Uint8Array,
    private readonly table: Int32Array,
    private readonly n: number,
  ) {}

  get(name: string): { found: false } | { found: true; value: unknown } {
    let hit = this.cache.get(name);
    if (!hit) {
      hit = this.lookup(name);
      this.cache.set(name, hit);
    }
    return hit;
  }

  private lookup(name: string): { found: false } | { found: true; value: unknown } {
    let want = NAME_BYTES.get(name);
    if (!want) {
      want = Buffer.from(name, 'utf8');
      if (NAME_BYTES.size < 64) NAME_BYTES.set(name, want);
    }
    const buf = Buffer.isBuffer(this.body)
      ? this.body
      : Buffer.from(this.body.buffer, this.body.byteOffset, this.body.length);
    for (let i = this.n - 1; i >= 0; i--) {
      const r = i * 5;
      const ks = this.table[r]!;
      const ke = this.table[r + 1]!;
      const flags = this.table[r + 4]!;
      let match: boolean;
      if (flags & F_KEY_ESCAPED) {
        match = JSON.parse(buf.toString('utf8', ks - 1, ke + 1)) === name;
      } else {
        match = ke - ks === want.length && buf.compare(want, 0, want.length, ks, ke) === 0;
        // Invalid UTF-8 in a key decodes to U+FFFD in JSON.parse: compare the decoded text when non-ASCII bytes are present.
        if (!match && hasHighBytes(buf, ks, ke)) match = buf.toString('utf8', ks, ke) === name;
      }
      if (!match) continue;
      const vs = this.table[r + 2]!;
      const ve = this.table[r + 3]!;
      if (buf[vs] === 0x22 && !(flags & F_VALUE_ESCAPED))
        return { found: true, value: buf.toString('utf8', vs + 1, ve - 1) };
      return { found: true, value: JSON.parse(buf.toString('utf8', vs, ve)) };
    }
    return { found: false };
  }
}

function hasHighBytes(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if ((b[i] ?? 0) >= 0x80) return true;
  return false;
}

function kindOfByte(c: number): Exclude<JsonKind, 'object'> {
  if (c === 0x5b) return 'array';
  if (c === 0x22) return 'string';
  if (c === 0x74 || c === 0x66) return 'bool';
  return 'number';
}

/** Go's quoteChar for syntax errors. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `'\\x${c.toString(16).padStart(2, '0')}'`;
}

/** The reference path (and the fallback when the scanner's fixed tables are too small). */
export function parseWithJsonParse(body: Uint8Array): ScanResult {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'));
  } catch (err) {
    return { kind: 'invalid', message: (err as Error).message, offset: -1 };
  }
  if (v === null) return { kind: 'object', fields: { get: () => ({ found: false }) } };
  if (typeof v !== 'object')
    return {
      kind: 'not-object',
      jsonType: typeof v === 'boolean' ? 'bool' : (typeof v as 'string' | 'number'),
    };
  if (Array.isArray(v)) return { kind: 'not-object', jsonType: 'array' };
  const obj = v as Record<string, unknown>;
  return {
    kind: 'object',
    fields: {
      get: (name) => (Object.hasOwn(obj, name) ? { found: true, value: obj[name] } : { found: false }),
    },
  };
}
