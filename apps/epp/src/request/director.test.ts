import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readControlHeaders } from './control-headers.js';
import { type DirectorDecision, type DirectorRejection, direct } from './director.js';
import { isRejection } from './rejection.js';
import { createRng } from './rng.js';
import { FakeDatastore } from './testing.js';

const body = (v: unknown) => Buffer.from(JSON.stringify(v));
const opts = { disableSubsetFilter: false, wantScores: false };

function run(
  ds: FakeDatastore,
  b: unknown,
  headers: Record<string, string> = {},
  metadata: Record<string, unknown> = {},
) {
  return direct(
    { body: body(b), control: readControlHeaders({ get: (n) => headers[n] }), metadata, nowMs: 1000 },
    ds,
    createRng(1),
    opts,
  );
}

function rejected(r: DirectorDecision | DirectorRejection): DirectorRejection {
  assert.ok(isRejection(r), 'expected a rejection');
  return r as DirectorRejection;
}
function decided(r: DirectorDecision | DirectorRejection): DirectorDecision {
  assert.ok(!isRejection(r), `unexpected rejection ${(r as DirectorRejection).message}`);
  return r as DirectorDecision;
}

const subset = (list: unknown) => ({
  'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': list },
});

describe('director', () => {
  test('body errors come back as 400 before anything else runs', () => {
    const ds = new FakeDatastore();
    const r = rejected(run(ds, { prompt: 'x' }));
    assert.deepEqual([r.code, r.message], ['BadRequest', 'model not found in request body']);
    assert.equal(ds.scheduler.calls.length, 0);
  });

  test('schedules with the prompt, target model, priority and criticality; original bytes kept', () => {
    const ds = new FakeDatastore();
    ds.addModel('m', 'Critical');
    ds.scheduler.result = { status: 'ok', endpoints: ['10.0.0.2:8000', '10.0.0.1:8000'] };
    const d = decided(run(ds, { model: 'm', prompt: 'hello' }));
    assert.equal(d.destination, '10.0.0.2:8000,10.0.0.1:8000');
    assert.deepEqual(d.endpoints, ['10.0.0.2:8000', '10.0.0.1:8000']);
    assert.equal(d.body, undefined);
    const call = ds.scheduler.calls[0];
    assert.ok(call);
    assert.equal(call.prompt, 'hello');
    assert.equal(call.targetModel, 'm');
    assert.equal(call.priority, 0);
    assert.equal(call.criticality, 'Critical');
    assert.equal(call.subsetHint, null);
    assert.equal(call.nowMs, 1000);
  });

  test('a rewritten model re-serialises only the model member', () => {
    const ds = new FakeDatastore();
    const d = decided(run(ds, { model: 'm', prompt: 'p', n: 1 }, { 'x-gateway-model-name-rewrite': 'm-v2' }));
    assert.equal(d.body?.toString(), '{"model":"m-v2","prompt":"p","n":1}');
    assert.equal(ds.scheduler.calls[0]?.targetModel, 'm-v2');
    assert.equal(d.resolution.incoming, 'm');
  });

  test('sheddable objective while saturated: 429 system saturated, before scheduling', () => {
    const ds = new FakeDatastore();
    ds.addObjective('batch', -1);
    ds.scheduler.saturated = true;
    const r = rejected(run(ds, { model: 'm', prompt: 'p' }, { 'x-gateway-inference-objective': 'batch' }));
    assert.deepEqual(
      [r.code, r.message, r.reason],
      ['InferencePoolResourceExhausted', 'system saturated, sheddable request dropped', 'rejected-saturated'],
    );
    assert.equal(ds.scheduler.calls.length, 0);
    assert.equal(r.resolution?.priority, -1);
  });

  test('priority >= 0 is never shed by admission, even when saturated', () => {
    const ds = new FakeDatastore();
    ds.scheduler.saturated = true;
    ds.addObjective('std', 0);
    decided(run(ds, { model: 'm', prompt: 'p' }, { 'x-gateway-inference-objective': 'std' }));
    decided(run(ds, { model: 'm', prompt: 'p' }));
  });

  test('no endpoints at all: 503 rejected-no-endpoints', () => {
    const ds = new FakeDatastore();
    ds.eps = [];
    const r = rejected(run(ds, { model: 'm', prompt: 'p' }));
    assert.deepEqual(
      [r.code, r.message, r.reason],
      [
        'ServiceUnavailable',
        'failed to find candidate pods for serving the request',
        'rejected-no-endpoints',
      ],
    );
  });

  test('subset hint: matching endpoints go to the scheduler; [] and no match give 503', () => {
    const ds = new FakeDatastore();
    decided(run(ds, { model: 'm', prompt: 'p' }, {}, subset(['10.0.0.2:1234'])));
    assert.deepEqual(ds.scheduler.calls[0]?.subsetHint, ['10.0.0.2:8000']);
    assert.equal(rejected(run(ds, { model: 'm', prompt: 'p' }, {}, subset([]))).code, 'ServiceUnavailable');
    assert.equal(
      rejected(run(ds, { model: 'm', prompt: 'p' }, {}, subset(['10.9.9.9:80']))).code,
      'ServiceUnavailable',
    );
    assert.equal(ds.scheduler.calls.length, 1);
  });

  test('--disable-endpoint-subset-filter ignores the hint', () => {
    const ds = new FakeDatastore();
    const r = direct(
      {
        body: body({ model: 'm', prompt: 'p' }),
        control: readControlHeaders({ get: () => undefined }),
        metadata: subset([]),
        nowMs: 0,
      },
      ds,
      createRng(1),
      { disableSubsetFilter: true, wantScores: false },
    );
    decided(r);
    assert.equal(ds.scheduler.calls[0]?.subsetHint, null);
  });

  test('scheduler outcomes map to the upstream codes and texts', () => {
    const ds = new FakeDatastore();
    ds.scheduler.result = { status: 'no-candidates' };
    let r = rejected(run(ds, { model: 'm', prompt: 'p' }));
    assert.deepEqual(
      [r.code, r.message],
      ['ServiceUnavailable', 'failed to find candidate pods for serving the request'],
    );
    ds.scheduler.result = { status: 'error', message: 'no pods available for the given request' };
    r = rejected(run(ds, { model: 'm', prompt: 'p' }));
    assert.deepEqual(
      [r.code, r.message, r.reason],
      [
        'InferencePoolResourceExhausted',
        'failed to find target pod: no pods available for the given request',
        'rejected-saturated',
      ],
    );
    ds.scheduler.result = { status: 'shed', message: 'failed to apply filter, resulted 0 pods' };
    r = rejected(run(ds, { model: 'm', prompt: 'p' }));
    assert.deepEqual(
      [r.code, r.message],
      ['InferencePoolResourceExhausted', 'failed to apply filter, resulted 0 pods'],
    );
    ds.scheduler.result = { status: 'ok', endpoints: [] };
    r = rejected(run(ds, { model: 'm', prompt: 'p' }));
    assert.deepEqual(
      [r.code, r.message, r.reason],
      ['Internal', 'results must be greater than zero', 'rejected-internal'],
    );
  });

  test('scores are passed through when asked for', () => {
    const ds = new FakeDatastore();
    const scores = [
      {
        address: '10.0.0.1:8000',
        score: 2.5,
        perScorer: { 'queue-scorer': 1, 'kv-cache-utilization-scorer': 1.5 },
      },
    ];
    ds.scheduler.result = (req) => ({
      status: 'ok',
      endpoints: ['10.0.0.1:8000'],
      ...(req.wantScores ? { scores } : {}),
    });
    const d = decided(
      direct(
        {
          body: body({ model: 'm', prompt: 'p' }),
          control: readControlHeaders({ get: () => undefined }),
          metadata: {},
          nowMs: 0,
        },
        ds,
        createRng(1),
        { disableSubsetFilter: false, wantScores: true },
      ),
    );
    assert.deepEqual(d.scores, scores);
  });

  test('legacy v0.3 profile: no InferenceModel -> 404 BadConfiguration; unset criticality -> Standard', () => {
    const ds = new FakeDatastore();
    ds.scheduler.legacyProfile = true;
    const r = rejected(run(ds, { model: 'unknown', prompt: 'x' }));
    assert.equal(r.code, 'BadConfiguration');
    assert.equal(r.message, 'error finding a model object in InferenceModel for input unknown');
    assert.equal(ds.scheduler.calls.length, 0);
    // an InferenceModel with criticality unset reaches the scheduler as Standard (the sheddable branch)
    ds.addModel('m', undefined);
    decided(run(ds, { model: 'm', prompt: 'x' }));
    assert.equal(ds.scheduler.calls[0]?.criticality, 'Standard');
    // outside the legacy profile an unknown model passes through (v1.x)
    ds.scheduler.legacyProfile = false;
    decided(run(ds, { model: 'unknown', prompt: 'x' }));
  });
});
