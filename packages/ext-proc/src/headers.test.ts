import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyHeaderMutation, buildHeaderMutation, HeaderMapView, sanitizeHeaderValue } from './headers.js';
import { fromStruct, toStruct } from './struct.js';

describe('headers', () => {
  test('HeaderMapView prefers raw_value, lower-cases names, last duplicate wins for get()', () => {
    const v = HeaderMapView.fromProto({
      headers: [
        { key: 'X-A', value: 'ignored', rawValue: Buffer.from('raw') },
        { key: 'x-b', value: 'plain' },
        { key: 'x-b', rawValue: Buffer.from('second') },
      ],
    });
    assert.equal(v.get('x-a'), 'raw');
    assert.equal(v.get('X-B'), 'second');
    assert.equal(v.has('x-c'), false);
    assert.deepEqual(v.entries(), [
      ['x-a', 'raw'],
      ['x-b', 'plain'],
      ['x-b', 'second'],
    ]);
  });
  test('sanitizeHeaderValue removes CR, LF, NUL and other controls but keeps HTAB', () => {
    assert.equal(sanitizeHeaderValue('ok value'), 'ok value');
    assert.equal(sanitizeHeaderValue('a\r\nx-injected: 1'), 'ax-injected: 1');
    assert.equal(sanitizeHeaderValue('a\u0000b\u0007c\u007f\td'), 'abc\td');
  });
  test('buildHeaderMutation sanitises and returns undefined when empty', () => {
    assert.equal(buildHeaderMutation([], []), undefined);
    const m = buildHeaderMutation([['X-Model', 'm\r\n']], ['x-gone']);
    assert.equal(m?.setHeaders?.[0]?.header?.rawValue?.toString(), 'm');
    assert.deepEqual(m?.removeHeaders, ['x-gone']);
  });
  test('applyHeaderMutation: removals, overwrite by default, append, add-if-absent, pseudo headers kept', () => {
    const out = applyHeaderMutation(
      [
        [':path', '/v1'],
        ['host', 'h'],
        ['a', '1'],
        ['b', '2'],
      ],
      {
        removeHeaders: [':path', 'host', 'b'],
        setHeaders: [
          { header: { key: 'A', rawValue: Buffer.from('one') } },
          { header: { key: 'c', value: '3' }, append: { value: true } },
          { header: { key: 'c', value: '4' }, append: { value: true } },
          { header: { key: 'a', value: 'no' }, appendAction: 'ADD_IF_ABSENT' },
          { header: { key: 'zz', value: 'no' }, appendAction: 'OVERWRITE_IF_EXISTS' },
        ],
      },
    );
    assert.deepEqual(out, [
      [':path', '/v1'],
      ['host', 'h'],
      ['a', 'one'],
      ['c', '3'],
      ['c', '4'],
    ]);
  });
  test('HeaderMapView answers the same past the scan limit (Map lookups) as below it', () => {
    for (const n of [3, 32, 33, 200]) {
      const list: Array<[string, string]> = Array.from({ length: n }, (_, i) => [`x-h${i % 40}`, `v${i}`]);
      list.push(['x-empty', '']);
      const v = new HeaderMapView(list);
      for (let i = 0; i < Math.min(n, 40); i++) {
        const last = list.filter(([k]) => k === `x-h${i}`).at(-1)?.[1];
        assert.equal(v.get(`X-H${i}`), last, `n=${n} i=${i}`);
      }
      assert.equal(v.get('x-missing'), undefined);
      assert.equal(v.has('x-missing'), false);
      assert.equal(v.has('x-empty'), true, 'an empty value is present');
      assert.equal(v.get('X-EMPTY'), '');
      assert.deepEqual(v.entries(), list);
    }
  });
  test('Struct round trip', () => {
    const v = { 'envoy.lb': { k: 'v', n: 1, b: true, z: null, l: ['x', 2], o: { p: 'q' } } };
    assert.deepEqual(fromStruct(toStruct(v) as never), v);
  });
});
