import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEndpointPickerConfig } from './config/parse.js';
import { SchedulerInputError } from './errors.js';
import { Scheduler } from './scheduler.js';
import { configOf, metrics } from './test-helpers.js';
import type { ScheduleRequest } from './types.js';

const req = (p: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  prompt: 'x'.repeat(200),
  targetModel: 'm',
  priority: 0,
  nowMs: 1000,
  wantScores: true,
  ...p,
});

function fresh() {
  const s = Scheduler.create(defaultEndpointPickerConfig({ env: {} }), { seed: 2 });
  const a = s.addEndpoint('10.0.0.1:8000');
  const b = s.addEndpoint('10.0.0.2:8000');
  s.updateMetrics(a, metrics({ waitingQueueSize: 1, kvCacheUsagePercent: 0.5 }));
  s.updateMetrics(b, metrics({ waitingQueueSize: 3, kvCacheUsagePercent: 0.1 }));
  return { s, a, b };
}

function scoresOf(s: Scheduler) {
  const r = s.schedule(req({ prompt: '' }));
  return r.status === 'ok' ? r.scores : r;
}

describe('bad metrics are rejected with the field named, state unchanged', () => {
  for (const [field, value] of [
    ['waitingQueueSize', Number.NaN],
    ['waitingQueueSize', -1],
    ['runningRequestsSize', Number.POSITIVE_INFINITY],
    ['kvCacheUsagePercent', Number.NaN],
    ['kvCacheUsagePercent', -0.1],
    ['maxActiveModels', -2],
    ['updatedAtMs', Number.NaN],
    ['activeModels', ['ok', 3]],
    ['waitingModels', 'nope'],
  ] as const) {
    test(`${field} = ${String(value)}`, () => {
      const { s, a } = fresh();
      const before = scoresOf(s);
      assert.throws(
        () => s.updateMetrics(a, { ...metrics(), [field]: value }),
        (e) => e instanceof SchedulerInputError && e.message.includes(field),
      );
      assert.deepEqual(scoresOf(s), before);
    });
  }
});

describe('bad handles, addresses and requests', () => {
  test('stale handle after removal, foreign generation, invalid address', () => {
    const { s, a } = fresh();
    s.removeEndpoint(a);
    assert.throws(() => s.updateMetrics(a, metrics()), SchedulerInputError);
    assert.throws(() => s.removeEndpoint(a), SchedulerInputError);
    const again = s.addEndpoint('10.0.0.7:8000');
    assert.throws(
      () => s.updateMetrics({ ...again, generation: again.generation + 1 }, metrics()),
      SchedulerInputError,
    );
    for (const bad of ['10.0.0.1', '10.0.0.1:0', '10.0.0.1:70000', 'host:80', '::1:80', '[::1]80', '']) {
      assert.throws(() => s.addEndpoint(bad), SchedulerInputError, bad);
    }
    assert.equal(s.stats().endpoints, 2);
  });

  test('adding an existing address returns its handle', () => {
    const { s, a } = fresh();
    assert.deepEqual(s.addEndpoint('10.0.0.1:8000'), a);
    assert.equal(s.stats().endpoints, 2);
  });

  test('malformed requests throw SchedulerInputError', () => {
    const { s } = fresh();
    for (const bad of [
      { priority: Number.NaN },
      { nowMs: Number.POSITIVE_INFINITY },
      { prompt: 42 as unknown as string },
      { targetModel: undefined as unknown as string },
      { subsetHint: 'x' as unknown as string[] },
      { criticality: 'Urgent' as unknown as 'Critical' },
    ]) {
      assert.throws(() => s.schedule(req(bad)), SchedulerInputError, JSON.stringify(bad));
    }
    assert.throws(() => s.isSaturated(Number.NaN), SchedulerInputError);
  });

  test('empty pool: no-candidates (sheddable: shed), never a trap', () => {
    const s = Scheduler.create(defaultEndpointPickerConfig({ env: {} }), { seed: 2 });
    assert.deepEqual(s.schedule(req()), { status: 'no-candidates' });
    assert.equal(s.schedule(req({ priority: -5 })).status, 'shed');
  });
});

describe('oversized and odd prompts', () => {
  test('10 MB prompt: hashes only the first 256 blocks', () => {
    const { s } = fresh();
    const big = 'p'.repeat(10 * 1024 * 1024);
    const r = s.schedule(req({ prompt: big }));
    assert.ok(r.status === 'ok');
    assert.deepEqual(r.status === 'ok' && r.prefix, {
      matchedBlocks: 0,
      totalBlocks: 256,
      blockSizeBytes: 64,
    });
    const again = s.schedule(req({ prompt: big }));
    assert.ok(again.status === 'ok' && again.prefix?.matchedBlocks === 256);
  });

  test('multi-byte characters at the truncation boundary still give 256 full blocks', () => {
    const { s } = fresh();
    const r = s.schedule(req({ prompt: '€'.repeat(10_000) })); // 3 bytes each, 16384 % 3 != 0
    assert.ok(r.status === 'ok' && r.prefix?.totalBlocks === 256);
  });

  test('non-UTF-8 bytes are hashed as given; lone surrogates in strings encode as U+FFFD', () => {
    const { s } = fresh();
    const bytes = new Uint8Array(128).map((_, i) => (i % 2 === 0 ? 0xff : 0xc3));
    const r = s.schedule(req({ prompt: bytes }));
    assert.ok(r.status === 'ok' && r.prefix?.totalBlocks === 2);
    const hs = s.prefixHashes('m', bytes);
    assert.equal(hs.length, 2);
    assert.notDeepEqual(hs, s.prefixHashes('m', new Uint8Array(128)));
    const lone = `${'\ud800'.repeat(40)}`;
    assert.deepEqual(s.prefixHashes('m', lone), s.prefixHashes('m', '\ufffd'.repeat(40)));
  });

  test('a very long model name grows the input buffer', () => {
    const { s } = fresh();
    const model = 'n'.repeat(5000);
    const r = s.schedule(req({ targetModel: model }));
    assert.ok(r.status === 'ok' && r.prefix?.totalBlocks === 3);
    assert.equal(s.prefixHashes(model, 'x'.repeat(200)).length, 3);
  });

  test('endpoints with many adapters grow the adapter table', () => {
    const s = Scheduler.create(
      configOf('- type: lora-affinity-scorer', '  - pluginRef: lora-affinity-scorer'),
      { seed: 1 },
    );
    const a = s.addEndpoint('10.0.0.1:8000');
    const b = s.addEndpoint('10.0.0.2:8000');
    const many = Array.from({ length: 100 }, (_, i) => `lora-${i}`);
    s.updateMetrics(a, metrics({ maxActiveModels: 100, activeModels: many }));
    s.updateMetrics(b, metrics({ maxActiveModels: 2, activeModels: ['x', 'y'], waitingModels: ['lora-99'] }));
    const r = s.schedule(req({ prompt: '', targetModel: 'lora-99' }));
    assert.ok(r.status === 'ok');
    if (r.status !== 'ok') return;
    assert.deepEqual(
      r.scores!.map((x) => x.perScorer['lora-affinity-scorer']),
      [1, 0.6],
    );
  });
});
