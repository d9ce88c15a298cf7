// GET of one model server's /metrics page with a whole-request timeout and a size cap, over one keep-alive
// connection per endpoint (EndpointConnection, a small HTTP/1.1 client on node:net / node:tls; see the README for
// why not node:http or undici). Each endpoint has exactly one scrape in flight, so one connection is enough.
import { type ConnectionOptions, EndpointConnection, type FetchHandle } from './endpoint-connection.js';
import { ScrapeError, type ScrapeErrorCode } from './scrape-error.js';

export { type FetchHandle, ScrapeError, type ScrapeErrorCode };

export interface PageFetcherOptions {
  scheme: 'http' | 'https';
  /** https only; upstream's default is true (model servers use self-signed certificates). */
  insecureSkipVerify: boolean;
  /** Whole-request timeout, connect included (upstream: 5 s). */
  timeoutMs: number;
  /** Pages larger than this are refused ('too-large'). */
  maxBytes: number;
  /** Connections idle this long are closed (endpoints that left the pool, a scraper that stopped). */
  idleCloseMs?: number;
}

export class PageFetcher {
  private readonly connections = new Map<string, EndpointConnection>();
  private readonly conn: ConnectionOptions;
  private readonly idleCloseMs: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(opts: PageFetcherOptions) {
    this.conn = {
      scheme: opts.scheme,
      insecureSkipVerify: opts.insecureSkipVerify,
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
    };
    this.idleCloseMs = opts.idleCloseMs ?? 60_000;
  }

  /**
   * Resolves with the body of a 200 response; rejects with ScrapeError otherwise. `handle.cancel` is set for the
   * duration of the request (a plain callback rather than an AbortSignal: no per-scrape allocation of one). With a
   * handle, the resolved Buffer is a view of `handle.buffer` (grown as needed), valid until the next fetch with it.
   */
  fetch(host: string, port: number, path: string, handle?: FetchHandle): Promise<Buffer> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    const key = `${bare}|${port}`;
    let c = this.connections.get(key);
    if (!c) {
      c = new EndpointConnection(bare, port, this.conn);
      this.connections.set(key, c);
      this.sweeper ??= setInterval(() => this.sweep(), this.idleCloseMs).unref();
    } else if (c.busy) {
      // A second concurrent fetch of one endpoint (the scraper never does this): a one-off connection.
      const once = new EndpointConnection(bare, port, this.conn);
      const done = () => once.destroy();
      const p = once.fetch(path, handle);
      p.then(done, done);
      return p;
    }
    return c.fetch(path, handle);
  }

  /** Closes every connection; requests in flight fail with 'aborted' (shutdown, tests). */
  close(): void {
    for (const c of this.connections.values()) c.destroy();
    this.connections.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleCloseMs;
    for (const [key, c] of this.connections) {
      if (c.idle && c.lastUsed < cutoff) {
        c.destroy();
        this.connections.delete(key);
      }
    }
    if (this.connections.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
