// The processor over real gRPC on loopback: ext-proc's stream driver and Envoy-like client, the EPP processor, a
// real metrics registry. The datastore and scheduler are the scripted fakes of ./testing.ts so each outcome can be
// forced; the real datastore, scheduler and scraping are covered by src/e2e.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { EnvoyLikeClient, type ExtProcServer, startExtProcServer } from '@igw/ext-proc';
import pino from 'pino';
import { EppMetrics } from '../observability/metrics.js';
import { createEppProcessor } from './processor.js';
import { asDatastore, FakeDatastore } from './testing.js';

interface Harness {
  ds: FakeDatastore;
  metrics: EppMetrics;
  logs: Array<Record<string, unknown>>;
  server: ExtProcServer;
  client: EnvoyLikeClient;
}

async function harness(
  opts: { emitScores?: boolean; maxBody?: number; streaming?: boolean } = {},
): Promise<Harness> {
  const ds = new FakeDatastore();
  const metrics = new EppMetrics({ defaultMetrics: false });
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
  const processor = createEppProcessor({
    datastore: asDatastore(ds),
    metrics,
    logger,
    options: { emitEndpointScores: opts.emitScores ?? false, seed: 1 },
  });
  const server = await startExtProcServer({
    port: 0,
    host: '127.0.0.1',
    secure: false,
    processor,
    stream: {
      maxRequestBodyBytes: opts.maxBody ?? 64 * 1024 * 1024,
      streaming: opts.streaming ?? true,
      contentLength: 'non-empty',
    },
  });
  const client = new EnvoyLikeClient({ address: `127.0.0.1:${server.port}` });
  return { ds, metrics, logs, server, client };
}

const reqHeaders = (extra: Record<string, string> = {}) => ({
  ':method': 'POST',
  ':path': '/v1/completions',
  'content-type': 'application/json',
  ...extra,
});
const completion = (model = 'm', prompt = 'hello') => JSON.stringify({ model, prompt, max_tokens: 10 });

