import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Http1ResponseReader } from './http1-response.js';
import { ScrapeError } from './scrape-error.js';

const PAGE = 'vllm:num_requests_waiting 3\nvllm:num_requests_running 1\n';

/** Feeds `wire` split at `cut` (and again every `step` bytes); returns the reader once complete or out of input. */
function read(wire: string | Buffer, opts: { maxBytes?: number; cuts?: number[]; eof?: boolean } = {}) {
  const r = new Http1ResponseReader(opts.maxBytes ?? 4096, 256);
  r.reset(undefined);
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  const cuts = [...(opts.cuts ?? []), bytes.length].sort((a, b) => a - b);
  let from = 0;
  let done = false;
  for (const c of cuts) {
    if (c <= from) continue;
    done = r.feed(bytes.subarray(from, c));
    from = c;
    if (done) break;
  }
  if (!done && opts.eof) done = r.end();
  return { r, done, body: r.body ? r.body.toString('latin1', 0, r.size) : '' };
}

function rejects(fn: () => unknown, code: ScrapeError['code'], message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ScrapeError, `expected a ScrapeError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

const chunked = (body: string, sizes: number[]) => {
  let out = '';
  let at = 0;
  for (const n of sizes) {
    out += `${n.toString(16)}\r\n${body.slice(at, at + n)}\r\n`;
    at += n;
  }
  return `${out}0\r\n\r\n`;
};

describe('Http1ResponseReader', () => {
  const withLength = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${PAGE.length}\r\n\r\n${PAGE}`;
  const withChunks = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(PAGE, [5, 20, PAGE.length - 25])}`;

  test('Content-Length and chunked bodies, split at every byte, read the same page and keep the connection', () => {
    for (const wire of [withLength, withChunks]) {
      for (let cut = 1; cut < wire.length; cut++) {
        const { r, done, body } = read(wire, { cuts: [cut, cut + 1, cut + 7] });
        assert.ok(done, `complete when split at ${cut}`);
        assert.equal(body, PAGE, `split at ${cut}`);
        assert.equal(r.status, 200);
        assert.equal(r.keepAlive, true);
      }
    }
  });

  test('chunk extensions, trailers, LF-only line endings and interim 1xx responses are accepted', () => {
    const ext = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${PAGE.length.toString(16)};name=v\r\n${PAGE}\r\n0\r\nX-Trailer: 1\r\n\r\n`;
    assert.equal(read(ext).body, PAGE);
    const lf = `HTTP/1.1 200 OK\nContent-Length: ${PAGE.length}\n\n${PAGE}`;
    assert.equal(read(lf).body, PAGE);
    const interim = `HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${withLength}`;
    for (let cut = 1; cut < interim.length; cut += 3) assert.equal(read(interim, { cuts: [cut] }).body, PAGE);
  });

  test('a body without Content-Length or chunking runs to the close (HTTP/1.0 style) and ends the connection', () => {
    const { r, done, body } = read(`HTTP/1.0 200 OK\r\n\r\n${PAGE}`, { eof: true });
    assert.ok(done);
    assert.equal(body, PAGE);
    assert.equal(r.keepAlive, false);
    // HTTP/1.0 with a length is not kept alive either, unless it asks to be.
    assert.equal(read(`HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok`).r.keepAlive, false);
    assert.equal(
      read(`HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok`).r.keepAlive,
      true,
    );
    assert.equal(
      read(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok`).r.keepAlive,
      false,
    );
  });

  test('bytes after the response, or both framings, make the connection unusable', () => {
    const extra = read(`${withLength}HTTP/1.1 200 OK\r\n`);
    assert.ok(extra.done);
    assert.equal(extra.body, PAGE);
    assert.equal(extra.r.keepAlive, false);
    const both = read(
      `HTTP/1.1 200 OK\r\nContent-Length: 999\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(PAGE, [PAGE.length])}`,
    );
    assert.equal(both.body, PAGE);
    assert.equal(both.r.keepAlive, false);
  });

  test('malformed heads are protocol errors that quote the offending line', () => {
    rejects(() => read('SSH-2.0-OpenSSH_9.6\r\n\r\n'), 'protocol', /malformed status line "SSH-2.0/);
    rejects(() => read('HTTP/2 200\r\n\r\n'), 'protocol', /malformed status line/);
    rejects(() => read('HTTP/1.1 2000 OK\r\n\r\n'), 'protocol', /malformed status line/);
    rejects(
      () => read('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'),
      'protocol',
      /malformed header line "no colon/,
    );
    rejects(() => read('HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n'), 'protocol', /malformed header line/);
    rejects(() => read('HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n'), 'protocol', /malformed header line/);
    rejects(
      () => read('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'),
      'protocol',
      /invalid Content-Length/,
    );
    rejects(
      () => read('HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n'),
      'protocol',
      /invalid Content-Length/,
    );
    rejects(
      () => read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'),
      'protocol',
      /conflicting Content-Length/,
    );
    // Identical repeated values are fine.
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok').body, 'ok');
    rejects(
      () => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'),
      'protocol',
      /Transfer-Encoding "gzip"/,
    );
    rejects(
      () => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'),
      'protocol',
      /unsupported Transfer-Encoding/,
    );
    rejects(
      () => read('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok'),
      'protocol',
      /Content-Encoding "gzip" \(none was requested\)/,
    );
    rejects(() => read('HTTP/1.1 101 Switching Protocols\r\n\r\n'), 'protocol', /101/);
    rejects(
      () => read(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(300)}\r\n\r\n`),
      'protocol',
      /head exceeds 256 bytes/,
    );
  });

  test('a status other than 200 is a status error as soon as the head is read', () => {
    rejects(
      () => read('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'),
      'status',
      /unexpected status code 404/,
    );
    rejects(() => read('HTTP/1.1 503 Service Unavailable\r\n\r\n'), 'status', /503/);
  });

  test('bad chunk framing is a protocol error', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    rejects(() => read(`${head}zz\r\nab\r\n0\r\n\r\n`), 'protocol', /malformed chunk size line "zz"/);
    rejects(() => read(`${head}-1\r\n`), 'protocol', /malformed chunk size line/);
    rejects(() => read(`${head}\r\n`), 'protocol', /malformed chunk size line ""/);
    rejects(() => read(`${head}123456789\r\n`), 'protocol', /malformed chunk size line/);
    rejects(
      () => read(`${head}2\r\nabc\r\n0\r\n\r\n`),
      'protocol',
      /chunk data longer than its declared size/,
    );
    rejects(() => read(`${head}${'1'.repeat(5000)}`), 'protocol', /chunk framing line exceeds/);
  });

  test('pages over the cap are refused whatever the framing', () => {
    const big = 'x'.repeat(100);
    const opts = { maxBytes: 64 };
    rejects(
      () => read(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${big}`, opts),
      'too-large',
      /page of 100 bytes exceeds 64/,
    );
    rejects(
      () => read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(big, [40, 40, 20])}`, opts),
      'too-large',
      /page exceeds 64 bytes/,
    );
    rejects(() => read(`HTTP/1.0 200 OK\r\n\r\n${big}`, { ...opts, eof: true }), 'too-large', /exceeds 64/);
    // Exactly at the cap is fine.
    assert.equal(
      read(`HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n${big.slice(0, 64)}`, opts).body.length,
      64,
    );
  });

  test('a close before the response is complete says what was missing', () => {
    rejects(() => read('', { eof: true }), 'network', /closed before a response/);
    rejects(
      () => read('HTTP/1.1 200 OK\r\nContent-', { eof: true }),
      'network',
      /closed in the response head/,
    );
    rejects(
      () => read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { eof: true }),
      'network',
      /closed mid-response \(3 body bytes received, 7 missing\)/,
    );
    rejects(
      () => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', { eof: true }),
      'network',
      /closed mid-response/,
    );
  });

  test('the receive buffer is reused when large enough and grown (keeping its contents) when not', () => {
    const r = new Http1ResponseReader(1 << 20);
    const buf = Buffer.alloc(16 * 1024);
    r.reset(buf);
    assert.ok(r.feed(Buffer.from(withLength)));
    assert.equal(r.body, buf);
    const big = 'y'.repeat(40_000);
    r.reset(buf);
    const wire = Buffer.from(
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(big, [10_000, 30_000])}`,
    );
    assert.ok(r.feed(wire));
    assert.notEqual(r.body, buf);
    assert.equal(r.body!.toString('latin1', 0, r.size), big);
  });
});
