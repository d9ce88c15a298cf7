// write() backpressure, checked on a fake call: with real grpc-js the moment write() returns false depends on
// HTTP/2 flow control and cannot be pinned in a test, so this drives the driver with an object that behaves like a
// ServerDuplexStream whose buffer is full after every 4th message.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { ProcessingResponse__Output } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { extProcServiceDefinition } from '../proto.js';
import { type ExtProcCall, handleStream } from './stream-driver.js';

const serialize = extProcServiceDefinition().Process.responseSerialize;
const deserialize = extProcServiceDefinition().Process.responseDeserialize;

class FakeCall extends EventEmitter {
  /** Decoded replies (the driver writes pre-encoded Buffers and plain messages, as grpc-js would send them). */
  written: ProcessingResponse__Output[] = [];
  cancelled = false;
  writableEnded = false;
  write(m: unknown): boolean {
    this.written.push(
      deserialize(Buffer.isBuffer(m) ? m : serialize(m as never)) as ProcessingResponse__Output,
    );
    return this.written.length % 4 !== 0;
  }
  end(): void {
    this.writableEnded = true;
  }
}

test('the streamed body waits for drain whenever write() returns false', async () => {
  const call = new FakeCall();
  const done = handleStream(call as unknown as ExtProcCall, {
    onRequest: () => ({ body: Buffer.alloc(62_000 * 10, 1) }),
  });
  call.emit('data', { request: 'requestHeaders', requestHeaders: { headers: { headers: [] } } });
  call.emit('data', { request: 'requestBody', requestBody: { body: Buffer.from('{}'), endOfStream: true } });
  await tick();
  assert.equal(call.written.length, 4); // headers reply + 3 chunks, then the buffer is "full"
  await tick();
  assert.equal(call.written.length, 4, 'no write before drain');
  call.emit('drain');
  await tick();
  assert.equal(call.written.length, 8);
  call.emit('drain');
  await tick();
  assert.equal(call.written.length, 11);
  const last = call.written.at(-1)?.requestBody?.response?.bodyMutation?.streamedResponse;
  assert.equal(last?.endOfStream, true);
  call.emit('end');
  await done;
  assert.equal(call.writableEnded, true);
});

test('a stream cancelled while waiting for drain stops writing and ends', async () => {
  const call = new FakeCall();
  const ends: string[] = [];
  const done = handleStream(call as unknown as ExtProcCall, {
    onRequest: () => ({ body: Buffer.alloc(62_000 * 10, 1) }),
    onStreamEnd: (_c, o) => ends.push(o.kind),
  });
  call.emit('data', { request: 'requestHeaders', requestHeaders: { headers: { headers: [] } } });
  call.emit('data', { request: 'requestBody', requestBody: { body: Buffer.from('{}'), endOfStream: true } });
  await tick();
  assert.equal(call.written.length, 4);
  call.cancelled = true;
  call.emit('cancelled');
  await done;
  await tick();
  assert.equal(call.written.length, 4);
  assert.deepEqual(ends, ['cancelled']);
});

test('an async step holds later messages; they are answered in order once it settles', async () => {
  const call = new FakeCall();
  const ends: string[] = [];
  let signal: AbortSignal | undefined;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const done = handleStream(call as unknown as ExtProcCall, {
    onRequest: async (ctx) => {
      signal = ctx.signal;
      await gate;
      return { setHeaders: [['x-picked', 'a']] };
    },
    onResponseHeaders: () => ({ setHeaders: [['x-resp', '1']] }),
    onStreamEnd: (_c, o) => ends.push(o.kind),
  });
  call.emit('data', { request: 'requestHeaders', requestHeaders: { headers: { headers: [] } } });
  call.emit('data', { request: 'requestBody', requestBody: { body: Buffer.from('{}'), endOfStream: true } });
  call.emit('data', { request: 'responseHeaders', responseHeaders: { headers: { headers: [] } } });
  call.emit('end');
  await tick();
  assert.equal(call.written.length, 0, 'nothing answered while onRequest is pending');
  assert.equal(signal?.aborted, false);
  release();
  await done;
  assert.deepEqual(
    call.written.map((m) => m.response),
    ['requestHeaders', 'requestBody', 'responseHeaders'],
  );
  const set = call.written[0]?.requestHeaders?.response?.headerMutation?.setHeaders ?? [];
  assert.deepEqual(
    set.map((h) => h.header?.key),
    ['x-picked', 'Content-Length'],
  );
  assert.equal(
    call.written[2]?.responseHeaders?.response?.headerMutation?.setHeaders?.[0]?.header?.key,
    'x-resp',
  );
  assert.equal(call.writableEnded, true);
  assert.deepEqual(ends, ['completed']);
  assert.equal(signal?.aborted, true, 'the signal aborts when the stream is over');
});
