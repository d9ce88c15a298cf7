import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { findTopLevelStringMember, replaceTopLevelString } from './json-splice.js';

describe('top-level JSON member splice', () => {
  test('finds only top-level members, skipping strings and nested objects/arrays', () => {
    const text = '{"a":{"model":"no"},"b":["model","x"],"s":"\\"model\\":\\"no\\"","model":"yes"}';
    const span = findTopLevelStringMember(text, 'model');
    assert.ok(span);
    assert.equal(text.slice(span.start, span.end), '"yes"');
  });
  test('the last duplicate wins, like JSON.parse', () => {
    assert.equal(
      replaceTopLevelString('{"model":"a","model":"b"}', 'model', 'c'),
      '{"model":"a","model":"c"}',
    );
  });
  test('escaped key names match', () => {
    assert.equal(replaceTopLevelString('{"mod\\u0065l":"a"}', 'model', 'b'), '{"mod\\u0065l":"b"}');
  });
  test('a non-string value or a missing key gives null', () => {
    assert.equal(replaceTopLevelString('{"model":1}', 'model', 'b'), null);
    assert.equal(replaceTopLevelString('{"other":"x"}', 'model', 'b'), null);
  });
  test('property: the result parses to the same document with only model changed', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        fc.string(),
        (obj, model, target) => {
          const doc = { ...obj, model };
          const text = JSON.stringify(doc, null, 1);
          const out = replaceTopLevelString(text, 'model', target);
          assert.ok(out !== null);
          assert.deepEqual(JSON.parse(out), JSON.parse(JSON.stringify({ ...doc, model: target })));
        },
      ),
      { numRuns: 300 },
    );
  });
});
