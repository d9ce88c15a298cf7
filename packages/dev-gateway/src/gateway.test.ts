// The gateway against fake ext_proc servers (the real @igw/ext-proc server and stream driver over loopback gRPC,
// with processors written here) and loopback upstream HTTP servers on 127.0.0.x: routing, mutations, modes,
// streaming, chaining, TLS, subset hint, the gateway's own policy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, GatewayError } from '@igw/ext-proc';
import { http, sleep } from './testing/fixtures.js';
import { GatewayHarness, route } from './testing/harness.js';

describe('dev gateway with fake ext_proc servers', { timeout: 60_000 }, () => {
  const h = new GatewayHarness();
  before(() => h.start());
  after(() => h.stop());

  test('routes to the EPP destination; header/body mutations, x-request-id, served metadata, response mutation', async () => {
    let servedSeen: unknown;
    let requestIdSeen: string | undefined;
    const epp = await h.extProc({
      onRequest: (ctx, body) => {
        requestIdSeen = ctx.requestHeaders.get('x-request-id');
        const parsed = JSON.parse(body.toString()) as Record<string, unknown>;
        return route(h.ups[1]!.address, {
          setHeaders: [
            ['x-gateway-destination-endpoint', h.ups[1]!.address],
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
    const g = await h.gw({ epp: epp.address });
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
    assert.equal(echo.upstream, h.ups[1]!.address);
    assert.equal(echo.path, '/v1/completions');
    assert.equal(echo.headers['x-picked'], 'yes');
    assert.equal(echo.headers['x-drop-me'], undefined);
    assert.equal(echo.headers['x-request-id'], requestIdSeen);
    assert.match(requestIdSeen ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(echo.body), { model: 'rewritten', prompt: 'hi' });
    assert.equal(echo.headers['content-length'], String(Buffer.byteLength(echo.body)));
    assert.equal(r.headers['x-went-into-resp-headers'], 'true');
    assert.equal(servedSeen, h.ups[1]!.address);
  });

  test('BUFFERED body mode, headers-only requests', async () => {
    const epp = await h.extProc({
      onHeadersOnly: () => route(h.ups[0]!.address),
      onRequest: (ctx) => {
        assert.equal(ctx.mode, 'BUFFERED');
        return route(h.ups[1]!.address);
      },
    });
    const g = await h.gw({ epp: epp.address, bodyMode: 'BUFFERED' });
    const post = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(JSON.parse(post.body).upstream, h.ups[1]!.address);
    const get = await http(g.url, { path: '/v1/models' });
    assert.equal(get.status, 200);
    assert.equal(JSON.parse(get.body).upstream, h.ups[0]!.address);
  });

  test('immediate responses pass through with status, headers and body', async () => {
    const epp = await h.extProc({
      onRequest: () =>
        new GatewayError(
          ErrorCode.InferencePoolResourceExhausted,
          'system saturated, sheddable request dropped',
          {
            headers: [['x-llm-d-request-dropped-reason', 'rejected-saturated']],
          },
        ),
    });
    const g = await h.gw({ epp: epp.address });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 429);
    assert.equal(
      r.body,
      'inference gateway: InferencePoolResourceExhausted - system saturated, sheddable request dropped',
    );
    assert.equal(r.headers['x-llm-d-request-dropped-reason'], 'rejected-saturated');
    assert.equal(
      h.ups.reduce((n, u) => n + u.seen.filter((s) => s.body.includes('sheddable')).length, 0),
      0,
    );
  });

  test('SSE streams through the EPP response phase chunk by chunk, and directly with response mode NONE', async () => {
    const chunksSeen: number[] = [];
    const epp = await h.extProc({
      onRequest: () => route(h.sse[0]!.address),
      onResponseBodyChunk: (_ctx, chunk) => {
        chunksSeen.push(chunk.length);
        return undefined;
      },
    });
    const g = await h.gw({ epp: epp.address });
    const r = await http(g.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.equal(r.body, 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    assert.ok(r.chunks.length >= 3, `chunks arrive separately (${r.chunks.length})`);
    assert.ok(
      r.startedAt + r.chunkTimes[0]! < h.sseEndedAt,
      'the first event arrived before the upstream finished',
    );
    assert.ok(chunksSeen.length >= 3);
    const before = chunksSeen.length;
    const direct = await h.gw({ epp: epp.address, responseBodyMode: 'NONE' });
    const d = await http(direct.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(d.body, r.body);
    assert.ok(d.chunks.length >= 3);
    assert.equal(chunksSeen.length, before, 'the EPP saw no response body');
  });

  test('BBR then EPP: the EPP sees the BBR header mutation', async () => {
    const bbr = await h.extProc({
      onRequest: (_ctx, body) => ({
        setHeaders: [['x-gateway-model-name', (JSON.parse(body.toString()) as { model: string }).model]],
      }),
    });
    const epp = await h.extProc({
      onRequest: (ctx) =>
        route(ctx.requestHeaders.get('x-gateway-model-name') === 'b' ? h.ups[1]!.address : h.ups[0]!.address),
    });
    const g = await h.gw({ epp: epp.address, bbr: bbr.address });
    const a = await http(g.url, { path: '/v1/completions', body: '{"model":"a","prompt":"x"}' });
    const b = await http(g.url, { path: '/v1/completions', body: '{"model":"b","prompt":"x"}' });
    assert.equal(JSON.parse(a.body).upstream, h.ups[0]!.address);
    assert.equal(JSON.parse(b.body).upstream, h.ups[1]!.address);
    assert.equal(JSON.parse(b.body).headers['x-gateway-model-name'], 'b');
  });

  test('TLS to the EPP with a self-signed certificate (no verification, like Envoy)', async () => {
    const epp = await h.extProc({ onRequest: () => route(h.ups[0]!.address) }, true);
    const g = await h.gw({ epp: epp.address, eppSecure: true });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 200);
  });

  test('subset hint metadata reaches the EPP', async () => {
    let hint: unknown;
    const epp = await h.extProc({
      onRequest: (ctx) => {
        hint = (ctx.metadata['envoy.lb.subset_hint'] as Record<string, unknown> | undefined)?.[
          'x-gateway-destination-endpoint-subset'
        ];
        return route(h.ups[0]!.address);
      },
    });
    const g = await h.gw({ epp: epp.address, subsetHint: [h.ups[0]!.address] });
    await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.deepEqual(hint, [h.ups[0]!.address]);
  });

  test('--lb-policy round-robin without an EPP spreads requests over the pool', async () => {
    const g = await h.gw({ lbPolicy: 'round-robin', resourcesFile: h.poolFile, poolName: 'pool' });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
      seen.push(JSON.parse(r.body).upstream as string);
    }
    assert.equal(new Set(seen).size, 2);
    assert.notEqual(seen[0], seen[1]);
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
                          rawValue: Buffer.from(h.ups[0]!.address),
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
    h.servers.push({ stop: async () => void server.forceShutdown() });
    const g = await h.gw({ epp: `127.0.0.1:${bound.port}` });
    const r = await http(g.url, { path: '/v1/completions', body: '{"model":"m","prompt":"x"}' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).upstream, h.ups[0]!.address);
    await sleep(100);
    assert.equal(sawResponse, false, 'no response_headers after mode_override SKIP');

    let bodies = 0;
    const epp = await h.extProc({
      onRequest: () => route(h.sse[0]!.address),
      onResponseBodyChunk: () => {
        bodies++;
        return undefined;
      },
    });
    const b = await h.gw({ epp: epp.address, responseBodyMode: 'BUFFERED' });
    const rb = await http(b.url, {
      path: '/v1/completions',
      body: '{"model":"m","prompt":"x","stream":true}',
    });
    assert.equal(rb.body, 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    assert.equal(bodies, 1, 'one buffered response body message');
  });
});
