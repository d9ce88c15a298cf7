import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type PoolSelection, ResourceSet, reconcile } from '@igw/k8s-sync';
import { defaultEndpointPickerConfig, Scheduler } from '@igw/scorer-wasm';
import { PoolDatastore } from '../datastore/datastore.js';
import { RecordingSlots } from '../datastore/recording-slots.js';
import { captureLogger } from '../testing/capture-logger.js';
import { EngineRegistry } from './engines.js';
import { PageFetcher } from './fetch-page.js';
import { Scraper } from './scraper.js';
import { vllmPage } from './vllm-page.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Three "pods" on 127.0.0.2-4, all on one port as pods of a pool are. */
const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const handlers = new Map<string, Handler>();
const hits = new Map<string, number>();
const connections = new Map<string, number>();
const servers: Server[] = [];
let port = 0;

function serve(ip: string, h: Handler) {
  handlers.set(ip, h);
}

const SGLANG_PAGE = `# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="m"} 7.0
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="m"} 1.0
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="m"} 0.25
`;

before(async () => {
  for (const ip of IPS) {
    const s = createServer((req, res) => {
      hits.set(ip, (hits.get(ip) ?? 0) + 1);
      (handlers.get(ip) ?? ((_q, r) => r.end(vllmPage({ waiting: 1, running: 1, kvUsage: 0.1 }))))(req, res);
    });
    s.on('connection', () => connections.set(ip, (connections.get(ip) ?? 0) + 1));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, ip, () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    servers.push(s);
  }
});

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function pool() {
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

function pod(name: string, ip: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'vllm', ...labels } },
    status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

const SEL: PoolSelection = {
  mode: 'pool',
  namespace: 'default',
  name: 'pool',
  group: 'inference.networking.k8s.io',
};

function snapshot(...raws: unknown[]) {
  const set = new ResourceSet('default');
  for (const r of raws) set.upsert(r);
  return reconcile(set, SEL);
}

