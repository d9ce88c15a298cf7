// The stream driver over real gRPC on loopback, driven by the Envoy-like client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { EnvoyLikeClient, MessageTimeoutError } from '../client/envoy-like-client.js';
import { ErrorCode, GatewayError, GrpcStatusError } from '../errors.js';
import type { ProcessingResponse__Output } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { type ExtProcServer, startExtProcServer } from '../server/ext-proc-server.js';
import type { HandleStreamOptions, StreamContext, StreamOutcome, StreamProcessor } from './types.js';

/** A processor whose behaviour each test sets through `impl`. */
class TestProcessor implements StreamProcessor {
  impl: Partial<StreamProcessor> = {};
  seen: Array<{ body: string; mode: string; metadata: unknown; headers: Array<[string, string]> }> = [];
  ends: StreamOutcome[] = [];
  onHeadersOnly(ctx: StreamContext) {
    return this.impl.onHeadersOnly
      ? this.impl.onHeadersOnly(ctx)
      : { setHeaders: [['x-headers-only', 'yes']] as Array<[string, string]> };
  }
  onRequest(ctx: StreamContext, body: Buffer) {
    this.seen.push({
      body: body.toString(),
      mode: ctx.mode,
      metadata: ctx.metadata,
      headers: ctx.requestHeaders.entries(),
    });
    if (this.impl.onRequest) return this.impl.onRequest(ctx, body);
    return {
      setHeaders: [['x-seen-bytes', String(body.length)]] as Array<[string, string]>,
      removeHeaders: ['x-remove-me'],
      dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.1:8000' } },
    };
  }
  onResponseHeaders(ctx: StreamContext, h: Parameters<NonNullable<StreamProcessor['onResponseHeaders']>>[1]) {
    return this.impl.onResponseHeaders?.(ctx, h);
  }
  onResponseBodyChunk(ctx: StreamContext, chunk: Buffer, eos: boolean) {
    return this.impl.onResponseBodyChunk?.(ctx, chunk, eos);
  }
  onStreamEnd(_ctx: StreamContext, outcome: StreamOutcome) {
    this.ends.push(outcome);
  }
  reset() {
    this.impl = {};
    this.seen = [];
    this.ends = [];
  }
}

async function start(p: StreamProcessor, stream: HandleStreamOptions, secure = false) {
  const srv = await startExtProcServer({ port: 0, host: '127.0.0.1', secure, processor: p, stream });
  const client = new EnvoyLikeClient({ address: `127.0.0.1:${srv.port}`, secure });
  return { srv, client };
}

const H = {
  ':method': 'POST',
  ':path': '/v1/completions',
  'content-type': 'application/json',
  'x-remove-me': '1',
};

