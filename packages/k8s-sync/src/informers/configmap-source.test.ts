import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { KubeObject } from '../apiserver-standin/object-store.js';
import { KubeApiStandin } from '../apiserver-standin/server.js';
import { captureLogger, waitFor } from '../apiserver-standin/test-support.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { ResourceSet } from '../reconcile/resource-set.js';
import { resourceSetTarget, startConfigMapSource } from './configmap-source.js';
import { CORE_CONFIGMAPS } from './resource-types.js';

const IPP = 'inference.llm-d.ai/ipp-managed';
const BBR = 'inference.networking.k8s.io/bbr-managed';

function cm(name: string, labels: Record<string, string>, base: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels },
    data: { baseModel: base, adapters: '- a1\n- a2\n' },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(namespace: string | undefined) {
  const s = new KubeApiStandin();
  await s.start();
  s.create(cm('ipp', { [IPP]: 'true' }, 'base-ipp'));
  s.create(cm('both', { [IPP]: 'true', [BBR]: 'true' }, 'base-both'));
  s.create(cm('unlabelled', {}, 'nope'));
  s.create(cm('false', { [BBR]: 'false' }, 'nope'));
  s.create(cm('far', { [BBR]: 'true' }, 'base-far', 'other'));
  const set = new ResourceSet('default');
  const log = captureLogger();
  const src = startConfigMapSource({
    kubeConfig: kubeConfigForServer(s.url),
    ...(namespace !== undefined ? { namespace } : {}),
    target: resourceSetTarget(set),
    logger: log,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  cleanups.push(async () => {
    await src.stop();
    await s.stop();
  });
  const names = () =>
    set
      .objects('ConfigMap')
      .map((o) => `${o.object.meta.namespace}/${o.object.meta.name}`)
      .sort();
  return { s, set, src, log, names };
}

describe('startConfigMapSource (BBR base models)', () => {
  test('both labels, one namespace; a ConfigMap with both labels stays until neither matches', async () => {
    const h = await setup('default');
    await h.src.synced;
    assert.deepEqual(h.names(), ['default/both', 'default/ipp']);
    const both = h.set.objects('ConfigMap').find((o) => o.object.meta.name === 'both')!.object;
    assert.equal(both.kind === 'ConfigMap' && both.data.baseModel, 'base-both');
    h.s.create(cm('bbr', { [BBR]: 'true' }, 'base-bbr'));
    await waitFor('bbr added', () => h.names().includes('default/bbr'));
    h.s.modify('v1', 'ConfigMap', 'default', 'both', (o) => {
      o.metadata.labels = { [BBR]: 'true' };
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(h.names().includes('default/both'), 'still held by the bbr-managed informer');
    h.s.modify('v1', 'ConfigMap', 'default', 'both', (o) => {
      o.metadata.labels = {};
    });
    await waitFor('label removed', () => !h.names().includes('default/both'));
    h.s.delete('v1', 'ConfigMap', 'default', 'ipp');
    await waitFor('deleted', () => JSON.stringify(h.names()) === JSON.stringify(['default/bbr']));
  });

  test('a target that rejects a ConfigMap gets it reported; removals reach the target once', async () => {
    const s = new KubeApiStandin();
    await s.start();
    s.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'nobase', namespace: 'default', labels: { [BBR]: 'true', [IPP]: 'true' } },
      data: {},
    });
    const calls: string[] = [];
    const log = captureLogger();
    const src = startConfigMapSource({
      kubeConfig: kubeConfigForServer(s.url),
      namespace: 'default',
      target: {
        upsertConfigMap(cm) {
          calls.push(`upsert ${cm.metadata.name}`);
          return cm.data?.baseModel ? undefined : { message: 'missing or empty baseModel in configmap' };
        },
        removeConfigMap(ns, name) {
          calls.push(`remove ${ns}/${name}`);
        },
      },
      logger: log,
    });
    cleanups.push(async () => {
      await src.stop();
      await s.stop();
    });
    await src.synced;
    assert.ok(log.find(/ConfigMap default\/nobase: missing or empty baseModel/, 'warn'));
    s.delete('v1', 'ConfigMap', 'default', 'nobase');
    await waitFor('removed', () => calls.includes('remove default/nobase'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls.filter((c) => c.startsWith('remove')).length, 1);
  });

  test('all namespaces when no namespace is given; 403 is reported and retried', async () => {
    const h = await setup(undefined);
    await h.src.synced;
    assert.deepEqual(h.names(), ['default/both', 'default/ipp', 'other/far']);
    h.s.forbid(CORE_CONFIGMAPS);
    await waitFor('forbidden', () => h.log.find(/Forbidden/, 'error'));
    assert.match(String(h.log.find(/Forbidden/)!.fields.hint), /cluster-wide \(ClusterRole\)/);
    h.s.create(cm('new', { [IPP]: 'true' }, 'x', 'other'));
    h.s.allow(CORE_CONFIGMAPS);
    await waitFor('recovered', () => h.names().includes('other/new'));
    assert.equal(h.src.state(), 'synced');
  });
});
