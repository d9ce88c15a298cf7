import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEndpointPickerConfig } from './config/parse.js';
import { Scheduler } from './scheduler.js';
import { configOf, metrics } from './test-helpers.js';
import type { ScheduleRequest } from './types.js';

const req = (p: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  prompt: '',
  targetModel: 'm',
  priority: 0,
  nowMs: 1000,
  wantScores: true,
  ...p,
});

function perScorer(s: Scheduler, name: string, r: Partial<ScheduleRequest> = {}): Record<string, number> {
  const res = s.schedule(req(r));
  assert.equal(res.status, 'ok');
  if (res.status !== 'ok') return {};
  return Object.fromEntries(res.scores!.map((x) => [x.address, x.perScorer[name]!]));
}

describe('scorer formulas (spec 3.3)', () => {
  test('queue-scorer: (max-q)/(max-min), 1.0 for all when equal', () => {
    const s = Scheduler.create(configOf('- type: queue-scorer', '  - pluginRef: queue-scorer'), { seed: 1 });
    const a = s.addEndpoint('10.0.0.1:8000');
    const b = s.addEndpoint('10.0.0.2:8000');
    const c = s.addEndpoint('10.0.0.3:8000');
    s.updateMetrics(a, metrics({ waitingQueueSize: 0 }));
    s.updateMetrics(b, metrics({ waitingQueueSize: 5 }));
    s.updateMetrics(c, metrics({ waitingQueueSize: 10 }));
    assert.deepEqual(perScorer(s, 'queue-scorer'), {
      '10.0.0.1:8000': 1,
      '10.0.0.2:8000': 0.5,
      '10.0.0.3:8000': 0,
    });
    for (const h of [a, b, c]) s.updateMetrics(h, metrics({ waitingQueueSize: 7 }));
    assert.deepEqual(Object.values(perScorer(s, 'queue-scorer')), [1, 1, 1]);
  });

  test('running-requests-size-scorer uses the queue formula on running requests', () => {
    const s = Scheduler.create(
      configOf('- type: running-requests-size-scorer', '  - pluginRef: running-requests-size-scorer'),
      { seed: 1 },
    );
    const a = s.addEndpoint('10.0.0.1:8000');
    const b = s.addEndpoint('10.0.0.2:8000');
    s.updateMetrics(a, metrics({ runningRequestsSize: 2, waitingQueueSize: 100 }));
    s.updateMetrics(b, metrics({ runningRequestsSize: 6 }));
    assert.deepEqual(perScorer(s, 'running-requests-size-scorer'), {
      '10.0.0.1:8000': 1,
      '10.0.0.2:8000': 0,
    });
  });

  test('kv-cache-utilization-scorer: 1 - kv, clamped to [0,1]', () => {
    const s = Scheduler.create(
      configOf('- type: kv-cache-utilization-scorer', '  - pluginRef: kv-cache-utilization-scorer'),
      { seed: 1 },
    );
    const a = s.addEndpoint('10.0.0.1:8000');
    const b = s.addEndpoint('10.0.0.2:8000');
    s.updateMetrics(a, metrics({ kvCacheUsagePercent: 0.25 }));
    s.updateMetrics(b, metrics({ kvCacheUsagePercent: 1.5 }));
    assert.deepEqual(perScorer(s, 'kv-cache-utilization-scorer'), {
      '10.0.0.1:8000': 0.75,
      '10.0.0.2:8000': 0,
    });
  });

  test('lora-affinity-scorer: 1.0 active, 0.8 room, 0.6 waiting, else 0', () => {
    const s = Scheduler.create(
      configOf('- type: lora-affinity-scorer', '  - pluginRef: lora-affinity-scorer'),
      {
        seed: 1,
      },
    );
    const hs = [1, 2, 3, 4].map((i) => s.addEndpoint(`10.0.0.${i}:8000`));
    s.updateMetrics(hs[0]!, metrics({ maxActiveModels: 1, activeModels: ['sql', 'x'] }));
    s.updateMetrics(hs[1]!, metrics({ maxActiveModels: 3, activeModels: ['a'], waitingModels: ['b'] }));
    s.updateMetrics(hs[2]!, metrics({ maxActiveModels: 2, activeModels: ['a'], waitingModels: ['sql'] }));
    s.updateMetrics(hs[3]!, metrics({ maxActiveModels: 2, activeModels: ['a', 'b'], waitingModels: [] }));
    assert.deepEqual(perScorer(s, 'lora-affinity-scorer', { targetModel: 'sql' }), {
      '10.0.0.1:8000': 1,
      '10.0.0.2:8000': 0.8,
      '10.0.0.3:8000': 0.6,
      '10.0.0.4:8000': 0,
    });
    // a model no endpoint ever reported scores 0.8 only where there is room
    assert.deepEqual(
      Object.values(perScorer(s, 'lora-affinity-scorer', { targetModel: 'never-seen' })),
      [0, 0.8, 0, 0],
    );
  });

  test('weights multiply clamped scores and sum', () => {
    const s = Scheduler.create(
      configOf(
        '- type: queue-scorer\n- type: kv-cache-utilization-scorer',
        '  - pluginRef: queue-scorer\n    weight: 2\n  - pluginRef: kv-cache-utilization-scorer\n    weight: 3',
      ),
      { seed: 1 },
    );
    const a = s.addEndpoint('10.0.0.1:8000');
    const b = s.addEndpoint('10.0.0.2:8000');
    s.updateMetrics(a, metrics({ waitingQueueSize: 0, kvCacheUsagePercent: 0.5 }));
    s.updateMetrics(b, metrics({ waitingQueueSize: 4, kvCacheUsagePercent: 0 }));
    const r = s.schedule(req());
    assert.equal(r.status, 'ok');
    if (r.status !== 'ok') return;
    assert.deepEqual(
      r.scores!.map((x) => x.score),
      [2 * 1 + 3 * 0.5, 2 * 0 + 3 * 1],
    );
    assert.deepEqual(r.endpoints, ['10.0.0.1:8000']); // 3.5 > 3
  });
});

