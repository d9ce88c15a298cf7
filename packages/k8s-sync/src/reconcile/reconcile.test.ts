import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { model, objective, pod, poolV1, poolV1alpha2, rewrite } from './fixtures.js';
import { parseLabelSelector } from './label-selector.js';
import { matchRewrite, type PoolSelection, reconcile } from './reconcile.js';
import { ResourceSet } from './resource-set.js';

const V1: PoolSelection = {
  mode: 'pool',
  namespace: 'default',
  name: 'pool',
  group: 'inference.networking.k8s.io',
};

function setOf(...raws: unknown[]): ResourceSet {
  const s = new ResourceSet('default');
  for (const r of raws) s.upsert(r);
  return s;
}

describe('reconcile', () => {
  test('endpoints: ready, not terminating, with an IP, matching the selector, in the namespace; one per port', () => {
    const set = setOf(
      poolV1('pool', { ports: [8000, 8001] }),
      pod('a', '10.0.0.1'),
      pod('b', '10.0.0.2', { ready: false }),
      pod('c', '10.0.0.3', { deleting: true }),
      pod('d', ''),
      pod('e', '10.0.0.5', { labels: { app: 'other' } }),
      pod('f', '10.0.0.6', { namespace: 'elsewhere' }),
      pod('g', '10.0.0.7', { labels: { app: 'vllm', 'inference.networking.k8s.io/engine-type': 'sglang' } }),
    );
    const snap = reconcile(set, V1);
    assert.equal(snap.pool?.name, 'pool');
    assert.deepEqual(snap.pool?.targetPorts, [8000, 8001]);
    assert.deepEqual(
      snap.endpoints.map((e) => `${e.podName}@${e.address}`),
      ['a@10.0.0.1:8000', 'a@10.0.0.1:8001', 'g@10.0.0.7:8000', 'g@10.0.0.7:8001'],
    );
    assert.equal(snap.endpoints[2]?.engineType, 'sglang');
    assert.equal(snap.endpoints[0]?.engineType, undefined);
  });

  test('the pool group selects v1 or v1alpha2; a missing pool means not synced and no endpoints', () => {
    const set = setOf(poolV1alpha2('pool', { port: 9000 }), pod('a', '10.0.0.1'));
    assert.equal(reconcile(set, V1).pool, undefined);
    assert.deepEqual(reconcile(set, V1).endpoints, []);
    const snap = reconcile(set, { ...V1, group: 'inference.networking.x-k8s.io' });
    assert.equal(snap.pool?.group, 'inference.networking.x-k8s.io');
    assert.deepEqual(
      snap.endpoints.map((e) => e.address),
      ['10.0.0.1:9000'],
    );
    assert.equal(snap.pool?.failureMode, 'FailOpen');
  });

  test('IPv6 pod addresses are bracketed', () => {
    const snap = reconcile(setOf(poolV1('pool'), pod('a', 'fd00::1')), V1);
    assert.equal(snap.endpoints[0]?.address, '[fd00::1]:8000');
  });

  test('two pods with one IP: the second is skipped with an issue', () => {
    const snap = reconcile(setOf(poolV1('pool'), pod('a', '10.0.0.1'), pod('b', '10.0.0.1')), V1);
    assert.equal(snap.endpoints.length, 1);
    assert.match(snap.issues[0]?.message ?? '', /already belongs to pod a/);
  });

  test('models: filtered by poolRef, duplicate modelName goes to the oldest, criticality default', () => {
    const set = setOf(
      poolV1('pool'),
      model('newer', 'llama', { created: '2026-01-02T00:00:00Z', criticality: 'Critical' }),
      model('older', 'llama', { created: '2026-01-01T00:00:00Z' }),
      model('other-pool', 'mistral', { pool: 'another' }),
      model('weighted', 'qwen', {
        targets: [
          { name: 'qwen-a', weight: 3 },
          { name: 'qwen-b', weight: 1 },
        ],
      }),
    );
    const snap = reconcile(set, V1);
    assert.deepEqual([...snap.models.keys()].sort(), ['llama', 'qwen']);
    const llama = snap.models.get('llama')!;
    assert.equal(llama.name, 'older');
    assert.equal(llama.criticality, 'Standard');
    assert.equal(llama.criticalitySet, false);
    assert.deepEqual(snap.models.get('qwen')?.targetModels, [
      { name: 'qwen-a', weight: 3 },
      { name: 'qwen-b', weight: 1 },
    ]);
    const conflict = snap.issues.find((i) => i.name === 'newer');
    assert.match(conflict?.message ?? '', /ModelNameInUse/);
    // Without timestamps the earlier object (file order) is the older one.
    const noTs = reconcile(setOf(poolV1('pool'), model('first', 'x'), model('second', 'x')), V1);
    assert.equal(noTs.models.get('x')?.name, 'first');
  });

  test('objectives by name, unset priority is 0; rewrites oldest first', () => {
    const set = setOf(
      poolV1('pool'),
      objective('critical', 100),
      objective('default-prio', undefined),
      objective('elsewhere', -1, 'another'),
      rewrite('b', [{ targets: [{ modelRewrite: 'x' }] }], { created: '2026-01-03T00:00:00Z' }),
      rewrite('a', [{ targets: [{ modelRewrite: 'y' }] }], { created: '2026-01-02T00:00:00Z' }),
    );
    const snap = reconcile(set, V1);
    assert.equal(snap.objectives.get('critical')?.priority, 100);
    assert.equal(snap.objectives.get('default-prio')?.priority, 0);
    assert.equal(snap.objectives.get('default-prio')?.prioritySet, false);
    assert.equal(snap.objectives.has('elsewhere'), false);
    assert.deepEqual(
      snap.rewrites.map((r) => r.name),
      ['a', 'b'],
    );
  });

  test('a malformed object is skipped and reported; the rest reconciles', () => {
    const set = new ResourceSet('default');
    set.upsert(poolV1('pool'));
    set.upsert(pod('a', '10.0.0.1'));
    const issue = set.upsert(model('bad', 'm', { criticality: 'Nope' }));
    assert.equal(issue?.name, 'bad');
    const snap = reconcile(set, V1);
    assert.equal(snap.endpoints.length, 1);
    assert.equal(snap.models.size, 0);
    assert.equal(snap.issues[0]?.field, 'spec.criticality');
    // A fixed version replaces the issue.
    set.upsert(model('bad', 'm'));
    assert.equal(reconcile(set, V1).issues.length, 0);
    assert.equal(reconcile(set, V1).models.size, 1);
  });

  test('standalone mode: pods by label selector and target ports, no InferencePool', () => {
    const set = setOf(
      pod('a', '10.0.0.1', { labels: { app: 'vllm', tier: 'gpu' } }),
      pod('b', '10.0.0.2', { labels: { app: 'vllm', tier: 'cpu' } }),
      objective('o', 5, 'standalone'),
    );
    const snap = reconcile(set, {
      mode: 'standalone',
      namespace: 'default',
      name: 'standalone',
      selector: parseLabelSelector('app=vllm,tier in (gpu)'),
      targetPorts: [8000, 8002],
    });
    assert.equal(snap.pool?.group, '');
    assert.deepEqual(snap.pool?.selector, { app: 'vllm', tier: 'gpu' });
    assert.deepEqual(
      snap.endpoints.map((e) => e.address),
      ['10.0.0.1:8000', '10.0.0.1:8002'],
    );
    assert.equal(snap.objectives.get('o')?.priority, 5);
  });
});

