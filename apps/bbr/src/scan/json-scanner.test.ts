// Differential property tests: the WASM fast path must agree with JSON.parse on every input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { goFormatFloat, goFormatValue } from './go-format.js';
import { JsonScanner, parseWithJsonParse, type ScanResult } from './json-scanner.js';

const scanner = new JsonScanner();
const FIELDS = ['model', 'prompt', 'mod\u00e9l', ''];

function summary(r: ScanResult) {
  if (r.kind === 'invalid') return { kind: 'invalid' };
  if (r.kind === 'not-object') return r;
  return { kind: 'object', fields: FIELDS.map((f) => r.fields.get(f)) };
}

function agree(bytes: Buffer) {
  const fast = summary(scanner.scan(bytes));
  const ref = summary(parseWithJsonParse(bytes));
  assert.deepStrictEqual(fast, ref, `input: ${JSON.stringify(bytes.toString('latin1'))}`);
}

const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ', '   ');
/** A JSON string literal for s, with random characters written as \u escapes. */
const encodedString = (s: string) =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((esc) => {
    let out = '"';
    [...s].forEach((ch, i) => {
      const lit = JSON.stringify(ch).slice(1, -1);
      if (esc[i] && ch.length === 1) out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
      else out += lit;
    });
    return `${out}"`;
  });
const key = fc.oneof(
  fc.constantFrom('model', 'prompt', 'messages', 'mod\u00e9l', '', 'Model', 'model '),
  fc.string({ maxLength: 6 }),
);
const value: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 10 }).chain(encodedString),
  fc.constant('{"model":"nested","a":[{"model":1}]}'),
  fc.constantFrom('-0', '1e400', '0.5e-3', '12345678', 'true', 'false', 'null', '[]', '{}'),
);
const member = fc
  .tuple(key.chain(encodedString), value, ws, ws, ws)
  .map(([k, v, a, b, c]) => `${a}${k}${b}:${c}${v}`);
const objectText = fc
  .tuple(fc.array(member, { maxLength: 8 }), ws, ws)
  .map(([ms, a, b]) => `${a}{${ms.join(',')}}${b}`);
const mutation = fc
  .tuple(
    objectText,
    fc.nat(),
    fc.constantFrom(
      '',
      ',',
      '"',
      '\\',
      '}',
      ']',
      '{',
      ':',
      '\u0001',
      '\n',
      'x',
      '0',
      '-',
      '.',
      'e',
      '\u00ff',
    ),
    fc.constantFrom('insert', 'delete', 'replace', 'truncate'),
  )
  .map(([t, at, ch, op]) => {
    const i = t.length === 0 ? 0 : at % t.length;
    if (op === 'insert') return t.slice(0, i) + ch + t.slice(i);
    if (op === 'delete') return t.slice(0, i) + t.slice(i + 1);
    if (op === 'replace') return t.slice(0, i) + ch + t.slice(i + 1);
    return t.slice(0, i);
  });

