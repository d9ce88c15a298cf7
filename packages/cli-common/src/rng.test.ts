import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from './rng.js';

// The exact outputs of the generator the routing benchmark, the dev gateway and the metrics fixtures used before it
// moved here: if these change, every seeded result in the repo changes.
test('mulberry32: pinned first outputs for seeds 1, 42 and 2^32-1', () => {
  const first = (seed: number) => {
    const r = mulberry32(seed);
    return [r(), r(), r(), r()];
  };
  assert.deepEqual(
    first(1),
    [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741],
  );
  assert.deepEqual(
    first(42),
    [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693],
  );
  assert.deepEqual(
    first(0xffffffff),
    [0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677],
  );
});

test('mulberry32: seeds are taken modulo 2^32; outputs stay in [0, 1)', () => {
  assert.equal(mulberry32(-1)(), mulberry32(0xffffffff)());
  assert.equal(mulberry32(2 ** 32 + 7)(), mulberry32(7)());
  const r = mulberry32(3);
  for (let i = 0; i < 10_000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
  }
});