describe('ResourceSet', () => {
  test('remove and replaceAll', () => {
    const set = setOf(poolV1('pool'), pod('a', '10.0.0.1'), pod('b', '10.0.0.2'));
    const v = set.version;
    assert.equal(set.remove('Pod', 'default', 'a'), true);
    assert.equal(set.remove('Pod', 'default', 'a'), false);
    assert.ok(set.version > v);
    assert.deepEqual(
      reconcile(set, V1).endpoints.map((e) => e.podName),
      ['b'],
    );
    const issues = set.replaceAll('Pod', [
      pod('c', '10.0.0.3'),
      { apiVersion: 'v1', kind: 'Pod', metadata: {} },
    ]);
    assert.equal(issues.length, 1);
    assert.deepEqual(
      reconcile(set, V1).endpoints.map((e) => e.podName),
      ['c'],
    );
    assert.equal(set.size, 2);
  });
});

describe('matchRewrite', () => {
  const rewrites = reconcile(
    setOf(
      rewrite('old-catch-all', [{ targets: [{ modelRewrite: 'fallback' }] }], {
        created: '2026-01-01T00:00:00Z',
      }),
      rewrite(
        'newer',
        [
          { matches: ['llama'], targets: [{ modelRewrite: 'llama-v2', weight: 1 }] },
          { matches: ['llama'], targets: [{ modelRewrite: 'never', weight: 1 }] },
        ],
        { created: '2026-01-02T00:00:00Z' },
      ),
      rewrite('newest', [{ matches: ['llama', 'qwen'], targets: [{ modelRewrite: 'z' }] }], {
        created: '2026-01-03T00:00:00Z',
      }),
    ),
    V1,
  ).rewrites;

  test('exact beats catch-all, then the oldest resource, then the first rule', () => {
    const m = matchRewrite(rewrites, 'llama');
    assert.equal(m?.kind, 'exact');
    assert.equal(m?.rewrite.name, 'newer');
    assert.equal(m?.rule.targets[0]?.modelRewrite, 'llama-v2');
    assert.equal(matchRewrite(rewrites, 'qwen')?.rewrite.name, 'newest');
    const c = matchRewrite(rewrites, 'unknown');
    assert.equal(c?.kind, 'catch-all');
    assert.equal(c?.rewrite.name, 'old-catch-all');
    assert.equal(matchRewrite([], 'x'), undefined);
  });
});
