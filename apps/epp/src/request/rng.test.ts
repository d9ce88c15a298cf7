import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRng, weightedPick } from './rng.js';

describe('seeded rng and weighted picks', () => {
  test('same seed, same sequence; values in [0,1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      assert.equal(x, b.next());
      assert.ok(x >= 0 && x < 1);
    }
  });
  test('weights are honoured (seeded, 3:1)', () => {
    const rng = createRng(7);
    const items = [
      { n: 'a', w: 3 },
      { n: 'b', w: 1 },
    ];
    let a = 0;
    for (let i = 0; i < 20_000; i++) if (weightedPick(items, (t) => t.w, rng)?.n === 'a') a++;
    assert.ok(Math.abs(a / 20_000 - 0.75) < 0.02, `share of a: ${a / 20_000}`);
  });
  test('all weights zero or unset -> uniform; empty -> undefined', () => {
    const rng = createRng(1);
    const counts = new Map<string, number>();
    const items = ['x', 'y', 'z'];
    for (let i = 0; i < 30_000; i++) {
      const p = weightedPick(items, () => undefined, rng) as string;
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    for (const n of items) assert.ok(Math.abs((counts.get(n) ?? 0) / 30_000 - 1 / 3) < 0.02);
    assert.equal(
      weightedPick([], () => 1, rng),
      undefined,
    );
  });
  test('a zero-weight entry is never picked when others have weight', () => {
    const rng = createRng(3);
    for (let i = 0; i < 5000; i++)
      assert.equal(
        weightedPick(['a', 'b'], (t) => (t === 'a' ? 0 : 5), rng),
        'b',
      );
  });
});
