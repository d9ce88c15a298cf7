import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { LEASES, OBJECTIVES_V1ALPHA2, POOLS_V1 } from '../informers/resource-types.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { objective, pod, poolV1 } from '../reconcile/fixtures.js';
import type { KubeObject } from './object-store.js';
import { KubeApiStandin } from './server.js';

const k = (o: Record<string, unknown>) => o as unknown as KubeObject;

interface WatchLine {
  type: string;
  object: { kind?: string; code?: number; metadata?: { name?: string; resourceVersion?: string } };
}

/** Opens a raw watch and collects its lines until the server ends it or `stopAfter` lines arrived. */
function rawWatch(base: string, path: string, stopAfter = Number.POSITIVE_INFINITY) {
  const lines: WatchLine[] = [];
  let status = 0;
  const done = new Promise<void>((resolve, reject) => {
    const req = request(`${base}${path}`, (res) => {
      status = res.statusCode ?? 0;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          if (buf.slice(0, i).trim() !== '') lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
          if (lines.length >= stopAfter) {
            req.destroy();
            resolve();
            return;
          }
        }
      });
      res.on('end', () => {
        if (buf.trim() !== '') lines.push(JSON.parse(buf));
        resolve();
      });
      res.on('error', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
  return { lines, done, status: () => status };
}

describe('kube API server stand-in', () => {
  const s = new KubeApiStandin();
  let base = '';
  before(async () => {
    base = await s.start();
  });
  after(() => s.stop());

  test('lists with label selectors and namespaces through client-node', async () => {
    s.create(k(pod('a', '10.0.0.1', { labels: { app: 'vllm', tier: 'x' } })));
    s.create(k(pod('b', '10.0.0.2', { labels: { app: 'vllm', tier: 'y' } })));
    s.create(k(pod('c', '10.0.0.3', { labels: { app: 'other' } })));
    s.create(k(pod('d', '10.0.0.4', { namespace: 'elsewhere' })));
    const core = kubeConfigForServer(base).makeApiClient(CoreV1Api);
    const names = async (labelSelector?: string) =>
      (
        await core.listNamespacedPod({ namespace: 'default', ...(labelSelector ? { labelSelector } : {}) })
      ).items.map((p) => p.metadata?.name);
    assert.deepEqual(await names(), ['a', 'b', 'c']);
    assert.deepEqual(await names('app=vllm'), ['a', 'b']);
    assert.deepEqual(await names('app==vllm,tier!=x'), ['b']);
    assert.deepEqual(await names('tier in (x, y)'), ['a', 'b']);
    assert.deepEqual(await names('tier notin (x)'), ['b', 'c']);
    assert.deepEqual(await names('!tier'), ['c']);
    assert.deepEqual(await names('tier'), ['a', 'b']);
    const all = await core.listPodForAllNamespaces({});
    assert.equal(all.items.length, 4);
    assert.ok(Number(all.metadata?.resourceVersion) >= 4);
    await assert.rejects(
      core.listNamespacedPod({ namespace: 'default', labelSelector: 'a in (' }),
      (e: ApiException<string>) => e.code === 400,
    );
  });

  test('custom resources of both groups, 404 for an uninstalled CRD, 403 for a forbidden resource', async () => {
    s.create(k(poolV1('p1')));
    s.create(k(objective('o1', 3)));
    const custom = kubeConfigForServer(base).makeApiClient(CustomObjectsApi);
    const pools = await custom.listNamespacedCustomObject({
      group: 'inference.networking.k8s.io',
      version: 'v1',
      namespace: 'default',
      plural: 'inferencepools',
      fieldSelector: 'metadata.name=p1',
    });
    assert.deepEqual(
      pools.items.map((p: KubeObject) => p.metadata.name),
      ['p1'],
    );
    const obj = {
      group: 'inference.networking.x-k8s.io',
      version: 'v1alpha2',
      namespace: 'default',
      plural: 'inferenceobjectives',
    };
    assert.equal((await custom.listNamespacedCustomObject(obj)).items.length, 1);
    s.uninstall(OBJECTIVES_V1ALPHA2);
    await assert.rejects(custom.listNamespacedCustomObject(obj), (e: ApiException<string>) => {
      assert.equal(e.code, 404);
      assert.match(String(e.body), /could not find the requested resource/);
      return true;
    });
    s.install(OBJECTIVES_V1ALPHA2);
    s.forbid(POOLS_V1, ['list']);
    await assert.rejects(
      custom.listNamespacedCustomObject({
        ...obj,
        group: 'inference.networking.k8s.io',
        version: 'v1',
        plural: 'inferencepools',
      }),
      (e: ApiException<string>) => {
        assert.equal(e.code, 403);
        assert.match(
          String(e.body),
          /cannot list resource \\"inferencepools\\" in API group \\"inference.networking.k8s.io\\"/,
        );
        return true;
      },
    );
    s.allow(POOLS_V1);
  });

  test('leases: create, get, update, 409 on a stale resourceVersion and on a duplicate create', async () => {
    const api = kubeConfigForServer(base).makeApiClient(CoordinationV1Api);
    const body = { metadata: { name: 'l1', namespace: 'default' }, spec: { holderIdentity: 'a' } };
    const created = await api.createNamespacedLease({ namespace: 'default', body });
    await assert.rejects(
      api.createNamespacedLease({ namespace: 'default', body }),
      (e: ApiException<string>) => e.code === 409,
    );
    const got = await api.readNamespacedLease({ name: 'l1', namespace: 'default' });
    assert.equal(got.spec?.holderIdentity, 'a');
    const updated = await api.replaceNamespacedLease({
      name: 'l1',
      namespace: 'default',
      body: { ...got, spec: { holderIdentity: 'b' } },
    });
    assert.notEqual(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);
    await assert.rejects(
      api.replaceNamespacedLease({
        name: 'l1',
        namespace: 'default',
        body: { ...got, spec: { holderIdentity: 'c' } },
      }),
      (e: ApiException<string>) => e.code === 409 && /has been modified/.test(String(e.body)),
    );
    await assert.rejects(
      api.readNamespacedLease({ name: 'nope', namespace: 'default' }),
      (e: ApiException<string>) => e.code === 404,
    );
    s.forbid(LEASES, ['update']);
    await assert.rejects(
      api.replaceNamespacedLease({ name: 'l1', namespace: 'default', body: updated }),
      (e: ApiException<string>) => e.code === 403,
    );
    s.allow(LEASES);
  });

  test('watch streams ADDED/MODIFIED/DELETED, label transitions, and resumes from a resourceVersion', async () => {
    const start = s.store.currentVersion();
    const w = rawWatch(
      base,
      `/api/v1/namespaces/w/pods?watch=true&resourceVersion=${start}&labelSelector=app%3Dvllm`,
      5,
    );
    await new Promise((r) => setTimeout(r, 50));
    s.create(k(pod('p', '10.1.0.1', { namespace: 'w' })));
    s.modify('v1', 'Pod', 'w', 'p', (o) => {
      (o.status as { podIP: string }).podIP = '10.1.0.2';
    });
    s.modify('v1', 'Pod', 'w', 'p', (o) => {
      o.metadata.labels = { app: 'other' };
    });
    s.modify('v1', 'Pod', 'w', 'p', (o) => {
      o.metadata.labels = { app: 'vllm' };
    });
    s.create(k(pod('ignored', '10.1.0.9', { namespace: 'w', labels: { app: 'other' } })));
    s.delete('v1', 'Pod', 'w', 'p');
    await w.done;
    assert.deepEqual(
      w.lines.map((l) => l.type),
      ['ADDED', 'MODIFIED', 'DELETED', 'ADDED', 'DELETED'],
    );
    // Resume from the second event: the backlog is replayed.
    const rv = w.lines[1]!.object.metadata!.resourceVersion!;
    const again = rawWatch(base, `/api/v1/namespaces/w/pods?watch=true&resourceVersion=${rv}`, 4);
    await again.done;
    assert.deepEqual(
      again.lines.map((l) => l.type),
      ['MODIFIED', 'MODIFIED', 'ADDED', 'DELETED'],
    );
  });

  test('a watch without a version starts with the current objects; bookmarks carry the version', async () => {
    const w = rawWatch(base, '/api/v1/namespaces/elsewhere/pods?watch=true', 2);
    await new Promise((r) => setTimeout(r, 50));
    s.bookmark();
    await w.done;
    assert.equal(w.lines[0]!.type, 'ADDED');
    assert.equal(w.lines[0]!.object.metadata!.name, 'd');
    assert.equal(w.lines[1]!.type, 'BOOKMARK');
    assert.equal(w.lines[1]!.object.metadata!.resourceVersion, String(s.store.currentVersion()));
  });

  test('an expired version is a 410: an ERROR event on the stream (default) or the HTTP status', async () => {
    const old = s.store.currentVersion() - 1;
    s.compact();
    const w = rawWatch(base, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${old}`);
    await w.done;
    assert.equal(w.status(), 200);
    assert.equal(w.lines.length, 1);
    assert.equal(w.lines[0]!.type, 'ERROR');
    assert.equal(w.lines[0]!.object.code, 410);
    const h = new KubeApiStandin({ expiredWatch: 'http' });
    const hb = await h.start();
    h.create(k(pod('a', '10.0.0.1')));
    h.create(k(pod('b', '10.0.0.2')));
    h.compact();
    const r = await fetch(`${hb}/api/v1/namespaces/default/pods?watch=true&resourceVersion=1`);
    assert.equal(r.status, 410);
    assert.equal(((await r.json()) as { reason: string }).reason, 'Expired');
    await h.stop();
  });

  test('malformed requests get Status errors', async () => {
    const post = (body: string) =>
      fetch(`${base}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    let r = await post('{not json');
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { message: string }).message, /not valid JSON/);
    r = await post(JSON.stringify({ spec: {} }));
    assert.equal(r.status, 400);
    r = await post(JSON.stringify({ metadata: { name: 'x', namespace: 'other' } }));
    assert.equal(r.status, 400);
    r = await post(JSON.stringify({ metadata: { name: 'big' }, spec: { pad: 'x'.repeat(4 * 1024 * 1024) } }));
    assert.equal(r.status, 413);
    r = await fetch(`${base}/api/v1/namespaces/default/pods/a`, { method: 'PATCH', body: '{}' });
    assert.equal(r.status, 405);
    r = await fetch(`${base}/apis/example.com/v1/namespaces/default/widgets`);
    assert.equal(r.status, 404);
    r = await fetch(`${base}/healthz`);
    assert.equal(r.status, 404);
  });

  test('restart on the same port keeps the data; an abrupt stop cuts open watches', async () => {
    const w = rawWatch(
      base,
      `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${s.store.currentVersion()}`,
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.watchCount(), 1);
    await s.stop();
    await w.done;
    assert.equal(s.watchCount(), 0);
    await assert.rejects(fetch(`${base}/api/v1/namespaces/default/pods`));
    await s.start();
    assert.equal(s.url, base);
    const r = await fetch(`${base}/api/v1/namespaces/default/pods`);
    assert.equal(((await r.json()) as { items: unknown[] }).items.length, 3);
  });
});