describe('EPP processor over gRPC', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    h.client.close();
    await h.server.stop(1000);
  });

  test('body request (FULL_DUPLEX_STREAMED): destination header = envoy.lb metadata, control headers stripped, original bytes', async () => {
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.2:8000', '10.0.0.1:8000'] };
    const body = `{ "model":"m",  "prompt":"hello", "seed": 12345678901234567890 }`;
    const r = await h.client.process({
      headers: reqHeaders({
        'x-gateway-inference-objective': 'none',
        'x-gateway-inference-fairness-id': 't1',
        'x-llm-d-inference-objective': 'none',
      }),
      body,
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(r.request.header('x-gateway-destination-endpoint'), '10.0.0.2:8000,10.0.0.1:8000');
    assert.deepEqual(r.dynamicMetadata['envoy.lb'], {
      'x-gateway-destination-endpoint': '10.0.0.2:8000,10.0.0.1:8000',
    });
    assert.equal(r.clearRouteCache, true);
    assert.equal(r.request.body.toString(), body);
    assert.equal(r.request.header('content-length'), String(Buffer.byteLength(body)));
    assert.equal(r.request.header('x-gateway-inference-objective'), undefined);
    assert.equal(r.request.header('x-llm-d-inference-objective'), undefined);
    assert.equal(r.request.header('x-gateway-inference-fairness-id'), undefined);
    assert.match(r.request.header('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('prefix-cache match of the primary pick -> inference_extension_prefix_indexer_hit_ratio and _hit_bytes', async () => {
    const before = await h.metrics.render();
    const count = (text: string, name: string) =>
      Number(text.match(new RegExp(`^${name}_count (\\d+)`, 'm'))?.[1] ?? 0);
    h.ds.scheduler.result = {
      status: 'ok',
      endpoints: ['10.0.0.1:8000'],
      prefix: { matchedBlocks: 3, totalBlocks: 4, blockSizeBytes: 64 },
    };
    const r = await h.client.process({ headers: reqHeaders(), body: completion('m') });
    assert.equal(r.outcome, 'continue');
    const text = await h.metrics.render();
    const ratio = 'inference_extension_prefix_indexer_hit_ratio';
    const bytes = 'inference_extension_prefix_indexer_hit_bytes';
    assert.equal(count(text, ratio), count(before, ratio) + 1);
    assert.equal(count(text, bytes), count(before, bytes) + 1);
    // 3 of 4 blocks = 0.75 (bucket le=0.8, not le=0.7); 3 x 64 = 192 bytes (bucket le=256, not le=128)
    const bucket = (t: string, name: string, le: string) =>
      Number(t.match(new RegExp(`^${name}_bucket\\{le="${le}"\\} (\\d+)`, 'm'))?.[1] ?? 0);
    assert.equal(bucket(text, ratio, '0.8') - bucket(before, ratio, '0.8'), 1);
    assert.equal(bucket(text, ratio, '0.7') - bucket(before, ratio, '0.7'), 0);
    assert.equal(bucket(text, bytes, '256') - bucket(before, bytes, '256'), 1);
    assert.equal(bucket(text, bytes, '128') - bucket(before, bytes, '128'), 0);
    // a profile without the prefix scorer (no prefix info) records nothing
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000'] };
    await h.client.process({ headers: reqHeaders(), body: completion('m') });
    assert.equal(count(await h.metrics.render(), ratio), count(text, ratio));
  });

  test('an existing x-request-id is kept; client-sent destination headers are overwritten or removed', async () => {
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000'] };
    const r = await h.client.process({
      headers: reqHeaders({
        'x-request-id': 'req-1',
        'x-gateway-destination-endpoint': '6.6.6.6:1',
        'x-gateway-destination-endpoint-scores': 'forged',
        'x-llm-d-request-dropped-reason': 'forged',
      }),
      body: completion(),
    });
    assert.equal(r.request.header('x-request-id'), 'req-1');
    assert.equal(r.request.header('x-gateway-destination-endpoint'), '10.0.0.1:8000');
    assert.equal(r.request.header('x-gateway-destination-endpoint-scores'), undefined);
    assert.equal(r.request.header('x-llm-d-request-dropped-reason'), undefined);
  });

  test('BUFFERED mode (protocol_config): one body reply with headers, body and metadata', async () => {
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000'] };
    const r = await h.client.process({
      headers: reqHeaders({ 'x-gateway-model-name-rewrite': 'm-v2' }),
      body: completion('m'),
      mode: 'BUFFERED',
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(r.request.header('x-gateway-destination-endpoint'), '10.0.0.1:8000');
    assert.deepEqual(r.dynamicMetadata['envoy.lb'], { 'x-gateway-destination-endpoint': '10.0.0.1:8000' });
    assert.equal(JSON.parse(r.request.body.toString()).model, 'm-v2');
    assert.equal(r.request.header('content-length'), String(r.request.body.length));
  });

  test('a 70,000-byte body in 10,000-byte chunks comes back as 62,000 + 8,000 and byte-identical', async () => {
    const prompt = 'x'.repeat(70_000 - completion('m', '').length);
    const body = completion('m', prompt);
    assert.equal(body.length, 70_000);
    const r = await h.client.process({ headers: reqHeaders(), body, chunkSize: 10_000 });
    assert.equal(r.outcome, 'continue');
    assert.deepEqual(r.requestBodyChunkSizes, [62_000, 8_000]);
    assert.equal(r.request.body.toString(), body);
    assert.equal(h.ds.scheduler.calls.at(-1)?.prompt, prompt);
  });

  test('rewrite: body model replaced for the server, response model mapped back (SSE), usage recorded', async () => {
    h.ds.addRewrite('canary', '2025-01-01T00:00:00Z', [{ matches: ['alias'], targets: [['real-model', 1]] }]);
    const sse = [
      'data: {"id":"c1","model":"real-model","choices":[{"text":"Hi"}]}\n\n',
      'data: {"id":"c1","model":"real-model","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    const r = await h.client.process({
      headers: reqHeaders(),
      body: completion('alias'),
      response: {
        headers: { ':status': '200', 'content-type': 'text/event-stream', 'content-length': '999' },
        body: sse,
        chunkSize: 37,
      },
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(JSON.parse(r.request.body.toString()).model, 'real-model');
    assert.equal(h.ds.scheduler.calls.at(-1)?.targetModel, 'real-model');
    assert.equal(r.response?.body.toString(), sse.replaceAll('"model":"real-model"', '"model":"alias"'));
    assert.equal(r.response?.header('x-went-into-resp-headers'), 'true');
    assert.equal(r.response?.header('content-length'), undefined);
    const text = await h.metrics.render();
    assert.match(
      text,
      /inference_objective_request_total\{model_name="alias",target_model_name="real-model"\} 1/,
    );
    assert.match(
      text,
      /inference_objective_input_tokens_sum\{model_name="alias",target_model_name="real-model"\} 11/,
    );
    assert.match(
      text,
      /inference_objective_output_tokens_sum\{model_name="alias",target_model_name="real-model"\} 2/,
    );
    assert.match(
      text,
      /inference_extension_model_rewrite_decisions_total\{model_rewrite_name="canary",model_name="alias",target_model="real-model"\} 1/,
    );
    assert.match(text, /inference_objective_running_requests\{model_name="alias"\} 0/);
    h.ds.rewriteList = [];
  });

  test('rewrite with a JSON response in BUFFERED mode: model mapped back, Content-Length dropped, usage read', async () => {
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000'] };
    const json =
      '{"id":"x","model":"m-target","choices":[{"text":"hi"}],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}';
    const r = await h.client.process({
      headers: reqHeaders({ 'x-llm-d-model-name-rewrite': 'm-target' }),
      body: completion('m-alias'),
      mode: 'BUFFERED',
      response: {
        headers: {
          ':status': '200',
          'content-type': 'application/json',
          'content-length': String(json.length),
        },
        body: json,
      },
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(JSON.parse(r.request.body.toString()).model, 'm-target');
    assert.equal(r.request.header('x-llm-d-model-name-rewrite'), undefined);
    assert.equal(r.response?.body.toString(), json.replace('"model":"m-target"', '"model":"m-alias"'));
    assert.equal(r.response?.header('content-length'), undefined);
    assert.match(
      await h.metrics.render(),
      /inference_objective_output_tokens_sum\{model_name="m-alias",target_model_name="m-target"\} 9/,
    );
  });

  test('JSON response: passed through unchanged, usage read, served endpoint read from metadata', async () => {
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000', '10.0.0.2:8000'] };
    const json = '{"model":"j","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}';
    const r = await h.client.process({
      headers: reqHeaders({ 'x-request-id': 'served-1' }),
      body: completion('j'),
      response: {
        headers: { ':status': '200', 'content-type': 'application/json' },
        body: json,
        chunkSize: 10,
        metadataContext: { 'envoy.lb': { 'x-gateway-destination-endpoint-served': '10.0.0.2:8000' } },
      },
    });
    assert.equal(r.response?.body.toString(), json);
    const served = h.logs.find(
      (l) => l.requestId === 'served-1' && l.msg === 'served endpoint reported by the proxy',
    );
    assert.ok(served, 'served endpoint logged');
    assert.equal(served.served, '10.0.0.2:8000');
    assert.equal(served.fallbackUsed, true);
    assert.match(
      await h.metrics.render(),
      /inference_objective_output_tokens_sum\{model_name="j",target_model_name="j"\} 4/,
    );
  });

  test('400 invalid JSON: exact body, dropped-reason header, cause logged, error counted', async () => {
    const r = await h.client.process({ headers: reqHeaders({ 'x-request-id': 'bad-1' }), body: '{"model":' });
    assert.equal(r.outcome, 'immediate-response');
    assert.equal(r.immediateResponse?.status, 400);
    assert.equal(
      r.immediateResponse?.bodyText,
      'inference gateway: BadRequest - Error unmarshaling request body',
    );
    // llm-d defines no dropped reason for a malformed request, so a 400 carries none (the cause is logged).
    assert.equal(
      r.immediateResponse?.headers.find(([k]) => k === 'x-llm-d-request-dropped-reason'),
      undefined,
    );
    const log = h.logs.find((l) => l.requestId === 'bad-1' && l.msg === 'request rejected');
    assert.equal(log?.message, 'Error unmarshaling request body');
    assert.match(
      await h.metrics.render(),
      /inference_objective_request_error_total\{model_name="",target_model_name="",error_code="BadRequest"\} 1/,
    );
  });

  test('400 texts for a missing model and a bad prompt', async () => {
    const a = await h.client.process({ headers: reqHeaders(), body: '{"prompt":"x"}' });
    assert.equal(
      a.immediateResponse?.bodyText,
      'inference gateway: BadRequest - model not found in request body',
    );
    const b = await h.client.process({ headers: reqHeaders(), body: '{"model":"m","messages":[]}' });
    assert.equal(b.immediateResponse?.bodyText, 'inference gateway: BadRequest - messages is empty');
  });

  test('429 sheddable while saturated, with rejected-saturated', async () => {
    h.ds.addObjective('batch', -5);
    h.ds.scheduler.saturated = true;
    try {
      const r = await h.client.process({
        headers: reqHeaders({ 'x-gateway-inference-objective': 'batch' }),
        body: completion(),
      });
      assert.equal(r.immediateResponse?.status, 429);
      assert.equal(
        r.immediateResponse?.bodyText,
        'inference gateway: InferencePoolResourceExhausted - system saturated, sheddable request dropped',
      );
      assert.ok(
        r.immediateResponse?.headers.some(
          ([k, v]) => k === 'x-llm-d-request-dropped-reason' && v === 'rejected-saturated',
        ),
      );
      // A standard request still goes through.
      const ok = await h.client.process({ headers: reqHeaders(), body: completion() });
      assert.equal(ok.outcome, 'continue');
    } finally {
      h.ds.scheduler.saturated = false;
    }
  });

  test('429 scheduler failure text; 503 for an empty subset and for no match; 500 for an empty result', async () => {
    h.ds.scheduler.result = { status: 'error', message: 'boom' };
    let r = await h.client.process({ headers: reqHeaders(), body: completion() });
    assert.equal(r.immediateResponse?.status, 429);
    assert.equal(
      r.immediateResponse?.bodyText,
      'inference gateway: InferencePoolResourceExhausted - failed to find target pod: boom',
    );
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000'] };
    for (const list of [[], ['10.7.7.7:8000']]) {
      r = await h.client.process({
        headers: reqHeaders(),
        body: completion(),
        metadataContext: { 'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': list } },
      });
      assert.equal(r.immediateResponse?.status, 503);
      assert.equal(
        r.immediateResponse?.bodyText,
        'inference gateway: ServiceUnavailable - failed to find candidate pods for serving the request',
      );
      assert.ok(
        r.immediateResponse?.headers.some(
          ([k, v]) => k === 'x-llm-d-request-dropped-reason' && v === 'rejected-no-endpoints',
        ),
      );
    }
    r = await h.client.process({
      headers: reqHeaders(),
      body: completion(),
      metadataContext: {
        'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': ['10.0.0.2:9999'] },
      },
    });
    assert.equal(r.outcome, 'continue');
    assert.deepEqual(h.ds.scheduler.calls.at(-1)?.subsetHint, ['10.0.0.2:8000']);
    h.ds.scheduler.result = { status: 'ok', endpoints: [] };
    r = await h.client.process({ headers: reqHeaders(), body: completion() });
    assert.equal(r.immediateResponse?.status, 500);
    assert.equal(
      r.immediateResponse?.bodyText,
      'inference gateway: Internal - results must be greater than zero',
    );
    h.ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.1:8000'] };
  });

  test('headers-only request: a uniformly random endpoint, no Content-Length; 500 when there is none', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await h.client.process({ headers: { ':method': 'GET', ':path': '/v1/models' } });
      assert.equal(r.outcome, 'continue');
      const dest = r.request.header('x-gateway-destination-endpoint') ?? '';
      assert.deepEqual(r.dynamicMetadata['envoy.lb'], { 'x-gateway-destination-endpoint': dest });
      assert.equal(r.request.header('content-length'), undefined);
      seen.add(dest);
    }
    assert.deepEqual([...seen].sort(), ['10.0.0.1:8000', '10.0.0.2:8000']);
    const saved = h.ds.eps;
    h.ds.eps = [];
    try {
      const r = await h.client.process({ headers: { ':method': 'GET', ':path': '/v1/models' } });
      assert.equal(r.immediateResponse?.status, 500);
      assert.equal(
        r.immediateResponse?.bodyText,
        'inference gateway: Internal - no pods available in datastore',
      );
    } finally {
      h.ds.eps = saved;
    }
  });

  test('pool not synced: the stream fails with a gRPC status (Envoy failure mode applies)', async () => {
    h.ds.synced = false;
    try {
      const r = await h.client.process({ headers: reqHeaders(), body: completion() });
      assert.equal(r.outcome, 'grpc-error');
      assert.equal(r.grpcStatus.code, GrpcStatus.UNAVAILABLE);
      assert.match(r.grpcStatus.details, /InferencePool is not initialized in data store/);
    } finally {
      h.ds.synced = true;
    }
  });

  test('request trailers after the body: the body still completes and routes', async () => {
    const r = await h.client.process({
      headers: reqHeaders(),
      body: completion(),
      trailers: [['x-checksum', 'abc']],
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(r.request.body.toString(), completion());
    assert.ok(r.request.header('x-gateway-destination-endpoint'));
  });

  test('chunks after end-of-stream are dropped', async () => {
    const r = await h.client.process({
      headers: reqHeaders(),
      body: completion(),
      chunksAfterEndOfStream: [Buffer.from('garbage')],
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(r.request.body.toString(), completion());
  });
});

describe('EPP processor options', () => {
  test('--emit-endpoint-scores: header and envoy.lb struct', async () => {
    const h = await harness({ emitScores: true });
    try {
      h.ds.scheduler.result = (req) => ({
        status: 'ok',
        endpoints: ['10.0.0.1:8000'],
        ...(req.wantScores
          ? {
              scores: [
                { address: '10.0.0.1:8000', score: 0.75, perScorer: { q: 0.5 } },
                { address: '10.0.0.2:8000', score: 0.25, perScorer: { q: 0.25 } },
              ],
            }
          : {}),
      });
      const r = await h.client.process({
        headers: reqHeaders({ 'x-request-id': 'sc-1' }),
        body: completion(),
      });
      assert.equal(
        r.request.header('x-gateway-destination-endpoint-scores'),
        '{"10.0.0.1:8000":0.75,"10.0.0.2:8000":0.25}',
      );
      assert.deepEqual(r.dynamicMetadata['envoy.lb'], {
        'x-gateway-destination-endpoint': '10.0.0.1:8000',
        'x-gateway-destination-endpoint-scores': { '10.0.0.1:8000': 0.75, '10.0.0.2:8000': 0.25 },
      });
      const decision = h.logs.find((l) => l.requestId === 'sc-1' && l.msg === 'scheduling decision');
      assert.ok(decision, 'debug decision log');
      assert.deepEqual((decision.scores as Array<{ perScorer: unknown }>)[1]?.perScorer, { q: 0.25 });
    } finally {
      h.client.close();
      await h.server.stop(1000);
    }
  });

  test('413 over --max-request-body-bytes, counted as an error', async () => {
    const h = await harness({ maxBody: 1000 });
    try {
      const r = await h.client.process({
        headers: reqHeaders(),
        body: completion('m', 'y'.repeat(2000)),
        chunkSize: 500,
      });
      assert.equal(r.immediateResponse?.status, 413);
      assert.match(r.immediateResponse?.bodyText ?? '', /^inference gateway: PayloadTooLarge - /);
      assert.match(await h.metrics.render(), /error_code="PayloadTooLarge"\} 1/);
    } finally {
      h.client.close();
      await h.server.stop(1000);
    }
  });

  test('--streaming=false and no protocol_config: BUFFERED', async () => {
    const h = await harness({ streaming: false });
    try {
      const r = await h.client.process({
        headers: reqHeaders(),
        body: completion(),
        mode: 'BUFFERED',
        sendProtocolConfig: false,
      });
      assert.equal(r.outcome, 'continue');
      assert.equal(r.request.header('x-gateway-destination-endpoint'), '10.0.0.1:8000');
    } finally {
      h.client.close();
      await h.server.stop(1000);
    }
  });
});
