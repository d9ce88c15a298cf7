// Differential property tests: the WASM Scheduler and the TypeScript ReferenceScheduler get the same random
// configs, pools, metric updates and requests (same seed) and must agree exactly (scores, picks, stats). The
// weighted-random picker uses Math.pow, whose last-ulp results may differ between V8 and AssemblyScript, so it
// is compared by distribution (chi-square) instead.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ReferenceScheduler } from './reference/reference-scheduler.js';
import { Scheduler } from './scheduler.js';
import { metrics } from './test-helpers.js';
import type { EndpointHandle, EndpointPickerConfig, PickerType, ScorerType } from './types.js';

const SCORERS: ScorerType[] = [
  'queue-scorer',
  'kv-cache-utilization-scorer',
  'lora-affinity-scorer',
  'prefix-cache-scorer',
  'running-requests-size-scorer',
];
const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', 'fd00::5'];
const ADAPTERS = ['a', 'b', 'c', 'd'];

type ArbOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

const configArb = (pickers: PickerType[]) =>
  fc.record({
    legacy: fc.boolean(),
    scorers: fc.subarray(SCORERS, { minLength: 0 }),
    weights: fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 4, noNaN: true })), {
      minLength: 5,
      maxLength: 5,
    }),
    picker: fc.constantFrom(...pickers),
    n: fc.integer({ min: -1, max: 4 }),
    blockBytes: fc.integer({ min: 2, max: 12 }),
    maxBlocks: fc.integer({ min: 1, max: 12 }),
    lru: fc.integer({ min: 1, max: 10 }),
    tokenScheme: fc.boolean(),
    util: fc.boolean(),
    utilFilter: fc.boolean(),
    headerFilter: fc.boolean(),
    headroom: fc.constantFrom(0, 0.5),
    assumedLoad: fc.boolean(),
  });

function buildConfig(c: ArbOf<ReturnType<typeof configArb>>, legacyAllowed: boolean): EndpointPickerConfig {
  const hasPrefix = c.scorers.includes('prefix-cache-scorer');
  return {
    profile:
      c.legacy && legacyAllowed
        ? {
            kind: 'legacy-v0.3',
            name: 'p',
            params: {
              kvCacheThreshold: 0.8,
              queueThresholdCritical: 5,
              queueingThresholdLoRA: 8,
              loraAffinityThreshold: 0.7,
            },
          }
        : {
            kind: 'plugins',
            name: 'p',
            utilizationFilter: c.utilFilter,
            headerFilter: c.headerFilter,
            scorers: c.scorers.map((t, i) => ({ name: t, type: t, weight: c.weights[i]! })),
            picker: { name: c.picker, type: c.picker, maxNumOfEndpoints: c.n > 0 ? c.n : 1 },
          },
    prefixCache:
      hasPrefix && !(c.legacy && legacyAllowed)
        ? {
            blockSizeBytes: c.blockBytes,
            maxPrefixBlocksToMatch: c.maxBlocks,
            lruCapacityPerServer: c.lru,
            scheme: c.tokenScheme ? 'token-approximate' : 'v1.0',
          }
        : null,
    saturationDetector: {
      kind: c.util ? 'utilization' : 'v1.0',
      queueDepthThreshold: 5,
      kvCacheUtilThreshold: 0.8,
      metricsStalenessThresholdMs: 200,
      headroom: c.headroom,
    },
    dataLayer: {},
    featureGates: [],
  };
}

const opArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      ip: fc.constantFrom(...IPS),
      port: fc.integer({ min: 8000, max: 8002 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mark' as const), pick: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('metrics' as const),
      pick: fc.nat(),
      q: fc.integer({ min: 0, max: 12 }),
      r: fc.integer({ min: 0, max: 12 }),
      kv: fc.oneof(fc.constant(0), fc.constant(0.8), fc.double({ min: 0, max: 1.2, noNaN: true })),
      max: fc.integer({ min: 0, max: 4 }),
      active: fc.subarray(ADAPTERS),
      waiting: fc.subarray(ADAPTERS),
      age: fc.constantFrom(0, 150, 200, 201, 5000),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('schedule' as const),
      prompt: fc.oneof(
        fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\u{1F600}'), maxLength: 120 }),
        fc.constantFrom('', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaabbbbbbbb'),
      ),
      model: fc.constantFrom('a', 'b', 'base'),
      priority: fc.constantFrom(-1, 0, 2),
      criticality: fc.constantFrom(undefined, 'Critical', 'Standard', 'Sheddable'),
      hint: fc.option(fc.subarray(IPS.map((ip) => (ip.includes(':') ? `[${ip}]:1` : `${ip}:1`)))),
      selection: fc.option(
        fc
          .subarray([...IPS, '10.0.0.1:8000', '10.0.0.2:8001', '[fd00::5]:8002', '10.9.9.9'])
          .map((xs) => xs.join(',')),
      ),
    }),
  },
);

