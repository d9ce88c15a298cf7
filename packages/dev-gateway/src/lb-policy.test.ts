import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EndpointPicker, seededRandom } from './lb-policy.js';

const eps = ['a:1', 'b:1', 'c:1'];

describe('own load-balancing policies', () => {
  test('round robin cycles through every endpoint', () => {
    const p = new EndpointPicker('round-robin');
    const picks = Array.from({ length: 6 }, () => p.pick(eps));
    assert.deepEqual(new Set(picks.slice(0, 3)), new Set(eps));
    assert.deepEqual(picks.slice(0, 3), picks.slice(3));
  });

  test('least request: of two random choices, the one with fewer active requests', () => {
    let i = 0;
    const seq = [0, 0.25]; // first choice index 0 (a); second floor(0.25*2)=0, skipping a -> b
    const p = new EndpointPicker('least-request', () => seq[i++ % 2]!);
    const endA = p.begin('a:1');
    assert.equal(p.pick(eps), 'b:1');
    endA();
    endA(); // idempotent
    assert.equal(p.active('a:1'), 0);
    const endB = p.begin('b:1');
    assert.equal(p.pick(eps), 'a:1');
    endB();
  });

  test('least request never picks the same endpoint twice as its two choices, and handles 0/1 endpoints', () => {
    const p = new EndpointPicker('least-request', () => 0.999);
    assert.equal(p.pick([]), undefined);
    assert.equal(p.pick(['x:1']), 'x:1');
    assert.ok(eps.includes(p.pick(eps)!));
  });

  test('random stays within the candidates', () => {
    const p = new EndpointPicker('random');
    for (let k = 0; k < 20; k++) assert.ok(eps.includes(p.pick(eps)!));
  });

  test('seeded choices repeat', () => {
    const run = () => {
      const p = new EndpointPicker('random', seededRandom(42));
      return Array.from({ length: 20 }, () => p.pick(eps));
    };
    assert.deepEqual(run(), run());
    assert.ok(new Set(run()).size > 1);
  });
});