describe('JSON top-level scanner vs JSON.parse', () => {
  test('objects with escapes, nested model keys, duplicates and whitespace', () => {
    fc.assert(
      fc.property(objectText, (t) => agree(Buffer.from(t))),
      { numRuns: 3000 },
    );
  });
  test('mutated (mostly invalid) objects', () => {
    fc.assert(
      fc.property(mutation, (t) => agree(Buffer.from(t, 'latin1'))),
      { numRuns: 4000 },
    );
    fc.assert(
      fc.property(mutation, (t) => agree(Buffer.from(t))),
      { numRuns: 2000 },
    );
  });
  test('any JSON value and arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.json(), (t) => agree(Buffer.from(t))),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => agree(Buffer.from(b))),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => agree(Buffer.from(s))),
      { numRuns: 2000 },
    );
  });
  test('long strings cross the 16-byte SIMD blocks at every offset', () => {
    for (let pad = 0; pad < 40; pad++) {
      const s = 'a'.repeat(pad);
      for (const tail of ['"', '\\"', '\\n', '\\u00e9', '\u0001', '\\x', '\\u12', '']) {
        agree(Buffer.from(`{"model":"${s}${tail}","x":1}`));
        agree(Buffer.from(`{"p":"${s}${tail}","model":"m${s}"}`));
      }
    }
  });
  // The 64-byte string loop: a SIMD mask of quotes/backslashes/controls, `\n` escapes recognised in SIMD (including
  // after runs of backslashes and across block ends), other escapes walked. Long strings made of escape-heavy pieces
  // put every piece at every block offset; the model value is decoded, so a missed escape would show.
  const validPiece = fc.constantFrom(
    'a',
    'n',
    'nn',
    ' ',
    'é',
    '\\n',
    '\\\\',
    '\\\\n',
    '\\\\\\n',
    '\\"',
    '\\"n',
    '\\/',
    '\\t',
    '\\u00e9',
    '\\ud83d\\ude00',
    '\\b\\f\\r',
  );
  const anyPiece = fc.oneof(
    validPiece,
    fc.constantFrom('"', '\\', '\\x', '\\u12', '\\u12G4', '\u0001', '\n', '\t', '\\\u0001', 'u', '0'),
  );
  const longString = (piece: fc.Arbitrary<string>) =>
    fc.tuple(fc.nat(70), fc.array(piece, { maxLength: 120 }), fc.nat(3)).map(([pad, pieces, where]) => {
      const s = 'p'.repeat(pad) + pieces.join('');
      if (where === 0) return `{"model":"${s}","x":1}`;
      if (where === 1) return `{"messages":[{"content":"${s}"}],"model":"m${s.slice(0, 9)}"}`;
      if (where === 2) return `{"model":"${s}"}`;
      return `{"a":"${s}","model":"${s}"`; // unterminated object
    });
  test('escape-heavy long strings at every block offset', () => {
    fc.assert(
      fc.property(longString(validPiece), (t) => agree(Buffer.from(t))),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(longString(anyPiece), (t) => agree(Buffer.from(t))),
      { numRuns: 3000 },
    );
  });
  test('escapes and specials at every position of a 64-byte block and at the end of the input', () => {
    for (let pad = 0; pad < 140; pad++) {
      const s = 'a'.repeat(pad);
      for (const tail of [
        '\\\\"',
        '\\\\\\"',
        '"\\"',
        'x\\"\\"',
        '\\n',
        '\\\\n',
        '\\\\\\n',
        '\\\\',
        '\\"',
        '\\n"',
        '"',
        '\\u00e9',
        '\\x',
        '\u0001',
        '\\',
      ]) {
        agree(Buffer.from(`{"model":"${s}${tail}${'b'.repeat(70)}"}`));
        agree(Buffer.from(`{"model":"${s}${tail}`));
        agree(Buffer.from(`{"model":"${s}${tail}"}`));
      }
    }
  });
  test('hand-picked cases', () => {
    const cases = [
      '{"model":"a","model":"b"}',
      '{"mod\\u0065l":"escaped-key"}',
      '{"a":{"model":"inner"}}',
      '{"model":null}',
      '{"model":12345678}',
      'null',
      '',
      ' ',
      '[1,2]',
      '"str"',
      '{"model":"x",}',
      '{"model":"x"} x',
      '\ufeff{"model":"bom"}',
      `{"model":"${'x'.repeat(70_000)}"}`,
      `${'['.repeat(70_000)}${']'.repeat(70_000)}`,
      ...['-', '01', '1.', '.5', '1e', '1e+', '+1', '-01', '1.5e-3', '-0.0E+00', '2e308'].map(
        (n) => `{"model":${n}}`,
      ),
      ...['tru', 'nul', 'fals', 'truex', 'nulll', 'True', 'NaN', 'Infinity'].map((l) => `{"model":${l}}`),
      '{"model":"tab\\tinside"}',
      '{"model":"raw\ttab"}',
      '{"model":"del\u007f ok"}',
      '{"model":"\\ud800 lone surrogate"}',
      '{"model":"bad \\u12G4"}',
      '{"model"\u000b:"vertical tab"}',
      '{"model":"a"}\u0000',
      '{"a":1,"model":[1,{"model":2}],"b":{}}',
      '{"model":{"k":[true,false,null]}}',
      `{${Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',')},"model":"last"}`,
    ];
    for (const c of cases) agree(Buffer.from(c));
  });
  test('a result stays valid after later scans (its member table is copied out, even across memory growth)', () => {
    const own = new JsonScanner();
    const first = own.scan(Buffer.from('{"model":"first","n":{"a":1},"x":true}'));
    assert.equal(first.kind, 'object');
    if (first.kind !== 'object') return;
    assert.deepEqual(first.fields.get('model'), { found: true, value: 'first' });
    const second = own.scan(Buffer.from(`{"x":1,"model":"second","pad":"${'p'.repeat(300_000)}"}`));
    const third = own.scan(Buffer.from('[1]'));
    assert.equal(third.kind, 'not-object');
    assert.deepEqual(first.fields.get('model'), { found: true, value: 'first' });
    assert.deepEqual(first.fields.get('x'), { found: true, value: true });
    assert.equal(first.fields.get('n'), first.fields.get('n'), 'an object value is decoded once');
    assert.deepEqual(first.fields.get('missing'), { found: false });
    assert.equal(second.kind, 'object');
    if (second.kind === 'object')
      assert.deepEqual(second.fields.get('model'), { found: true, value: 'second' });
  });
  test('Go-style error messages', () => {
    const msg = (t: string) => {
      const r = scanner.scan(Buffer.from(t));
      return r.kind === 'invalid' ? r.message : r.kind;
    };
    assert.equal(msg('not json'), "invalid character 'o' in literal null (expecting 'u')");
    assert.equal(msg('{"model":'), 'unexpected end of JSON input');
    assert.equal(msg('x'), "invalid character 'x' looking for beginning of value");
    assert.equal(msg('{"a" 1}'), "invalid character '1' after object key");
    assert.equal(msg('{"a":1 "b"}'), `invalid character '"' after object key:value pair`);
    assert.equal(msg('{"a":"\u0001"}'), "invalid character '\\x01' in string literal");
    assert.equal(msg('{} {}'), "invalid character '{' after top-level value");
  });
});

describe('Go %v formatting', () => {
  test('float64 like strconv g/-1 and containers like fmt', () => {
    assert.equal(goFormatFloat(1), '1');
    assert.equal(goFormatFloat(1.5), '1.5');
    assert.equal(goFormatFloat(123456), '123456');
    assert.equal(goFormatFloat(1_000_000), '1e+06');
    assert.equal(goFormatFloat(12345678), '1.2345678e+07');
    assert.equal(goFormatFloat(0.0001), '0.0001');
    assert.equal(goFormatFloat(0.00001), '1e-05');
    assert.equal(goFormatFloat(-0), '-0');
    assert.equal(goFormatFloat(1e300), '1e+300');
    assert.equal(goFormatValue(null), '<nil>');
    assert.equal(goFormatValue([1, 'a', true]), '[1 a true]');
    assert.equal(goFormatValue({ b: 1, a: { c: 'x' } }), 'map[a:map[c:x] b:1]');
  });
});
