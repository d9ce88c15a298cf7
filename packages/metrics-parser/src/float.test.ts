// The scanner's own decimal -> double conversion (Clinger fast path, Eisel-Lemire, host fallback past 19 digits)
// must agree bit for bit with JavaScript's Number().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MetricsExtractor } from './extractor.js';

const ex = new MetricsExtractor({ waitingQueue: '', running: '', kvUsage: 'kv', lora: '', cacheInfo: '' });
const encoder = new TextEncoder();

function scannedValue(token: string): number | undefined {
  return ex.extract(encoder.encode(`kv ${token}\n`)).kvCacheUsagePercent;
}

function same(token: string): void {
  const want = Number(token);
  assert.ok(Object.is(scannedValue(token), Number.isFinite(want) ? want : undefined), token);
}

test('edge cases: subnormals, the largest double, halfway cases, long mantissas', () => {
  for (const t of [
    '0',
    '-0',
    '0.0e0',
    '4.9e-324',
    '5e-324',
    '2.4703282292062327e-324',
    '2.4703282292062328e-324',
    '2.2250738585072011e-308',
    '2.2250738585072014e-308',
    '1.7976931348623157e308',
    '1.7976931348623158e308',
    '9007199254740993',
    '9007199254740992.5',
    '1e23',
    '8.98846567431158e307',
    '3.0000000003e40',
    '0.30000000000000004',
    '123456789012345678901234567890',
    '0.000000000000000000000000000001234567890123456789',
  ]) {
    same(t);
  }
});

test('20,000 random doubles printed by JS round-trip exactly', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => same(String(d))),
    { numRuns: 20_000 },
  );
});

test('20,000 random decimal strings (1-25 digits, exponents -360..340)', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[0-9]{1,25}$/),
      fc.stringMatching(/^[0-9]{0,5}$/),
      fc.integer({ min: -360, max: 340 }),
      (int, frac, exp) => same(`${int}${frac ? `.${frac}` : ''}e${exp}`),
    ),
    { numRuns: 20_000 },
  );
});
