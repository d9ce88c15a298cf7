// Bench baseline only: the node:http keep-alive fetcher the EPP used before EndpointConnection (same API as
// PageFetcher), kept so the scrape bench can measure old vs new in one run. Not used by the EPP.
// One socket per endpoint is enough: each endpoint has exactly one scrape in flight.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type FetchHandle, type PageFetcherOptions, ScrapeError } from '../scrape/fetch-page.js';

export class NodeHttpPageFetcher {
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;

  constructor(private readonly opts: PageFetcherOptions) {
    const agentOpts = {
      keepAlive: true,
      keepAliveMsecs: 30_000,
      maxSockets: 1,
      maxFreeSockets: 1,
      scheduling: 'lifo' as const,
    };
    if (opts.scheme === 'https') {
      this.agent = new HttpsAgent({ ...agentOpts, rejectUnauthorized: !opts.insecureSkipVerify });
      this.request = httpsRequest as unknown as typeof httpRequest;
    } else {
      this.agent = new HttpAgent(agentOpts);
      this.request = httpRequest;
    }
  }

  /**
   * Resolves with the body of a 200 response; rejects with ScrapeError otherwise. `handle.cancel` is set for the
   * duration of the request (a plain callback rather than an AbortSignal: no per-scrape allocation of one).
   */
  fetch(host: string, port: number, path: string, handle?: FetchHandle): Promise<Buffer> {
    const { timeoutMs, maxBytes } = this.opts;
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const finish = (err: ScrapeError | undefined, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (handle) handle.cancel = undefined;
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(body!);
      };
      const req = this.request(
        {
          host: host.startsWith('[') ? host.slice(1, -1) : host,
          port,
          path,
          method: 'GET',
          agent: this.agent,
          headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' },
        },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            finish(new ScrapeError('status', `unexpected status code ${res.statusCode}`));
            return;
          }
          const declared = Number(res.headers['content-length']);
          if (declared > maxBytes) {
            finish(new ScrapeError('too-large', `page of ${declared} bytes exceeds ${maxBytes}`));
            return;
          }
          // Copy into the caller's reusable buffer (grown by doubling up to maxBytes), or collect and concat.
          let buf = handle?.buffer;
          if (handle && Number.isFinite(declared) && (!buf || buf.length < declared)) {
            buf = handle.buffer = Buffer.allocUnsafe(
              Math.min(maxBytes, Math.max(declared, 2 * (buf?.length ?? 0))),
            );
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size + c.length > maxBytes) {
              finish(new ScrapeError('too-large', `page exceeds ${maxBytes} bytes`));
              return;
            }
            if (handle) {
              if (!buf || buf.length < size + c.length) {
                const grown = Buffer.allocUnsafe(
                  Math.min(maxBytes, Math.max(size + c.length, 2 * (buf?.length ?? 16384))),
                );
                if (buf) buf.copy(grown, 0, 0, size);
                buf = handle.buffer = grown;
              }
              c.copy(buf, size);
            } else chunks.push(c);
            size += c.length;
          });
          res.on('end', () =>
            finish(
              undefined,
              handle
                ? buf!.subarray(0, size)
                : chunks.length === 1
                  ? chunks[0]!
                  : Buffer.concat(chunks, size),
            ),
          );
          res.on('error', (e) => finish(new ScrapeError('network', e.message)));
          res.on('close', () => {
            if (!res.complete) finish(new ScrapeError('network', 'connection closed mid-response'));
          });
        },
      );
      const timer = setTimeout(
        () => finish(new ScrapeError('timeout', `no complete response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('error', (e) => finish(new ScrapeError('network', e.message)));
      if (handle) handle.cancel = () => finish(new ScrapeError('aborted', 'scrape aborted'));
      req.end();
    });
  }

  /** Closes idle keep-alive sockets (shutdown, tests). */
  close(): void {
    this.agent.destroy();
  }
}
