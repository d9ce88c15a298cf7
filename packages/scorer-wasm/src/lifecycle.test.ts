import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SchedulerCapacityError } from './errors.js';
import { Scheduler } from './scheduler.js';
import { configOf, metrics } from './test-helpers.js';
import type { ScheduleRequest } from './types.js';

const LORA = () =>
  configOf(
    '- type: lora-affinity-scorer\n- type: queue-scorer\n- type: prefix-cache-scorer\n  parameters: {lruCapacityPerServer: 64}',
    '  - pluginRef: lora-affinity-scorer\n  - pluginRef: queue-scorer\n  - pluginRef: prefix-cache-scorer',
  );

const req = (p: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  prompt: 'z'.repeat(640),
  targetModel: 'lora-7',
  priority: 0,
  nowMs: 1000,
  wantScores: true,
  ...p,
});

describe('growth and churn', () => {
  test('the module imports nothing (no abort hook, no host allocator)', async () => {
    const { readFileSync } = await import('node:fs');
    const mod = new WebAssembly.Module(readFileSync(new URL('../build/scorer.wasm', import.meta.url)));
    assert.deepEqual(WebAssembly.Module.imports(mod), []);
  });

  test('growing the endpoint table and the adapter table preserves metrics, adapters and prefix entries', () => {
    const s = Scheduler.create(LORA(), { seed: 3, initialCapacity: 1 });
    const a = s.addEndpoint('10.0.0.1:8000');
    s.updateMetrics(a, metrics({ maxActiveModels: 4, activeModels: ['lora-7'], waitingQueueSize: 2 }));
    const b = s.addEndpoint('10.0.0.2:8000');
    s.updateMetrics(b, metrics({ maxActiveModels: 1, activeModels: ['x'], waitingQueueSize: 4 }));
    const first = s.schedule(req());
    assert.ok(first.status === 'ok' && first.endpoints[0] === '10.0.0.1:8000');
    const before = s.schedule(req());
    for (let i = 3; i < 70; i++) s.addEndpoint(`10.0.1.${i}:8000`); // several doublings
    const wide = Array.from({ length: 40 }, (_, i) => `w${i}`); // adapter rows re-strided
    s.updateMetrics(
      s.addEndpoint('10.0.2.1:8000'),
      metrics({ maxActiveModels: 1, activeModels: wide, waitingQueueSize: 4 }),
    );
    const after = s.schedule(req({ subsetHint: ['10.0.0.1', '10.0.0.2'] }));
    assert.ok(before.status === 'ok' && after.status === 'ok');
    if (before.status !== 'ok' || after.status !== 'ok') return;
    assert.deepEqual(after.scores, before.scores);
    assert.equal(s.stats().prefixIndexEntries, 10);
    assert.ok(s.memoryInfo().endpointCapacity >= 70);
  });

  test('memoryInfo counts the re-layouts: none up front, one per doubling', () => {
    const s = Scheduler.create(LORA(), { seed: 3, initialCapacity: 4 });
    assert.equal(s.memoryInfo().relayouts, 0);
    for (let i = 0; i < 4; i++) s.addEndpoint(`10.0.3.${i}:8000`);
    assert.deepEqual([s.memoryInfo().relayouts, s.memoryInfo().endpointCapacity], [0, 4]);
    s.addEndpoint('10.0.3.4:8000');
    assert.deepEqual([s.memoryInfo().relayouts, s.memoryInfo().endpointCapacity], [1, 8]);
    for (let i = 5; i < 17; i++) s.addEndpoint(`10.0.3.${i}:8000`);
    assert.deepEqual([s.memoryInfo().relayouts, s.memoryInfo().endpointCapacity], [3, 32]);
  });

  test('leak guard: 20k decisions and 2k add/remove cycles do not grow memory', () => {
    const s = Scheduler.create(LORA(), { seed: 9, initialCapacity: 64 });
    const hs = Array.from({ length: 32 }, (_, i) => s.addEndpoint(`10.1.0.${i}:8000`));
    hs.forEach((h, i) => {
      s.updateMetrics(
        h,
        metrics({ waitingQueueSize: i % 5, maxActiveModels: 2, activeModels: [`lora-${i % 9}`] }),
      );
    });
    for (let i = 0; i < 200; i++) s.schedule(req({ prompt: `${i}`.repeat(300) }));
    const mem = s.memoryInfo().memoryBytes;
    for (let i = 0; i < 20_000; i++)
      s.schedule(req({ prompt: `${i % 997}`.repeat(300), targetModel: `lora-${i % 9}` }));
    for (let i = 0; i < 2000; i++) {
      const h = s.addEndpoint(`10.2.0.${i % 200}:9000`);
      s.updateMetrics(h, metrics({ activeModels: [`n${i}`], maxActiveModels: 1 }));
      s.schedule(req({ prompt: `${i}`.repeat(200) }));
      s.removeEndpoint(h);
    }
    assert.equal(s.memoryInfo().memoryBytes, mem);
    // entries never exceed endpoints x capacity, and removal returned them
    assert.ok(s.stats().prefixIndexEntries <= 32 * 64);
  });

  test('a capacity beyond the 32-bit memory budget is refused with SchedulerCapacityError, not a wrap-around', () => {
    const cfg = configOf(
      '- type: prefix-cache-scorer\n  parameters: {lruCapacityPerServer: 10000000}',
      '  - pluginRef: prefix-cache-scorer',
    );
    assert.throws(() => Scheduler.create(cfg, { initialCapacity: 500 }), SchedulerCapacityError);
  });

  test('prefix memory is sized from capacity: <= 1 MB per endpoint at the default LRU capacity', () => {
    const s = Scheduler.create(
      configOf('- type: prefix-cache-scorer', '  - pluginRef: prefix-cache-scorer'),
      {
        seed: 1,
        initialCapacity: 100,
      },
    );
    const info = s.memoryInfo();
    assert.equal(info.endpointCapacity, 100);
    assert.ok(info.regionBytes / 100 <= 1024 * 1024, `${info.regionBytes / 100} bytes per endpoint`);
  });
});
