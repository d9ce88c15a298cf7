// The informers and the elector over HTTPS with CA verification and a bearer token, as in a cluster
// (in-cluster config is exactly this: the service account's CA and token).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../apiserver-standin/object-store.js';
import { KubeApiStandin } from '../apiserver-standin/server.js';
import { captureLogger, waitFor } from '../apiserver-standin/test-support.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { eppLeaseName, LeaseElector } from '../leader/lease-elector.js';
import { pod, poolV1 } from '../reconcile/fixtures.js';
import type { PoolSelection } from '../reconcile/reconcile.js';
import { ResourceSet } from '../reconcile/resource-set.js';
import { POOL_GROUP_V1 } from '../reconcile/types.js';
import { startKubernetesSource } from './kubernetes-source.js';

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI. */
function selfSigned(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `openssl failed: ${r.stderr}`);
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

const SEL: PoolSelection = { mode: 'pool', namespace: 'default', name: 'pool', group: POOL_GROUP_V1 };
const TOKEN = 'sa-token-123';

describe('HTTPS with a CA and a bearer token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'igw-standin-tls-'));
  const server = selfSigned(dir, 'apiserver');
  const other = selfSigned(dir, 'other-ca');
  const s = new KubeApiStandin({ tls: server, bearerToken: TOKEN });
  before(async () => {
    await s.start();
    s.create(poolV1('pool') as unknown as KubeObject);
    s.create(pod('a', '10.0.0.1') as unknown as KubeObject);
  });
  after(() => s.stop());

  const run = (auth: { caPem?: string; token?: string }) => {
    const log = captureLogger();
    const set = new ResourceSet('default');
    const src = startKubernetesSource({
      kubeConfig: kubeConfigForServer(s.url, 'default', auth),
      selection: SEL,
      set,
      logger: log,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    return { src, log, set };
  };

  test('the right CA and token: synced, and the elector leads', async () => {
    assert.match(s.url, /^https:/);
    const { src } = run({ caPem: server.cert, token: TOKEN });
    await src.synced;
    const e = new LeaseElector({
      kubeConfig: kubeConfigForServer(s.url, 'default', { caPem: server.cert, token: TOKEN }),
      namespace: 'default',
      name: eppLeaseName('default', 'pool'),
      logger: captureLogger(),
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 50,
    });
    e.start();
    await waitFor('leader', () => e.isLeader());
    await e.stop();
    await src.stop();
  });

  test('a wrong token is Unauthorized: reported, NOT ready', async () => {
    const { src, log } = run({ caPem: server.cert, token: 'wrong' });
    await waitFor('error', () => src.state() === 'error');
    const e = await waitFor('log', () => log.entries.find((x) => x.fields.code === 'Unauthorized'));
    assert.equal(e.level, 'error');
    await src.stop();
  });

  test('a certificate that does not verify against the CA is a TlsError', async () => {
    const { src, log } = run({ caPem: other.cert, token: TOKEN });
    await waitFor('error', () => src.state() === 'error');
    const e = await waitFor('log', () => log.entries.find((x) => x.fields.code === 'TlsError'));
    assert.match(String(e.fields.hint), /cluster CA/);
    assert.equal(e.level, 'error');
    await src.stop();
  });
});
