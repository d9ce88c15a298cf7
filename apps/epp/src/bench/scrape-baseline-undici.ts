// Bench baseline only: the same fetch API as PageFetcher built on undici (one keep-alive `Client` per endpoint,
// pipelining 1), to measure whether the library gets the scraper under its CPU target. It uses undici's lowest-level
// public API, `dispatch` with a handler that copies each body chunk into the reused receive buffer: measured cheaper
// than `request()` + consuming the body stream, so this is undici's best case. Not used by the EPP.
import { Client, type Dispatcher } from 'undici';
import { type FetchHandle, type PageFetcherOptions, ScrapeError } from '../scrape/fetch-page.js';

export class UndiciPageFetcher {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly opts: PageFetcherOptions) {}

  fetch(host: string, port: number, path: string, handle?: FetchHandle): Promise<Buffer> {
    const { timeoutMs, maxBytes } = this.opts;
    const origin = `${this.opts.scheme}://${host}:${port}`;
    let client = this.clients.get(origin);
    if (!client) {
      client = new Client(origin, {
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        maxResponseSize: maxBytes,
        connect: { rejectUnauthorized: !this.opts.insecureSkipVerify },
      });
      this.clients.set(origin, client);
    }
    return new Promise<Buffer>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let buf = handle?.buffer;
      let size = 0;
      const finish = (err: ScrapeError | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (handle) handle.cancel = undefined;
        if (err) {
          if (controller && !controller.aborted) controller.abort(err);
          reject(err);
        } else {
          if (handle) handle.buffer = buf;
          resolve(buf ? buf.subarray(0, size) : Buffer.alloc(0));
        }
      };
      const timer = setTimeout(
        () => finish(new ScrapeError('timeout', `no complete response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (handle) handle.cancel = () => finish(new ScrapeError('aborted', 'scrape aborted'));
      const reserve = (bytes: number) => {
        if (buf && buf.length >= bytes) return;
        const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(bytes, 2 * (buf?.length ?? 0), 16384)));
        if (buf && size > 0) buf.copy(grown, 0, 0, size);
        buf = grown;
      };
      client.dispatch(
        { origin, path, method: 'GET', headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' } },
        {
          onRequestStart(c) {
            controller = c;
            if (settled) c.abort(new ScrapeError('aborted', 'scrape aborted'));
          },
          onResponseStart(_c, status, headers) {
            if (status !== 200) {
              finish(new ScrapeError('status', `unexpected status code ${status}`));
              return;
            }
            const declared = Number(headers['content-length']);
            if (declared > maxBytes) {
              finish(new ScrapeError('too-large', `page of ${declared} bytes exceeds ${maxBytes}`));
              return;
            }
            if (declared > 0) reserve(declared);
          },
          onResponseData(_c, chunk) {
            if (settled) return;
            if (size + chunk.length > maxBytes) {
              finish(new ScrapeError('too-large', `page exceeds ${maxBytes} bytes`));
              return;
            }
            reserve(size + chunk.length);
            chunk.copy(buf!, size);
            size += chunk.length;
          },
          onResponseEnd() {
            finish(undefined);
          },
          onResponseError(_c, err) {
            finish(err instanceof ScrapeError ? err : new ScrapeError('network', err.message));
          },
        },
      );
    });
  }

  close(): void {
    for (const c of this.clients.values()) void c.destroy().catch(() => undefined);
    this.clients.clear();
  }
}
