// GET of one model server's /metrics page over a keep-alive agent, with a whole-request timeout and a size cap.
// One socket per endpoint is enough: each endpoint has exactly one scrape in flight.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export class ScrapeError extends Error {
  constructor(
    /** 'timeout' | 'status' | 'network' | 'too-large' | 'aborted' */
    readonly code: 'timeout' | 'status' | 'network' | 'too-large' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'ScrapeError';
  }
}

export interface PageFetcherOptions {
  scheme: 'http' | 'https';
  /** https only; upstream's default is true (model servers use self-signed certificates). */
  insecureSkipVerify: boolean;
  /** Whole-request timeout (upstream: 5 s). */
  timeoutMs: number;
  /** Pages larger than this are refused. */
  maxBytes: number;
}

export class PageFetcher {
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
  fetch(
    host: string,
    port: number,
    path: string,
    handle?: { cancel: (() => void) | undefined },
  ): Promise<Buffer> {
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
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) finish(new ScrapeError('too-large', `page exceeds ${maxBytes} bytes`));
            else chunks.push(c);
          });
          res.on('end', () =>
            finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)),
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
