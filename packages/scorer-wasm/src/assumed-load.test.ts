// Assumed load (SchedulerOptions.assumedLoad): picks made since an endpoint's last scrape count as queued requests
// for the queue and running-requests scorers, so requests between two scrapes spread out instead of all going to the
// endpoint the last scrape made look best.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEndpointPickerConfig } from './config/parse.js';
import { Scheduler } from './scheduler.js';
import { configOf, metrics } from './test-helpers.js';
import type { EndpointHandle, ScheduleRequest } from './types.js';

const req: ScheduleRequest = { prompt: 'hello', targetModel: 'm', priority: 0, nowMs: 1000 };
const queueOnly = () => configOf('- type: queue-scorer', '  - pluginRef: queue-scorer');

function pool(s: Scheduler, n: number): EndpointHandle[] {
  const hs: EndpointHandle[] = [];
  for (let i = 1; i <= n; i++) {
    const h = s.addEndpoint(`10.0.0.${i}:8000`);
    s.updateMetrics(h, metrics());
    hs.push(h);
  }
  return hs;
}

function picks(s: Scheduler, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = s.schedule(req);
    assert.equal(r.status, 'ok');
    if (r.status === 'ok') out.push(r.endpoints[0]!);
  }
  return out;
}

describe('assumed load', () => {
  test('off (the default): equal metrics leave every pick to the tie-break', () => {
    const s = Scheduler.create(queueOnly(), { seed: 7 });
    const hs = pool(s, 4);
    picks(s, 8);
    for (const h of hs) assert.equal(s.assumedLoad(h), 0);
  });

  test('on: n picks between scrapes land on n different endpoints, then spread evenly', () => {
    const s = Scheduler.create(queueOnly(), { seed: 7, assumedLoad: true });
    const hs = pool(s, 4);
    assert.equal(new Set(picks(s, 4)).size, 4);
    for (const h of hs) assert.equal(s.assumedLoad(h), 1);
    const next = picks(s, 8);
    for (const h of hs) assert.equal(next.filter((a) => a === h.address).length, 2);
    for (const h of hs) assert.equal(s.assumedLoad(h), 3);
  });

  test('a scraped queue and the assumed picks add up', () => {
    const s = Scheduler.create(queueOnly(), { seed: 7, assumedLoad: true });
    const [a, b] = pool(s, 2);
    s.updateMetrics(a!, metrics({ waitingQueueSize: 3 }));
    // b (queue 0) takes picks until its assumed load reaches a's scraped queue of 3; the 4th is a tie.
    assert.deepEqual(picks(s, 3), [b!.address, b!.address, b!.address]);
    assert.equal(s.assumedLoad(b!), 3);
  });

  test('a scrape clears the picks made before it was sent and keeps those made while it was in flight', () => {
    const s = Scheduler.create(queueOnly(), { seed: 7, assumedLoad: true });
    const [a] = pool(s, 1);
    picks(s, 3);
    s.markScrapeStart(a!);
    picks(s, 2);
    s.updateMetrics(a!, metrics({ waitingQueueSize: 3 }));
    assert.equal(s.assumedLoad(a!), 2);
    // without a mark, an update clears everything
    s.updateMetrics(a!, metrics());
    assert.equal(s.assumedLoad(a!), 0);
  });

  test('only the primary pick counts; saturation still reads the scraped queue alone', () => {
    const cfg = configOf(
      '- type: queue-scorer\n- {type: max-score-picker, parameters: {maxNumOfEndpoints: 2}}',
      '  - pluginRef: queue-scorer\n  - pluginRef: max-score-picker',
    );
    const s = Scheduler.create(cfg, { seed: 3, assumedLoad: true });
    const hs = pool(s, 2);
    const r = s.schedule(req);
    assert.equal(r.status, 'ok');
    if (r.status !== 'ok') return;
    assert.equal(r.endpoints.length, 2);
    const primary = hs.find((h) => h.address === r.endpoints[0])!;
    const other = hs.find((h) => h.address !== r.endpoints[0])!;
    assert.equal(s.assumedLoad(primary), 1);
    assert.equal(s.assumedLoad(other), 0);
    // 20 assumed picks on every endpoint would exceed the queue threshold (5), but shedding reads scraped metrics
    picks(s, 40);
    assert.equal(s.isSaturated(1000), false);
  });

  test('a re-added endpoint starts with no assumed load; growth keeps the column', () => {
    const s = Scheduler.create(defaultEndpointPickerConfig({ env: {} }), {
      seed: 1,
      assumedLoad: true,
      initialCapacity: 1,
    });
    const [a] = pool(s, 1);
    picks(s, 2);
    assert.equal(s.assumedLoad(a!), 2);
    const b = s.addEndpoint('10.0.0.9:8000'); // grows the table (capacity 1 -> 2)
    assert.ok(s.memoryInfo().relayouts >= 1);
    assert.equal(s.assumedLoad(a!), 2);
    assert.equal(s.assumedLoad(b), 0);
    s.removeEndpoint(a!);
    const again = s.addEndpoint('10.0.0.1:8000');
    assert.equal(s.assumedLoad(again), 0);
  });

  test('the legacy v0.3 tree ignores the option', () => {
    const s = Scheduler.create(configOf('- type: legacy-filter-tree', '  - pluginRef: legacy-filter-tree'), {
      seed: 1,
      assumedLoad: true,
    });
    const [a] = pool(s, 1);
    s.schedule({ ...req, criticality: 'Critical' });
    assert.equal(s.assumedLoad(a!), 0);
  });
});
