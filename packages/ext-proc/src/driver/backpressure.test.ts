// write() backpressure, checked on a fake call: with real grpc-js the moment write() returns false depends on
// HTTP/2 flow control and cannot be pinned in a test, so this drives the driver with an object that behaves like a
// ServerDuplexStream whose buffer is full after every 4th message.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { ProcessingResponse } from '../gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { type ExtProcCall, handleStream } from './stream-driver.js';

class FakeCall extends EventEmitter {
  written: ProcessingResponse[] = [];
  cancelled = false;
  writableEnded = false;
  write(m: ProcessingResponse): boolean {
    this.written.push(m);
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
