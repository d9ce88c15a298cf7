import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type FetchHandle, PageFetcher, ScrapeError } from './fetch-page.js';

let server: Server;
let port = 0;

before(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        res.end('vllm:num_requests_waiting 1\n');
        break;
      case '/big-declared':
        res.writeHead(200, { 'content-length': 5000 });
        res.end('x'.repeat(5000));
        break;
      case '/big-chunked':
        res.write('x'.repeat(3000));
        res.end('x'.repeat(3000));
        break;
      case '/cut':
        res.writeHead(200, { 'content-length': 1000 });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 10);
        break;
      case '/hang':
        break;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const fetcher = () =>
  new PageFetcher({ scheme: 'http', insecureSkipVerify: true, timeoutMs: 200, maxBytes: 4096 });

async function failure(p: Promise<unknown>): Promise<ScrapeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ScrapeError);
    return e;
  }
  assert.fail('expected a ScrapeError');
}

describe('PageFetcher', () => {
  test('a 200 page is returned; other statuses, oversized pages, cut connections and timeouts are ScrapeErrors', async () => {
    const f = fetcher();
    try {
      assert.equal((await f.fetch('127.0.0.1', port, '/ok')).toString(), 'vllm:num_requests_waiting 1\n');
      let e = await failure(f.fetch('127.0.0.1', port, '/missing'));
      assert.equal(e.code, 'status');
      assert.match(e.message, /404/);
      e = await failure(f.fetch('127.0.0.1', port, '/big-declared'));
      assert.equal(e.code, 'too-large');
      e = await failure(f.fetch('127.0.0.1', port, '/big-chunked'));
      assert.equal(e.code, 'too-large');
      e = await failure(f.fetch('127.0.0.1', port, '/cut'));
      assert.equal(e.code, 'network');
      e = await failure(f.fetch('127.0.0.1', port, '/hang'));
      assert.equal(e.code, 'timeout');
      e = await failure(f.fetch('127.0.0.1', 1, '/ok'));
      assert.equal(e.code, 'network');
      // Still usable afterwards.
      assert.equal((await f.fetch('127.0.0.1', port, '/ok')).length, 28);
    } finally {
      f.close();
    }
  });

  test('with a handle, pages land in one reused buffer (grown as needed)', async () => {
    const f = fetcher();
    const handle: FetchHandle = { cancel: undefined };
    try {
      const a = await f.fetch('127.0.0.1', port, '/ok', handle);
      assert.equal(a.toString(), 'vllm:num_requests_waiting 1\n');
      const first = handle.buffer;
      assert.ok(first && a.buffer === first.buffer);
      const b = await f.fetch('127.0.0.1', port, '/ok', handle);
      assert.equal(handle.buffer, first, 'same buffer for the next page');
      assert.equal(b.toString(), 'vllm:num_requests_waiting 1\n');
      const e = await failure(f.fetch('127.0.0.1', port, '/big-chunked', handle));
      assert.equal(e.code, 'too-large');
    } finally {
      f.close();
    }
  });

  test('cancel aborts the request in flight', async () => {
    const f = fetcher();
    const handle: FetchHandle = { cancel: undefined };
    const p = f.fetch('127.0.0.1', port, '/hang', handle);
    assert.equal(typeof handle.cancel, 'function');
    handle.cancel!();
    const e = await failure(p);
    assert.equal(e.code, 'aborted');
    assert.equal(handle.cancel, undefined);
    f.close();
  });
});