describe('stream driver (streaming default)', () => {
  const p = new TestProcessor();
  let srv: ExtProcServer;
  let client: EnvoyLikeClient;
  before(async () => {
    ({ srv, client } = await start(p, { streaming: true, maxRequestBodyBytes: 200_000 }));
  });
  after(async () => {
    client.close();
    await srv.stop(1000);
  });

  test('FULL_DUPLEX: header reply after EoS, then 62,000-byte streamed chunks, only the last with EoS', async () => {
    p.reset();
    const body = Buffer.alloc(150_000, 'a');
    const r = await client.process({ headers: H, body, chunkSize: 7_000 });
    assert.equal(r.outcome, 'continue');
    assert.equal(r.replies[0]?.response, 'requestHeaders');
    assert.deepEqual(r.requestBodyChunkSizes, [62_000, 62_000, 26_000]);
    const eos = r.replies
      .filter((x) => x.response === 'requestBody')
      .map((x) => x.requestBody?.response?.bodyMutation?.streamedResponse?.endOfStream === true);
    assert.deepEqual(eos, [false, false, true]);
    assert.ok(r.request.body.equals(body));
    assert.equal(r.request.header('content-length'), '150000');
    assert.equal(r.request.header('x-seen-bytes'), '150000');
    assert.equal(r.request.header('x-remove-me'), undefined);
    assert.equal(r.clearRouteCache, true);
    assert.deepEqual(r.dynamicMetadata, {
      'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.1:8000' },
    });
    assert.equal(p.seen[0]?.mode, 'FULL_DUPLEX_STREAMED');
    assert.deepEqual(p.ends, [{ kind: 'completed' }]);
  });

  test('request headers are held until the body ends', async () => {
    const { call, reader } = client.openStream();
    call.write({ requestHeaders: { headers: { headers: [{ key: 'a', rawValue: Buffer.from('b') }] } } });
    call.write({ requestBody: { body: Buffer.from('{"x":'), endOfStream: false } });
    await assert.rejects(reader.next(150, 'nothing'), MessageTimeoutError);
    call.write({ requestBody: { body: Buffer.from('1}'), endOfStream: true } });
    const first = await reader.next(5000, 'headers reply');
    assert.equal(first.kind === 'reply' && first.reply.response, 'requestHeaders');
    const second = await reader.next(5000, 'body chunk');
    assert.equal(
      second.kind === 'reply' &&
        second.reply.requestBody?.response?.bodyMutation?.streamedResponse?.body?.toString(),
      '{"x":1}',
    );
    call.end();
    assert.equal((await reader.status(5000)).code, status.OK);
  });

  test('an empty body is one empty chunk with EoS and Content-Length 0', async () => {
    p.reset();
    const r = await client.process({ headers: H, body: '' });
    assert.deepEqual(r.requestBodyChunkSizes, [0]);
    assert.equal(r.request.header('content-length'), '0');
  });

  test('headers-only request gets the onHeadersOnly decision at once', async () => {
    p.reset();
    const r = await client.process({ headers: { ':method': 'GET' } });
    assert.equal(r.outcome, 'continue');
    assert.equal(r.request.header('x-headers-only'), 'yes');
    assert.equal(r.replies.length, 1);
  });

  test('a replacement body is streamed and sized', async () => {
    p.reset();
    p.impl.onRequest = () => ({ body: Buffer.from('{"model":"rewritten"}') });
    const r = await client.process({ headers: H, body: '{"model":"a"}' });
    assert.equal(r.request.body.toString(), '{"model":"rewritten"}');
    assert.equal(r.request.header('content-length'), '21');
  });

  test('metadata_context reaches the processor as JSON', async () => {
    p.reset();
    const md = { 'envoy.lb.subset_hint': { 'x-gateway-destination-endpoint-subset': ['10.0.0.1:80'] } };
    await client.process({ headers: H, body: '{}', metadataContext: md });
    assert.deepEqual(p.seen[0]?.metadata, md);
  });

  test('returned and thrown GatewayErrors become immediate responses; the stream ends OK', async () => {
    p.reset();
    p.impl.onRequest = () => new GatewayError(ErrorCode.BadRequest, 'model not found in request body');
    let r = await client.process({ headers: H, body: '{}' });
    assert.equal(r.outcome, 'immediate-response');
    assert.equal(r.immediateResponse?.status, 400);
    assert.equal(
      r.immediateResponse?.bodyText,
      'inference gateway: BadRequest - model not found in request body',
    );
    assert.equal(r.grpcStatus.code, status.OK);
    p.impl.onRequest = async () => {
      throw new GatewayError(ErrorCode.ServiceUnavailable, 'no candidates', { headers: [['x-why', 'none']] });
    };
    r = await client.process({ headers: H, body: '{}' });
    assert.equal(r.immediateResponse?.status, 503);
    assert.deepEqual(r.immediateResponse?.headers, [['x-why', 'none']]);
    assert.equal(p.ends.at(-1)?.kind, 'immediate-response');
  });

  test('other exceptions become gRPC statuses, never a crash', async () => {
    p.reset();
    p.impl.onRequest = () => {
      throw new Error('boom');
    };
    let r = await client.process({ headers: H, body: '{}' });
    assert.equal(r.outcome, 'grpc-error');
    assert.equal(r.grpcStatus.code, status.INTERNAL);
    assert.match(r.grpcStatus.details, /boom/);
    p.impl.onRequest = () => Promise.reject(new GrpcStatusError(status.UNAVAILABLE, 'pool not initialized'));
    r = await client.process({ headers: H, body: '{}' });
    assert.equal(r.grpcStatus.code, status.UNAVAILABLE);
    assert.equal(r.grpcStatus.details, 'pool not initialized');
    assert.equal(p.ends.at(-1)?.kind, 'grpc-error');
  });

  test('a body over maxRequestBodyBytes gets 413 and later chunks are not buffered', async () => {
    p.reset();
    const r = await client.process({ headers: H, body: Buffer.alloc(250_000, 'x'), chunkSize: 50_000 });
    assert.equal(r.outcome, 'immediate-response');
    assert.equal(r.immediateResponse?.status, 413);
    assert.match(
      r.immediateResponse!.bodyText,
      /^inference gateway: PayloadTooLarge - request body of at least 250000 bytes exceeds the limit of 200000 bytes/,
    );
    assert.equal(p.seen.length, 0);
  });

  test('trailers get no reply; body chunks after the first EoS are ignored', async () => {
    p.reset();
    const r = await client.process({
      headers: H,
      body: '{"a":1}',
      chunksAfterEndOfStream: [Buffer.from('garbage')],
    });
    assert.equal(r.request.body.toString(), '{"a":1}');
    assert.equal(p.seen.length, 1);
    p.reset();
    // With trailers the last body chunk has no EoS (as Envoy does); the trailers end the body.
    const t = await client.process({ headers: H, body: '{"b":2}', trailers: [['x-t', '1']] });
    assert.equal(t.outcome, 'continue');
    assert.equal(t.request.body.toString(), '{"b":2}');
    assert.ok(t.replies.every((x) => x.response !== 'requestTrailers'));
  });

  test('response phase: headers reply, chunks forwarded or transformed per chunk', async () => {
    p.reset();
    const r = await client.process({
      headers: H,
      body: '{}',
      response: {
        headers: { ':status': '200', 'content-type': 'text/event-stream' },
        body: [Buffer.from('data: 1\n\n'), Buffer.from('data: [DONE]\n\n')],
      },
    });
    assert.equal(r.response?.body.toString(), 'data: 1\n\ndata: [DONE]\n\n');
    p.impl.onResponseHeaders = () => ({ setHeaders: [['x-went-into-resp-headers', 'true']] });
    p.impl.onResponseBodyChunk = (_c, chunk, eos) =>
      Buffer.from(`${chunk.toString().toUpperCase()}${eos ? '!' : ''}`);
    const t = await client.process({
      headers: H,
      body: '{}',
      response: { headers: { ':status': '200' }, body: 'abcdef', chunkSize: 3, trailers: [['x', 'y']] },
    });
    assert.equal(t.response?.header('x-went-into-resp-headers'), 'true');
    assert.equal(t.response?.body.toString(), 'ABCDEF');
  });

  test('protocol_config BUFFERED overrides --streaming: headers reply at once, body reply carries everything', async () => {
    p.reset();
    const { call, reader } = client.openStream();
    call.write({
      protocolConfig: { requestBodyMode: 'BUFFERED', responseBodyMode: 'BUFFERED' },
      requestHeaders: { headers: { headers: [{ key: 'x-remove-me', rawValue: Buffer.from('1') }] } },
    });
    const h = await reader.next(5000, 'headers reply');
    assert.equal(h.kind === 'reply' && h.reply.response, 'requestHeaders');
    call.end();
    await reader.status(5000);

    const r = await client.process({ headers: H, body: '{"m":1}', mode: 'BUFFERED' });
    assert.equal(p.seen.at(-1)?.mode, 'BUFFERED');
    assert.equal(r.replies.length, 2);
    const body = r.replies[1] as ProcessingResponse__Output;
    assert.equal(body.response, 'requestBody');
    assert.equal(r.request.header('x-seen-bytes'), '7');
    assert.equal(r.request.header('content-length'), '7');
    assert.ok(body.dynamicMetadata);
    assert.equal(r.request.body.toString(), '{"m":1}');
  });

  test('unsupported request_body_mode STREAMED ends the stream with UNIMPLEMENTED', async () => {
    const { call, reader } = client.openStream();
    call.write({
      protocolConfig: { requestBodyMode: 'STREAMED' },
      requestHeaders: { headers: { headers: [] } },
    });
    const st = await reader.status(5000);
    assert.equal(st.code, status.UNIMPLEMENTED);
  });

  test('a message with no request event ends the stream with INVALID_ARGUMENT', async () => {
    p.reset();
    const { call, reader } = client.openStream();
    call.write({});
    const st = await reader.status(5000);
    assert.equal(st.code, status.INVALID_ARGUMENT);
    assert.deepEqual(st.extraReplies, []);
    assert.equal(p.seen.length, 0);
    for (let i = 0; i < 250 && p.ends.length === 0; i++) await sleep(20);
    assert.equal(p.ends[0]?.kind, 'grpc-error');
  });

  test('a repeated request_headers message is ignored: one header reply, first headers kept', async () => {
    p.reset();
    const { call, reader } = client.openStream();
    const hdr = (v: string) => ({
      requestHeaders: { headers: { headers: [{ key: 'x-which', rawValue: Buffer.from(v) }] } },
    });
    call.write(hdr('first'));
    call.write(hdr('second'));
    call.write({ requestBody: { body: Buffer.from('{}'), endOfStream: true } });
    call.end();
    const st = await reader.status(5000);
    assert.equal(st.code, status.OK);
    assert.deepEqual(
      st.extraReplies.map((r) => r.response),
      ['requestHeaders', 'requestBody'],
    );
    assert.deepEqual(p.seen[0]?.headers, [['x-which', 'first']]);
  });

  test('request headers skipped by the proxy: body replies only, metadata on the first chunk', async () => {
    p.reset();
    p.impl.onRequest = () => ({
      body: Buffer.alloc(70_000, 'b'),
      dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.9:8000' } },
    });
    const { call, reader } = client.openStream();
    call.write({ requestBody: { body: Buffer.from('{}'), endOfStream: true } });
    call.end();
    const st = await reader.status(5000);
    assert.equal(st.code, status.OK);
    const replies = st.extraReplies;
    assert.deepEqual(
      replies.map((r) => r.response),
      ['requestBody', 'requestBody'],
    );
    const chunks = replies.map((r) => r.requestBody?.response?.bodyMutation?.streamedResponse);
    assert.deepEqual(
      chunks.map((c) => [c?.body?.length, c?.endOfStream === true]),
      [
        [62_000, false],
        [8_000, true],
      ],
    );
    assert.ok(replies[0]?.dynamicMetadata, 'metadata rides on the first body reply');
    assert.equal(replies[1]?.dynamicMetadata ?? undefined, undefined);
    assert.equal(p.seen[0]?.body, '{}');
  });

  test('client cancel ends the stream and calls onStreamEnd once', async () => {
    p.reset();
    p.impl.onRequest = () => new Promise(() => {});
    const { call } = client.openStream();
    call.on('error', () => {});
    call.write({ requestHeaders: { headers: { headers: [] } } });
    call.write({ requestBody: { body: Buffer.from('{}'), endOfStream: true } });
    await sleep(100);
    call.cancel();
    for (let i = 0; i < 250 && p.ends.length === 0; i++) await sleep(20);
    assert.deepEqual(p.ends, [{ kind: 'cancelled' }]);
  });

  test('message timeout: the client gives up like Envoy when no reply comes', async () => {
    p.reset();
    p.impl.onRequest = () => new Promise(() => {});
    await assert.rejects(
      client.process({ headers: H, body: '{}', messageTimeoutMs: 150 }),
      MessageTimeoutError,
    );
  });

  test('large bodies respect write() backpressure and arrive intact', async () => {
    p.reset();
    p.impl.onRequest = () => ({ body: Buffer.alloc(3_000_000, 'z') });
    const r = await client.process({ headers: H, body: '{}' });
    assert.equal(r.request.body.length, 3_000_000);
    assert.equal(r.requestBodyChunkSizes.length, Math.ceil(3_000_000 / 62_000));
    assert.ok(r.requestBodyChunkSizes.every((n) => n <= 62_000));
  });
});

