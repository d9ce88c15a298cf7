// End to end over real gRPC on loopback: the BBR servers (in process) driven by the Envoy-like ext_proc client.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvoyLikeClient, type ProcessResult } from '@igw/ext-proc';
import { pino } from 'pino';
import { parseFlags } from './flags.js';
import { type RunningBbr, startBbr } from './server.js';

const logger = pino({ level: 'silent' });
const H = {
  ':method': 'POST',
  ':path': '/v1/chat/completions',
  'content-type': 'application/json',
  'x-request-id': 'r1',
};

const cmYaml = (entries: Array<{ name: string; base: string; adapters: string[]; label?: string }>) =>
  entries
    .map(
      (e) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${e.name}
  namespace: default
  labels:
    ${e.label ?? 'inference.llm-d.ai/ipp-managed'}: "true"
data:
  baseModel: ${e.base}
  adapters: |
${e.adapters.map((a) => `    - ${a}`).join('\n')}
`,
    )
    .join('---\n');

function modelHeaders(r: ProcessResult) {
  return {
    model: r.request.header('x-gateway-model-name'),
    base: r.request.header('x-gateway-base-model-name'),
    length: r.request.header('content-length'),
  };
}

async function metricValue(port: number, line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = text.split('\n').find((l) => l.startsWith(line));
  return m ? Number(m.slice(m.lastIndexOf(' ') + 1)) : 0;
}

describe('BBR end to end (FULL_DUPLEX_STREAMED, TLS)', () => {
  let dir: string;
  let cmFile: string;
  let bbr: RunningBbr;
  let client: EnvoyLikeClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igw-bbr-'));
    cmFile = join(dir, 'configmaps.yaml');
    writeFileSync(
      cmFile,
      cmYaml([{ name: 'qwen', base: 'Qwen/Qwen3-32B', adapters: ['food-review-1', 'food-review-2'] }]),
    );
    const flags = parseFlags([
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--host=127.0.0.1',
      '--base-model-configmaps-file',
      cmFile,
      '--max-request-body-bytes',
      '200000',
    ]);
    bbr = await startBbr(flags, logger, { processMetrics: false, configMapPollMs: 50 });
    client = new EnvoyLikeClient({ address: `127.0.0.1:${bbr.grpcPort}`, secure: true });
  });
  after(async () => {
    client.close();
    await bbr.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one header reply (clear_route_cache, Content-Length, model, base) then the body echoed', async () => {
    const body = '{"model":"food-review-1","messages":[{"role":"user","content":"hi"}]}';
    const r = await client.process({ headers: H, body });
    assert.equal(r.outcome, 'continue');
    assert.deepEqual(modelHeaders(r), {
      model: 'food-review-1',
      base: 'Qwen/Qwen3-32B',
      length: String(body.length),
    });
    assert.equal(r.clearRouteCache, true);
    assert.equal(r.replies[0]?.response, 'requestHeaders');
    assert.equal(r.request.body.toString(), body);
    const set = r.replies[0]?.requestHeaders?.response?.headerMutation?.setHeaders?.map((h) => h.header?.key);
    assert.deepEqual(set, ['X-Gateway-Model-Name', 'X-Gateway-Base-Model-Name', 'Content-Length']);
  });

  test('a small body split at every byte boundary gives the same answer', async () => {
    const body = '{"model" : "food-review-2", "prompt":"a\\"b"}';
    for (let i = 1; i < body.length; i++) {
      const r = await client.process({ headers: H, body, splitAt: [i] });
      assert.deepEqual(
        modelHeaders(r),
        { model: 'food-review-2', base: 'Qwen/Qwen3-32B', length: String(body.length) },
        `split at ${i}`,
      );
      assert.equal(r.request.body.toString(), body);
    }
    const bytes = await client.process({ headers: H, body, chunkSize: 1 });
    assert.equal(modelHeaders(bytes).model, 'food-review-2');
  });

  test('a 70,000-byte body: model found, echoed as 62,000 + 8,000 byte chunks', async () => {
    const head = '{"model":"Qwen/Qwen3-32B","prompt":"';
    const body = `${head}${'x'.repeat(70_000 - head.length - 2)}"}`;
    assert.equal(body.length, 70_000);
    const r = await client.process({ headers: H, body, chunkSize: 16_384 });
    assert.deepEqual(modelHeaders(r), { model: 'Qwen/Qwen3-32B', base: 'Qwen/Qwen3-32B', length: '70000' });
    assert.deepEqual(r.requestBodyChunkSizes, [62_000, 8_000]);
    assert.equal(r.request.body.toString(), body);
  });

  test('missing model: only Content-Length, counted', async () => {
    const before = await metricValue(bbr.metricsPort, 'bbr_body_field_not_found_total{field="model"}');
    const r = await client.process({ headers: H, body: '{"prompt":"p","nested":{"model":"inner"}}' });
    assert.deepEqual(modelHeaders(r), { model: undefined, base: undefined, length: '41' });
    assert.equal(
      await metricValue(bbr.metricsPort, 'bbr_body_field_not_found_total{field="model"}'),
      before + 1,
    );
  });

  test('empty model: model header skipped (counted), base header set to ""', async () => {
    const before = await metricValue(bbr.metricsPort, 'bbr_body_field_empty_total{field="model"}');
    const r = await client.process({ headers: H, body: '{"model":""}' });
    assert.deepEqual(modelHeaders(r), { model: undefined, base: '', length: '12' });
    assert.equal(await metricValue(bbr.metricsPort, 'bbr_body_field_empty_total{field="model"}'), before + 1);
  });

  test('numeric and other non-string models are stringified like Go %v', async () => {
    assert.equal(modelHeaders(await client.process({ headers: H, body: '{"model":1}' })).model, '1');
    assert.equal(
      modelHeaders(await client.process({ headers: H, body: '{"model":12345678}' })).model,
      '1.2345678e+07',
    );
    assert.equal(modelHeaders(await client.process({ headers: H, body: '{"model":true}' })).model, 'true');
    assert.equal(modelHeaders(await client.process({ headers: H, body: '{"model":null}' })).model, '<nil>');
  });

  test('header values are sanitised (no CR/LF or control characters reach a header)', async () => {
    const r = await client.process({
      headers: H,
      body: JSON.stringify({ model: 'm\r\nx-injected: yes\u0000' }),
    });
    assert.equal(modelHeaders(r).model, 'mx-injected: yes');
    assert.equal(r.request.header('x-injected'), undefined);
  });

  test('non-JSON and non-object bodies: 400 with the upstream message', async () => {
    let r = await client.process({ headers: H, body: 'model=foo' });
    assert.equal(r.outcome, 'immediate-response');
    assert.equal(r.immediateResponse?.status, 400);
    assert.equal(
      r.immediateResponse?.bodyText,
      "inference error: BadRequest - failed to parse request body: invalid character 'm' looking for beginning of value",
    );
    r = await client.process({ headers: H, body: '[{"model":"a"}]' });
    assert.equal(
      r.immediateResponse?.bodyText,
      'inference error: BadRequest - failed to parse request body: json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
    r = await client.process({ headers: H, body: '{"model":"a",' });
    assert.match(r.immediateResponse!.bodyText, /unexpected end of JSON input$/);
  });

  test('a body over --max-request-body-bytes gets 413', async () => {
    const r = await client.process({
      headers: H,
      body: `{"model":"m","p":"${'y'.repeat(250_000)}"}`,
      chunkSize: 60_000,
    });
    assert.equal(r.immediateResponse?.status, 413);
    assert.match(r.immediateResponse!.bodyText, /^inference error: PayloadTooLarge - /);
  });

  test('adapters mapped and unmapped; ConfigMaps added and removed through the watched file', async () => {
    const base = async (model: string) =>
      modelHeaders(await client.process({ headers: H, body: JSON.stringify({ model }) })).base;
    assert.equal(await base('food-review-1'), 'Qwen/Qwen3-32B');
    assert.equal(await base('unmapped-adapter'), '');
    writeFileSync(
      cmFile,
      cmYaml([
        { name: 'qwen', base: 'Qwen/Qwen3-32B', adapters: ['food-review-1'] },
        {
          name: 'llama',
          base: 'meta-llama/Llama-3.1-8B',
          adapters: ['sql-lora'],
          label: 'inference.networking.k8s.io/bbr-managed',
        },
      ]),
    );
    for (let i = 0; i < 100 && (await base('sql-lora')) === ''; i++) await sleep(50);
    assert.equal(await base('sql-lora'), 'meta-llama/Llama-3.1-8B');
    assert.equal(await base('food-review-2'), '');
    // A broken edit is rejected and the last good state kept.
    writeFileSync(cmFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata: [broken\n');
    await sleep(300);
    assert.equal(await base('sql-lora'), 'meta-llama/Llama-3.1-8B');
    writeFileSync(cmFile, cmYaml([{ name: 'qwen', base: 'Qwen/Qwen3-32B', adapters: ['food-review-1'] }]));
    for (let i = 0; i < 100 && (await base('sql-lora')) !== ''; i++) await sleep(50);
    assert.equal(await base('sql-lora'), '');
    assert.equal(await base('meta-llama/Llama-3.1-8B'), '');
  });

  test('ConfigMap events from another source go through the same store', async () => {
    const base = async (model: string) =>
      modelHeaders(await client.process({ headers: H, body: JSON.stringify({ model }) })).base;
    bbr.store.upsertConfigMap({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'k8s', namespace: 'ns', labels: { 'inference.llm-d.ai/ipp-managed': 'true' } },
      data: { baseModel: 'mistral', adapters: '- cat-lora' },
    });
    assert.equal(await base('cat-lora'), 'mistral');
    bbr.store.removeConfigMap('ns', 'k8s');
    assert.equal(await base('cat-lora'), '');
  });

  test('response events pass through unchanged; chunks after EoS ignored; headers-only gets an empty reply', async () => {
    const r = await client.process({
      headers: H,
      body: '{"model":"m"}',
      chunksAfterEndOfStream: [Buffer.from('junk')],
      response: {
        headers: { ':status': '200', 'content-type': 'text/event-stream' },
        body: [Buffer.from('data: {"a":1}\n\n'), Buffer.from('data: [DONE]\n\n')],
      },
    });
    assert.equal(r.request.body.toString(), '{"model":"m"}');
    assert.equal(r.response?.body.toString(), 'data: {"a":1}\n\ndata: [DONE]\n\n');
    assert.equal(r.response?.header('content-type'), 'text/event-stream');
    const h = await client.process({ headers: { ':method': 'GET', ':path': '/v1/models' } });
    assert.equal(h.outcome, 'continue');
    assert.equal(h.replies[0]?.requestHeaders?.response?.headerMutation, undefined);
    assert.equal(h.clearRouteCache, false);
  });

  test('BUFFERED when Envoy asks for it: headers reply at once, mutations on the body reply', async () => {
    const r = await client.process({ headers: H, body: '{"model":"food-review-1"}', mode: 'BUFFERED' });
    assert.deepEqual(modelHeaders(r), { model: 'food-review-1', base: 'Qwen/Qwen3-32B', length: '25' });
    assert.equal(r.replies[1]?.response, 'requestBody');
    assert.equal(r.replies[1]?.requestBody?.response?.bodyMutation, undefined);
  });

  test('metrics page has the bbr_* families', async () => {
    const text = await (await fetch(`http://127.0.0.1:${bbr.metricsPort}/metrics`)).text();
    for (const name of [
      'bbr_success_total',
      'bbr_body_field_not_found_total',
      'bbr_body_field_empty_total',
      'bbr_plugin_duration_seconds_bucket',
      'bbr_info{',
    ]) {
      assert.ok(text.includes(name), name);
    }
    assert.match(
      text,
      /bbr_plugin_duration_seconds_count\{extension_point="ProcessRequest",plugin_type="base-model-to-header",plugin_name="base-model-to-header"\} \d+/,
    );
    assert.equal((await fetch(`http://127.0.0.1:${bbr.metricsPort}/other`)).status, 404);
  });
});

