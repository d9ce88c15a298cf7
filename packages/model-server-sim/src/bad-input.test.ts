import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type SimCluster, startSimCluster } from './cluster.js';
import type { FAILURE_TYPES } from './failures.js';
import { MODEL, metricValue, postJson } from './test-helpers.js';

/** Asserts an OpenAI-style error envelope and returns its message. */
function errorMessage(body: Record<string, unknown>, status: number): string {
  const e = body.error as { message: string; type: string; code: number; param: unknown };
  assert.ok(e, `expected an error envelope, got ${JSON.stringify(body)}`);
  assert.equal(e.code, status);
  assert.equal(typeof e.type, 'string');
  assert.ok('param' in e);
  return e.message;
}

describe('bad input gets a clear OpenAI-style error', () => {
  let cluster: SimCluster;
  let url: string;

  before(async () => {
    cluster = await startSimCluster({
      pods: 1,
      loras: ['known-lora'],
      timeScale: 50,
      maxRequestBodyBytes: 1024,
      params: { maxModelLen: 2048 },
    });
    url = cluster.pods[0]!.url;
  });
  after(() => cluster.close());

  test('malformed JSON -> 400', async () => {
    const r = await postJson(`${url}/v1/chat/completions`, '{"model": "x", "messages": [');
    assert.equal(r.status, 400);
    assert.match(errorMessage(r.body, 400), /not valid JSON/);
    assert.equal(r.headers.get('x-inference-pod'), 'sim-0');
  });

  test('a JSON value that is not an object -> 400', async () => {
    const r = await postJson(`${url}/v1/completions`, '[1,2]');
    assert.equal(r.status, 400);
    assert.match(errorMessage(r.body, 400), /must be a JSON object/);
  });

  test('missing model -> 400 naming the field', async () => {
    const r = await postJson(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.status, 400);
    assert.match(errorMessage(r.body, 400), /model/);
  });

  test('missing messages / prompt -> 400 naming the field', async () => {
    const chat = await postJson(`${url}/v1/chat/completions`, { model: MODEL });
    assert.equal(chat.status, 400);
    assert.match(errorMessage(chat.body, 400), /messages/);
    const comp = await postJson(`${url}/v1/completions`, { model: MODEL });
    assert.equal(comp.status, 400);
    assert.match(errorMessage(comp.body, 400), /prompt/);
  });

  test('wrongly typed fields -> 400 with the path', async () => {
    const r = await postJson(`${url}/v1/chat/completions`, {
      model: MODEL,
      messages: [{ content: 'no role' }],
      max_tokens: 0,
    });
    assert.equal(r.status, 400);
    const msg = errorMessage(r.body, 400);
    assert.match(msg, /messages\.0\.role/);
    assert.match(msg, /max_tokens/);
    const stream = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'x', stream: 'yes' });
    assert.equal(stream.status, 400);
    assert.match(errorMessage(stream.body, 400), /stream/);
  });

  test('unsupported shapes are refused, not half-served', async () => {
    const n = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'x', n: 2 });
    assert.equal(n.status, 400);
    assert.match(errorMessage(n.body, 400), /'n' > 1/);
    const batch = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: ['a', 'b'] });
    assert.equal(batch.status, 400);
    assert.match(errorMessage(batch.body, 400), /one prompt/);
    const empty = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: '' });
    assert.equal(empty.status, 400);
    assert.match(errorMessage(empty.body, 400), /empty/);
    const eos = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'x', ignore_eos: true });
    assert.equal(eos.status, 400);
    assert.match(errorMessage(eos.body, 400), /max_tokens/);
  });

  test('unknown model or adapter -> 404 like vLLM', async () => {
    const r = await postJson(`${url}/v1/chat/completions`, {
      model: 'no-such-lora',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(r.status, 404);
    assert.equal(errorMessage(r.body, 404), 'The model `no-such-lora` does not exist.');
    assert.equal((r.body.error as { type: string }).type, 'NotFoundError');
  });

  test('context window exceeded -> 400 with the numbers', async () => {
    const r = await postJson(`${url}/v1/completions`, {
      model: MODEL,
      prompt: 'abcd'.repeat(200),
      max_tokens: 2000,
    });
    assert.equal(r.status, 400);
    assert.match(
      errorMessage(r.body, 400),
      /maximum context length is 2048 tokens.*2200 tokens \(200 in the messages, 2000/,
    );
  });

  test('oversized body (Content-Length) -> 413 and the connection closes cleanly', async () => {
    const r = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'x'.repeat(5000) });
    assert.equal(r.status, 413);
    assert.match(errorMessage(r.body, 413), /larger than the limit of 1024 bytes/);
  });

  test('oversized chunked body (no Content-Length) -> 413', async () => {
    const pod = cluster.pods[0]!;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: pod.host, port: pod.port, path: '/v1/completions', method: 'POST' },
        (res) => {
          let b = '';
          res.on('data', (c) => {
            b += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('x'.repeat(400));
      req.end();
    });
    assert.equal(status, 413);
    assert.match(errorMessage(JSON.parse(body), 413), /limit of 1024 bytes/);
  });

  test('unknown path -> 404, wrong method -> 405, both as JSON errors', async () => {
    const nf = await fetch(`${url}/v2/nothing`);
    assert.equal(nf.status, 404);
    assert.match(
      errorMessage((await nf.json()) as Record<string, unknown>, 404),
      /No route for GET \/v2\/nothing/,
    );
    const na = await fetch(`${url}/v1/completions`);
    assert.equal(na.status, 405);
    assert.equal(na.headers.get('allow'), 'POST');
    errorMessage((await na.json()) as Record<string, unknown>, 405);
  });

  test('rejected requests leave the engine untouched', async () => {
    const page = await (await fetch(`${url}/metrics`)).text();
    assert.equal(metricValue(page, 'vllm:num_requests_running'), 0);
    assert.equal(metricValue(page, 'vllm:num_requests_waiting'), 0);
    assert.equal(metricValue(page, 'vllm:prompt_tokens_total'), 0);
  });
});

