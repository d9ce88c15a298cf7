// Test fixtures: loopback upstreams on 127.0.0.x, fake ext_proc servers built on @igw/ext-proc's real server and
// stream driver (the processor is what the test writes), resources files, and small HTTP helpers.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExtProcServer, type StreamProcessor, startExtProcServer } from '@igw/ext-proc';
import pino, { type Logger } from 'pino';
import { stringify } from 'yaml';
import { freePort } from '../net.js';

export { freePort };

export interface Upstream {
  ip: string;
  port: number;
  address: string;
  server: Server;
  /** Requests seen: headers and body. */
  seen: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, body: string, res: ServerResponse, u: Upstream) => void;

/** Echo JSON: which upstream answered, and what it received. */
export const echoHandler: UpstreamHandler = (req, body, res, u) => {
  const out = JSON.stringify({ upstream: u.address, path: req.url, headers: req.headers, body });
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': u.address });
  res.end(out);
};

export async function startUpstream(
  ip: string,
  handler: UpstreamHandler = echoHandler,
  port = 0,
): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const u = { ip, seen } as unknown as Upstream;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      handler(req, body, res, u);
    });
  });
  server.listen(port, ip);
  await once(server, 'listening');
  u.server = server;
  u.port = (server.address() as { port: number }).port;
  u.address = `${ip}:${u.port}`;
  u.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return u;
}

export async function fakeExtProc(
  processor: StreamProcessor,
  secure = false,
): Promise<ExtProcServer & { address: string }> {
  const s = await startExtProcServer({ port: 0, host: '127.0.0.1', secure, processor });
  return Object.assign(s, { address: `127.0.0.1:${s.port}` });
}

export function tempDir(prefix = 'igw-gw-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A resources file with one v1 InferencePool over pods with the given IPs, all on `port`. */
export function writePool(
  path: string,
  port: number,
  ips: readonly string[],
  failureMode?: 'FailOpen' | 'FailClose',
  extra: ReadonlyArray<Record<string, unknown>> = [],
): void {
  const pool = {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'pool', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'sim' } },
      targetPorts: [{ number: port }],
      endpointPickerRef: { name: 'epp', port: { number: 9002 }, ...(failureMode ? { failureMode } : {}) },
    },
  };
  const pods = ips.map((ip, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: 'sim' } },
    status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  writeFileSync(path, [pool, ...pods, ...extra].map((o) => stringify(o)).join('---\n'));
}

export interface HttpResult {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** Arrival times (ms since the request started) of each body chunk. */
  chunkTimes: number[];
  /** Date.now() when the request started. */
  startedAt: number;
  chunks: string[];
}

export function http(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  const u = new URL(opts.path ?? '/', url);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: string[] = [];
        const chunkTimes: number[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c.toString());
          chunkTimes.push(Date.now() - t0);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: chunks.join(''),
            chunks,
            chunkTimes,
            startedAt: t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A pino logger that keeps every line (for access-log assertions). */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        lines.push(JSON.parse(s) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Upstreams on each IP, all on one port (an InferencePool has one target port for every pod). */
export async function startUpstreams(
  ips: readonly string[],
  handler: UpstreamHandler = echoHandler,
): Promise<Upstream[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await freePort(ips[0]);
    const started: Upstream[] = [];
    try {
      for (const ip of ips) started.push(await startUpstream(ip, handler, port));
      return started;
    } catch {
      await Promise.all(started.map((u) => u.close()));
    }
  }
  throw new Error('could not find a port free on every upstream address');
}