describe('BBR with --streaming=false and custom plugins (plaintext)', () => {
  test('BUFFERED without protocol_config; plugins run in flag order, last setter wins', async () => {
    const flags = parseFlags([
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--host=127.0.0.1',
      '--secure-serving=false',
      '--streaming=false',
      '--plugin',
      'body-field-to-header:first:{"fieldName":"model","headerName":"X-Route"}',
      '--plugin',
      'body-field-to-header:second:{"fieldName":"tier","headerName":"x-route"}',
    ]);
    const bbr = await startBbr(flags, logger, { processMetrics: false });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${bbr.grpcPort}` });
    try {
      const r = await client.process({
        headers: H,
        body: '{"model":"m","tier":"gold"}',
        mode: 'BUFFERED',
        sendProtocolConfig: false,
      });
      assert.equal(r.request.header('x-route'), 'gold');
      assert.equal(r.request.header('x-gateway-model-name'), undefined);
      assert.equal(r.replies.length, 2);
    } finally {
      client.close();
      await bbr.stop();
    }
  });

  test('bad plugin configuration fails the start with a clear error', async () => {
    const flags = parseFlags([
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--plugin',
      'body-field-to-header:x:{"fieldName":"model"}',
    ]);
    await assert.rejects(startBbr(flags, logger, { processMetrics: false }), /headerName/);
    const unknown = parseFlags([
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--plugin',
      'nope:x',
    ]);
    await assert.rejects(startBbr(unknown, logger, { processMetrics: false }), /unknown plugin type "nope"/);
  });
});
