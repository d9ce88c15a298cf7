import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adapterList } from './assemble.js';
import { decodeLabelValue } from './labels.js';

test('decodeLabelValue: plain, escaped and non-ASCII values', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['16', '16'],
    ['a\\\\b\\"c\\nd', 'a\\b"c\nd'],
    ['modèle', 'modèle'],
    ['x'.repeat(100), 'x'.repeat(100)],
    [`${'y'.repeat(60)}\\n`, `${'y'.repeat(60)}\n`],
  ];
  for (const [raw, want] of cases) {
    const buf = Buffer.from(`##${raw}##`);
    assert.equal(decodeLabelValue(buf, 2, buf.length - 2), want);
  }
});

test('adapterList: trims, drops empties and duplicates, keeps order', () => {
  assert.deepEqual(adapterList(undefined), []);
  assert.deepEqual(adapterList(''), []);
  assert.deepEqual(adapterList(' b , a,,b, '), ['b', 'a']);
  assert.deepEqual(adapterList('one'), ['one']);
});
