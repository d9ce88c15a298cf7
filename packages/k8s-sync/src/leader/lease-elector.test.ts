// Two electors with separate client configurations (as two EPP replicas) against the stand-in's Lease API.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { KubeApiStandin } from '../apiserver-standin/server.js';
import { captureLogger, waitFor } from '../apiserver-standin/test-support.js';
import { LEASES } from '../informers/resource-types.js';
import { kubeConfigForServer } from '../kubeconfig.js';
import { eppLeaseName, LeaseElector } from './lease-elector.js';

const NAME = eppLeaseName('default', 'pool');
const FAST = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 50 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const s = new KubeApiStandin();
  await s.start();
  cleanups.push(() => s.stop());
  const make = (identity: string, extra: Partial<ConstructorParameters<typeof LeaseElector>[0]> = {}) => {
    const e = new LeaseElector({
      kubeConfig: kubeConfigForServer(s.url),
      namespace: 'default',
      name: NAME,
      identity,
      logger: captureLogger(),
      ...FAST,
      ...extra,
    });
    cleanups.push(() => e.stop());
    return e;
  };
  const lease = () => s.get('coordination.k8s.io/v1', 'Lease', 'default', NAME);
  return { s, make, lease };
}

describe('LeaseElector', () => {
  test('the upstream lock name', () => {
    assert.equal(
      eppLeaseName('ns1', 'my-pool'),
      'epp-ns1-my-pool.gateway-api-inference-extension.sigs.k8s.io',
    );
  });

  test('rejects timings that cannot work', () => {
    const kubeConfig = kubeConfigForServer('http://127.0.0.1:1');
    const logger = captureLogger();
    const base = { kubeConfig, namespace: 'd', name: 'n', logger };
    assert.throws(
      () => new LeaseElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000, retryPeriodMs: 100 }),
      RangeError,
    );
    assert.throws(
      () => new LeaseElector({ ...base, leaseDurationMs: 500, renewDeadlineMs: 300, retryPeriodMs: 100 }),
      RangeError,
    );
  });

  test('one leader; release on stop hands over at the next retry', async () => {
    const { make, lease } = await setup();
    const a = make('a');
    const changes: boolean[] = [];
    a.onChange((c) => changes.push(c.leader));
    a.start();
    await waitFor('a leads', () => a.isLeader());
    const b = make('b');
    b.start();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.isLeader(), false);
    assert.equal(b.currentHolder(), 'a');
    const spec = lease()!.spec as {
      holderIdentity: string;
      leaseDurationSeconds: number;
      renewTime: string;
      leaseTransitions: number;
    };
    assert.equal(spec.holderIdentity, 'a');
    assert.equal(spec.leaseDurationSeconds, 1);
    assert.match(spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime with microseconds');
    const t0 = Date.now();
    await a.stop();
    assert.deepEqual(changes, [true, false]);
    await waitFor('b leads', () => b.isLeader());
    assert.ok(Date.now() - t0 < 900, 'released: no need to wait for the lease to expire');
    const after = lease()!.spec as { holderIdentity: string; leaseTransitions: number };
    assert.equal(after.holderIdentity, 'b');
    assert.ok(after.leaseTransitions >= 1);
  });

  test('stop() during the first acquisition still releases the Lease', async () => {
    const { s, make, lease } = await setup();
    const a = make('a');
    const hold = s.hold('POST', LEASES);
    a.start();
    await waitFor('create queued', () => hold.queued === 1);
    const stopped = a.stop();
    hold.release();
    await stopped;
    assert.equal(a.isLeader(), false);
    assert.equal((lease()!.spec as { holderIdentity?: string }).holderIdentity, undefined);
  });

  test('a crashed leader (no release) is replaced after the lease duration', async () => {
    const { make } = await setup();
    const a = make('a', { releaseOnStop: false });
    a.start();
    await waitFor('a leads', () => a.isLeader());
    const b = make('b');
    b.start();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await a.stop();
    await waitFor('b leads', () => b.isLeader(), 3000);
    assert.ok(Date.now() - t0 >= 800, `took over after ${Date.now() - t0} ms, before the lease could expire`);
  });

  test('a stale resourceVersion loses with 409 Conflict: exactly one of two racing candidates wins', async () => {
    const { s, make, lease } = await setup();
    const a = make('a');
    a.start();
    await waitFor('a leads', () => a.isLeader());
    await a.stop();
    assert.equal((lease()!.spec as { holderIdentity?: string }).holderIdentity, undefined, 'released');
    const b = make('b');
    const c = make('c');
    // Both read the same version; their writes are held, then run in order: the second is stale.
    const hold = s.hold('PUT', LEASES);
    const results = Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    await waitFor('both writes queued', () => hold.queued === 2);
    hold.release();
    const [rb, rc] = await results;
    assert.equal(Number(rb) + Number(rc), 1, 'exactly one winner');
    const conflicts = s.requests.filter((r) => r.method === 'PUT' && r.status === 409);
    assert.equal(conflicts.length, 1);
    assert.equal((lease()!.spec as { holderIdentity: string }).holderIdentity, rb ? 'b' : 'c');
  });

  test('the leader steps down when it cannot renew within the deadline, and campaigns again', async () => {
    const { s, make } = await setup();
    const a = make('a');
    const changes: boolean[] = [];
    a.onChange((c) => changes.push(c.leader));
    a.start();
    await waitFor('a leads', () => a.isLeader());
    s.forbid(LEASES, ['update']);
    await waitFor('a steps down', () => !a.isLeader(), 3000);
    s.allow(LEASES);
    await waitFor('a leads again', () => a.isLeader(), 3000);
    assert.deepEqual(changes, [true, false, true]);
  });

  test('an unreachable API server is survived: no leader until it is back', async () => {
    const { s, make } = await setup();
    await s.stop();
    const a = make('a');
    a.start();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(a.isLeader(), false);
    await s.start();
    await waitFor('a leads', () => a.isLeader(), 3000);
  });
});
