// Property-based fuzzing (fast-check): >= 100,000 random, mutated and grammar-generated pages. Every page must give
// a well-formed result without throwing or trapping, the WASM scanner must agree with the TS reference, and WASM
// memory must not grow.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { engineConfig } from './engines.js';
import { ErrorCodes } from './errors.js';
import { vllmPage } from './fixtures/pages.js';
import { comparable, Pair } from './test-helpers.js';
import type { EndpointMetrics, ExtractorConfig } from './types.js';

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));
const encoder = new TextEncoder();

function wellFormed(r: EndpointMetrics): void {
  assert.ok(Array.isArray(r.errors));
  for (const e of r.errors) assert.ok(KNOWN_CODES.has(e.code), e.code);
  for (const k of ['waitingQueueSize', 'runningRequestsSize', 'kvCacheUsagePercent'] as const) {
    const v = r[k];
    assert.ok(v === undefined || Number.isFinite(v), `${k}=${v}`);
  }
}

/** Runs both extractors; fails with the page when they disagree. */
function check(pair: Pair, page: Uint8Array): void {
  const got = pair.wasm.extract(page);
  wellFormed(got);
  const want = pair.ref.extract(page);
  assert.deepStrictEqual(comparable(got), comparable(want), JSON.stringify(new TextDecoder().decode(page)));
}

const CONFIG: ExtractorConfig = {
  ...engineConfig('vllm'),
  waitingQueue: 'vllm:num_requests_waiting{model_name=m}',
};

// Bytes that matter to the grammar, to make mutations bite.
const INTERESTING = [...'{}",=\\\n\r \t#.e+-0123456789naifNIF_:'].map((c) => c.charCodeAt(0));
const byteArb = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));

interface Edit {
  pos: number;
  kind: 'replace' | 'insert' | 'delete' | 'truncate';
  byte: number;
  len: number;
}

function applyEdit(page: Uint8Array, e: Edit): Uint8Array {
  const at = Math.min(e.pos, page.length);
  switch (e.kind) {
    case 'replace': {
      const out = page.slice();
      out.fill(e.byte, at, Math.min(at + e.len, out.length));
      return out;
    }
    case 'insert': {
      const out = new Uint8Array(page.length + e.len);
      out.set(page.subarray(0, at));
      out.fill(e.byte, at, at + e.len);
      out.set(page.subarray(at), at + e.len);
      return out;
    }
    case 'delete': {
      const out = new Uint8Array(page.length - Math.min(e.len, page.length - at));
      out.set(page.subarray(0, at));
      out.set(page.subarray(Math.min(at + e.len, page.length)), at);
      return out;
    }
    case 'truncate':
      return page.subarray(0, at);
  }
}

