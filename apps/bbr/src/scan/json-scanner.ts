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
  /** The last object's member table, still reading the WASM table in place; copied out before the next scan. */
  private live: MemberTable | undefined;

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
    if (this.live) {
      this.live.detach();
      this.live = undefined;
    }
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
    // No copy of the table here (allocating one costs as much as scanning a 1 KB body): the result reads the WASM
    // table in place until the next scan() asks it to copy its rows out.
    this.live = new MemberTable(body, this.i32, this.outBase >> 2, n);
    return this.live;
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

type Lookup = { found: false } | { found: true; value: unknown };
const NOT_FOUND: Lookup = Object.freeze({ found: false });
const NAME_BYTES = new Map<string, Buffer>();

function nameBytes(name: string): Buffer {
  let want = NAME_BYTES.get(name);
  if (!want) {
    want = Buffer.from(name, 'utf8');
    if (NAME_BYTES.size < 64) NAME_BYTES.set(name, want);
  }
  return want;
}

class MemberTable implements TopLevelFields {
  // The first field asked for (the model, usually the only one) is cached without a Map; others in a lazy Map. Cached
  // so that repeated gets of an object value return the same object, as property reads on JSON.parse's result do.
  private firstName: string | undefined;
  private firstHit: Lookup = NOT_FOUND;
  private more: Map<string, Lookup> | undefined;
  private readonly buf: Buffer;

  constructor(
    body: Uint8Array,
    /** Rows of 5 words (key start, key end, value start, value end, flags) from `start`. */
    private table: ArrayLike<number>,
    private start: number,
    private readonly n: number,
  ) {
    this.buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  }

  /** Copy the rows out of WASM memory: the scanner is about to overwrite them. */
  detach(): void {
    const words = this.n * (MEMBER_BYTES >> 2);
    const rows = new Array<number>(words);
    for (let i = 0; i < words; i++) rows[i] = this.table[this.start + i]!;
    this.table = rows;
    this.start = 0;
  }

  get(name: string): Lookup {
    if (name === this.firstName) return this.firstHit;
    if (this.firstName === undefined) {
      this.firstName = name;
      this.firstHit = this.lookup(name);
      return this.firstHit;
    }
    this.more ??= new Map();
    let hit = this.more.get(name);
    if (!hit) {
      hit = this.lookup(name);
      this.more.set(name, hit);
    }
    return hit;
  }

  private lookup(name: string): Lookup {
    const want = nameBytes(name);
    const buf = this.buf;
    const table = this.table;
    for (let i = this.n - 1; i >= 0; i--) {
      const r = this.start + i * 5;
      const ks = table[r]!;
      const ke = table[r + 1]!;
      const flags = table[r + 4]!;
      let match: boolean;
      if (flags & F_KEY_ESCAPED) {
        match = JSON.parse(buf.toString('utf8', ks - 1, ke + 1)) === name;
      } else {
        match = ke - ks === want.length && sameBytes(buf, ks, want);
        // Invalid UTF-8 in a key decodes to U+FFFD in JSON.parse: compare the decoded text when non-ASCII bytes are present.
        if (!match && hasHighBytes(buf, ks, ke)) match = buf.toString('utf8', ks, ke) === name;
      }
      if (!match) continue;
      const vs = table[r + 2]!;
      const ve = table[r + 3]!;
      if (buf[vs] === 0x22 && !(flags & F_VALUE_ESCAPED))
        return { found: true, value: buf.toString('utf8', vs + 1, ve - 1) };
      return { found: true, value: JSON.parse(buf.toString('utf8', vs, ve)) };
    }
    return NOT_FOUND;
  }
}

/** b[at, at + want.length) === want; keys are short, so a loop beats Buffer#compare's native call. */
function sameBytes(b: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (b[at + i] !== want[i]) return false;
  return true;
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
