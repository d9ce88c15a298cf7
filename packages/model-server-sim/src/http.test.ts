import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { type SimCluster, startSimCluster } from './cluster.js';
import { MODEL, metricValue, postJson, promptOf, sseData } from './test-helpers.js';

describe('OpenAI endpoints over loopback', () => {
  let cluster: SimCluster;
  let url: string;

  before(async () => {
    cluster = await startSimCluster({ pods: 2, loras: ['sql-lora', 'chat-lora'], timeScale: 50, seed: 7 });
    url = cluster.pods[0]!.url;
  });
  after(() => cluster.close());

  test('pods get consecutive loopback addresses and report their name', async () => {
    assert.equal(cluster.pods[0]!.host, '127.0.0.2');
    assert.equal(cluster.pods[1]!.host, '127.0.0.3');
    const res = await fetch(`${cluster.pods[1]!.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-inference-pod'), 'sim-1');
  });

  test('/v1/models lists the base model and adapters with their parent', async () => {
    const res = await fetch(`${url}/v1/models`);
    const body = (await res.json()) as { object: string; data: Array<{ id: string; parent: string | null }> };
    assert.equal(body.object, 'list');
    assert.deepEqual(
      body.data.map((m) => [m.id, m.parent]),
      [
        [MODEL, null],
        ['sql-lora', MODEL],
        ['chat-lora', MODEL],
      ],
    );
  });

  test('non-streaming chat: shape, usage, header', async () => {
    const r = await postJson(`${url}/v1/chat/completions`, {
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello there, how are you?' }],
      max_tokens: 8,
      ignore_eos: true,
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-inference-pod'), 'sim-0');
    assert.equal(r.body.object, 'chat.completion');
    const choice = (
      r.body.choices as Array<{ message: { role: string; content: string }; finish_reason: string }>
    )[0]!;
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.finish_reason, 'length');
    assert.ok(choice.message.content.length > 0);
    const usage = r.body.usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    assert.equal(usage.completion_tokens, 8);
    assert.equal(usage.total_tokens, usage.prompt_tokens + 8);
  });

  test('streaming completion: one chunk per token, usage chunk, [DONE]', async () => {
    const res = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: MODEL,
        prompt: promptOf(100),
        max_tokens: 6,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const data = sseData(await res.text());
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    assert.equal(chunks.length, 7, '6 token chunks + usage');
    for (const c of chunks.slice(0, 6)) assert.equal(c.object, 'text_completion');
    assert.equal(chunks[5].choices[0].finish_reason, 'length');
    assert.equal(chunks[4].choices[0].finish_reason, null);
    assert.deepEqual(chunks[6].choices, []);
    assert.equal(chunks[6].usage.completion_tokens, 6);
    assert.equal(chunks[6].usage.prompt_tokens, 100);
  });

  test('streaming chat without include_usage: role chunk, tokens, no usage', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'sql-lora',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 3,
        ignore_eos: true,
        stream: true,
      }),
    });
    const data = sseData(await res.text());
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    assert.equal(chunks.length, 4);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(chunks[0].model, 'sql-lora');
    assert.ok(chunks.every((c) => c.usage === undefined && c.object === 'chat.completion.chunk'));
    assert.equal(chunks[3].choices[0].finish_reason, 'length');
  });

  test('the official openai client works against it (chat, completions, streaming)', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const chat = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say something' }],
      max_tokens: 5,
    });
    assert.equal(chat.choices[0]!.message.role, 'assistant');
    const comp = await client.completions.create({
      model: 'chat-lora',
      prompt: 'Once upon a time',
      max_tokens: 4,
    });
    assert.ok(comp.usage!.completion_tokens >= 1 && comp.usage!.completion_tokens <= 4);
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Stream please' }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(content.length > 0);
    assert.ok(usage && usage.completion_tokens >= 1);
    const models = await client.models.list();
    assert.equal(models.data.length, 3);
  });

  test('/metrics has the gauges, info series and histograms the EPP scrapes', async () => {
    const res = await fetch(`${url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const page = await res.text();
    for (const name of [
      'vllm:num_requests_waiting',
      'vllm:num_requests_running',
      'vllm:kv_cache_usage_perc',
    ]) {
      assert.equal(metricValue(page, name, `model_name="${MODEL}"`), 0, name);
    }
    assert.match(page, /vllm:cache_config_info\{block_size="16",.*num_gpu_blocks="30000"\} 1\.0/);
    assert.match(
      page,
      /vllm:lora_requests_info\{max_lora="4",running_lora_adapters="[^"]*",waiting_lora_adapters=""\} \d+/,
    );
    assert.match(page, /# TYPE vllm:time_to_first_token_seconds histogram/);
    assert.match(page, /vllm:time_to_first_token_seconds_bucket\{model_name="[^"]+",le="0\.001"\} \d+/);
    assert.match(page, /vllm:inter_token_latency_seconds_bucket\{model_name="[^"]+",le="\+Inf"\} \d+/);
    assert.match(page, /vllm:e2e_request_latency_seconds_bucket\{model_name="[^"]+",le="7680\.0"\} \d+/);
    assert.ok((metricValue(page, 'vllm:prefix_cache_queries_total') ?? 0) > 0);
    assert.ok((metricValue(page, 'vllm:generation_tokens_total') ?? 0) > 0);
  });

  test('a client that disconnects mid-stream frees its sequence', async () => {
    const pod = cluster.pods[1]!;
    const ctl = new AbortController();
    const res = await fetch(`${pod.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: MODEL,
        prompt: 'go on',
        max_tokens: 20000,
        ignore_eos: true,
        stream: true,
      }),
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ctl.abort();
    const end = Date.now() + 5000;
    while (pod.stats().running > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    assert.equal(pod.stats().running, 0);
    assert.equal(pod.stats().kvUsedBlocks, 0);
    assert.equal(pod.stats().aborted, 1);
  });
});