describe('failure injection', () => {
  test('rate 100 with given types returns exactly those errors', async () => {
    const cluster = await startSimCluster({
      timeScale: 50,
      failureRate: 100,
      failureTypes: ['rate_limit', 'server_error'],
    });
    try {
      const url = cluster.pods[0]!.url;
      const seen = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const r = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'hi', max_tokens: 2 });
        assert.ok(r.status === 429 || r.status === 503, `status ${r.status}`);
        errorMessage(r.body, r.status);
        seen.add(r.status);
      }
      assert.deepEqual([...seen].sort(), [429, 503]);
      // Run-time change: turn it off.
      cluster.pods[0]!.setFailureInjection(0);
      const ok = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'hi', max_tokens: 2 });
      assert.equal(ok.status, 200);
    } finally {
      await cluster.close();
    }
  });

  test('each failure type maps to its status; about rate% of requests fail', async () => {
    const cluster = await startSimCluster({ timeScale: 100, failureRate: 30, seed: 3 });
    try {
      const url = cluster.pods[0]!.url;
      let failed = 0;
      const statuses = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const r = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'hi', max_tokens: 1 });
        if (r.status !== 200) {
          failed++;
          statuses.add(r.status);
          errorMessage(r.body, r.status);
        }
      }
      assert.ok(failed > 35 && failed < 85, `failed ${failed} of 200 at 30%`);
      for (const s of statuses) assert.ok([400, 401, 404, 429, 503].includes(s));
      assert.ok(statuses.size >= 4, `saw ${[...statuses]}`);
    } finally {
      await cluster.close();
    }
  });

  test('unknown failure types and rates are refused at start', async () => {
    await assert.rejects(startSimCluster({ failureRate: 150 }), /0\.\.100/);
    await assert.rejects(
      startSimCluster({ failureRate: 1, failureTypes: ['nope' as (typeof FAILURE_TYPES)[number]] }),
      /unknown failure type "nope"/,
    );
  });

  test('adapters without a LoRA slot are refused at start (their requests would wait forever)', async () => {
    await assert.rejects(
      startSimCluster({ host: '127.0.0.79', loras: ['a'], params: { maxLoras: 0 } }),
      /maxLoras must be >= 1 when LoRA adapters are served/,
    );
    const c = await startSimCluster({ host: '127.0.0.79', params: { maxLoras: 0 } });
    await c.close();
  });
});
