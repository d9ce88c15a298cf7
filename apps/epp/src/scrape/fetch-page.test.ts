import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { after, before, describe, test } from 'node:test';
import { selfSignedCertificate } from '@igw/ext-proc';
import { type FetchHandle, PageFetcher, ScrapeError } from './fetch-page.js';

const PAGE = 'vllm:num_requests_waiting 1\n';
let server: Server;
let port = 0;
/** Request heads the node:http server saw, for checking what the client sends. */
const seen: { headers: Record<string, unknown>; socketPort: number }[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push({ headers: req.headers, socketPort: req.socket.remotePort ?? 0 });
    switch (req.url) {
      case '/ok':
        res.end(PAGE);
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
      case '/close':
        res.writeHead(200, { connection: 'close', 'content-length': PAGE.length });
        res.end(PAGE);
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

const fetcher = (timeoutMs = 200) =>
  new PageFetcher({ scheme: 'http', insecureSkipVerify: true, timeoutMs, maxBytes: 4096 });

async function failure(p: Promise<unknown>): Promise<ScrapeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ScrapeError, `expected a ScrapeError, got ${e}`);
    return e;
  }
  assert.fail('expected a ScrapeError');
}

/**
 * A raw TCP server for responses node:http would refuse to send. `respond` gets each request head (with the index
 * of the request on its connection and on the server) and writes whatever it likes; the server counts connections.
 */
async function rawServer(
  respond: (socket: Socket, requestIndex: number, head: string, serverRequestIndex: number) => void,
): Promise<{ port: number; connections: () => number; heads: string[]; close: () => Promise<void> }> {
  let connections = 0;
  let served = 0;
  const sockets = new Set<Socket>();
  const heads: string[] = [];
  const srv: NetServer = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    let index = 0;
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        heads.push(head);
        respond(socket, index++, head, served++);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as AddressInfo).port,
    connections: () => connections,
    heads,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

