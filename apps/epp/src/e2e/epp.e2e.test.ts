// End-to-end: the EPP started from its CLI (bin/igw-epp.mjs) with a --resources-file, loopback "pods" on
// 127.0.0.2-4 serving crafted vLLM /metrics pages, and ext-proc's Envoy-like client speaking ext_proc over real gRPC.
// Everything is real: file source, datastore, scraper, metrics parser (WASM), scheduler (WASM), stream driver.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProcessResult } from '@igw/ext-proc';
import { destinationOf, type EppProcess, startEpp, waitFor, writeResources } from './epp-process.js';
import { type FakePod, startPods } from './fake-pods.js';

const CONFIG = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: lora-affinity-scorer
- type: max-score-picker
  parameters:
    maxNumOfEndpoints: 2
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 1
  - pluginRef: kv-cache-utilization-scorer
    weight: 1
  - pluginRef: lora-affinity-scorer
    weight: 5
  - pluginRef: max-score-picker
`;

const MAX_BODY = 200_000;

function pool(port: number): Record<string, unknown> {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'pool', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'vllm' } },
      targetPorts: [{ number: port }],
      endpointPickerRef: { name: 'epp', port: { number: 9002 } },
    },
  };
}

function podObject(name: string, ip: string, ready = true): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'vllm' } },
    status: {
      podIP: ip,
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

const objectives = [
  { name: 'batch', priority: -1 },
  { name: 'critical', priority: 10 },
].map(({ name, priority }) => ({
  apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
  kind: 'InferenceObjective',
  metadata: { name, namespace: 'default' },
  spec: { priority, poolRef: { name: 'pool' } },
}));

const rewrite = {
  apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
  kind: 'InferenceModelRewrite',
  metadata: { name: 'alias-to-base', namespace: 'default' },
  spec: {
    poolRef: { name: 'pool' },
    rules: [
      {
        matches: [{ model: { type: 'Exact', value: 'alias' } }],
        targets: [{ modelRewrite: 'base', weight: 1 }],
      },
    ],
  },
};

const headers = (extra: Record<string, string> = {}) => ({
  ':method': 'POST',
  ':path': '/v1/completions',
  'content-type': 'application/json',
  ...extra,
});
const completion = (model = 'base', prompt = 'Hello there, this is a test prompt.') =>
  JSON.stringify({ model, prompt, max_tokens: 8 });

function immediate(r: ProcessResult): { status: number; body: string; reason: string | undefined } {
  assert.equal(
    r.outcome,
    'immediate-response',
    `expected an immediate response, got ${r.outcome} ${JSON.stringify(r.grpcStatus)}`,
  );
  const ir = r.immediateResponse!;
  return {
    status: ir.status,
    body: ir.bodyText,
    reason: ir.headers.find(([k]) => k === 'x-llm-d-request-dropped-reason')?.[1],
  };
}

describe('EPP end to end (CLI, resources file, loopback pods)', { timeout: 120_000 }, () => {
  let dir: string;
  let file: string;
  let pods: FakePod[];
  let a: FakePod;
  let b: FakePod;
  let c: FakePod;
  let epp: EppProcess;
  let objects: Array<Record<string, unknown>>;

  const route = (
    extra: Record<string, string> = {},
    body = completion(),
    md?: Record<string, Record<string, unknown>>,
  ) => epp.client.process({ headers: headers(extra), body, ...(md ? { metadataContext: md } : {}) });

  /** Sets pod metrics and waits until routing reflects them (scrapes every 50 ms). */
  async function until(
    expected: string,
    extra: Record<string, string> = {},
    body = completion(),
  ): Promise<void> {
    await waitFor(
      `destination ${expected}`,
      async () => destinationOf(await route(extra, body)),
      (d) => d === expected,
    );
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igw-epp-e2e-'));
    file = join(dir, 'resources.yaml');
    pods = await startPods(3);
    [a, b, c] = pods as [FakePod, FakePod, FakePod];
    objects = [
      pool(a.port),
      podObject('pod-a', a.ip),
      podObject('pod-b', b.ip),
      podObject('pod-c', c.ip),
      ...objectives,
      rewrite,
    ];
    writeResources(file, objects);
    epp = await startEpp([
      `--resources-file=${file}`,
      '--pool-name=pool',
      '--pool-namespace=default',
      '--refresh-metrics-interval=50ms',
      `--config-text=${CONFIG}`,
      `--max-request-body-bytes=${MAX_BODY}`,
      '--emit-endpoint-scores',
      '-v=4',
      // The fake pods serve fixed /metrics pages and never see the routed requests, so the assumed load of the
      // picks these tests make would only pile up between scrapes and shift decisions that the tests pin to the
      // scraped numbers (assumed load is tested in scorer-wasm and in the scraper test with the real scheduler).
      '--assumed-load=false',
    ]);
    await epp.client.waitForReady(10_000);
    await waitFor(
      'the pool to sync',
      () => route(),
      (r) => r.outcome === 'continue',
    );
  });

  after(async () => {
    const code = await epp?.stop();
    await Promise.all((pods ?? []).map((p) => p.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, 'EPP exits 0 on SIGTERM');
  });

  test('routes to the least loaded pod, next best as the fallback; header = envoy.lb metadata', async () => {
    a.set({ waiting: 0, kv: 0.1 });
    b.set({ waiting: 3, kv: 0.5 });
    c.set({ waiting: 9, kv: 0.9 });
    await until(`${a.address},${b.address}`);
    const r = await route({ 'x-request-id': 'e2e-decision-1' });
    const lb = r.dynamicMetadata['envoy.lb'] as Record<string, unknown>;
    assert.equal(lb['x-gateway-destination-endpoint'], `${a.address},${b.address}`);
    assert.equal(r.clearRouteCache, true);
    assert.equal(r.request.body.toString(), completion());
    // --emit-endpoint-scores: every candidate scored by the real scheduler, best first in the destination.
    const scores = JSON.parse(r.request.header('x-gateway-destination-endpoint-scores') ?? '{}') as Record<
      string,
      number
    >;
    assert.deepEqual(Object.keys(scores).sort(), [a.address, b.address, c.address].sort());
    assert.ok((scores[a.address] as number) > (scores[b.address] as number));
    assert.ok((scores[b.address] as number) > (scores[c.address] as number));
    assert.deepEqual(lb['x-gateway-destination-endpoint-scores'], scores);
    // -v=4: the decision is logged with the request id and each candidate's per-scorer scores.
    const decision = await waitFor(
      'the decision log',
      async () => epp.logs().find((l) => l.requestId === 'e2e-decision-1' && l.msg === 'scheduling decision'),
      (l) => l !== undefined,
    );
    const perScorer = (
      (decision?.scores ?? []) as Array<{ address: string; perScorer: Record<string, number> }>
    ).find((s) => s.address === c.address)?.perScorer;
    assert.ok(
      perScorer && 'queue-scorer' in perScorer && 'lora-affinity-scorer' in perScorer,
      JSON.stringify(perScorer),
    );
    b.set({ waiting: 0, kv: 0.05 });
    a.set({ waiting: 5, kv: 0.5 });
    await until(`${b.address},${a.address}`);
  });

  test('LoRA affinity: the pod with the adapter loaded wins despite a longer queue', async () => {
    a.set({ waiting: 2, kv: 0.2, runningLoras: ['other'], maxLora: 1 });
    b.set({ waiting: 4, kv: 0.2, runningLoras: ['sql-lora'], maxLora: 1 });
    c.set({ waiting: 9, kv: 0.2, runningLoras: ['x', 'y'], maxLora: 2 });
    // The base model has no affinity anywhere: once the new pages are scraped, the shortest queue (a) wins...
    await waitFor(
      'base model to the shortest queue',
      async () => destinationOf(await route())?.split(',')[0],
      (d) => d === a.address,
    );
    // ...while the adapter's model goes to b, which has it loaded, despite b's longer queue.
    for (let i = 0; i < 5; i++) {
      assert.equal(destinationOf(await route({}, completion('sql-lora')))?.split(',')[0], b.address);
    }
    for (const p of pods) p.set({ runningLoras: [], maxLora: 4 });
  });

  test('both body modes and a 70,000-byte body in 62,000-byte chunks', async () => {
    const prompt = 'p'.repeat(70_000 - completion('base', '').length);
    const body = completion('base', prompt);
    assert.equal(body.length, 70_000);
    const streamed = await epp.client.process({ headers: headers(), body, chunkSize: 16_384 });
    assert.equal(streamed.outcome, 'continue');
    assert.deepEqual(streamed.requestBodyChunkSizes, [62_000, 8_000]);
    assert.equal(streamed.request.body.toString(), body);
    assert.equal(streamed.request.header('content-length'), '70000');
    const buffered = await epp.client.process({ headers: headers(), body, mode: 'BUFFERED' });
    assert.equal(buffered.outcome, 'continue');
    assert.ok(destinationOf(buffered));
    assert.equal(buffered.request.body.toString(), body);
  });

  test('immediate responses: 400 texts, 413 over --max-request-body-bytes', async () => {
    let r = immediate(await route({}, '{"model": "base", '));
    assert.deepEqual(r, {
      status: 400,
      body: 'inference gateway: BadRequest - Error unmarshaling request body',
      reason: undefined,
    });
    r = immediate(await route({}, '{"prompt": "x"}'));
    assert.equal(r.body, 'inference gateway: BadRequest - model not found in request body');
    r = immediate(await route({}, '{"model": "base", "messages": "hi"}'));
    assert.equal(r.body, 'inference gateway: BadRequest - messages is not a list');
    r = immediate(await route({}, '{"model": "base", "prompt": 5}'));
    assert.equal(r.body, 'inference gateway: BadRequest - prompt is not a string');
    const big = await epp.client.process({
      headers: headers(),
      body: completion('base', 'z'.repeat(MAX_BODY)),
      chunkSize: 62_000,
    });
    r = immediate(big);
    assert.equal(r.status, 413);
    assert.match(r.body, /^inference gateway: PayloadTooLarge - /);
  });

  test('shedding: a sheddable objective gets 429 when every pod is saturated; others are routed', async () => {
    for (const p of pods) p.set({ waiting: 10, kv: 0.95 });
    const shed = await waitFor(
      'saturation',
      () => route({ 'x-gateway-inference-objective': 'batch' }),
      (x) => x.outcome === 'immediate-response',
    );
    assert.deepEqual(immediate(shed), {
      status: 429,
      body: 'inference gateway: InferencePoolResourceExhausted - system saturated, sheddable request dropped',
      reason: 'rejected-saturated',
    });
    // The llm-d alias of the objective header works the same.
    assert.equal(immediate(await route({ 'x-llm-d-inference-objective': 'batch' })).status, 429);
    assert.equal((await route({ 'x-gateway-inference-objective': 'critical' })).outcome, 'continue');
    assert.equal((await route()).outcome, 'continue');
    a.set({ waiting: 0, kv: 0.1 });
    await waitFor(
      'capacity again',
      () => route({ 'x-gateway-inference-objective': 'batch' }),
      (x) => x.outcome === 'continue',
    );
    for (const p of pods) p.set({ waiting: 0, kv: 0.1 });
  });

  test('subset hint: a match restricts the pick; [] and no match give 503', async () => {
    const hint = (list: string[]) => ({
      'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': list },
    });
    for (let i = 0; i < 5; i++)
      assert.equal(destinationOf(await route({}, completion(), hint([`${c.ip}:1`]))), c.address);
    const two = destinationOf(await route({}, completion(), hint([b.address, c.address])));
    assert.deepEqual(two?.split(',').sort(), [b.address, c.address].sort());
    for (const list of [[], ['10.99.0.1:8000']]) {
      assert.deepEqual(immediate(await route({}, completion(), hint(list))), {
        status: 503,
        body: 'inference gateway: ServiceUnavailable - failed to find candidate pods for serving the request',
        reason: 'rejected-no-endpoints',
      });
    }
  });

  test('rewrite: the server sees the target model, the client gets its own name back; SSE usage counted', async () => {
    const sse = [
      'data: {"id":"cmpl-1","object":"text_completion","model":"base","choices":[{"index":0,"text":"Hi"}]}\n\n',
      'data: {"id":"cmpl-1","object":"text_completion","model":"base","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":5,"total_tokens":26}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    const r = await epp.client.process({
      headers: headers(),
      body: completion('alias'),
      response: {
        headers: { ':status': '200', 'content-type': 'text/event-stream' },
        body: sse,
        chunkSize: 50,
      },
    });
    assert.equal(r.outcome, 'continue');
    assert.equal(JSON.parse(r.request.body.toString()).model, 'base');
    assert.equal(r.request.header('content-length'), String(r.request.body.length));
    assert.equal(r.response?.body.toString(), sse.replaceAll('"model":"base"', '"model":"alias"'));
    // The rewrite header is consumed and stripped; without a matching rule it sets the target.
    const viaHeader = await route({ 'x-gateway-model-name-rewrite': 'base' }, completion('other'));
    assert.equal(JSON.parse(viaHeader.request.body.toString()).model, 'base');
    assert.equal(viaHeader.request.header('x-gateway-model-name-rewrite'), undefined);
    const metrics = await waitFor(
      'usage metrics',
      () => epp.metricsText(),
      (t) => t.includes('inference_objective_input_tokens_sum'),
    );
    assert.match(
      metrics,
      /inference_objective_input_tokens_sum\{model_name="alias",target_model_name="base"\} 21/,
    );
    assert.match(
      metrics,
      /inference_objective_output_tokens_sum\{model_name="alias",target_model_name="base"\} 5/,
    );
    assert.match(
      metrics,
      /inference_extension_model_rewrite_decisions_total\{model_rewrite_name="alias-to-base",model_name="alias",target_model="base"\} 1/,
    );
    assert.match(metrics, /inference_objective_request_error_total\{[^}]*error_code="BadRequest"\} [1-9]/);
  });

  test('a scrape that times out: the stale pod is not capacity, requests keep flowing, the loop recovers', async () => {
    c.mode = 'hang';
    a.set({ waiting: 10, kv: 0.95 });
    b.set({ waiting: 10, kv: 0.95 });
    c.set({ waiting: 0, kv: 0 });
    // c's last good numbers were "idle", but they go stale: nothing has good capacity any more.
    const shed = await waitFor(
      'saturation with a stale pod',
      () => route({ 'x-gateway-inference-objective': 'batch' }),
      (x) => x.outcome === 'immediate-response',
    );
    assert.equal(immediate(shed).status, 429);
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) assert.equal((await route()).outcome, 'continue');
    assert.ok(Date.now() - t0 < 5000, 'requests are not held up by the hanging scrape');
    // Once the hung scrape times out (5 s) the loop goes on; c's fresh, idle page gives capacity back.
    const scrapesBefore = c.scrapes;
    c.mode = 'ok';
    await waitFor(
      'capacity from the recovered pod',
      () => route({ 'x-gateway-inference-objective': 'batch' }),
      (x) => x.outcome === 'continue',
      12_000,
    );
    assert.ok(c.scrapes > scrapesBefore, 'the scrape loop of the timed-out pod resumed');
    for (const p of pods) p.set({ waiting: 0, kv: 0.1 });
  });

  test('a pod that disappears from the resources file is never picked; a malformed edit keeps the last good state', async () => {
    writeResources(
      file,
      objects.filter((o) => (o.metadata as { name: string }).name !== 'pod-b'),
    );
    const hint = { 'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': [b.address] } };
    await waitFor(
      'pod-b to leave',
      () => route({}, completion(), hint),
      (r) => r.outcome === 'immediate-response',
    );
    for (let i = 0; i < 20; i++) assert.ok(!destinationOf(await route())?.includes(b.address));

    const before = epp.output.length;
    writeFileSync(file, 'kind: InferencePool\n  metadata: [unbalanced\n');
    const reported = () =>
      epp.output.slice(before).some((line) => {
        try {
          // pino level as a number, or as a label (zap-style formatter).
          const l = JSON.parse(line) as { level?: number | string; path?: string };
          const severe =
            typeof l.level === 'number'
              ? l.level >= 40
              : ['warn', 'error', 'fatal'].includes(String(l.level));
          return severe && l.path === file;
        } catch {
          return false;
        }
      });
    await waitFor(
      'the bad edit to be reported (warn or error naming the file)',
      async () => reported(),
      (x) => x,
    );
    for (let i = 0; i < 10; i++) assert.equal((await route()).outcome, 'continue');

    // Every pod not ready: headers-only requests get 500, body requests 503.
    writeResources(file, [pool(a.port), podObject('pod-a', a.ip, false), ...objectives]);
    const get = () => epp.client.process({ headers: { ':method': 'GET', ':path': '/v1/models' } });
    const none = await waitFor('an empty pool', get, (r) => r.outcome === 'immediate-response');
    assert.deepEqual(immediate(none), {
      status: 500,
      body: 'inference gateway: Internal - no pods available in datastore',
      reason: 'rejected-internal',
    });
    assert.equal(immediate(await route()).status, 503);

    writeResources(file, objects);
    const back = await waitFor('the pods to return', get, (r) => r.outcome === 'continue');
    assert.ok([a.address, b.address, c.address].includes(destinationOf(back) ?? ''));
  });
});

describe('EPP end to end: startup errors', { timeout: 30_000 }, () => {
  test('a malformed resources file at startup: clear error, non-zero exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igw-epp-e2e-bad-'));
    const file = join(dir, 'resources.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n');
    const epp = await startEpp([`--resources-file=${file}`, '--pool-name=pool']);
    try {
      const code = await waitFor(
        'exit',
        async () => epp.child.exitCode,
        (c) => c !== null,
        15_000,
      );
      assert.notEqual(code, 0);
      assert.match(epp.output.join('\n'), /resources\.yaml/);
    } finally {
      await epp.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
