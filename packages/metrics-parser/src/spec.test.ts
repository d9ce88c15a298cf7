import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENGINE_NAMES, engineConfig } from './engines.js';
import { MetricSpecError } from './errors.js';
import { parseMetricSpec } from './spec.js';

describe('parseMetricSpec', () => {
  test('empty or blank spec disables the metric', () => {
    assert.equal(parseMetricSpec(''), null);
    assert.equal(parseMetricSpec('   \t'), null);
  });

  test('bare name, trimmed', () => {
    assert.deepEqual(parseMetricSpec('  vllm:num_requests_waiting '), {
      name: 'vllm:num_requests_waiting',
      labels: {},
    });
  });

  test('name with labels, whitespace around pairs trimmed', () => {
    assert.deepEqual(parseMetricSpec('nv_trt_llm_request_metrics{ request_type = waiting , model=m1}'), {
      name: 'nv_trt_llm_request_metrics',
      labels: { request_type: 'waiting', model: 'm1' },
    });
  });

  const bad: Array<[string, string]> = [
    ['foo{a=b', 'invalid metric spec string: "foo{a=b", missing or malformed label block'],
    ['foo}a=b', 'invalid metric spec string: "foo}a=b", missing or malformed label block'],
    ['foo{}', 'invalid metric spec string: "foo{}", missing or malformed label block'],
    ['foo{a}', 'invalid label pair: "a" in metric spec: "foo{a}"'],
    ['foo{a=b=c}', 'invalid label pair: "a=b=c" in metric spec: "foo{a=b=c}"'],
    ['foo{a=b,}', 'invalid label pair: "" in metric spec: "foo{a=b,}"'],
    ['foo{=b}', 'empty label name or value in pair: "=b" in metric spec: "foo{=b}"'],
    ['foo{a= }', 'empty label name or value in pair: "a=" in metric spec: "foo{a= }"'],
    ['foo{a=b}x', 'invalid characters after label section in: "foo{a=b}x"'],
    ['{a=b}', 'empty metric name in spec: "{a=b}"'],
  ];
  for (const [spec, message] of bad) {
    test(`rejects ${JSON.stringify(spec)} with the upstream message`, () => {
      assert.throws(
        () => parseMetricSpec(spec),
        (err: unknown) =>
          err instanceof MetricSpecError && err.message === message && err.code === 'InvalidSpec',
      );
    });
  }
});

describe('engineConfig', () => {
  test('every preset parses and names the upstream metrics', () => {
    for (const name of ENGINE_NAMES) {
      const cfg = engineConfig(name);
      for (const s of [cfg.waitingQueue, cfg.running, cfg.kvUsage, cfg.lora, cfg.cacheInfo])
        parseMetricSpec(s);
    }
    assert.equal(engineConfig('vllm').kvUsage, 'vllm:kv_cache_usage_perc');
    assert.equal(engineConfig('vllm').kvUsageFallback, 'vllm:gpu_cache_usage_perc');
    assert.equal(engineConfig('sglang').waitingQueue, 'sglang:num_queue_reqs');
    assert.equal(engineConfig('trtllm-serve').kvUsage, 'trtllm_kv_cache_utilization');
    assert.deepEqual(parseMetricSpec(engineConfig('triton-trtllm').running), {
      name: 'nv_trt_llm_request_metrics',
      labels: { request_type: 'scheduled' },
    });
  });

  test('returns a fresh copy each time', () => {
    const a = engineConfig('vllm');
    a.waitingQueue = 'x';
    assert.equal(engineConfig('vllm').waitingQueue, 'vllm:num_requests_waiting');
  });
});
