import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { type HealthServer, type HealthStatus, startHealthServer } from './health.js';

type HealthClient = grpc.Client & {
  check(
    req: { service: string },
    cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
  ): void;
  watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  list(
    req: object,
    cb: (err: grpc.ServiceError | null, res?: { statuses: Record<string, { status: string }> }) => void,
  ): void;
};

describe('health server (statuses computed per call)', () => {
  let ready = false;
  let hs: HealthServer;
  let client: HealthClient;
  const statusOf = (svc: string): HealthStatus => {
    if (svc === 'liveness') return 'SERVING';
    if (svc === '' || svc === 'envoy.service.ext_proc.v3.ExternalProcessor')
      return ready ? 'SERVING' : 'NOT_SERVING';
    return 'SERVICE_UNKNOWN';
  };
  before(async () => {
    hs = await startHealthServer({
      port: 0,
      statusOf,
      bind: { host: '127.0.0.1' },
      watchPollMs: 50,
      knownServices: ['liveness'],
    });
    const Ctor = grpc.makeGenericClientConstructor(healthService, 'Health');
    client = new Ctor(`127.0.0.1:${hs.port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
  });
  after(async () => {
    client.close();
    await hs.stop(500);
  });
  const check = (service: string) =>
    new Promise<string>((resolve, reject) =>
      client.check({ service }, (err, res) => (err ? reject(err) : resolve(res!.status))),
    );

  test('Check reflects the current state on every call', async () => {
    assert.equal(await check(''), 'NOT_SERVING');
    assert.equal(await check('liveness'), 'SERVING');
    assert.equal(await check('something-else'), 'SERVICE_UNKNOWN');
    ready = true;
    assert.equal(await check('envoy.service.ext_proc.v3.ExternalProcessor'), 'SERVING');
    ready = false;
  });

  test('Watch sends the current status, then transitions (notify or poll)', async () => {
    const stream = client.watch({ service: '' });
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      stream.on('data', (m: { status: string }) => {
        seen.push(m.status);
        if (seen.length === 1) {
          ready = true;
          hs.notify();
        } else if (seen.length === 2) {
          ready = false; // seen by the 50 ms poll without notify()
        } else {
          resolve();
        }
      });
    });
    stream.on('error', () => {});
    await done;
    stream.cancel();
    assert.deepEqual(seen, ['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
  });

  test('List reports the known services', async () => {
    const res = await new Promise<Record<string, { status: string }>>((resolve, reject) =>
      client.list({}, (err, r) => (err ? reject(err) : resolve(r!.statuses))),
    );
    assert.equal(res.liveness?.status, 'SERVING');
  });
});
