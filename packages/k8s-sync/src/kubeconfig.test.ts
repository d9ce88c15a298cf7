import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeApiStandin } from './apiserver-standin/server.js';
import { KubeConfigError, kubeConfigForServer, loadKubeConfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'igw-kubeconfig-'));

// client-node 1.4 refuses plain http unless insecure-skip-tls-verify is set.
function kubeconfigYaml(server: string, current = 'test'): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
    insecure-skip-tls-verify: ${server.startsWith('http:')}
users:
- name: u
  user: {}
contexts:
- name: test
  context: { cluster: c, user: u, namespace: ns1 }
- name: other
  context: { cluster: c, user: u }
current-context: ${current}
`;
}

describe('loadKubeConfig', () => {
  test('--kubeconfig wins and the client talks to its server', async () => {
    const s = new KubeApiStandin();
    const url = await s.start();
    try {
      const path = join(dir, 'ok.yaml');
      writeFileSync(path, kubeconfigYaml(url));
      const { kubeConfig, origin } = loadKubeConfig({ kubeconfigPath: path, env: { KUBECONFIG: '/nope' } });
      assert.equal(origin, `--kubeconfig ${path}`);
      const pods = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'x' });
      assert.deepEqual(pods.items, []);
    } finally {
      await s.stop();
    }
  });

  test('$KUBECONFIG is used when there is no flag; --context switches', () => {
    const path = join(dir, 'env.yaml');
    writeFileSync(path, kubeconfigYaml('https://10.0.0.1:6443'));
    const { kubeConfig, origin } = loadKubeConfig({ env: { KUBECONFIG: path }, context: 'other' });
    assert.equal(origin, `$KUBECONFIG ${path}`);
    assert.equal(kubeConfig.getCurrentContext(), 'other');
  });

  test('bad input is a KubeConfigError that names the source', () => {
    assert.throws(
      () => loadKubeConfig({ kubeconfigPath: join(dir, 'missing.yaml') }),
      (e: Error) => {
        assert.ok(e instanceof KubeConfigError);
        assert.match(e.message, /--kubeconfig .*missing.yaml does not exist/);
        return true;
      },
    );
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [: {');
    assert.throws(() => loadKubeConfig({ kubeconfigPath: bad }), /cannot be read/);
    const noCtx = join(dir, 'noctx.yaml');
    writeFileSync(noCtx, kubeconfigYaml('https://10.0.0.1:6443', 'ghost'));
    assert.throws(() => loadKubeConfig({ kubeconfigPath: noCtx }), /no current cluster/);
    const ok = join(dir, 'ok2.yaml');
    writeFileSync(ok, kubeconfigYaml('https://10.0.0.1:6443'));
    assert.throws(
      () => loadKubeConfig({ kubeconfigPath: ok, context: 'ghost' }),
      /context "ghost" is not in/,
    );
    const badUrl = join(dir, 'badurl.yaml');
    writeFileSync(badUrl, kubeconfigYaml('not a url'));
    assert.throws(() => loadKubeConfig({ kubeconfigPath: badUrl }), /invalid server URL/);
    assert.throws(() => loadKubeConfig({ env: { HOME: dir } }), /no Kubernetes configuration/);
  });

  test('kubeConfigForServer points at a plain-HTTP server', () => {
    const kc = kubeConfigForServer('http://127.0.0.1:1234', 'ns');
    assert.equal(kc.getCurrentCluster()?.server, 'http://127.0.0.1:1234');
    assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'ns');
  });
});