/** A datastore over a real WASM scheduler and a scraper feeding it. */
function withScheduler(sched: Scheduler, timeoutMs: number, intervalMs: number) {
  const ds = new PoolDatastore(sched);
  const scraper = new Scraper({
    datastore: ds,
    fetcher: new PageFetcher({ scheme: 'http', insecureSkipVerify: true, timeoutMs, maxBytes: 1 << 20 }),
    engines: new EngineRegistry(undefined, {}),
    intervalMs,
    path: '/metrics',
    metricsPort: 0,
    logger: captureLogger().logger,
  });
  return { ds, scraper };
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup(opts: { timeoutMs?: number; intervalMs?: number } = {}) {
  const slots = new RecordingSlots();
  const ds = new PoolDatastore(slots);
  const cap = captureLogger();
  const scraper = new Scraper({
    datastore: ds,
    fetcher: new PageFetcher({
      scheme: 'http',
      insecureSkipVerify: true,
      timeoutMs: opts.timeoutMs ?? 1000,
      maxBytes: 1 << 20,
    }),
    engines: new EngineRegistry(undefined, {}),
    intervalMs: opts.intervalMs ?? 10,
    path: '/metrics',
    metricsPort: 0,
    logger: cap.logger,
  });
  return { slots, ds, cap, scraper };
}

describe('Scraper', () => {
  test('scrapes every endpoint over keep-alive and writes the metrics into the scheduler slots', async () => {
    for (const [i, ip] of IPS.entries()) {
      serve(ip, (_q, r) =>
        r.end(vllmPage({ waiting: i + 1, running: 2, kvUsage: 0.5, runningLoras: ['sql-lora'], maxLora: 2 })),
      );
    }
    const { slots, ds, scraper } = setup();
    ds.apply(snapshot(pool(), pod('a', IPS[0]!), pod('b', IPS[1]!), pod('c', IPS[2]!)));
    connections.clear();
    scraper.start();
    try {
      await until(
        () => ds.endpoints().every((e) => (scraper.stats(e.address)?.scrapes ?? 0) >= 5),
        '5 scrapes each',
      );
      for (const [i, e] of ds.endpoints().entries()) {
        const m = slots.metrics.get(e.slot)!;
        assert.equal(m.waitingQueueSize, i + 1);
        assert.equal(m.kvCacheUsagePercent, 0.5);
        assert.deepEqual(m.activeModels, ['sql-lora']);
        assert.equal(m.maxActiveModels, 2);
        assert.equal(m.cacheBlockSize, 16);
        assert.ok(Date.now() - m.updatedAtMs < 1000);
      }
      for (const ip of IPS) assert.equal(connections.get(ip), 1, `one keep-alive connection to ${ip}`);
    } finally {
      scraper.stop();
    }
  });

  test('a scrape that times out: no update, the pod stays, the loop goes on and recovers', async () => {
    let hang = false;
    serve(IPS[0]!, (_q, r) => {
      if (!hang) r.end(vllmPage({ waiting: 4, running: 0, kvUsage: 0.2 }));
      // else: never answer
    });
    const { slots, ds, cap, scraper } = setup({ timeoutMs: 60 });
    ds.apply(snapshot(pool(), pod('a', IPS[0]!)));
    scraper.start();
    try {
      const e = ds.endpoints()[0]!;
      await until(() => (scraper.stats(e.address)?.scrapes ?? 0) >= 1, 'first scrape');
      hang = true;
      await until(() => (scraper.stats(e.address)?.failing ?? 0) >= 2, 'two timeouts');
      const stamped = slots.metrics.get(e.slot)!.updatedAtMs;
      assert.match(scraper.stats(e.address)!.lastError!, /no complete response within 60 ms/);
      assert.equal(ds.endpoints().length, 1, 'still schedulable');
      assert.equal(slots.metrics.get(e.slot)!.waitingQueueSize, 4, 'last values kept');
      assert.equal(
        cap.lines.filter((l) => l.msg === 'metrics scrape failed; keeping the last metrics').length,
        1,
      );
      hang = false;
      await until(() => scraper.stats(e.address)?.failing === 0, 'recovery');
      assert.ok(slots.metrics.get(e.slot)!.updatedAtMs > stamped);
      assert.ok(cap.lines.some((l) => l.msg === 'metrics scrape recovered'));
    } finally {
      scraper.stop();
    }
  });

  test('error status and a malformed page write nothing; a partial page keeps the missing fields', async () => {
    let mode: 'ok' | '500' | 'garbage' | 'partial' = 'ok';
    serve(IPS[1]!, (_q, r) => {
      if (mode === '500') {
        r.statusCode = 500;
        r.end('boom');
      } else if (mode === 'garbage') r.end('<html>\x00\xff not metrics {{{\n');
      else if (mode === 'partial')
        r.end(
          vllmPage({ waiting: 9, running: 1, kvUsage: 0.9, targetBytes: 0 }).replace(
            /^vllm:kv_cache_usage_perc.*$/m,
            '',
          ),
        );
      else r.end(vllmPage({ waiting: 2, running: 1, kvUsage: 0.3 }));
    });
    const { slots, ds, cap, scraper } = setup();
    ds.apply(snapshot(pool(), pod('b', IPS[1]!)));
    scraper.start();
    try {
      const e = ds.endpoints()[0]!;
      await until(() => (scraper.stats(e.address)?.scrapes ?? 0) >= 1, 'first scrape');
      mode = '500';
      await until(() => /unexpected status code 500/.test(scraper.stats(e.address)?.lastError ?? ''), '500');
      mode = 'garbage';
      await until(
        () => /no configured metric found/.test(scraper.stats(e.address)?.lastError ?? ''),
        'garbage',
      );
      assert.equal(slots.metrics.get(e.slot)!.waitingQueueSize, 2);
      mode = 'partial';
      await until(() => slots.metrics.get(e.slot)!.waitingQueueSize === 9, 'partial update');
      assert.equal(slots.metrics.get(e.slot)!.kvCacheUsagePercent, 0.3, 'kv kept from the last full scrape');
      assert.match(scraper.stats(e.address)!.lastPartialErrors.join(), /kvUsage/);
      assert.ok(
        cap.lines.some((l) => l.msg === 'metrics scrape incomplete; stored the metrics that were found'),
      );
    } finally {
      scraper.stop();
    }
  });

  test('a pod that disappears stops its loop; the engine label picks the extractor', async () => {
    serve(IPS[2]!, (_q, r) => r.end(SGLANG_PAGE));
    serve(IPS[0]!, (_q, r) => r.end(vllmPage({ waiting: 1, running: 1, kvUsage: 0.1 })));
    const { slots, ds, scraper } = setup();
    ds.apply(
      snapshot(
        pool(),
        pod('a', IPS[0]!),
        pod('s', IPS[2]!, { 'inference.networking.k8s.io/engine-type': 'sglang' }),
      ),
    );
    scraper.start();
    try {
      const s = ds.endpoint(`${IPS[2]}:${port}`)!;
      await until(() => (scraper.stats(s.address)?.scrapes ?? 0) >= 1, 'sglang scrape');
      assert.equal(scraper.stats(s.address)?.engine, 'sglang');
      assert.equal(slots.metrics.get(s.slot)!.waitingQueueSize, 7);
      assert.equal(slots.metrics.get(s.slot)!.kvCacheUsagePercent, 0.25);
      assert.equal(scraper.size, 2);

      ds.apply(snapshot(pool(), pod('a', IPS[0]!)));
      assert.equal(scraper.size, 1);
      assert.equal(scraper.stats(s.address), undefined);
      await new Promise((r) => setTimeout(r, 30));
      const before = hits.get(IPS[2]!) ?? 0;
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(hits.get(IPS[2]!) ?? 0, before, 'no more requests to the removed pod');
    } finally {
      scraper.stop();
    }
  });

  test('with the real WASM scheduler: scraped metrics feed scheduling', async () => {
    serve(IPS[0]!, (_q, r) => r.end(vllmPage({ waiting: 50, running: 10, kvUsage: 0.95 })));
    serve(IPS[1]!, (_q, r) => r.end(vllmPage({ waiting: 0, running: 0, kvUsage: 0.05 })));
    const sched = Scheduler.create(defaultEndpointPickerConfig());
    const { ds, scraper } = withScheduler(sched, 1000, 10);
    ds.apply(snapshot(pool(), pod('busy', IPS[0]!), pod('idle', IPS[1]!)));
    scraper.start();
    try {
      await until(() => ds.endpoints().every((e) => e.metricsUpdatedAtMs > 0), 'both scraped');
      const r = sched.schedule({ prompt: 'hello', targetModel: 'm', priority: 0, nowMs: Date.now() });
      assert.equal(r.status, 'ok');
      assert.equal(r.status === 'ok' && r.endpoints[0], `${IPS[1]}:${port}`);
      assert.equal(sched.stats().endpoints, 2);
    } finally {
      scraper.stop();
    }
  });

  test('assumed load: a scrape clears the picks made before it was sent, not those made while it was in flight', async () => {
    // The first scrape is held until released; later ones are held until the test ends, so exactly one lands.
    let release: () => void = () => {};
    let releaseLater: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const later = new Promise<void>((r) => {
      releaseLater = r;
    });
    const sent = hits.get(IPS[2]!) ?? 0;
    let n = 0;
    serve(IPS[2]!, (_q, r) => {
      void (++n === 1 ? gate : later).then(() => r.end(vllmPage({ waiting: 0, running: 0, kvUsage: 0.1 })));
    });
    const sched = Scheduler.create(defaultEndpointPickerConfig(), { assumedLoad: true });
    const { ds, scraper } = withScheduler(sched, 5000, 20);
    ds.apply(snapshot(pool(), pod('only', IPS[2]!)));
    const e = ds.endpoints()[0]!;
    const pickOnce = () => {
      const r = sched.schedule({ prompt: 'x', targetModel: 'm', priority: 0, nowMs: Date.now() });
      assert.equal(r.status, 'ok');
    };
    for (let i = 0; i < 3; i++) pickOnce();
    assert.equal(sched.assumedLoad(e.handle), 3);
    scraper.start();
    try {
      await until(() => (hits.get(IPS[2]!) ?? 0) > sent, 'the scrape reached the pod');
      pickOnce();
      pickOnce();
      assert.equal(sched.assumedLoad(e.handle), 5);
      release();
      await until(() => e.metricsUpdatedAtMs > 0, 'the scrape landed');
      assert.equal(sched.assumedLoad(e.handle), 2);
    } finally {
      release();
      scraper.stop();
      releaseLater();
      handlers.delete(IPS[2]!);
    }
  });
});