const ok = (body = PAGE) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('PageFetcher', () => {
  test('a 200 page is returned; other statuses, oversized pages, cut connections and timeouts are ScrapeErrors', async () => {
    const f = fetcher();
    try {
      assert.equal((await f.fetch('127.0.0.1', port, '/ok')).toString(), PAGE);
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
      assert.match(e.message, /ECONNREFUSED/);
      e = await failure(f.fetch('127.0.0.1', port, '/bad path'));
      assert.equal(e.code, 'protocol');
      // Still usable afterwards.
      assert.equal((await f.fetch('127.0.0.1', port, '/ok')).length, PAGE.length);
    } finally {
      f.close();
    }
  });

  test('one keep-alive connection per endpoint; the request asks for the text format and no compression', async () => {
    const f = fetcher();
    try {
      seen.length = 0;
      for (let i = 0; i < 3; i++) await f.fetch('127.0.0.1', port, '/ok');
      assert.equal(new Set(seen.map((s) => s.socketPort)).size, 1, 'all three on one connection');
      const h = seen[0]!.headers;
      assert.equal(h.host, `127.0.0.1:${port}`);
      assert.equal(h.accept, 'text/plain;version=0.0.4;q=1,*/*;q=0.1');
      assert.equal(h['accept-encoding'], undefined, 'no Accept-Encoding: the server answers uncompressed');
      // Connection: close from the server: the next scrape opens a new connection and succeeds.
      seen.length = 0;
      await f.fetch('127.0.0.1', port, '/close');
      await f.fetch('127.0.0.1', port, '/ok');
      assert.equal(new Set(seen.map((s) => s.socketPort)).size, 2);
    } finally {
      f.close();
    }
  });

  test('with a handle, pages land in one reused buffer (grown as needed)', async () => {
    const f = fetcher();
    const handle: FetchHandle = { cancel: undefined };
    try {
      const a = await f.fetch('127.0.0.1', port, '/ok', handle);
      assert.equal(a.toString(), PAGE);
      const first = handle.buffer;
      assert.ok(first && a.buffer === first.buffer);
      const b = await f.fetch('127.0.0.1', port, '/ok', handle);
      assert.equal(handle.buffer, first, 'same buffer for the next page');
      assert.equal(b.toString(), PAGE);
      const e = await failure(f.fetch('127.0.0.1', port, '/big-chunked', handle));
      assert.equal(e.code, 'too-large');
      assert.equal((await f.fetch('127.0.0.1', port, '/ok', handle)).toString(), PAGE);
    } finally {
      f.close();
    }
  });

  test('cancel aborts the request in flight; the endpoint is scraped normally afterwards', async () => {
    const f = fetcher();
    const handle: FetchHandle = { cancel: undefined };
    try {
      const p = f.fetch('127.0.0.1', port, '/hang', handle);
      assert.equal(typeof handle.cancel, 'function');
      handle.cancel!();
      const e = await failure(p);
      assert.equal(e.code, 'aborted');
      assert.equal(handle.cancel, undefined);
      assert.equal((await f.fetch('127.0.0.1', port, '/ok', handle)).toString(), PAGE);
      // close() aborts whatever is in flight.
      const q = f.fetch('127.0.0.1', port, '/hang', handle);
      f.close();
      assert.equal((await failure(q)).code, 'aborted');
    } finally {
      f.close();
    }
  });

  test('two concurrent fetches of one endpoint both complete (the second on a one-off connection)', async () => {
    const f = fetcher();
    try {
      const [a, b] = await Promise.all([
        f.fetch('127.0.0.1', port, '/ok'),
        f.fetch('127.0.0.1', port, '/ok'),
      ]);
      assert.equal(a.toString(), PAGE);
      assert.equal(b.toString(), PAGE);
    } finally {
      f.close();
    }
  });

  test('malformed responses from a raw server are protocol errors, and the next scrape reconnects', async () => {
    const bodies = [
      'HTTP/1.1 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00',
    ];
    const expected = [
      /malformed status line "HTTP\/1.1 OK"/,
      /malformed chunk size line "xyz"/,
      /Content-Encoding "gzip"/,
    ];
    // Requests alternate: a malformed response, then a good one.
    const srv = await rawServer((s, _i, _h, n) => s.write(n % 2 === 0 ? bodies[n / 2]! : ok()));
    const f = fetcher();
    try {
      for (const re of expected) {
        const e = await failure(f.fetch('127.0.0.1', srv.port, '/metrics'));
        assert.equal(e.code, 'protocol');
        assert.match(e.message, re);
        assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
      }
      // Each bad response ends its connection; each good one is kept for the next (bad) one.
      assert.equal(srv.connections(), 4, 'a connection with a framing error is never reused');
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('a response arriving in small pieces (head, chunk-size lines and CRLFs split across reads) is read whole', async () => {
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nvllm:\r\n${(PAGE.length - 5).toString(16)}\r\n${PAGE.slice(5)}\r\n0\r\n\r\n`;
    const srv = await rawServer((s) => {
      let at = 0;
      const step = () => {
        if (s.destroyed || at >= wire.length) return;
        s.write(wire.slice(at, at + 3));
        at += 3;
        setTimeout(step, 1);
      };
      step();
    });
    const f = fetcher(2000);
    try {
      assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
      assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
      assert.equal(srv.connections(), 1, 'kept alive after a chunked page');
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('a truncated body and a reset mid-body are network errors', async () => {
    const srv = await rawServer((s, _i, _h, n) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nvllm:num_requests');
      if (n === 0) setTimeout(() => s.end(), 5);
      else setTimeout(() => s.resetAndDestroy(), 5);
    });
    const f = fetcher();
    try {
      let e = await failure(f.fetch('127.0.0.1', srv.port, '/metrics'));
      assert.equal(e.code, 'network');
      assert.match(e.message, /closed mid-response \(17 body bytes received, 83 missing\)/);
      e = await failure(f.fetch('127.0.0.1', srv.port, '/metrics'));
      assert.equal(e.code, 'network');
      assert.match(e.message, /ECONNRESET/);
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('a keep-alive socket the server closes between scrapes is replaced; the next scrape succeeds', async () => {
    const srv = await rawServer((s) => {
      s.write(ok());
      setTimeout(() => s.end(), 5); // idle close after each response, without announcing it
    });
    const f = fetcher();
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
        await new Promise((r) => setTimeout(r, 30));
      }
      assert.equal(srv.connections(), 3);
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('a reused socket closed as the request is written: the GET is retried once on a new connection', async () => {
    // Every connection answers its first request and silently closes on the second (the idle-close race).
    const srv = await rawServer((s, i) => (i === 0 ? s.write(ok()) : s.destroy()));
    const f = fetcher();
    try {
      for (let i = 0; i < 3; i++)
        assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
      assert.equal(srv.connections(), 3);
    } finally {
      f.close();
      await srv.close();
    }
    // A fresh connection that closes without answering is not retried.
    const mute = await rawServer((s) => s.destroy());
    const g = fetcher();
    try {
      const e = await failure(g.fetch('127.0.0.1', mute.port, '/metrics'));
      assert.equal(e.code, 'network');
      assert.match(e.message, /closed before a response/);
      assert.equal(mute.connections(), 1);
    } finally {
      g.close();
      await mute.close();
    }
  });

  test('HTTP/1.0 close-delimited pages are read to the close; oversized ones are refused', async () => {
    const srv = await rawServer((s, _i, head) => {
      const big = head.startsWith('GET /big');
      s.end(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n${big ? 'x'.repeat(5000) : PAGE}`);
    });
    const f = fetcher();
    try {
      assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
      assert.equal((await f.fetch('127.0.0.1', srv.port, '/metrics')).toString(), PAGE);
      assert.equal(srv.connections(), 2);
      assert.match(srv.heads[0]!, /^GET \/metrics HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
      const e = await failure(f.fetch('127.0.0.1', srv.port, '/big'));
      assert.equal(e.code, 'too-large');
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('a server that drips its page slower than the timeout fails with timeout, not a partial page', async () => {
    const srv = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n');
      const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write('x')), 20);
      s.on('close', () => clearInterval(drip));
    });
    const f = fetcher(150);
    try {
      const e = await failure(f.fetch('127.0.0.1', srv.port, '/metrics'));
      assert.equal(e.code, 'timeout');
      assert.match(e.message, /within 150 ms/);
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('idle connections are closed after idleCloseMs', async () => {
    const srv = await rawServer((s) => s.write(ok()));
    const f = new PageFetcher({
      scheme: 'http',
      insecureSkipVerify: true,
      timeoutMs: 200,
      maxBytes: 4096,
      idleCloseMs: 40,
    });
    try {
      await f.fetch('127.0.0.1', srv.port, '/metrics');
      await new Promise((r) => setTimeout(r, 150));
      await f.fetch('127.0.0.1', srv.port, '/metrics');
      assert.equal(srv.connections(), 2);
    } finally {
      f.close();
      await srv.close();
    }
  });

  test('https: self-signed certificates are accepted with insecureSkipVerify and refused without it', async () => {
    const pair = await selfSignedCertificate('model-server.test');
    const srv = createHttpsServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end(PAGE));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const tlsPort = (srv.address() as AddressInfo).port;
    const insecure = new PageFetcher({
      scheme: 'https',
      insecureSkipVerify: true,
      timeoutMs: 2000,
      maxBytes: 4096,
    });
    const strict = new PageFetcher({
      scheme: 'https',
      insecureSkipVerify: false,
      timeoutMs: 2000,
      maxBytes: 4096,
    });
    try {
      assert.equal((await insecure.fetch('127.0.0.1', tlsPort, '/metrics')).toString(), PAGE);
      assert.equal((await insecure.fetch('127.0.0.1', tlsPort, '/metrics')).toString(), PAGE);
      const e = await failure(strict.fetch('127.0.0.1', tlsPort, '/metrics'));
      assert.equal(e.code, 'network');
      assert.match(e.message, /self[- ]signed/i);
    } finally {
      insecure.close();
      strict.close();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });
});
