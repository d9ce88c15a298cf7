import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PoolSelection, ResourceSet, reconcile } from '@igw/k8s-sync';
import { PoolDatastore, type SnapshotDiff } from './datastore.js';
import { RecordingSlots } from './recording-slots.js';

const SEL: PoolSelection = {
  mode: 'pool',
  namespace: 'default',
  name: 'pool',
  group: 'inference.networking.k8s.io',
};

function pool(ports = [8000]) {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'pool', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'vllm' } },
      targetPorts: ports.map((number) => ({ number })),
      endpointPickerRef: { name: 'epp', port: { number: 9002 } },
    },
  };
}

function pod(name: string, ip: string, labels: Record<string, string> = { app: 'vllm' }) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function snapshot(...raws: unknown[]) {
  const set = new ResourceSet('default');
  for (const r of raws) set.upsert(r);
  return reconcile(set, SEL);
}

describe('PoolDatastore', () => {
  test('not synced until a snapshot with the pool arrives; synced state follows the pool', () => {
    const ds = new PoolDatastore(new RecordingSlots());
    assert.equal(ds.poolSynced(), false);
    assert.equal(ds.pool(), undefined);
    assert.equal(ds.randomEndpoint(), undefined);
    ds.apply(snapshot(pool(), pod('a', '10.0.0.1')));
    assert.equal(ds.poolSynced(), true);
    assert.equal(ds.pool()?.name, 'pool');
    ds.apply(snapshot(pod('a', '10.0.0.1')));
    assert.equal(ds.poolSynced(), false);
    assert.deepEqual(ds.endpoints(), []);
  });

  test('snapshots are applied as diffs: endpoints that stay keep their slot and metrics', () => {
    const slots = new RecordingSlots();
    const ds = new PoolDatastore(slots);
    const diffs: SnapshotDiff[] = [];
    ds.onEndpointsChanged((d) => diffs.push(d));
    ds.apply(snapshot(pool(), pod('a', '10.0.0.1'), pod('b', '10.0.0.2')));
    const a = ds.endpoint('10.0.0.1:8000')!;
    assert.ok(ds.recordMetrics(a, { waitingQueueSize: 3 }, 1000));
    slots.calls.length = 0;

    ds.apply(snapshot(pool(), pod('a', '10.0.0.1'), pod('c', '10.0.0.3')));
    assert.deepEqual(slots.calls, ['add 10.0.0.3:8000', 'remove 10.0.0.2:8000']);
    assert.equal(ds.endpoint('10.0.0.1:8000'), a);
    assert.equal(slots.metrics.get(a.slot)?.waitingQueueSize, 3);
    assert.deepEqual(
      diffs.at(-1)?.added.map((e) => e.address),
      ['10.0.0.3:8000'],
    );

    // The same snapshot again changes nothing and notifies nobody.
    slots.calls.length = 0;
    const n = diffs.length;
    ds.apply(snapshot(pool(), pod('a', '10.0.0.1'), pod('c', '10.0.0.3')));
    assert.deepEqual(slots.calls, []);
    assert.equal(diffs.length, n);
  });

  test('a different pod behind the same address, or a changed engine label, is a new endpoint', () => {
    const slots = new RecordingSlots();
    const ds = new PoolDatastore(slots);
    ds.apply(snapshot(pool(), pod('a', '10.0.0.1')));
    const first = ds.endpoint('10.0.0.1:8000')!;
    ds.apply(snapshot(pool(), pod('a2', '10.0.0.1')));
    const second = ds.endpoint('10.0.0.1:8000')!;
    assert.notEqual(first, second);
    assert.equal(first.live, false);
    assert.equal(
      ds.recordMetrics(first, { waitingQueueSize: 1 }, 1),
      false,
      'a removed endpoint takes no metrics',
    );
    ds.apply(
      snapshot(
        pool(),
        pod('a2', '10.0.0.1', { app: 'vllm', 'inference.networking.k8s.io/engine-type': 'sglang' }),
      ),
    );
    assert.equal(ds.endpoint('10.0.0.1:8000')?.engineType, 'sglang');
    assert.deepEqual(slots.calls, [
      'add 10.0.0.1:8000',
      'remove 10.0.0.1:8000',
      'add 10.0.0.1:8000',
      'remove 10.0.0.1:8000',
      'add 10.0.0.1:8000',
    ]);
  });

  test('several target ports: one endpoint per port; a port change adds and removes', () => {
    const slots = new RecordingSlots();
    const ds = new PoolDatastore(slots);
    ds.apply(snapshot(pool([8000, 8001]), pod('a', '10.0.0.1')));
    assert.deepEqual(
      ds.endpoints().map((e) => e.address),
      ['10.0.0.1:8000', '10.0.0.1:8001'],
    );
    slots.calls.length = 0;
    ds.apply(snapshot(pool([8001, 8002]), pod('a', '10.0.0.1')));
    assert.deepEqual(slots.calls, ['add 10.0.0.1:8002', 'remove 10.0.0.1:8000']);
  });

  test('partial metrics keep the previous values of missing fields; freshness drives the pool gauges', () => {
    const slots = new RecordingSlots();
    const ds = new PoolDatastore(slots);
    ds.apply(snapshot(pool(), pod('a', '10.0.0.1'), pod('b', '10.0.0.2')));
    const a = ds.endpoint('10.0.0.1:8000')!;
    ds.recordMetrics(a, { waitingQueueSize: 4, kvCacheUsagePercent: 0.5, activeModels: ['lora1'] }, 1000);
    ds.recordMetrics(a, { waitingQueueSize: 6 }, 2000);
    const m = slots.metrics.get(a.slot)!;
    assert.equal(m.waitingQueueSize, 6);
    assert.equal(m.kvCacheUsagePercent, 0.5);
    assert.deepEqual(m.activeModels, ['lora1']);
    assert.equal(m.updatedAtMs, 2000);
    assert.equal(a.metricsUpdatedAtMs, 2000);
    // b was never scraped: not fresh; a is fresh within 2 s, stale after.
    assert.deepEqual(
      ds.freshEndpoints(3000, 2000).map((e) => e.podName),
      ['a'],
    );
    assert.deepEqual(ds.freshEndpoints(4001, 2000), []);
  });

  test('lookups: models, objectives, rewrites (precedence), random endpoint', () => {
    let r = 0.99;
    const ds = new PoolDatastore(new RecordingSlots(), () => r);
    ds.apply(
      snapshot(
        pool(),
        pod('a', '10.0.0.1'),
        pod('b', '10.0.0.2'),
        {
          apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
          kind: 'InferenceModel',
          metadata: { name: 'm', namespace: 'default' },
          spec: { modelName: 'llama', criticality: 'Sheddable', poolRef: { name: 'pool' } },
        },
        {
          apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
          kind: 'InferenceObjective',
          metadata: { name: 'batch', namespace: 'default' },
          spec: { priority: -1, poolRef: { name: 'pool' } },
        },
        {
          apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
          kind: 'InferenceModelRewrite',
          metadata: { name: 'rw', namespace: 'default' },
          spec: {
            poolRef: { name: 'pool' },
            rules: [
              {
                matches: [{ model: { value: 'llama' } }],
                targets: [{ modelRewrite: 'llama-v2', weight: 1 }],
              },
            ],
          },
        },
      ),
    );
    assert.equal(ds.model('llama')?.criticality, 'Sheddable');
    assert.equal(ds.model('other'), undefined);
    assert.equal(ds.objective('batch')?.priority, -1);
    assert.equal(ds.matchRewrite('llama')?.rule.targets[0]?.modelRewrite, 'llama-v2');
    assert.equal(ds.matchRewrite('llama'), ds.matchRewrite('llama'), 'cached');
    assert.equal(ds.matchRewrite('qwen'), undefined);
    assert.equal(ds.rewrites().length, 1);
    assert.equal(ds.randomEndpoint()?.podName, 'b');
    r = 0;
    assert.equal(ds.randomEndpoint()?.podName, 'a');
  });
});