describe('pickers (spec 3.4)', () => {
  const three = (picker: string, n: number) => {
    const s = Scheduler.create(
      configOf(
        `- type: queue-scorer\n- type: ${picker}\n  parameters: {maxNumOfEndpoints: ${n}}`,
        `  - pluginRef: queue-scorer\n  - pluginRef: ${picker}`,
      ),
      { seed: 7 },
    );
    [0, 10, 5].forEach((q, i) => {
      s.updateMetrics(s.addEndpoint(`10.0.0.${i + 1}:8000`), metrics({ waitingQueueSize: q }));
    });
    return s;
  };

  test('max-score-picker returns descending scores, maxNumOfEndpoints = fallbacks', () => {
    const r = three('max-score-picker', 3).schedule(req());
    assert.deepEqual(r.status === 'ok' && r.endpoints, ['10.0.0.1:8000', '10.0.0.3:8000', '10.0.0.2:8000']);
    const one = three('max-score-picker', 0).schedule(req()); // <= 0 becomes 1
    assert.deepEqual(one.status === 'ok' && one.endpoints, ['10.0.0.1:8000']);
  });

  test('max-score-picker breaks ties at random', () => {
    const s = Scheduler.create(configOf('- type: queue-scorer', '  - pluginRef: queue-scorer'), { seed: 3 });
    for (let i = 1; i <= 4; i++) s.updateMetrics(s.addEndpoint(`10.0.0.${i}:8000`), metrics());
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const r = s.schedule(req());
      if (r.status === 'ok') seen.add(r.endpoints[0]!);
    }
    assert.equal(seen.size, 4);
  });

  test('random-picker returns N distinct endpoints, all of them uniformly over time', () => {
    const s = three('random-picker', 2);
    const counts = new Map<string, number>();
    for (let k = 0; k < 3000; k++) {
      const r = s.schedule(req());
      assert.equal(r.status, 'ok');
      if (r.status !== 'ok') continue;
      assert.equal(new Set(r.endpoints).size, 2);
      counts.set(r.endpoints[0]!, (counts.get(r.endpoints[0]!) ?? 0) + 1);
    }
    for (const c of counts.values()) assert.ok(c > 850 && c < 1150, `count ${c}`);
  });

  test('weighted-random-picker: never picks a zero score while a positive one exists', () => {
    const s = three('weighted-random-picker', 1);
    for (let k = 0; k < 500; k++) {
      const r = s.schedule(req());
      assert.ok(r.status === 'ok' && r.endpoints[0] !== '10.0.0.2:8000');
    }
  });
});

