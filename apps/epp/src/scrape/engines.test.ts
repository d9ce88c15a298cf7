import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EngineConfigError, EngineRegistry } from './engines.js';

describe('EngineRegistry', () => {
  test('presets by default; unknown engine labels fall back to the default engine once-warned', () => {
    const warned: string[] = [];
    const r = new EngineRegistry(undefined, {}, { onUnknownEngine: (e) => warned.push(e) });
    assert.equal(r.defaultEngine, 'vllm');
    assert.equal(r.config('vllm').kvUsage, 'vllm:kv_cache_usage_perc');
    assert.equal(r.config('vllm').kvUsageFallback, 'vllm:gpu_cache_usage_perc');
    assert.equal(r.engineFor(undefined), 'vllm');
    assert.equal(r.engineFor('sglang'), 'sglang');
    assert.equal(r.engineFor('llamacpp'), 'vllm');
    assert.equal(r.engineFor('llamacpp'), 'vllm');
    assert.deepEqual(warned, ['llamacpp']);
    assert.equal(r.extractor('sglang'), r.extractor('sglang'), 'one extractor per engine');
  });

  test('explicit metric flags override the default engine (the Helm sglang/triton args)', () => {
    const r = new EngineRegistry(undefined, {
      waitingQueue: 'sglang:num_queue_reqs',
      kvUsage: 'sglang:token_usage',
      lora: '',
    });
    const c = r.config('vllm');
    assert.equal(c.waitingQueue, 'sglang:num_queue_reqs');
    assert.equal(c.kvUsage, 'sglang:token_usage');
    assert.equal(c.kvUsageFallback, '', 'no vLLM fallback once the kv metric is set');
    assert.equal(c.lora, '');
    assert.equal(c.running, 'vllm:num_requests_running', 'unset flags keep the preset');
  });

  test('config engineConfigs add engines and change the default', () => {
    const r = new EngineRegistry(
      {
        defaultEngine: 'custom',
        engineConfigs: [{ name: 'custom', queuedRequestsSpec: 'q{a=b}', kvUsageSpec: 'kv' }],
      },
      {},
    );
    assert.equal(r.engineFor(undefined), 'custom');
    assert.equal(r.config('custom').waitingQueue, 'q{a=b}');
    assert.equal(r.config('custom').running, '');
  });

  test('malformed specs and unknown default engines are errors naming the source', () => {
    assert.throws(
      () => new EngineRegistry(undefined, { waitingQueue: 'q{a=' }),
      /--total-queued-requests-metric: /,
    );
    assert.throws(
      () => new EngineRegistry({ engineConfigs: [{ name: 'x', kvUsageSpec: 'kv{}x' }] }, {}),
      /engineConfigs\[x\]\.kvUsageSpec: /,
    );
    assert.throws(
      () => new EngineRegistry({ defaultEngine: 'nope', engineConfigs: [] }, {}),
      EngineConfigError,
    );
  });
});
