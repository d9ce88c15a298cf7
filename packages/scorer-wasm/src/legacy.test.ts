import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SHED_LEGACY_MESSAGE } from './errors.js';
import { Scheduler } from './scheduler.js';
import { configOf, metrics } from './test-helpers.js';
import type { EndpointMetricsUpdate, ScheduleRequest } from './types.js';

const legacy = (params = '') =>
  configOf(
    `- type: legacy-filter-tree${params ? `\n  parameters: {${params}}` : ''}`,
    '  - pluginRef: legacy-filter-tree',
  );

const req = (p: Partial<ScheduleRequest>): ScheduleRequest => ({
  prompt: 'hello',
  targetModel: 'sql-lora',
  priority: 0,
  nowMs: 1000,
  ...p,
});

function poolOf(ms: Array<Partial<EndpointMetricsUpdate>>, params = ''): Scheduler {
  const s = Scheduler.create(legacy(params), { seed: 11 });
  ms.forEach((m, i) => {
    s.updateMetrics(s.addEndpoint(`10.0.0.${i + 1}:8000`), metrics(m));
  });
  return s;
}

function picks(s: Scheduler, r: ScheduleRequest, n = 200): Set<string> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = s.schedule(r);
    assert.equal(res.status, 'ok');
    if (res.status === 'ok') seen.add(res.endpoints[0]!);
  }
  return seen;
}

describe('v0.3 filter tree (spec 3.1)', () => {
  test('critical: low queue -> LoRA affinity -> least queue -> least KV', () => {
    const s = poolOf(
      [
        { waitingQueueSize: 0, kvCacheUsagePercent: 0.5, maxActiveModels: 4, activeModels: ['sql-lora'] },
        { waitingQueueSize: 0, kvCacheUsagePercent: 0.1, maxActiveModels: 4, activeModels: ['sql-lora'] },
        { waitingQueueSize: 0, kvCacheUsagePercent: 0.0, maxActiveModels: 4, activeModels: [] },
      ],
      'loraAffinityThreshold: 1',
    );
    assert.deepEqual([...picks(s, req({ criticality: 'Critical' }))], ['10.0.0.2:8000']);
  });

  test('critical with every queue >= 128: least queue first, then LoRA, then least KV', () => {
    const s = poolOf([
      { waitingQueueSize: 200, maxActiveModels: 4, activeModels: ['sql-lora'] },
      { waitingQueueSize: 130, kvCacheUsagePercent: 0.3 },
      { waitingQueueSize: 131, kvCacheUsagePercent: 0.2 },
    ]);
    // leastQueue: min 130, max 200, (200-130)/3 = 23 (integer) -> keeps 130 and 131; lora: no affinity, both
    // available (0 < 0 is false, so neither) -> failure keeps both; least KV: 0.2 + 0.1/2 -> only .3
    assert.deepEqual([...picks(s, req({ criticality: 'Critical' }))], ['10.0.0.3:8000']);
  });

  test('sheddable with capacity (q <= 5, kv <= 0.8) goes through the same filters', () => {
    const s = poolOf([
      { waitingQueueSize: 5, kvCacheUsagePercent: 0.8 },
      { waitingQueueSize: 6, kvCacheUsagePercent: 0.0 },
    ]);
    assert.deepEqual([...picks(s, req({ criticality: 'Sheddable' }))], ['10.0.0.1:8000']);
  });

  test('sheddable (and Standard) without capacity is dropped with the upstream message', () => {
    const s = poolOf([{ waitingQueueSize: 6 }, { kvCacheUsagePercent: 0.9 }]);
    for (const criticality of ['Sheddable', 'Standard'] as const) {
      assert.deepEqual(s.schedule(req({ criticality })), { status: 'shed', message: SHED_LEGACY_MESSAGE });
    }
    // unset criticality takes the sheddable path too (v0.3: Critical only when criticality == Critical),
    // whatever the priority says
    assert.deepEqual(s.schedule(req({ priority: 0 })), { status: 'shed', message: SHED_LEGACY_MESSAGE });
    assert.deepEqual(s.schedule(req({ priority: 5 })), { status: 'shed', message: SHED_LEGACY_MESSAGE });
    assert.equal(s.schedule(req({ priority: 0, criticality: 'Critical' })).status, 'ok');
    assert.equal(s.legacyProfile, true);
  });

  test('LoRA soft affinity honours the probability (0.999 default): mostly affinity, sometimes available', () => {
    const s = poolOf([
      { maxActiveModels: 4, activeModels: ['sql-lora'] },
      { maxActiveModels: 4, activeModels: [] },
    ]);
    let affinity = 0;
    for (let i = 0; i < 5000; i++) {
      const r = s.schedule(req({ criticality: 'Critical' }));
      if (r.status === 'ok' && r.endpoints[0] === '10.0.0.1:8000') affinity++;
    }
    assert.ok(affinity > 4950 && affinity < 5000, `affinity ${affinity}`);
  });

  test('empty pool and empty subset give no-candidates', () => {
    const s = poolOf([]);
    assert.equal(s.schedule(req({ criticality: 'Critical' })).status, 'no-candidates');
    const t = poolOf([{}]);
    assert.equal(t.schedule(req({ subsetHint: [] })).status, 'no-candidates');
  });
});