type Runnable = Pick<
  Scheduler,
  | 'addEndpoint'
  | 'removeEndpoint'
  | 'updateMetrics'
  | 'schedule'
  | 'stats'
  | 'isSaturated'
  | 'markScrapeStart'
  | 'assumedLoad'
>;

function replay(s: Runnable, ops: Array<ArbOf<typeof opArb>>): unknown[] {
  const NOW = 10_000;
  const handles: EndpointHandle[] = [];
  const out: unknown[] = [];
  for (const op of ops) {
    if (op.kind === 'add') {
      const addr = op.ip.includes(':') ? `[${op.ip}]:${op.port}` : `${op.ip}:${op.port}`;
      const h = s.addEndpoint(addr);
      if (!handles.some((x) => x.slot === h.slot && x.generation === h.generation)) handles.push(h);
    } else if (op.kind === 'remove') {
      if (handles.length === 0) continue;
      const [h] = handles.splice(op.pick % handles.length, 1);
      s.removeEndpoint(h!);
    } else if (op.kind === 'mark') {
      if (handles.length === 0) continue;
      s.markScrapeStart(handles[op.pick % handles.length]!);
    } else if (op.kind === 'metrics') {
      if (handles.length === 0) continue;
      const h = handles[op.pick % handles.length]!;
      s.updateMetrics(
        h,
        metrics({
          waitingQueueSize: op.q,
          runningRequestsSize: op.r,
          kvCacheUsagePercent: op.kv,
          maxActiveModels: op.max,
          activeModels: op.active,
          waitingModels: op.waiting,
          updatedAtMs: NOW - op.age,
        }),
      );
    } else {
      out.push(
        s.schedule({
          prompt: op.prompt,
          targetModel: op.model,
          priority: op.priority,
          criticality: op.criticality,
          subsetHint: op.hint,
          endpointSelection: op.selection,
          nowMs: NOW,
          wantScores: true,
        }),
      );
      out.push(s.isSaturated(NOW));
      out.push(handles.map((h) => s.assumedLoad(h)));
    }
  }
  out.push(s.stats());
  return out;
}

describe('WASM vs TypeScript reference', () => {
  test('identical scores and picks for max-score and random pickers and the legacy tree (same seed)', () => {
    fc.assert(
      fc.property(
        configArb(['max-score-picker', 'random-picker']),
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (c, ops, seed) => {
          const cfg = buildConfig(c, true);
          const wasm = replay(
            Scheduler.create(cfg, { seed, initialCapacity: 2, assumedLoad: c.assumedLoad }),
            ops,
          );
          const ref = replay(new ReferenceScheduler(cfg, { seed, assumedLoad: c.assumedLoad }), ops);
          assert.deepEqual(wasm, ref);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('weighted-random picker: same distribution (chi-square vs w/sum w, p = 0.001)', () => {
    const cfg = buildConfig(
      {
        legacy: false,
        scorers: ['queue-scorer'],
        weights: [1, 0, 0, 0, 0],
        picker: 'weighted-random-picker',
        n: 1,
        blockBytes: 4,
        maxBlocks: 1,
        lru: 1,
        tokenScheme: false,
        util: false,
        utilFilter: false,
        headerFilter: false,
        headroom: 0,
        assumedLoad: false,
      },
      false,
    );
    const queues = [0, 2, 5, 8, 10]; // scores 1, 0.8, 0.5, 0.2, 0
    const draws = 20_000;
    for (const make of [
      () => Scheduler.create(cfg, { seed: 12345 }),
      () => new ReferenceScheduler(cfg, { seed: 999 }),
    ]) {
      const s = make();
      queues.forEach((q, i) => {
        s.updateMetrics(s.addEndpoint(`10.0.0.${i + 1}:8000`), metrics({ waitingQueueSize: q }));
      });
      const counts = new Map<string, number>();
      for (let k = 0; k < draws; k++) {
        const r = s.schedule({ prompt: '', targetModel: 'm', priority: 0, nowMs: 1000 });
        if (r.status === 'ok') counts.set(r.endpoints[0]!, (counts.get(r.endpoints[0]!) ?? 0) + 1);
      }
      assert.equal(counts.get('10.0.0.5:8000') ?? 0, 0, 'score 0 is never picked');
      const weights = [1, 0.8, 0.5, 0.2];
      const total = weights.reduce((a, b) => a + b, 0);
      let chi = 0;
      weights.forEach((w, i) => {
        const expected = (draws * w) / total;
        const got = counts.get(`10.0.0.${i + 1}:8000`) ?? 0;
        chi += (got - expected) ** 2 / expected;
      });
      assert.ok(chi < 16.27, `chi-square ${chi.toFixed(2)} (df 3) for ${s.constructor.name}`);
    }
  });
});
