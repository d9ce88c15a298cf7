// The real client-node 1.4.0 informers against the loopback stand-in: every scenario goes over HTTP.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { KubeObject } from '../apiserver-standin/object-store.js';
import { KubeApiStandin, type StandinOptions } from '../apiserver-standin/server.js';
import { captureLogger, waitFor } from '../apiserver-standin/test-support.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { model, objective, pod, poolV1, poolV1alpha2, rewrite } from '../reconcile/fixtures.js';
import { parseLabelSelector } from '../reconcile/label-selector.js';
import { type PoolSelection, reconcile } from '../reconcile/reconcile.js';
import { ResourceSet } from '../reconcile/resource-set.js';
import { POOL_GROUP_V1, POOL_GROUP_V1ALPHA2 } from '../reconcile/types.js';
import { type KubernetesSource, type SourceState, startKubernetesSource } from './kubernetes-source.js';
import { CORE_PODS, OBJECTIVES_V1ALPHA2, POOLS_V1 } from './resource-types.js';

const k = (o: Record<string, unknown>) => o as unknown as KubeObject;
const POOL: PoolSelection = { mode: 'pool', namespace: 'default', name: 'pool', group: POOL_GROUP_V1 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function harness(
  opts: {
    standin?: StandinOptions;
    selection?: PoolSelection;
    staleAfterMs?: number;
    seed?: (s: KubeApiStandin) => void;
  } = {},
) {
  const s = new KubeApiStandin(opts.standin);
  await s.start();
  opts.seed?.(s);
  const selection = opts.selection ?? POOL;
  const set = new ResourceSet(selection.namespace);
  const log = captureLogger();
  const states: SourceState[] = [];
  let changes = 0;
  const source: KubernetesSource = startKubernetesSource({
    kubeConfig: kubeConfigForServer(s.url),
    selection,
    set,
    logger: log,
    onChange: () => changes++,
    backoff: { initialMs: 20, maxMs: 150 },
    staleAfterMs: opts.staleAfterMs ?? 60_000,
  });
  source.onStateChange((st) => states.push(st));
  cleanups.push(async () => {
    await source.stop();
    await s.stop();
  });
  const snap = () => reconcile(set, selection);
  const addrs = () => snap().endpoints.map((e) => e.address);
  const until = (what: string, want: string[]) =>
    waitFor(
      `${what}: endpoints ${JSON.stringify(want)}`,
      () => JSON.stringify(addrs()) === JSON.stringify(want) || undefined,
    );
  return { s, set, source, log, states, snap, addrs, until, changes: () => changes };
}

function setReady(s: KubeApiStandin, name: string, ready: boolean, ns = 'default') {
  s.modify('v1', 'Pod', ns, name, (o) => {
    (o.status as { conditions: Array<{ type: string; status: string }> }).conditions = [
      { type: 'Ready', status: ready ? 'True' : 'False' },
    ];
  });
}

describe('startKubernetesSource', () => {
  test('pod churn: add, ready, unready, IP change, delete; other labels and namespaces stay out', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool', { ports: [8000, 8001] })));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await h.source.synced;
    assert.equal(h.source.state(), 'synced');
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000', '10.0.0.1:8001']);
    h.s.create(k(pod('b', '10.0.0.2', { ready: false })));
    h.s.create(k(pod('other', '10.0.0.8', { labels: { app: 'sglang' } })));
    h.s.create(k(pod('far', '10.0.0.9', { namespace: 'elsewhere' })));
    await waitFor('b in the set', () => h.set.objects('Pod').some((p) => p.object.meta.name === 'b'));
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000', '10.0.0.1:8001']);
    setReady(h.s, 'b', true);
    await h.until('b ready', ['10.0.0.1:8000', '10.0.0.1:8001', '10.0.0.2:8000', '10.0.0.2:8001']);
    setReady(h.s, 'a', false);
    await h.until('a unready', ['10.0.0.2:8000', '10.0.0.2:8001']);
    h.s.modify('v1', 'Pod', 'default', 'b', (o) => {
      (o.status as { podIP: string }).podIP = '10.0.0.3';
    });
    await h.until('b new IP', ['10.0.0.3:8000', '10.0.0.3:8001']);
    h.s.delete('v1', 'Pod', 'default', 'b');
    await h.until('b deleted', []);
    // Server-side label selection: pods outside the selector never reach the process.
    assert.deepEqual(
      h.set.objects('Pod').map((p) => p.object.meta.name),
      ['a'],
    );
    const watches = h.s.requestsTo(CORE_PODS, 'watch');
    assert.ok(watches.length >= 1);
    assert.equal(watches[0]!.query.labelSelector, 'app=vllm');
    assert.ok(Number(watches[0]!.query.resourceVersion) > 0, 'the watch resumes from the list version');
  });

  test('many pods in one list are one onChange', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool')));
        for (let i = 0; i < 50; i++) s.create(k(pod(`p${i}`, `10.0.1.${i}`)));
      },
    });
    await h.source.synced;
    assert.equal(h.addrs().length, 50);
    assert.ok(h.changes() <= 6, `onChange ran ${h.changes()} times`);
  });

  test('a selector change re-creates the pod informer and re-lists', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool', { selector: { app: 'vllm' } })));
        s.create(k(pod('a', '10.0.0.1', { labels: { app: 'vllm' } })));
        s.create(k(pod('c', '10.0.0.3', { labels: { app: 'sglang' } })));
      },
    });
    await h.source.synced;
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000']);
    h.s.modify('inference.networking.k8s.io/v1', 'InferencePool', 'default', 'pool', (o) => {
      (o.spec as { selector: unknown }).selector = { matchLabels: { app: 'sglang' } };
    });
    await h.until('new selector', ['10.0.0.3:8000']);
    assert.deepEqual(
      h.set.objects('Pod').map((p) => p.object.meta.name),
      ['c'],
    );
    assert.ok(h.s.requestsTo(CORE_PODS, 'list').some((r) => r.query.labelSelector === 'app=sglang'));
    await waitFor('one pod watch', () => h.s.watchCount(CORE_PODS) === 1);
    assert.ok(h.log.find(/selector changed/));
    assert.equal(h.source.state(), 'synced');
  });

  test('pool deleted: pool-missing and no endpoints; recreated: synced again', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await h.source.synced;
    h.s.delete('inference.networking.k8s.io/v1', 'InferencePool', 'default', 'pool');
    await waitFor('pool-missing', () => h.source.state() === 'pool-missing');
    assert.equal(h.snap().pool, undefined);
    assert.deepEqual(h.addrs(), []);
    assert.equal(h.set.objects('Pod').length, 0);
    assert.ok(h.log.find(/InferencePool not found/, 'warn'));
    h.s.create(k(poolV1('pool', { ports: [9000] })));
    await h.until('pool back', ['10.0.0.1:9000']);
    await waitFor('synced', () => h.source.state() === 'synced');
    assert.deepEqual(h.states, ['synced', 'pool-missing', 'syncing', 'synced']);
  });

  test('a pool that does not exist at start is pool-missing, not synced', async () => {
    const h = await harness();
    await waitFor('pool-missing', () => h.source.state() === 'pool-missing');
    h.s.create(k(poolV1('pool')));
    await h.source.synced;
  });

  test('objective and rewrite create/update/delete reach the snapshot', async () => {
    const h = await harness({ seed: (s) => s.create(k(poolV1('pool'))) });
    await h.source.synced;
    h.s.create(k(objective('chat', 1)));
    h.s.create(k(objective('other-pool', 5, 'not-this-pool')));
    h.s.create(k(rewrite('rw', [{ matches: ['a'], targets: [{ modelRewrite: 'b', weight: 1 }] }])));
    await waitFor('objective', () => h.snap().objectives.get('chat')?.priority === 1);
    assert.equal(h.snap().objectives.has('other-pool'), false);
    await waitFor('rewrite', () => h.snap().rewrites[0]?.rules[0]?.targets[0]?.modelRewrite === 'b');
    h.s.modify('inference.networking.x-k8s.io/v1alpha2', 'InferenceObjective', 'default', 'chat', (o) => {
      (o.spec as { priority: number }).priority = -1;
    });
    h.s.modify('inference.networking.x-k8s.io/v1alpha2', 'InferenceModelRewrite', 'default', 'rw', (o) => {
      (o.spec as { rules: Array<{ targets: Array<{ modelRewrite: string }> }> }).rules[0]!
        .targets[0]!.modelRewrite = 'c';
    });
    await waitFor('objective updated', () => h.snap().objectives.get('chat')?.priority === -1);
    await waitFor('rewrite updated', () => h.snap().rewrites[0]?.rules[0]?.targets[0]?.modelRewrite === 'c');
    h.s.delete('inference.networking.x-k8s.io/v1alpha2', 'InferenceObjective', 'default', 'chat');
    h.s.delete('inference.networking.x-k8s.io/v1alpha2', 'InferenceModelRewrite', 'default', 'rw');
    await waitFor('both gone', () => !h.snap().objectives.has('chat') && h.snap().rewrites.length === 0);
  });

  test('a malformed object is reported and skipped, the rest keeps flowing', async () => {
    const h = await harness({ seed: (s) => s.create(k(poolV1('pool'))) });
    await h.source.synced;
    h.s.create(
      k({
        apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
        kind: 'InferenceObjective',
        metadata: { name: 'bad' },
        spec: { priority: 'high', poolRef: { name: 'pool' } },
      }),
    );
    h.s.create(k(objective('good', 2)));
    await waitFor('good objective', () => h.snap().objectives.get('good'));
    assert.equal(h.snap().objectives.has('bad'), false);
    assert.ok(h.log.find(/ignoring malformed InferenceObjective default\/bad/, 'warn'));
  });

  for (const mode of ['event', 'http'] as const) {
    test(`watch expiry (410 as ${mode === 'event' ? 'a watch ERROR event' : 'an HTTP status'}) re-lists and loses nothing`, async () => {
      const h = await harness({
        standin: { expiredWatch: mode },
        seed: (s) => {
          s.create(k(poolV1('pool')));
          s.create(k(pod('a', '10.0.0.1')));
          s.create(k(pod('b', '10.0.0.2')));
        },
      });
      await h.source.synced;
      await waitFor('the pod watch is open', () => h.s.watchCount(CORE_PODS) === 1);
      const listsBefore = h.s.requestsTo(CORE_PODS, 'list').length;
      // Changes the open watches never deliver (a stalled stream), then the version expires.
      h.s.freezeWatches();
      h.s.delete('v1', 'Pod', 'default', 'a');
      h.s.create(k(pod('c', '10.0.0.3')));
      h.s.expireWatches();
      await h.until('after re-list', ['10.0.0.2:8000', '10.0.0.3:8000']);
      assert.ok(h.s.requestsTo(CORE_PODS, 'list').length > listsBefore, 'pods were listed again');
      assert.equal(h.source.state(), 'synced');
      // A 410 is handled inside ListWatch: no error, no restart.
      assert.equal(h.log.entries.filter((e) => e.level === 'error').length, 0);
      h.s.create(k(pod('d', '10.0.0.4')));
      await h.until('watching again', ['10.0.0.2:8000', '10.0.0.3:8000', '10.0.0.4:8000']);
    });
  }

  test('API server restart mid-stream: retried with backoff, nothing lost', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await h.source.synced;
    await h.s.stop();
    // Changes made while the API server is down (etcd keeps them).
    h.s.delete('v1', 'Pod', 'default', 'a');
    h.s.create(k(pod('b', '10.0.0.2')));
    h.s.create(k(objective('o', 4)));
    await waitFor('an Unreachable report', () => h.log.entries.find((e) => e.fields.code === 'Unreachable'));
    await new Promise((r) => setTimeout(r, 150));
    await h.s.start();
    await h.until('after restart', ['10.0.0.2:8000']);
    await waitFor('objective after restart', () => h.snap().objectives.get('o'));
    assert.equal(h.source.state(), 'synced', 'cached state keeps serving through the outage');
    h.s.create(k(pod('c', '10.0.0.3')));
    await h.until('live again', ['10.0.0.2:8000', '10.0.0.3:8000']);
    await waitFor('one watch per informer', () => h.s.watchCount(CORE_PODS) === 1);
    assert.ok(h.log.find(/informer recovered/));
  });

  test('a server-side watch timeout reconnects from the last version without a re-list', async () => {
    const h = await harness({
      standin: { watchTimeoutMs: 100 },
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await h.source.synced;
    await waitFor('reconnects', () => h.s.requestsTo(CORE_PODS, 'watch').length >= 3);
    h.s.create(k(pod('b', '10.0.0.2')));
    await h.until('b', ['10.0.0.1:8000', '10.0.0.2:8000']);
    assert.equal(h.s.requestsTo(CORE_PODS, 'list').length, 1);
  });

  test('a BOOKMARK moves the resume version forward (no replay of unrelated history)', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await h.source.synced;
    await waitFor('the pod watch is open', () => h.s.watchCount(CORE_PODS) === 1);
    for (let i = 0; i < 5; i++) h.s.create(k(objective(`o${i}`, i)));
    const rv = String(h.s.store.currentVersion());
    h.s.bookmark();
    await new Promise((r) => setTimeout(r, 50));
    h.s.closeWatches();
    await waitFor('resumed from the bookmark', () =>
      h.s.requestsTo(CORE_PODS, 'watch').some((r) => r.query.resourceVersion === rv),
    );
    assert.equal(h.s.requestsTo(CORE_PODS, 'list').length, 1);
  });

  test('RBAC 403 on pods: reported with a hint, NOT ready, recovers when granted', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
        s.forbid(CORE_PODS);
      },
    });
    await waitFor('error state', () => h.source.state() === 'error');
    const e = await waitFor('forbidden log', () => h.log.find(/cannot list pods: Forbidden/, 'error'));
    assert.match(String(e.fields.hint), /RBAC: grant get\/list\/watch on pods in namespace default/);
    assert.match(String(e.fields.error), /cannot list resource "pods"/);
    const retriesBefore = h.source.status().find((x) => x.resource.startsWith('pods'))!.restarts;
    await waitFor(
      'retries',
      () => h.source.status().find((x) => x.resource.startsWith('pods'))!.restarts > retriesBefore + 2,
    );
    h.s.allow(CORE_PODS);
    await h.source.synced;
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000']);
  });

  test('a missing pool CRD (404) is NOT ready and recovers when installed; a missing optional CRD is not fatal', async () => {
    const h = await harness({
      seed: (s) => {
        s.uninstall(POOLS_V1);
        s.uninstall(OBJECTIVES_V1ALPHA2);
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await waitFor('error state', () => h.source.state() === 'error');
    const e = await waitFor('not found log', () =>
      h.log.find(/cannot list inferencepools.inference.networking.k8s.io: NotFound/, 'error'),
    );
    assert.match(String(e.fields.hint), /install the CRD/);
    h.s.install(POOLS_V1);
    await h.source.synced;
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000']);
    assert.ok(h.log.find(/cannot list inferenceobjectives.inference.networking.x-k8s.io: NotFound/, 'error'));
    // Installed later, it is picked up by the retries.
    h.s.install(OBJECTIVES_V1ALPHA2);
    h.s.create(k(objective('late', 7)));
    await waitFor('late objective', () => h.snap().objectives.get('late')?.priority === 7);
  });

  test('a 403 on an optional kind blocks readiness (objects may exist that we cannot see)', async () => {
    const h = await harness({
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.forbid(OBJECTIVES_V1ALPHA2, ['list']);
      },
    });
    await waitFor('error state', () => h.source.state() === 'error');
    h.s.allow(OBJECTIVES_V1ALPHA2);
    await h.source.synced;
  });

  test('the staleness watchdog restarts a silent watch', async () => {
    const h = await harness({
      staleAfterMs: 300,
      seed: (s) => {
        s.create(k(poolV1('pool')));
        s.create(k(pod('a', '10.0.0.1')));
      },
    });
    await h.source.synced;
    await waitFor('the pod watch is open', () => h.s.watchCount(CORE_PODS) === 1);
    h.s.freezeWatches();
    h.s.create(k(pod('b', '10.0.0.2')));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000'], 'the frozen watch delivered nothing');
    await h.until('after the watchdog', ['10.0.0.1:8000', '10.0.0.2:8000']);
    assert.ok(h.log.entries.find((e) => e.fields.code === 'Stalled'));
  });

  test('v1alpha2 pool group: the x-k8s.io pool and InferenceModels', async () => {
    const sel: PoolSelection = {
      mode: 'pool',
      namespace: 'default',
      name: 'pool',
      group: POOL_GROUP_V1ALPHA2,
    };
    const h = await harness({
      selection: sel,
      seed: (s) => {
        s.create(k(poolV1alpha2('pool', { port: 8100 })));
        s.create(k(poolV1('pool', { ports: [9999] })));
        s.create(k(pod('a', '10.0.0.1')));
        s.create(k(model('m1', 'llama', { created: '2026-01-01T00:00:00Z' })));
      },
    });
    await h.source.synced;
    assert.deepEqual(h.addrs(), ['10.0.0.1:8100']);
    assert.equal(h.snap().pool?.group, POOL_GROUP_V1ALPHA2);
    assert.equal(h.snap().models.get('llama')?.name, 'm1');
    h.s.create(k(model('m0', 'llama', { created: '2025-01-01T00:00:00Z' })));
    await waitFor('oldest wins', () => h.snap().models.get('llama')?.name === 'm0');
  });

  test('standalone mode (--endpoint-selector): pods only, no pool informer', async () => {
    const sel: PoolSelection = {
      mode: 'standalone',
      namespace: 'default',
      name: 'standalone',
      selector: parseLabelSelector('app=vllm,tier in (a,b)'),
      targetPorts: [8000],
    };
    const h = await harness({
      selection: sel,
      seed: (s) => {
        s.create(k(pod('a', '10.0.0.1', { labels: { app: 'vllm', tier: 'a' } })));
        s.create(k(pod('c', '10.0.0.3', { labels: { app: 'vllm', tier: 'c' } })));
      },
    });
    await h.source.synced;
    assert.deepEqual(h.addrs(), ['10.0.0.1:8000']);
    assert.equal(h.s.requestsTo(POOLS_V1, 'list').length, 0);
    assert.equal(h.s.requestsTo(CORE_PODS, 'list')[0]!.query.labelSelector, 'app=vllm,tier in (a,b)');
  });
});
