// The gateway against fake ext_proc servers (the real @igw/ext-proc server and stream driver over loopback gRPC,
// with processors written here) and loopback upstream HTTP servers on 127.0.0.x.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, GatewayError, type RequestDecision, type StreamProcessor } from '@igw/ext-proc';
import pino from 'pino';
import { defaultConfig, type GatewayConfig } from './config.js';
import { type Gateway, startGateway } from './gateway.js';
import {
  captureLogger,
  fakeExtProc,
  freePort,
  http,
  sleep,
  startUpstreams,
  tempDir,
  type Upstream,
  writePool,
} from './testing/fixtures.js';

const silent = pino({ level: 'silent' });
const route = (dest: string, extra: RequestDecision = {}): RequestDecision => ({
  dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': dest } },
  setHeaders: [['x-gateway-destination-endpoint', dest]],
  ...extra,
});

describe('dev gateway with fake ext_proc servers', { timeout: 60_000 }, () => {
  let ups: Upstream[];
  let sse: Upstream[];
  /** When the SSE upstream last finished a response (Date.now()). */
  let sseEndedAt = 0;
  let dir: string;
  let poolFile: string;
  const gateways: Gateway[] = [];
  const servers: Array<{ stop(ms?: number): Promise<void> }> = [];

  async function gw(over: Partial<GatewayConfig>, logger = silent): Promise<Gateway> {
    // 5 s unless a test sets it: Envoy's 200 ms is too tight for a first gRPC connection on a loaded machine.
    const g = await startGateway(
      defaultConfig({ eppSecure: false, bbrSecure: false, messageTimeoutMs: 5_000, ...over }),
      { logger },
    );
    gateways.push(g);
    return g;
  }
  async function extProc(p: StreamProcessor, secure = false) {
    const s = await fakeExtProc(p, secure);
    servers.push(s);
    return s;
  }

  before(async () => {
    ups = await startUpstreams(['127.0.0.2', '127.0.0.3']);
    // SSE upstream: three events 150 ms apart.
    sse = await startUpstreams(['127.0.0.4'], (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const tick = () => {
        if (i === 3) {
          sseEndedAt = Date.now();
          res.end('data: [DONE]\n\n');
          return;
        }
        res.write(`data: {"n":${i++}}\n\n`);
        setTimeout(tick, 150);
      };
      tick();
    });
    dir = tempDir();
    poolFile = join(dir, 'pool.yaml');
    writePool(
      poolFile,
      ups[0]!.port,
      ups.map((u) => u.ip),
    );
  });

  after(async () => {
    await Promise.all(gateways.map((g) => g.close(100)));
    await Promise.all(servers.map((s) => s.stop(100)));
    await Promise.all([...ups, ...sse].map((u) => u.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('routes to the EPP destination; header/body mutations, x-request-id, served metadata, response mutation', async () => {
    let servedSeen: unknown;
    let requestIdSeen: string | undefined;
    const epp = await extProc({
      onRequest: (ctx, body) => {
        requestIdSeen = ctx.requestHeaders.get('x-request-id');
        const parsed = JSON.parse(body.toString()) as Record<string, unknown>;
        return route(ups[1]!.address, {
          setHeaders: [
            ['x-gateway-destination-endpoint', ups[1]!.address],
            ['x-picked', 'yes'],
          ],
          removeHeaders: ['x-drop-me'],
          body: Buffer.from(JSON.stringify({ ...parsed, model: 'rewritten' })),
        });
      },
      onResponseHeaders: (ctx) => {
        servedSeen = (ctx.metadata['envoy.lb'] as Record<string, unknown> | undefined)?.[
          'x-gateway-destination-endpoint-served'
        ];
        return { setHeaders: [['x-went-into-resp-headers', 'true']] };
      },
    });
    const g = await gw({ epp: epp.address });
    const r = await http(g.url, {
      path: '/v1/completions',
      headers: { 'content-type': 'application/json', 'x-drop-me': '1' },
      body: JSON.stringify({ model: 'm', prompt: 'hi' }),
    });
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as {
      upstream: string;
      headers: Record<string, string>;
      body: string;
      path: string;
    };
    assert.equal(echo.upstream, ups[1]!.address);
    assert.equal(echo.path, '/v1/completions');
    assert.equal(echo.headers['x-picked'], 'yes');
    assert.equal(echo.headers['x-drop-me'], undefined);
    assert.equal(echo.headers['x-request-id'], requestIdSeen);
    assert.match(requestIdSeen ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(echo.body), { model: 'rewritten', prompt: 'hi' });
    assert.equal(echo.headers['content-length'], String(Buffer.byteLength(echo.body)));
    assert.equal(r.headers['x-went-into-resp-headers'], 'true');
    assert.equal(servedSeen, ups[1]!.address);
  });

  test('BUFFERED body mode, headers-only requests', async () => {
    const epp = await extProc({
      onHeadersOnly: () => route(ups[0]!.address),
      onRequest: (ctx) => {
        assert.equal(ctx.mode, 'BUFFERED');
        return route(ups[1]!.address);
      },
    });
    const g = await gw({ epp: epp.address, bodyMode: 'BUFFERED' });
    const post = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(JSON.parse(post.body).upstream, ups[1]!.address);
    const get = await http(g.url, { path: '/v1/models' });
    assert.equal(get.status, 200);
    assert.equal(JSON.parse(get.body).upstream, ups[0]!.address);
  });

  test('the fallback list: a dead first endpoint is skipped, the next one serves', async () => {
    const dead = `127.0.0.9:${await freePort('127.0.0.9')}`;
    const epp = await extProc({ onRequest: () => route(`${dead},${ups[0]!.address}`) });
    const { logger, lines } = captureLogger();
    const g = await gw({ epp: epp.address }, logger);
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).upstream, ups[0]!.address);
    const access = lines.find((l) => l.access === true)!;
    assert.equal(access.endpoint, ups[0]!.address);
    assert.equal(access.status, 200);
    assert.equal((access.failedAttempts as Array<{ address: string }>)[0]!.address, dead);
    assert.ok(typeof access.totalMs === 'number' && typeof access.extProcMs === 'number');
    // Every endpoint dead: 503 with Envoy's text.
    const epp2 = await extProc({ onRequest: () => route(dead) });
    const g2 = await gw({ epp: epp2.address });
    const r2 = await http(g2.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r2.status, 503);
    assert.match(r2.body, /^upstream connect error or disconnect\/reset before headers/);
  });

  test('immediate responses pass through with status, headers and body', async () => {
    const epp = await extProc({
      onRequest: () =>
        new GatewayError(
          ErrorCode.InferencePoolResourceExhausted,
          'system saturated, sheddable request dropped',
          {
            headers: [['x-llm-d-request-dropped-reason', 'rejected-saturated']],
          },
        ),
    });
    const g = await gw({ epp: epp.address });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 429);
    assert.equal(
      r.body,
      'inference gateway: InferencePoolResourceExhausted - system saturated, sheddable request dropped',
    );
    assert.equal(r.headers['x-llm-d-request-dropped-reason'], 'rejected-saturated');
    assert.equal(
      ups.reduce((n, u) => n + u.seen.filter((s) => s.body.includes('sheddable')).length, 0),
      0,
    );
  });

  test('message timeout: FailClose answers 504, FailOpen routes to a pool endpoint', async () => {
    const slow = await extProc({
      onRequest: async () => {
        await sleep(1_000);
        return route(ups[0]!.address);
      },
    });
    const closeGw = await gw({ epp: slow.address, messageTimeoutMs: 100, failureMode: 'FailClose' });
    const t0 = Date.now();
    const r = await http(closeGw.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 504);
    assert.ok(Date.now() - t0 < 900, 'answers at the timeout, not when the EPP finally replies');
    assert.equal(r.headers['x-igw-gateway-error'], 'ext_proc_timeout_epp');
    const openGw = await gw({
      epp: slow.address,
      messageTimeoutMs: 100,
      failureMode: 'FailOpen',
      resourcesFile: poolFile,
      poolName: 'pool',
    });
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const o = await http(openGw.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
      assert.equal(o.status, 200);
      served.add(JSON.parse(o.body).upstream as string);
    }
    for (const s of served) assert.ok(ups.some((u) => u.address === s));
    assert.equal(openGw.stats().outcomes.fail_open, 4);
  });

  test("EPP unreachable: FailClose 500, FailOpen serves; failure mode defaults to the pool's", async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const closed = await gw({ epp: nobody, messageTimeoutMs: 2_000, failureMode: 'FailClose' });
    const r = await http(closed.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-igw-gateway-error'], 'ext_proc_error_epp');
    const openFile = join(dir, 'open.yaml');
    writePool(
      openFile,
      ups[0]!.port,
      ups.map((u) => u.ip),
      'FailOpen',
    );
    const open = await gw({
      epp: nobody,
      messageTimeoutMs: 2_000,
      resourcesFile: openFile,
      poolName: 'pool',
    });
    const o = await http(open.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(o.status, 200);
  });

  test('SSE streams through the EPP response phase chunk by chunk, and directly with response mode NONE', async () => {
    const chunksSeen: number[] = [];
    const epp = await extProc({
      onRequest: () => route(sse[0]!.address),
      onResponseBodyChunk: (_ctx, chunk) => {
        chunksSeen.push(chunk.length);
        return undefined;
      },
    });
    const g = await gw({ epp: epp.address });
    const r = await http(g.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.equal(r.body, 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    assert.ok(r.chunks.length >= 3, `chunks arrive separately (${r.chunks.length})`);
    assert.ok(
      r.startedAt + r.chunkTimes[0]! < sseEndedAt,
      'the first event arrived before the upstream finished',
    );
    assert.ok(chunksSeen.length >= 3);
    const before = chunksSeen.length;
    const direct = await gw({ epp: epp.address, responseBodyMode: 'NONE' });
    const d = await http(direct.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(d.body, r.body);
    assert.ok(d.chunks.length >= 3);
    assert.equal(chunksSeen.length, before, 'the EPP saw no response body');
  });

  test('BBR then EPP: the EPP sees the BBR header mutation', async () => {
    const bbr = await extProc({
      onRequest: (_ctx, body) => ({
        setHeaders: [['x-gateway-model-name', (JSON.parse(body.toString()) as { model: string }).model]],
      }),
    });
    const epp = await extProc({
      onRequest: (ctx) =>
        route(ctx.requestHeaders.get('x-gateway-model-name') === 'b' ? ups[1]!.address : ups[0]!.address),
    });
    const g = await gw({ epp: epp.address, bbr: bbr.address });
    const a = await http(g.url, { path: '/v1/completions', body: '{"model":"a","prompt":"x"}' });
    const b = await http(g.url, { path: '/v1/completions', body: '{"model":"b","prompt":"x"}' });
    assert.equal(JSON.parse(a.body).upstream, ups[0]!.address);
    assert.equal(JSON.parse(b.body).upstream, ups[1]!.address);
    assert.equal(JSON.parse(b.body).headers['x-gateway-model-name'], 'b');
  });

  test('TLS to the EPP with a self-signed certificate (no verification, like Envoy)', async () => {
    const epp = await extProc({ onRequest: () => route(ups[0]!.address) }, true);
    const g = await gw({ epp: epp.address, eppSecure: true });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 200);
  });

  test('subset hint metadata reaches the EPP', async () => {
    let hint: unknown;
    const epp = await extProc({
      onRequest: (ctx) => {
        hint = (ctx.metadata['envoy.lb.subset_hint'] as Record<string, unknown> | undefined)?.[
          'x-gateway-destination-endpoint-subset'
        ];
        return route(ups[0]!.address);
      },
    });
    const g = await gw({ epp: epp.address, subsetHint: [ups[0]!.address] });
    await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.deepEqual(hint, [ups[0]!.address]);
  });

  test('bad input: oversized body 413, no destination 503, malformed destination 503', async () => {
    const epp = await extProc({
      onRequest: (_c, body) => (body.toString().includes('nodest') ? {} : route('not an endpoint')),
    });
    const g = await gw({ epp: epp.address, maxRequestBodyBytes: 1_000 });
    const big = await http(g.url, { path: '/v1/completions', body: 'x'.repeat(2_000) });
    assert.equal(big.status, 413);
    const none = await http(g.url, { path: '/v1/completions', body: '{"nodest":1}' });
    assert.equal(none.status, 503);
    assert.equal(none.headers['x-igw-gateway-error'], 'no_destination_endpoint');
    const bad = await http(g.url, { path: '/v1/completions', body: '{"model":"m"}' });
    assert.equal(bad.status, 503);
    assert.equal(bad.headers['x-igw-gateway-error'], 'invalid_destination_endpoint');
  });

  test('--lb-policy round-robin without an EPP spreads requests over the pool', async () => {
    const g = await gw({ lbPolicy: 'round-robin', resourcesFile: poolFile, poolName: 'pool' });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
      seen.push(JSON.parse(r.body).upstream as string);
    }
    assert.equal(new Set(seen).size, 2);
    assert.notEqual(seen[0], seen[1]);
  });

  test('EPP failing mid response body: FailOpen forwards the rest unmodified, FailClose resets the client', async () => {
    const epp = await extProc({
      onRequest: () => route(sse[0]!.address),
      onResponseBodyChunk: (_ctx, chunk) => {
        if (chunk.toString().includes('"n":1')) throw new Error('processor broke');
        return undefined;
      },
    });
    const open = await gw({ epp: epp.address, failureMode: 'FailOpen' });
    const r = await http(open.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    const closed = await gw({ epp: epp.address, failureMode: 'FailClose' });
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
    servers.push({ stop: async () => void server.forceShutdown() });
    const g = await gw({ epp: `127.0.0.1:${bound.port}`, failureMode: 'FailClose' });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 500);
    assert.match(r.body, /protocol: expected a requestHeaders reply/);

    const epp = await extProc({
      onRequest: () => route(ups[0]!.address),
      onResponseHeaders: () => ({ setHeaders: [[':status', 'abc']] }),
    });
    const g2 = await gw({ epp: epp.address });
    const r2 = await http(g2.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r2.status, 200);
  });

  test('a client that disconnects mid-body is logged, nothing reaches the upstream, the gateway keeps serving', async () => {
    const epp = await extProc({ onRequest: () => route(ups[0]!.address) });
    const { logger, lines } = captureLogger();
    const g = await gw({ epp: epp.address }, logger);
    const seenBefore = ups[0]!.seen.length;
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
    assert.equal(ups[0]!.seen.length, seenBefore);
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
      join(dir, 'missing.yaml'),
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

  test('mode_override from the EPP skips the response phase; BUFFERED response mode sends one body message', async () => {
    const { addExtProcService, bindServer, createGrpcServer } = await import('@igw/ext-proc');
    const server = createGrpcServer();
    let sawResponse = false;
    addExtProcService(server, (call) => {
      call.on(
        'data',
        (m: { requestBody?: { body?: Buffer; endOfStream?: boolean }; responseHeaders?: unknown }) => {
          if (m.responseHeaders) sawResponse = true;
          if (m.requestBody?.endOfStream) {
            call.write({
              requestHeaders: {
                response: {
                  headerMutation: {
                    setHeaders: [
                      {
                        header: {
                          key: 'x-gateway-destination-endpoint',
                          rawValue: Buffer.from(ups[0]!.address),
                        },
                      },
                    ],
                  },
                },
              },
              modeOverride: { responseHeaderMode: 'SKIP', responseBodyMode: 'NONE' },
            });
            call.write({
              requestBody: {
                response: {
                  bodyMutation: { streamedResponse: { body: m.requestBody.body, endOfStream: true } },
                },
              },
            });
          }
        },
      );
      call.on('end', () => call.end());
      call.on('error', () => {});
    });
    const bound = await bindServer(server, 0, { secure: false, host: '127.0.0.1' });
    servers.push({ stop: async () => void server.forceShutdown() });
    const g = await gw({ epp: `127.0.0.1:${bound.port}` });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).upstream, ups[0]!.address);
    await sleep(100);
    assert.equal(sawResponse, false, 'no response_headers after mode_override SKIP');

    let bodies = 0;
    const epp = await extProc({
      onRequest: () => route(sse[0]!.address),
      onResponseBodyChunk: () => {
        bodies++;
        return undefined;
      },
    });
    const b = await gw({ epp: epp.address, responseBodyMode: 'BUFFERED' });
    const rb = await http(b.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(rb.body, 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    assert.equal(bodies, 1, 'one buffered response body message');
  });

  test('an ext_proc server that restarts is used again within a second (short reconnect backoff, like Envoy)', async () => {
    const processor: StreamProcessor = { onRequest: () => route(ups[0]!.address) };
    const first = await fakeExtProc(processor);
    const port = first.port;
    const g = await gw({ epp: first.address, failureMode: 'FailClose' });
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
    servers.push(second);
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