describe('stream driver (buffered default, TLS)', () => {
  const p = new TestProcessor();
  let srv: ExtProcServer;
  let client: EnvoyLikeClient;
  before(async () => {
    ({ srv, client } = await start(p, { streaming: false, contentLength: 'non-empty' }, true));
  });
  after(async () => {
    client.close();
    await srv.stop(1000);
  });

  test('without protocol_config, --streaming=false means BUFFERED', async () => {
    p.impl.onRequest = () => ({ body: Buffer.from('{"model":"x"}'), setHeaders: [['x-m', 'x']] });
    const r = await client.process({
      headers: H,
      body: '{"model":"y"}',
      mode: 'BUFFERED',
      sendProtocolConfig: false,
    });
    assert.equal(p.seen.at(-1)?.mode, 'BUFFERED');
    assert.equal(r.request.body.toString(), '{"model":"x"}');
    assert.equal(r.request.header('x-m'), 'x');
    assert.equal(r.request.header('content-length'), '13');
    assert.equal(r.replies[1]?.requestBody?.response?.bodyMutation?.body?.toString(), '{"model":"x"}');
  });

  test("a BUFFERED body over grpc-js's 4 MiB default message limit is accepted and can be replaced", async () => {
    p.reset();
    p.impl.onRequest = (_c, body) => ({ body: Buffer.alloc(body.length, 'r') });
    const big = Buffer.alloc(5 * 1024 * 1024, 'a');
    const r = await client.process({ headers: H, body: big, mode: 'BUFFERED' });
    assert.equal(r.outcome, 'continue');
    assert.equal(p.seen.at(-1)?.body.length, big.length);
    assert.equal(r.request.body.length, big.length);
    assert.equal(r.request.body.at(-1), 'r'.charCodeAt(0));
    assert.equal(r.request.header('content-length'), String(big.length));
  });

  test('protocol_config FULL_DUPLEX_STREAMED overrides --streaming=false', async () => {
    p.reset();
    const r = await client.process({ headers: H, body: '', mode: 'FULL_DUPLEX_STREAMED' });
    assert.equal(p.seen.at(-1)?.mode, 'FULL_DUPLEX_STREAMED');
    assert.deepEqual(r.requestBodyChunkSizes, [0]);
    // contentLength 'non-empty' (the EPP's rule): no Content-Length for an empty body.
    assert.equal(r.request.header('content-length'), undefined);
  });
});
