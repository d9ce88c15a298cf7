// The RBAC manifests in deploy/rbac, enforced by the stand-in: each is sufficient for what the clients do, a Role
// cannot serve a cluster-wide watch, and nothing broader than needed is granted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../apiserver-standin/object-store.js';
import type { Grant, PolicyRule } from '../apiserver-standin/rbac.js';
import { KubeApiStandin } from '../apiserver-standin/server.js';
import { captureLogger, waitFor } from '../apiserver-standin/test-support.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { eppLeaseName, LeaseElector } from '../leader/lease-elector.js';
import { objective, pod, poolV1, poolV1alpha2 } from '../reconcile/fixtures.js';
import type { PoolSelection } from '../reconcile/reconcile.js';
import { ResourceSet } from '../reconcile/resource-set.js';
import { POOL_GROUP_V1, POOL_GROUP_V1ALPHA2 } from '../reconcile/types.js';
import { resourceSetTarget, startConfigMapSource } from './configmap-source.js';
import { startKubernetesSource } from './kubernetes-source.js';

// dist/informers/x.test.js -> repository root
const RBAC_DIR = new URL('../../../../deploy/rbac/', import.meta.url);

function grantsOf(...files: string[]): Grant[] {
  const grants: Grant[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(new URL(f, RBAC_DIR), 'utf8'))) {
      assert.equal(doc.errors.length, 0, `${f}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const o = doc.toJS() as { kind: string; metadata: { namespace?: string }; rules?: PolicyRule[] };
      if (o.kind === 'Role')
        grants.push({ namespace: o.metadata.namespace ?? 'default', rules: o.rules ?? [] });
      if (o.kind === 'ClusterRole') grants.push({ rules: o.rules ?? [] });
    }
  }
  return grants;
}

const k = (o: Record<string, unknown>) => o as unknown as KubeObject;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function standin(grants: Grant[]) {
  const s = new KubeApiStandin();
  await s.start();
  s.create(k(poolV1('pool')));
  s.create(k(poolV1alpha2('pool')));
  s.create(k(pod('a', '10.0.0.1')));
  s.create(k(objective('o', 1)));
  s.create(
    k({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'default',
        labels: { 'inference.networking.k8s.io/bbr-managed': 'true' },
      },
      data: { baseModel: 'b' },
    }),
  );
  s.enforceRbac(grants);
  return s;
}

function source(s: KubeApiStandin, selection: PoolSelection) {
  const src = startKubernetesSource({
    kubeConfig: kubeConfigForServer(s.url),
    selection,
    set: new ResourceSet('default'),
    logger: captureLogger(),
    backoff: { initialMs: 20, maxMs: 100 },
  });
  cleanups.push(async () => {
    await src.stop();
    await s.stop();
  });
  return src;
}

const V1: PoolSelection = { mode: 'pool', namespace: 'default', name: 'pool', group: POOL_GROUP_V1 };
const V1ALPHA2: PoolSelection = {
  mode: 'pool',
  namespace: 'default',
  name: 'pool',
  group: POOL_GROUP_V1ALPHA2,
};

describe('deploy/rbac manifests', () => {
  test('grant only read verbs, except create/get/update on the one EPP Lease', () => {
    for (const f of [
      'epp.yaml',
      'epp-v1alpha2.yaml',
      'epp-leader-election.yaml',
      'bbr.yaml',
      'bbr-all-namespaces.yaml',
    ]) {
      for (const g of grantsOf(f)) {
        for (const r of g.rules) {
          for (const field of [r.apiGroups, r.resources, r.verbs])
            assert.ok(!field?.includes('*'), `${f}: wildcard`);
          const writes = r.verbs.filter((v) => !['get', 'list', 'watch'].includes(v));
          if (writes.length > 0) {
            assert.equal(f, 'epp-leader-election.yaml');
            assert.deepEqual(r.resources, ['leases']);
          }
        }
      }
    }
  });

  test('epp.yaml is enough for a v1 pool, and not for a v1alpha2 one', async () => {
    const src = source(await standin(grantsOf('epp.yaml')), V1);
    await src.synced;
    const bad = source(await standin(grantsOf('epp.yaml')), V1ALPHA2);
    await waitFor('error', () => bad.state() === 'error');
  });

  test('epp-v1alpha2.yaml is enough for a v1alpha2 pool', async () => {
    const src = source(await standin(grantsOf('epp-v1alpha2.yaml')), V1ALPHA2);
    await src.synced;
  });

  test('leader election needs epp-leader-election.yaml', async () => {
    for (const [files, expectLeader] of [
      [['epp.yaml'], false],
      [['epp.yaml', 'epp-leader-election.yaml'], true],
    ] as const) {
      const s = await standin(grantsOf(...files));
      const log = captureLogger();
      const e = new LeaseElector({
        kubeConfig: kubeConfigForServer(s.url),
        namespace: 'default',
        name: eppLeaseName('default', 'pool'),
        logger: log,
        leaseDurationMs: 1000,
        renewDeadlineMs: 600,
        retryPeriodMs: 50,
      });
      e.start();
      if (expectLeader) await waitFor('leader', () => e.isLeader());
      else {
        await waitFor('a failed lease request', () => log.find(/lease request failed/));
        assert.equal(e.isLeader(), false);
      }
      await e.stop();
      await s.stop();
    }
  });

  test('bbr.yaml serves one namespace; all namespaces need bbr-all-namespaces.yaml', async () => {
    for (const [file, namespace, ok] of [
      ['bbr.yaml', 'default', true],
      ['bbr.yaml', undefined, false],
      ['bbr-all-namespaces.yaml', undefined, true],
    ] as const) {
      const s = await standin(grantsOf(file));
      const set = new ResourceSet('default');
      const src = startConfigMapSource({
        kubeConfig: kubeConfigForServer(s.url),
        ...(namespace !== undefined ? { namespace } : {}),
        target: resourceSetTarget(set),
        logger: captureLogger(),
        backoff: { initialMs: 20, maxMs: 100 },
      });
      if (ok) {
        await src.synced;
        assert.equal(set.objects('ConfigMap').length, 1);
      } else await waitFor('error', () => src.state() === 'error');
      await src.stop();
      await s.stop();
    }
  });
});
