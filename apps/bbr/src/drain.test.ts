// Graceful stop: health goes NOT_SERVING at once, an in-flight ext_proc stream still completes, then stop resolves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvoyLikeClient, healthClient } from '@igw/ext-proc';
import { pino } from 'pino';
import { parseFlags } from './flags.js';
import { startBbr } from './server.js';

describe('BBR graceful stop', () => {
  test('NOT_SERVING while draining; the in-flight stream finishes', async () => {
    const flags = parseFlags([
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--host=127.0.0.1',
      '--secure-serving=false',
    ]);
    // HOME without .kube/config and no $KUBECONFIG: no Kubernetes source, so health is SERVING at once.
    const bbr = await startBbr(flags, pino({ level: 'silent' }), {
      processMetrics: false,
      env: { HOME: '/nonexistent-igw-home' },
    });
    const client = new EnvoyLikeClient({ address: `127.0.0.1:${bbr.grpcPort}` });
    const health = healthClient(`127.0.0.1:${bbr.healthPort}`);
    const check = (service = '') => health.check(service);
    try {
      assert.equal(await check(), 'SERVING');
      const { call, reader } = client.openStream();
      call.write({
        requestHeaders: { headers: { headers: [{ key: ':method', rawValue: Buffer.from('POST') }] } },
      });
      call.write({ requestBody: { body: Buffer.from('{"model":'), endOfStream: false } });
      await sleep(50);
      let stopped = false;
      const stopping = bbr.stop().then(() => {
        stopped = true;
      });
      await sleep(50);
      assert.equal(await check(), 'NOT_SERVING');
      assert.equal(await check('liveness'), 'SERVING');
      assert.equal(stopped, false);
      call.write({ requestBody: { body: Buffer.from('"late"}'), endOfStream: true } });
      const first = await reader.next(5000, 'headers reply');
      assert.equal(first.kind === 'reply' && first.reply.response, 'requestHeaders');
      call.end();
      await reader.status(5000);
      await stopping;
      assert.equal(stopped, true);
    } finally {
      health.close();
      client.close();
      await bbr.stop();
    }
  });
});