describe('fuzz', () => {
  test('30,000 random byte pages', () => {
    const pair = new Pair(CONFIG);
    const pageArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(byteArb, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
      fc
        .array(
          fc.constantFrom(
            'vllm:num_requests_waiting',
            'vllm:kv_cache_usage_perc',
            'vllm:lora_requests_info',
            '{model_name="m"}',
            '{running_lora_adapters="a,b",max_lora="2"}',
            ' ',
            '1',
            '\n',
            '# TYPE ',
            '"',
            '\\',
          ),
          { maxLength: 40 },
        )
        .map((parts) => encoder.encode(parts.join(''))),
    );
    fc.assert(
      fc.property(pageArb, (page) => check(pair, page)),
      { numRuns: 30_000 },
    );
  });

  test('50,000 mutated vLLM pages', () => {
    const pair = new Pair(CONFIG);
    const base = vllmPage({ seed: 11, targetBytes: 2500 }).bytes;
    const edit = fc.record({
      pos: fc.nat({ max: base.length }),
      kind: fc.constantFrom<Edit['kind']>('replace', 'insert', 'delete', 'truncate'),
      byte: byteArb,
      len: fc.integer({ min: 1, max: 8 }),
    });
    const startMemory = pair.wasm.memoryBytes();
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        let page: Uint8Array = base;
        for (const e of edits) page = applyEdit(page, e);
        check(pair, page);
      }),
      { numRuns: 50_000 },
    );
    assert.equal(pair.wasm.memoryBytes(), startMemory);
  });

  test('25,000 grammar-generated pages (valid and near-valid lines of wanted families)', () => {
    const pair = new Pair(CONFIG);
    const name = fc.constantFrom(
      'vllm:num_requests_waiting',
      'vllm:num_requests_running',
      'vllm:kv_cache_usage_perc',
      'vllm:gpu_cache_usage_perc',
      'vllm:lora_requests_info',
      'vllm:cache_config_info',
      'vllm:other_metric',
    );
    const labelValue = fc.oneof(
      fc.constantFrom('m', 'n', '', 'a,b', ' a , b ,,', '4', 'x4', '16', '2048'),
      fc.string({ maxLength: 6, unit: fc.constantFrom('a', '"', '\\', '\n', '}', '{', ',', '=', ' ', 'é') }),
    );
    const label = fc.tuple(
      fc.constantFrom(
        'model_name',
        'engine',
        'running_lora_adapters',
        'waiting_lora_adapters',
        'max_lora',
        'block_size',
        'num_gpu_blocks',
        'le',
      ),
      labelValue,
    );
    const escapeValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const value = fc.oneof(
      fc.double().map((d) => String(d)),
      fc.integer({ min: -5, max: 2_000_000_000 }).map(String),
      fc.constantFrom(
        'NaN',
        '+Inf',
        '-Inf',
        'Inf',
        '1e3',
        '1.5E-2',
        '.5',
        '1.',
        '0x1',
        'abc',
        '1e400',
        '-0',
        '00012',
      ),
      fc.stringMatching(/^[+-]?[0-9]{1,25}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,3})?$/),
    );
    const ts = fc.oneof(
      fc.constant(''),
      fc.integer({ min: -10, max: 2_000_000_000_000 }).map((t) => ` ${t}`),
      fc.constantFrom(' 1700000000.5', ' 1.7e9', ' x', ' # {a="b"} 1', ' 99999999999999999999'),
    );
    const line = fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(
            name,
            fc.array(label, { maxLength: 4 }),
            fc.boolean(),
            value,
            ts,
            fc.constantFrom('', ' ', '\r'),
          )
          .map(([n, ls, braces, v, t, tail]) => {
            const lbl = ls.map(([k, x]) => `${k}="${escapeValue(x)}"`).join(',');
            return `${n}${braces || ls.length ? `{${lbl}}` : ''} ${v}${t}${tail}`;
          }),
      },
      { weight: 1, arbitrary: name.map((n) => `# TYPE ${n} gauge`) },
      { weight: 1, arbitrary: fc.constantFrom('', '# EOF', 'junk{ line', '  ', '# HELP x y') },
    );
    const startMemory = pair.wasm.memoryBytes();
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, finalNewline) => {
        check(pair, encoder.encode(lines.join('\n') + (finalNewline ? '\n' : '')));
      }),
      { numRuns: 25_000 },
    );
    assert.equal(pair.wasm.memoryBytes(), startMemory);
  });
});

describe('fuzz: several specs on one family', () => {
  test('10,000 grammar-generated Triton pages (four specs read nv_trt_llm_* families by label)', () => {
    const pair = new Pair(engineConfig('triton-trtllm'));
    const line = fc
      .tuple(
        fc.constantFrom('nv_trt_llm_request_metrics', 'nv_trt_llm_kv_cache_block_metrics', 'nv_other'),
        fc.array(
          fc.tuple(
            fc.constantFrom('request_type', 'kv_cache_block_type', 'model', 'version'),
            fc.constantFrom('waiting', 'scheduled', 'fraction', 'tokens_per', 'max', 'context', '1', ''),
          ),
          { maxLength: 3 },
        ),
        fc.oneof(fc.integer({ min: -3, max: 100000 }).map(String), fc.constantFrom('0.5', 'NaN', '1e3', 'x')),
        fc.constantFrom('', ' 5', ' 1000', ' -1', ' 7 extra'),
      )
      .map(([n, ls, v, ts]) => `${n}{${ls.map(([k, x]) => `${k}="${x}"`).join(',')}} ${v}${ts}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 15 }), (lines) =>
        check(pair, encoder.encode(lines.join('\n'))),
      ),
      { numRuns: 10_000 },
    );
  });
});
