import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EppMetrics } from './metrics.js';

function sampleLine(text: string, prefix: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(prefix));
}

describe('EppMetrics', () => {
  test('exposes the upstream names with [ALPHA] help texts and the 32778 bucket', async () => {
    const m = new EppMetrics({ defaultMetrics: false });
    m.forModel('m', 't').request(100);
    const text = await m.render();
    for (const name of [
      'inference_objective_request_total',
      'inference_objective_request_error_total',
      'inference_objective_request_duration_seconds',
      'inference_objective_request_sizes',
      'inference_objective_response_sizes',
      'inference_objective_input_tokens',
      'inference_objective_output_tokens',
      'inference_objective_running_requests',
      'inference_objective_normalized_time_per_output_token_seconds',
      'inference_pool_average_kv_cache_utilization',
      'inference_pool_average_queue_size',
      'inference_pool_ready_pods',
      'inference_extension_scheduler_e2e_duration_seconds',
      'inference_extension_plugin_duration_seconds',
      'inference_extension_prefix_indexer_size',
      'inference_extension_prefix_indexer_hit_ratio',
      'inference_extension_prefix_indexer_hit_bytes',
      'inference_extension_info',
    ]) {
      assert.match(text, new RegExp(`# HELP ${name} \\[ALPHA\\] `), name);
    }
    assert.ok(sampleLine(text, 'inference_objective_request_total{model_name="m",target_model_name="t"} 1'));
    m.forModel('m', 't').completed({
      durationSeconds: 1,
      responseBytes: 20000,
      inputTokens: 10,
      outputTokens: 4,
    });
    const after = await m.render();
    assert.ok(sampleLine(after, 'inference_objective_response_sizes_bucket{le="32778",model_name="m"'));
    assert.ok(
      sampleLine(
        after,
        'inference_objective_normalized_time_per_output_token_seconds_sum{model_name="m",target_model_name="t"} 0.25',
      ),
    );
  });

  test('records errors only with a code, running requests up and down, cached children reused', async () => {
    const m = new EppMetrics({ defaultMetrics: false });
    const r = m.forModel('a', 'b');
    assert.equal(m.forModel('a', 'b'), r);
    r.error('');
    r.error('InferencePoolResourceExhausted');
    m.incRunning('a');
    m.incRunning('a');
    m.decRunning('a');
    m.incRunning('');
    const text = await m.render();
    assert.ok(
      sampleLine(
        text,
        'inference_objective_request_error_total{model_name="a",target_model_name="b",error_code="InferencePoolResourceExhausted"} 1',
      ),
    );
    assert.equal(text.match(/^inference_objective_request_error_total\{/gm)?.length, 1);
    assert.ok(sampleLine(text, 'inference_objective_running_requests{model_name="a"} 1'));
  });

  test('pool gauges: average kv, floored average queue, ready pods; nothing when no pod is fresh', async () => {
    const m = new EppMetrics({ defaultMetrics: false });
    m.recordPoolGauges('pool', []);
    assert.equal(sampleLine(await m.render(), 'inference_pool_ready_pods{'), undefined);
    m.recordPoolGauges('pool', [
      { podName: 'p1', kvCacheUsagePercent: 0.5, waitingQueueSize: 3 },
      { podName: 'p2', kvCacheUsagePercent: 0.25, waitingQueueSize: 2 },
    ]);
    const text = await m.render();
    assert.ok(sampleLine(text, 'inference_pool_average_kv_cache_utilization{name="pool"} 0.375'));
    assert.ok(sampleLine(text, 'inference_pool_average_queue_size{name="pool"} 2'));
    assert.ok(sampleLine(text, 'inference_pool_ready_pods{name="pool"} 2'));
    assert.ok(sampleLine(text, 'inference_pool_per_pod_queue_size{name="pool",model_server_pod="p1"} 3'));
    m.forgetPod('pool', 'p1');
    assert.equal(
      sampleLine(await m.render(), 'inference_pool_per_pod_queue_size{name="pool",model_server_pod="p1"}'),
      undefined,
    );
  });

  test('collectDefaultMetrics adds process and nodejs series', async () => {
    const m = new EppMetrics();
    const text = await m.render();
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });
});
