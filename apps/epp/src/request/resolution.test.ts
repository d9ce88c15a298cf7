import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveModel } from './resolution.js';
import { createRng } from './rng.js';
import { FakeDatastore } from './testing.js';

describe('model resolution', () => {
  test('unknown model passes through with priority 0', () => {
    const r = resolveModel('llama', {}, new FakeDatastore(), createRng(1));
    assert.deepEqual(r, { incoming: 'llama', target: 'llama', priority: 0, source: 'as-sent' });
  });
  test('rewrite header sets the target', () => {
    const r = resolveModel('llama', { rewrite: 'llama-v2' }, new FakeDatastore(), createRng(1));
    assert.equal(r.target, 'llama-v2');
    assert.equal(r.source, 'rewrite-header');
  });
  test('an InferenceModelRewrite rule overrides the rewrite header', () => {
    const ds = new FakeDatastore();
    ds.addRewrite('rw', '2025-01-01T00:00:00Z', [{ matches: ['llama'], targets: [['llama-canary', 1]] }]);
    const r = resolveModel('llama', { rewrite: 'from-header' }, ds, createRng(1));
    assert.equal(r.target, 'llama-canary');
    assert.equal(r.rewriteName, 'rw');
    assert.equal(r.source, 'rewrite-rule');
  });
  test('rewrite precedence: exact beats catch-all, then oldest, then first rule', () => {
    const ds = new FakeDatastore();
    ds.addRewrite('catch-all-old', '2024-01-01T00:00:00Z', [{ matches: [], targets: [['generic', 1]] }]);
    ds.addRewrite('exact-new', '2025-06-01T00:00:00Z', [
      { matches: ['llama'], targets: [['exact-new-t', 1]] },
    ]);
    ds.addRewrite('exact-old', '2025-01-01T00:00:00Z', [
      { matches: ['other'], targets: [['x', 1]] },
      { matches: ['llama'], targets: [['exact-old-first', 1]] },
      { matches: ['llama'], targets: [['exact-old-second', 1]] },
    ]);
    const rng = createRng(1);
    assert.equal(resolveModel('llama', {}, ds, rng).target, 'exact-old-first');
    assert.equal(resolveModel('mistral', {}, ds, rng).target, 'generic');
  });
  test('rewrite weighted targets follow the weights (seeded)', () => {
    const ds = new FakeDatastore();
    ds.addRewrite('split', '2025-01-01T00:00:00Z', [
      {
        matches: ['m'],
        targets: [
          ['a', 90],
          ['b', 10],
        ],
      },
    ]);
    const rng = createRng(11);
    let a = 0;
    for (let i = 0; i < 10_000; i++) if (resolveModel('m', {}, ds, rng).target === 'a') a++;
    assert.ok(Math.abs(a / 10_000 - 0.9) < 0.02, `share ${a / 10_000}`);
  });
  test('InferenceModel: weighted targetModels, uniform when unweighted, itself when none', () => {
    const ds = new FakeDatastore();
    ds.addModel('sql', 'Critical', [
      ['sql-lora-1', 1],
      ['sql-lora-2', 3],
    ]);
    ds.addModel('plain', undefined, [['p1'], ['p2']]);
    ds.addModel('self', 'Sheddable');
    const rng = createRng(5);
    let two = 0;
    for (let i = 0; i < 10_000; i++) if (resolveModel('sql', {}, ds, rng).target === 'sql-lora-2') two++;
    assert.ok(Math.abs(two / 10_000 - 0.75) < 0.02);
    let p1 = 0;
    for (let i = 0; i < 10_000; i++) if (resolveModel('plain', {}, ds, rng).target === 'p1') p1++;
    assert.ok(Math.abs(p1 / 10_000 - 0.5) < 0.02);
    const self = resolveModel('self', {}, ds, rng);
    assert.equal(self.target, 'self');
    assert.equal(self.criticality, 'Sheddable');
    assert.equal(resolveModel('sql', {}, ds, rng).criticality, 'Critical');
    // unset criticality reads as Standard; no InferenceModel at all leaves it undefined (legacy profile: 404)
    assert.equal(resolveModel('plain', {}, ds, rng).criticality, 'Standard');
    assert.equal(resolveModel('no-such-model', {}, ds, rng).criticality, undefined);
  });
  test('the rewrite header beats InferenceModel targetModels', () => {
    const ds = new FakeDatastore();
    ds.addModel('sql', 'Critical', [['sql-lora-1', 1]]);
    assert.equal(resolveModel('sql', { rewrite: 'hdr' }, ds, createRng(1)).target, 'hdr');
  });
  test('objective priority: by header name; unknown or unset = 0; negative is kept (sheddable)', () => {
    const ds = new FakeDatastore();
    ds.addObjective('batch', -1);
    ds.addObjective('interactive', 10);
    ds.addObjective('unset', undefined);
    const rng = createRng(1);
    assert.equal(resolveModel('m', { objective: 'batch' }, ds, rng).priority, -1);
    assert.equal(resolveModel('m', { objective: 'interactive' }, ds, rng).priority, 10);
    assert.equal(resolveModel('m', { objective: 'unset' }, ds, rng).priority, 0);
    assert.equal(resolveModel('m', { objective: 'nope' }, ds, rng).priority, 0);
    assert.equal(resolveModel('m', {}, ds, rng).priority, 0);
  });
  test('criticality Sheddable maps to priority -1 only without an objective header', () => {
    const ds = new FakeDatastore();
    ds.addModel('s', 'Sheddable');
    ds.addModel('c', 'Critical');
    ds.addObjective('hi', 5);
    const rng = createRng(1);
    assert.equal(resolveModel('s', {}, ds, rng).priority, -1);
    assert.equal(resolveModel('c', {}, ds, rng).priority, 0);
    assert.equal(resolveModel('s', { objective: 'hi' }, ds, rng).priority, 5);
    assert.equal(resolveModel('s', { objective: 'unknown' }, ds, rng).priority, 0);
  });
});
