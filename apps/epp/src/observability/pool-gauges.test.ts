import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceSet, reconcile } from '@igw/k8s-sync';
import { PoolDatastore } from '../datastore/datastore.js';
import { RecordingSlots } from '../datastore/recording-slots.js';
import { EppMetrics } from './metrics.js';
import { refreshPoolGauges, startPoolGauges } from './pool-gauges.js';

function snapshot(pods: string[]) {
  const set = new ResourceSet('default');
  set.upsert({
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'pool' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'e', port: { number: 9002 } },
    },
  });
  for (const [i, name] of pods.entries()) {
    set.upsert({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'x' } },
      status: { podIP: `10.0.0.${i + 1}`, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  return reconcile(set, {
    mode: 'pool',
    namespace: 'default',
    name: 'pool',
    group: 'inference.networking.k8s.io',
  });
}

describe('pool gauges', () => {
  test('averages over fresh endpoints only; removed pods lose their per-pod series', async () => {
    const ds = new PoolDatastore(new RecordingSlots());
    const metrics = new EppMetrics({ defaultMetrics: false });
    const opts = { datastore: ds, metrics, intervalMs: 60_000, stalenessMs: 2000, now: () => 10_000 };
    const g = startPoolGauges(opts);
    try {
      ds.apply(snapshot(['a', 'b', 'c']));
      const [a, b, c] = ds.endpoints();
      ds.recordMetrics(a!, { waitingQueueSize: 3, kvCacheUsagePercent: 0.2 }, 9_500);
      ds.recordMetrics(b!, { waitingQueueSize: 4, kvCacheUsagePercent: 0.4 }, 9_000);
      ds.recordMetrics(c!, { waitingQueueSize: 100, kvCacheUsagePercent: 1 }, 5_000); // stale
      refreshPoolGauges(opts);
      let text = await metrics.render();
      assert.match(text, /^inference_pool_ready_pods\{name="pool"\} 2$/m);
      assert.match(text, /^inference_pool_average_queue_size\{name="pool"\} 3$/m);
      assert.match(text, /^inference_pool_average_kv_cache_utilization\{name="pool"\} 0\.3\d*$/m);
      assert.match(text, /^inference_extension_prefix_indexer_size 0$/m);
      ds.apply(snapshot(['a']));
      text = await metrics.render();
      assert.doesNotMatch(text, /model_server_pod="b"/);
      assert.match(text, /model_server_pod="a"/);
    } finally {
      g.stop();
    }
  });
});
