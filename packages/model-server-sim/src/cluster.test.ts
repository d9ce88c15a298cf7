import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { offsetAddress, startSimCluster } from './cluster.js';
import { MODEL, metricValue, postJson, promptOf, waitFor } from './test-helpers.js';

describe('simulated cluster over HTTP', () => {
  test('queue cap -> 429 with vLLM-sim wording; queued requests still complete', async () => {
    const c = await startSimCluster({
      timeScale: 20,
      params: { maxNumSeqs: 1, maxWaitingQueueLength: 1, stepBaseMs: 100 },
    });
    try {
      const url = `${c.pods[0]!.url}/v1/completions`;
      const body = { model: MODEL, prompt: 'hello', max_tokens: 100, ignore_eos: true };
      const first = postJson(url, body);
      await waitFor(() => c.pods[0]!.stats().running === 1);
      const second = postJson(url, body);
      await waitFor(() => c.pods[0]!.stats().waiting === 1);
      const third = await postJson(url, body);
      assert.equal(third.status, 429);
      assert.match((third.body.error as { message: string }).message, /^Failed to enqueue request/);
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      assert.deepEqual(c.pods[0]!.stats().responses, { '200': 2, '429': 1 });
    } finally {
      await c.close();
    }
  });

  test('repeated long prompts are served from the prefix cache (usage.cached_tokens, counters)', async () => {
    const c = await startSimCluster({ timeScale: 50, loras: ['x'] });
    try {
      const pod = c.pods[0]!;
      const messages = [
        { role: 'system', content: promptOf(1500, 'sys') },
        { role: 'user', content: 'question one' },
      ];
      const a = await postJson(`${pod.url}/v1/chat/completions`, { model: MODEL, messages, max_tokens: 2 });
      const b = await postJson(`${pod.url}/v1/chat/completions`, {
        model: MODEL,
        messages: [messages[0], { role: 'user', content: 'another question' }],
        max_tokens: 2,
      });
      const cachedA = (a.body.usage as { prompt_tokens_details: { cached_tokens: number } })
        .prompt_tokens_details.cached_tokens;
      const usageB = b.body.usage as {
        prompt_tokens: number;
        prompt_tokens_details: { cached_tokens: number };
      };
      assert.equal(cachedA, 0);
      // The shared system prompt (~1,500 tokens) is cached in whole 16-token blocks.
      assert.ok(
        usageB.prompt_tokens_details.cached_tokens >= 1488,
        `cached ${usageB.prompt_tokens_details.cached_tokens}`,
      );
      assert.ok(usageB.prompt_tokens_details.cached_tokens < usageB.prompt_tokens);
      const page = pod.metricsText();
      assert.equal(
        metricValue(page, 'vllm:prefix_cache_hits_total'),
        usageB.prompt_tokens_details.cached_tokens,
      );
      // An adapter never hits the base model's blocks.
      const viaLora = await postJson(`${pod.url}/v1/chat/completions`, {
        model: 'x',
        messages,
        max_tokens: 2,
      });
      const cachedLora = (viaLora.body.usage as { prompt_tokens_details: { cached_tokens: number } })
        .prompt_tokens_details;
      assert.equal(cachedLora.cached_tokens, 0);
    } finally {
      await c.close();
    }
  });

  test('lora_requests_info shows running and waiting adapters while slots are full', async () => {
    const c = await startSimCluster({
      timeScale: 20,
      loras: ['a1', 'a2'],
      // p1 runs for 100 steps of 10 ms wall-clock each: a 1 s window for p2 to queue and /metrics to be read.
      params: { maxLoras: 1, stepBaseMs: 200 },
    });
    try {
      const pod = c.pods[0]!;
      const p1 = postJson(`${pod.url}/v1/completions`, {
        model: 'a1',
        prompt: 'x',
        max_tokens: 100,
        ignore_eos: true,
      });
      await waitFor(() => pod.stats().running === 1);
      const p2 = postJson(`${pod.url}/v1/completions`, {
        model: 'a2',
        prompt: 'y',
        max_tokens: 2,
        ignore_eos: true,
      });
      await waitFor(() => pod.stats().waiting === 1);
      const page = await (await fetch(`${pod.url}/metrics`)).text();
      const lines = page.split('\n').filter((l) => l.startsWith('vllm:lora_requests_info{'));
      const latest = lines.reduce((best, l) =>
        Number(l.split(' ').at(-1)) >= Number(best.split(' ').at(-1)) ? l : best,
      );
      assert.match(latest, /max_lora="1",running_lora_adapters="a1",waiting_lora_adapters="a2"/);
      assert.equal(metricValue(page, 'vllm:num_requests_waiting'), 1);
      assert.equal((await p1).status, 200);
      assert.equal((await p2).status, 200);
    } finally {
      await c.close();
    }
  });

  test('time scale: simulated seconds pass faster than wall-clock ones', async () => {
    // 5 tokens, each a 1 s step, so 5 s of simulated time; at scale 100 that is ~50 ms of wall-clock time. The
    // upper bound is the simulated time itself (what scale 1 would take), so a loaded machine has 100x headroom.
    const params = {
      stepBaseMs: 1000,
      stepPerDecodeTokenMs: 0,
      stepPerPrefillTokenMs: 0,
      stepJitter: 0,
      loraLoadMs: 0,
    };
    const c = await startSimCluster({ timeScale: 100, params });
    try {
      const t0 = performance.now();
      const r = await postJson(`${c.pods[0]!.url}/v1/completions`, {
        model: MODEL,
        prompt: 'x',
        max_tokens: 5,
        ignore_eos: true,
      });
      const wall = performance.now() - t0;
      assert.equal(r.status, 200);
      assert.ok(wall >= 45 && wall < 5000, `took ${wall} ms`);
      const page = c.pods[0]!.metricsText();
      // Metrics are in simulated time: e2e 5 s.
      const e2e = metricValue(page, 'vllm:e2e_request_latency_seconds_sum');
      assert.ok(e2e !== undefined && Math.abs(e2e - 5) < 1e-6, `e2e ${e2e}`);
    } finally {
      await c.close();
    }
  });

  test('same seed, same answers; another seed, other answers', async () => {
    const run = async (seed: number) => {
      const c = await startSimCluster({ timeScale: 50, seed, pods: 2 });
      try {
        const out: string[] = [];
        for (const pod of c.pods) {
          for (let i = 0; i < 3; i++) {
            const r = await postJson(`${pod.url}/v1/completions`, {
              model: MODEL,
              prompt: `p${i}`,
              max_tokens: 50,
            });
            out.push((r.body.choices as Array<{ text: string }>)[0]!.text);
          }
        }
        return out;
      } finally {
        await c.close();
      }
    };
    const a = await run(11);
    assert.deepEqual(await run(11), a);
    assert.notDeepEqual(await run(12), a);
    assert.notEqual(a[0], a[3], 'pods have their own random streams');
  });

  test('16 pods in one process, on 127.0.0.2 .. 127.0.0.17', async () => {
    const c = await startSimCluster({ pods: 16, timeScale: 50 });
    try {
      assert.deepEqual(
        c.pods.map((p) => p.host),
        Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`),
      );
      const rs = await Promise.all(c.pods.map((p) => fetch(`${p.url}/health`)));
      assert.ok(rs.every((r) => r.status === 200));
      assert.deepEqual(
        rs.map((r) => r.headers.get('x-inference-pod')),
        c.pods.map((p) => p.name),
      );
    } finally {
      await c.close();
    }
  });

  test('perPod varies adapters and parameters by pod', async () => {
    const c = await startSimCluster({
      pods: 2,
      timeScale: 50,
      loras: ['shared'],
      perPod: (i) => (i === 1 ? { loras: ['only-on-1'], params: { maxLoras: 7, numGpuBlocks: 1234 } } : {}),
    });
    try {
      const ids = async (i: number) =>
        (
          (await (await fetch(`${c.pods[i]!.url}/v1/models`)).json()) as { data: Array<{ id: string }> }
        ).data.map((m) => m.id);
      assert.deepEqual(await ids(0), [MODEL, 'shared']);
      assert.deepEqual(await ids(1), [MODEL, 'only-on-1']);
      assert.match(c.pods[1]!.metricsText(), /max_lora="7"/);
      assert.match(c.pods[1]!.metricsText(), /num_gpu_blocks="1234"/);
      assert.match(c.pods[0]!.metricsText(), /num_gpu_blocks="30000"/);
      const miss = await postJson(`${c.pods[0]!.url}/v1/completions`, { model: 'only-on-1', prompt: 'x' });
      assert.equal(miss.status, 404);
    } finally {
      await c.close();
    }
  });

  test('sharedHost puts every pod on one address with its own port', async () => {
    const c = await startSimCluster({ pods: 3, host: '127.0.0.1', sharedHost: true, timeScale: 50 });
    try {
      assert.ok(c.pods.every((p) => p.host === '127.0.0.1'));
      assert.equal(new Set(c.pods.map((p) => p.port)).size, 3);
    } finally {
      await c.close();
    }
  });

  test('closing a pod resets its in-flight streams', async () => {
    const c = await startSimCluster({ timeScale: 5 });
    const pod = c.pods[0]!;
    const res = await fetch(`${pod.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: MODEL, prompt: 'x', max_tokens: 5000, ignore_eos: true, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await c.close();
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    });
  });

  test('bad options are refused with the field named', async () => {
    await assert.rejects(startSimCluster({ pods: 0 }), /pods must be/);
    await assert.rejects(startSimCluster({ profile: 'gpu-9000' }), /unknown latency profile "gpu-9000"/);
    await assert.rejects(startSimCluster({ params: { maxNumSeqs: 0 } }), /maxNumSeqs/);
    await assert.rejects(startSimCluster({ timeScale: 0 }), /timeScale/);
    await assert.rejects(startSimCluster({ host: 'localhost' }), /IPv4/);
  });

  test('offsetAddress carries into higher octets', () => {
    assert.equal(offsetAddress('127.0.0.2', 3), '127.0.0.5');
    assert.equal(offsetAddress('127.0.0.250', 10), '127.0.1.4');
  });
});
