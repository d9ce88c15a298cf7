import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  test('doubles up to the cap; jitter only shortens; reset starts over', () => {
    const noJitter = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => noJitter.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    noJitter.reset();
    assert.equal(noJitter.next(), 100);
    const low = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 1);
    assert.deepEqual([low.next(), low.next()], [50, 100]);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 0);
    assert.deepEqual([high.next(), high.next()], [100, 200]);
    const real = new Backoff({ initialMs: 100, maxMs: 1000 });
    for (let i = 0; i < 20; i++) {
      const d = real.next();
      assert.ok(d >= 0 && d <= 1000);
    }
  });

  test('rejects nonsense', () => {
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), RangeError);
  });
});