describe('saturation detectors (spec 3.6)', () => {
  const pool = (cfg = defaultEndpointPickerConfig({ env: {} })) => {
    const s = Scheduler.create(cfg, { seed: 1 });
    const a = s.addEndpoint('10.0.0.1:8000');
    const b = s.addEndpoint('10.0.0.2:8000');
    return { s, a, b };
  };

  test('v1.0: saturated unless some fresh endpoint has q <= 5 and kv <= 0.8 (inclusive)', () => {
    const { s, a, b } = pool();
    assert.equal(s.isSaturated(1000), true, 'no metrics yet = saturated');
    s.updateMetrics(a, metrics({ waitingQueueSize: 6, updatedAtMs: 1000 }));
    s.updateMetrics(b, metrics({ waitingQueueSize: 5, kvCacheUsagePercent: 0.8, updatedAtMs: 1000 }));
    assert.equal(s.isSaturated(1200), false, 'at the thresholds and exactly 200 ms old');
    assert.equal(s.isSaturated(1201), true, 'stale after 200 ms');
    s.updateMetrics(b, metrics({ waitingQueueSize: 5, kvCacheUsagePercent: 0.81, updatedAtMs: 1000 }));
    assert.equal(s.isSaturated(1000), true);
  });

  test('v1.0: only sheddable (priority < 0) requests are shed', () => {
    const { s, a } = pool();
    s.updateMetrics(a, metrics({ waitingQueueSize: 50 }));
    const shed = s.schedule(req({ priority: -1 }));
    assert.equal(shed.status, 'shed');
    assert.equal(s.schedule(req({ priority: 0 })).status, 'ok');
  });

  test('empty pool: saturated; sheddable shed, others no-candidates', () => {
    const s = Scheduler.create(defaultEndpointPickerConfig({ env: {} }), { seed: 1 });
    assert.equal(s.isSaturated(0), true);
    assert.equal(s.schedule(req({ priority: -1 })).status, 'shed');
    assert.equal(s.schedule(req()).status, 'no-candidates');
  });

  test('utilization detector: mean of max(q/QDT, kv/KVT), stale = 1, saturated at >= 1', () => {
    const cfg = configOf('- type: queue-scorer\n- type: utilization-detector', '  - pluginRef: queue-scorer');
    assert.equal(cfg.saturationDetector.kind, 'utilization');
    const { s, a, b } = pool(cfg);
    s.updateMetrics(a, metrics({ waitingQueueSize: 5 })); // 1.0
    s.updateMetrics(b, metrics({ kvCacheUsagePercent: 0.4 })); // 0.5
    assert.equal(s.isSaturated(1000), false); // mean 0.75
    assert.equal(s.isSaturated(1300), true); // both stale -> 1.0
    s.updateMetrics(b, metrics({ kvCacheUsagePercent: 0.8 })); // 1.0
    assert.equal(s.isSaturated(1000), true);
    assert.equal(s.schedule(req({ priority: -1 })).status, 'shed');
    // over the subset only
    assert.equal(s.schedule(req({ priority: -1, subsetHint: ['10.0.0.1:1'] })).status, 'shed');
  });

  test('utilization-detector in a profile filters to fresh endpoints under the thresholds', () => {
    const cfg = configOf(
      '- type: random-picker\n- type: utilization-detector',
      '  - pluginRef: utilization-detector\n  - pluginRef: random-picker',
    );
    const { s, a, b } = pool(cfg);
    s.updateMetrics(a, metrics({ waitingQueueSize: 5 }));
    s.updateMetrics(b, metrics({ waitingQueueSize: 1 }));
    for (let k = 0; k < 50; k++) {
      const r = s.schedule(req());
      assert.ok(r.status === 'ok' && r.endpoints[0] === '10.0.0.2:8000');
    }
    s.updateMetrics(b, metrics({ waitingQueueSize: 9 })); // none pass -> input unchanged
    const seen = new Set<string>();
    for (let k = 0; k < 100; k++) {
      const r = s.schedule(req());
      if (r.status === 'ok') seen.add(r.endpoints[0]!);
    }
    assert.equal(seen.size, 2);
  });
});

