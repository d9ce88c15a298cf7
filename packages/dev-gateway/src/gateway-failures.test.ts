// The gateway when things go wrong, against fake ext_proc servers on the real @igw/ext-proc server and loopback
// upstreams: dead endpoints, message timeouts, unreachable or failing ext_proc servers (FailOpen / FailClose),
// protocol violations, clients that disconnect, bad input, the CLI's exit codes, ext_proc server restarts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StreamProcessor } from '@igw/ext-proc';
import { captureLogger, fakeExtProc, freePort, http, sleep, writePool } from './testing/fixtures.js';
import { GatewayHarness, route } from './testing/harness.js';

describe('dev gateway failure handling', { timeout: 60_000 }, () => {
  const h = new GatewayHarness();
  before(() => h.start());
  after(() => h.stop());

  test('the fallback list: a dead first endpoint is skipped, the next one serves', async () => {
    const dead = `127.0.0.9:${await freePort('127.0.0.9')}`;
    const epp = await h.extProc({ onRequest: () => route(`${dead},${h.ups[0]!.address}`) });
    const { logger, lines } = captureLogger();
    const g = await h.gw({ epp: epp.address }, logger);
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).upstream, h.ups[0]!.address);
    const access = lines.find((l) => l.access === true)!;
    assert.equal(access.endpoint, h.ups[0]!.address);
    assert.equal(access.status, 200);
    assert.equal((access.failedAttempts as Array<{ address: string }>)[0]!.address, dead);
    assert.ok(typeof access.totalMs === 'number' && typeof access.extProcMs === 'number');
    // Every endpoint dead: 503 with Envoy's text.
    const epp2 = await h.extProc({ onRequest: () => route(dead) });
    const g2 = await h.gw({ epp: epp2.address });
    const r2 = await http(g2.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r2.status, 503);
    assert.match(r2.body, /^upstream connect error or disconnect\/reset before headers/);
  });

  test('message timeout: FailClose answers 504, FailOpen routes to a pool endpoint', async () => {
    const slow = await h.extProc({
      onRequest: async () => {
        await sleep(1_000);
        return route(h.ups[0]!.address);
      },
    });
    const closeGw = await h.gw({ epp: slow.address, messageTimeoutMs: 100, failureMode: 'FailClose' });
    const t0 = Date.now();
    const r = await http(closeGw.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 504);
    assert.ok(Date.now() - t0 < 900, 'answers at the timeout, not when the EPP finally replies');
    assert.equal(r.headers['x-igw-gateway-error'], 'ext_proc_timeout_epp');
    const openGw = await h.gw({
      epp: slow.address,
      messageTimeoutMs: 100,
      failureMode: 'FailOpen',
      resourcesFile: h.poolFile,
      poolName: 'pool',
    });
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const o = await http(openGw.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
      assert.equal(o.status, 200);
      served.add(JSON.parse(o.body).upstream as string);
    }
    for (const s of served) assert.ok(h.ups.some((u) => u.address === s));
    assert.equal(openGw.stats().outcomes.fail_open, 4);
  });

  test("EPP unreachable: FailClose 500, FailOpen serves; failure mode defaults to the pool's", async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const closed = await h.gw({ epp: nobody, messageTimeoutMs: 2_000, failureMode: 'FailClose' });
    const r = await http(closed.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-igw-gateway-error'], 'ext_proc_error_epp');
    const openFile = join(h.dir, 'open.yaml');
    writePool(
      openFile,
      h.ups[0]!.port,
      h.ups.map((u) => u.ip),
      'FailOpen',
    );
    const open = await h.gw({
      epp: nobody,
      messageTimeoutMs: 2_000,
      resourcesFile: openFile,
      poolName: 'pool',
    });
    const o = await http(open.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(o.status, 200);
  });

  test('bad input: oversized body 413, no destination 503, malformed destination 503', async () => {
    const epp = await h.extProc({
      onRequest: (_c, body) => (body.toString().includes('nodest') ? {} : route('not an endpoint')),
    });
    const g = await h.gw({ epp: epp.address, maxRequestBodyBytes: 1_000 });
    const big = await http(g.url, { path: '/v1/completions', body: 'x'.repeat(2_000) });
    assert.equal(big.status, 413);
    const none = await http(g.url, { path: '/v1/completions', body: '{"nodest":1}' });
    assert.equal(none.status, 503);
    assert.equal(none.headers['x-igw-gateway-error'], 'no_destination_endpoint');
    const bad = await http(g.url, { path: '/v1/completions', body: '{"model":"m"}' });
    assert.equal(bad.status, 503);
    assert.equal(bad.headers['x-igw-gateway-error'], 'invalid_destination_endpoint');
  });

  test('EPP failing mid response body: FailOpen forwards the rest unmodified, FailClose resets the client', async () => {
    const epp = await h.extProc({
      onRequest: () => route(h.sse[0]!.address),
      onResponseBodyChunk: (_ctx, chunk) => {
        if (chunk.toString().includes('"n":1')) throw new Error('processor broke');
        return undefined;
      },
    });
    const open = await h.gw({ epp: epp.address, failureMode: 'FailOpen' });
    const r = await http(open.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    const closed = await h.gw({ epp: epp.address, failureMode: 'FailClose' });
    await assert.rejects(
      http(closed.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x","stream":true}' }),
    );
  });

  test('protocol violations count as ext_proc failures; an invalid :status mutation keeps the upstream status', async () => {
    // A raw handler that answers the request headers with a response_headers message.
    const { addExtProcService, bindServer, createGrpcServer } = await import('@igw/ext-proc');
    const server = createGrpcServer();
    addExtProcService(server, (call) => {
      call.on('data', () => {
        call.write({ responseHeaders: {} });
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    });
    const bound = await bindServer(server, 0, { secure: false, host: '127.0.0.1' });
    h.servers.push({ stop: async () => void server.forceShutdown() });
    const g = await h.gw({ epp: `127.0.0.1:${bound.port}`, failureMode: 'FailClose' });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 500);
    assert.match(r.body, /protocol: expected a requestHeaders reply/);

    const epp = await h.extProc({
      onRequest: () => route(h.ups[0]!.address),
      onResponseHeaders: () => ({ setHeaders: [[':status', 'abc']] }),
    });
    const g2 = await h.gw({ epp: epp.address });
    const r2 = await http(g2.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r2.status, 200);
  });

  test('a client that disconnects mid-body is logged, nothing reaches the upstream, the gateway keeps serving', async () => {
    const epp = await h.extProc({ onRequest: () => route(h.ups[0]!.address) });
    const { logger, lines } = captureLogger();
    const g = await h.gw({ epp: epp.address }, logger);
    const seenBefore = h.ups[0]!.seen.length;
    const { request } = await import('node:http');
    await new Promise<void>((resolve) => {
      const req = request(`${g.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"model":');
      setTimeout(() => req.destroy(), 50);
    });
    await sleep(200);
    const access = lines.find((l) => l.access === true);
    assert.ok(access, 'an access log line');
    assert.ok(
      ['downstream_body_error', 'client_closed'].includes(access.outcome as string),
      String(access.outcome),
    );
    assert.equal(h.ups[0]!.seen.length, seenBefore);
    const ok = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(ok.status, 200);
  });

  test('the CLI: bad flags exit 2, a bad resources file exits 1, SIGTERM exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../bin/igw-gateway.mjs', import.meta.url));
    const run = (args: string[], signalAfter?: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        const onData = (d: Buffer) => {
          out += d.toString();
          if (signalAfter && out.includes(signalAfter)) c.kill('SIGTERM');
        };
        c.stdout.on('data', onData);
        c.stderr.on('data', onData);
        c.on('exit', (code) => resolve({ code, out }));
      });
    const bad = await run(['--epp', '127.0.0.1:1', '--lb-policy=nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /--lb-policy: "nope" is not one of/);
    const badFile = await run([
      '--epp',
      '127.0.0.1:1',
      '--resources-file',
      join(h.dir, 'missing.yaml'),
      '--pool-name',
      'pool',
    ]);
    assert.equal(badFile.code, 1);
    assert.match(badFile.out, /bad resources file/);
    const ok = await run(
      ['--epp', '127.0.0.1:1', '--listen', '127.0.0.1:0', '--epp-insecure'],
      'gateway listening',
    );
    assert.equal(ok.code, 0);
    assert.match(ok.out, /gateway stopped/);
  });

  test('an ext_proc server that restarts is used again within a second (short reconnect backoff, like Envoy)', async () => {
    const processor: StreamProcessor = { onRequest: () => route(h.ups[0]!.address) };
    const first = await fakeExtProc(processor);
    const port = first.port;
    const g = await h.gw({ epp: first.address, failureMode: 'FailClose' });
    assert.equal((await http(g.url, { path: '/v1/completions', body: '{"model":"m"}' })).status, 200);
    await first.stop(100);
    // Down for ~4 s: long enough for gRPC's default reconnect backoff (1 s, 1.6 s, 2.6 s, ...) to grow past a second.
    for (let i = 0; i < 13; i++) {
      const down = await http(g.url, { path: '/v1/completions', body: '{"model":"m"}' });
      assert.equal(down.status, 500);
      await sleep(300);
    }
    const { startExtProcServer } = await import('@igw/ext-proc');
    const second = await startExtProcServer({ port, host: '127.0.0.1', secure: false, processor });
    h.servers.push(second);
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 6_000) {
      status = (await http(g.url, { path: '/v1/completions', body: '{"model":"m"}' })).status;
      if (status === 200) break;
      await sleep(100);
    }
    assert.equal(status, 200);
    const recovered = Date.now() - t0;
    if (process.env.SHOW_RECOVERY) console.log('RECOVERY', recovered);
    assert.ok(
      recovered < 1_000,
      `served again after ${Date.now() - t0} ms (gRPC's backoff would wait longer)`,
    );
  });
});
