// The pods' /metrics pages read by the project's own EPP metrics extractor (@igw/metrics-parser, vLLM preset):
// what the EPP will see when it scrapes the simulator.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineConfig, MetricsExtractor } from '@igw/metrics-parser';
import { startSimCluster } from './cluster.js';
import { MODEL, postJson, promptOf, waitFor } from './test-helpers.js';

describe('scraped by the EPP metrics extractor', () => {
  test('idle pod: zeros and the cache geometry, no errors', async () => {
    const c = await startSimCluster({
      timeScale: 50,
      loras: ['l1'],
      params: { maxLoras: 3, numGpuBlocks: 5000 },
    });
    try {
      const page = new Uint8Array(await (await fetch(`${c.pods[0]!.url}/metrics`)).arrayBuffer());
      const m = new MetricsExtractor(engineConfig('vllm')).extract(page);
      assert.deepEqual(m.errors, []);
      assert.equal(m.waitingQueueSize, 0);
      assert.equal(m.runningRequestsSize, 0);
      assert.equal(m.kvCacheUsagePercent, 0);
      // The EPP skips lora_requests_info series whose adapter lists are both empty, so an idle pod reports no LoRA
      // state (upstream behaviour, epp.md section 4); the page still carries max_lora="3".
      assert.equal(m.maxActiveModels, undefined);
      assert.match(Buffer.from(page).toString(), /max_lora="3"/);
      assert.equal(m.cacheBlockSize, 16);
      assert.equal(m.cacheNumGpuBlocks, 5000);
    } finally {
      await c.close();
    }
  });

  test('busy pod: queue, running, KV usage and the running / waiting adapters', async () => {
    const c = await startSimCluster({
      timeScale: 20,
      loras: ['l1', 'l2'],
      // The first two run for 100 steps of 10 ms wall-clock each: a 1 s window to queue two more and scrape.
      params: { maxLoras: 1, maxNumSeqs: 2, numGpuBlocks: 400, stepBaseMs: 200 },
    });
    try {
      const pod = c.pods[0]!;
      const long = (model: string, maxTokens: number) =>
        postJson(`${pod.url}/v1/completions`, {
          model,
          prompt: promptOf(1000),
          max_tokens: maxTokens,
          ignore_eos: true,
        });
      const inflight = [long('l1', 100), long(MODEL, 100)];
      await waitFor(() => pod.stats().running === 2);
      inflight.push(long('l2', 5), long(MODEL, 5));
      await waitFor(() => pod.stats().waiting === 2);
      const page = new Uint8Array(await (await fetch(`${pod.url}/metrics`)).arrayBuffer());
      const m = new MetricsExtractor(engineConfig('vllm')).extract(page);
      assert.deepEqual(m.errors, []);
      assert.equal(m.runningRequestsSize, 2);
      assert.equal(m.waitingQueueSize, 2);
      assert.ok(m.kvCacheUsagePercent! > 0.3, `kv ${m.kvCacheUsagePercent}`);
      assert.deepEqual(m.activeModels, ['l1']);
      assert.deepEqual(m.waitingModels, ['l2']);
      assert.equal(m.maxActiveModels, 1);
      for (const r of await Promise.all(inflight)) assert.equal(r.status, 200);
    } finally {
      await c.close();
    }
  });
});