describe('subset hint', () => {
  test('filters on IP, ignores ports and unknown entries; [] leaves nothing', () => {
    const s = Scheduler.create(defaultEndpointPickerConfig({ env: {} }), { seed: 1 });
    s.addEndpoint('10.0.0.1:8000');
    s.addEndpoint('10.0.0.1:8001');
    s.addEndpoint('10.0.0.2:8000');
    s.addEndpoint('[fd00::1]:8000');
    const r = s.schedule(req({ subsetHint: ['10.0.0.1:9999', '10.9.9.9:1'] }));
    assert.equal(r.status, 'ok');
    if (r.status === 'ok')
      assert.deepEqual(r.scores!.map((x) => x.address).sort(), ['10.0.0.1:8000', '10.0.0.1:8001']);
    const v6 = s.schedule(req({ subsetHint: ['[fd00::1]:1'] }));
    assert.ok(v6.status === 'ok' && v6.endpoints[0] === '[fd00::1]:8000');
    assert.equal(s.schedule(req({ subsetHint: [] })).status, 'no-candidates');
    assert.equal(s.schedule(req({ subsetHint: ['10.9.9.9:1'] })).status, 'no-candidates');
  });
});

describe('criticality outside the legacy profile', () => {
  test('Sheddable -> -1; Critical, Standard and unset -> 0', async () => {
    const { priorityFromCriticality } = await import('./validate.js');
    assert.equal(priorityFromCriticality('Sheddable'), -1);
    assert.equal(priorityFromCriticality('Standard'), 0);
    assert.equal(priorityFromCriticality('Critical'), 0);
    assert.equal(priorityFromCriticality(undefined), 0);
  });
});

describe('header-based-testing-filter (conformance)', () => {
  const conformance = () => {
    const cfg = configOf('- type: header-based-testing-filter', '  - pluginRef: header-based-testing-filter');
    const s = Scheduler.create(cfg, { seed: 4 });
    for (const a of ['10.0.0.1:8000', '10.0.0.2:8000', '10.0.0.2:8001', '[fd00::3]:8000']) {
      s.updateMetrics(s.addEndpoint(a), metrics());
    }
    return s;
  };
  const picks = (s: Scheduler, sel: string | undefined, extra: Partial<ScheduleRequest> = {}) => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const r = s.schedule(req({ endpointSelection: sel, ...extra }));
      seen.add(r.status === 'ok' ? r.endpoints[0]! : r.status);
    }
    return [...seen].sort();
  };

  test('the conformance config selects the endpoints named in the header', () => {
    const s = conformance();
    assert.deepEqual(picks(s, '10.0.0.1'), ['10.0.0.1:8000']);
    assert.deepEqual(picks(s, ' 10.0.0.2:8001 '), ['10.0.0.2:8001']);
    assert.deepEqual(picks(s, '10.0.0.2'), ['10.0.0.2:8000', '10.0.0.2:8001']);
    assert.deepEqual(picks(s, '[fd00::3],10.9.9.9'), ['[fd00::3]:8000']);
    assert.deepEqual(picks(s, '10.0.0.1,10.0.0.2:8000'), ['10.0.0.1:8000', '10.0.0.2:8000']);
  });

  test('no or unknown selection: the profile fails (upstream 429), the subset hint still comes first', () => {
    const s = conformance();
    for (const sel of [undefined, '', '10.9.9.9']) {
      assert.deepEqual(s.schedule(req({ endpointSelection: sel })), {
        status: 'error',
        message: "failed to run scheduler profile 'default'",
      });
    }
    assert.equal(
      s.schedule(req({ endpointSelection: '10.0.0.1', subsetHint: ['10.0.0.2:1'] })).status,
      'error',
    );
    assert.equal(s.schedule(req({ endpointSelection: '10.0.0.1', subsetHint: [] })).status, 'no-candidates');
    assert.deepEqual(picks(s, '10.0.0.1,10.0.0.2', { subsetHint: ['10.0.0.2'] }), [
      '10.0.0.2:8000',
      '10.0.0.2:8001',
    ]);
  });
});
