// Sending the request to the model server like an ORIGINAL_DST cluster: to the first endpoint of the
// destination list, moving on to the next only when the connection cannot be made (connection refused,
// unreachable, connect timeout). Once a connection is up, a failure is the request's failure (no retry, as
// the request may have reached the model server). Keep-alive agent: one pool of connections per endpoint.
import { Agent, type IncomingMessage, type OutgoingHttpHeaders, request } from 'node:http';

export interface UpstreamTarget {
  host: string;
  port: number;
  address: string;
}

/** 'ip:port' or '[v6]:port' -> target; undefined when malformed. */
export function parseEndpoint(text: string): UpstreamTarget | undefined {
  const t = text.trim();
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(t) ?? /^([^\s:[\]]+):(\d{1,5})$/.exec(t);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!, port, address: t };
}

export class UpstreamConnectError extends Error {
  override name = 'UpstreamConnectError';
  constructor(readonly attempts: Array<{ address: string; error: string }>) {
    super(
      `upstream connect error: ${attempts.map((a) => `${a.address} (${a.error})`).join(', ') || 'no endpoint'}`,
    );
  }
}

/** The connection (or the request on it) failed after connecting: no fallback. */
export class UpstreamResetError extends Error {
  override name = 'UpstreamResetError';
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'ECONNRESET',
]);

export interface UpstreamResult {
  res: IncomingMessage;
  target: UpstreamTarget;
  attempts: Array<{ address: string; error: string }>;
}

export class UpstreamClient {
  readonly agent = new Agent({
    keepAlive: true,
    keepAliveMsecs: 30_000,
    maxSockets: Number.POSITIVE_INFINITY,
  });

  constructor(private readonly connectTimeoutMs: number) {}

  /**
   * Tries each target in order. `onTarget` is told which endpoint is being tried (in-flight accounting);
   * its returned function is called when that attempt fails. Aborting `signal` stops everything.
   */
  async send(
    targets: readonly UpstreamTarget[],
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    signal: AbortSignal,
  ): Promise<UpstreamResult> {
    const attempts: Array<{ address: string; error: string }> = [];
    for (const target of targets) {
      // A keep-alive connection the server closed meanwhile is retried once on the same endpoint.
      for (let tries = 0; tries < 2; tries++) {
        const r = await this.attempt(target, method, path, headers, body, signal);
        if (r.kind === 'ok') return { res: r.res, target, attempts };
        if (r.kind === 'stale' && tries === 0) continue;
        if (r.kind === 'reset') throw new UpstreamResetError(`${target.address}: ${r.error}`);
        attempts.push({ address: target.address, error: r.error });
        break;
      }
      if (signal.aborted) break;
    }
    throw new UpstreamConnectError(attempts);
  }

  private attempt(
    target: UpstreamTarget,
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    signal: AbortSignal,
  ): Promise<{ kind: 'ok'; res: IncomingMessage } | { kind: 'connect' | 'stale' | 'reset'; error: string }> {
    return new Promise((resolve) => {
      let connected = false;
      let settled = false;
      const settle = (v: Parameters<typeof resolve>[0]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      };
      const req = request({
        host: target.host,
        port: target.port,
        method,
        path,
        headers,
        agent: this.agent,
        signal,
      });
      const timer = setTimeout(() => {
        if (connected) return;
        req.destroy(
          Object.assign(new Error(`connect timeout after ${this.connectTimeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        );
      }, this.connectTimeoutMs);
      req.on('socket', (s) => {
        if (req.reusedSocket || !s.connecting) connected = true;
        else
          s.once('connect', () => {
            connected = true;
          });
      });
      req.on('response', (res) => settle({ kind: 'ok', res }));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const msg = e.code ? `${e.code}: ${e.message}` : e.message;
        if (req.reusedSocket && e.code === 'ECONNRESET') settle({ kind: 'stale', error: msg });
        else if (
          !connected &&
          (e.code === undefined || CONNECT_ERRORS.has(e.code) || e.name === 'AbortError')
        )
          settle({ kind: 'connect', error: msg });
        else settle({ kind: 'reset', error: msg });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
