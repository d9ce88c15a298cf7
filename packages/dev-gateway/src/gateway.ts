// The dev gateway: a node:http server that does per request what Envoy's ext_proc filter (BBR, then EPP) and an
// ORIGINAL_DST cluster do in production. See README.md for the flow; request-flow.ts holds the per-request logic.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { FailureMode, GatewayConfig } from './config.js';
import { ExtProcClient } from './ext-proc-client.js';
import { EndpointPicker, seededRandom } from './lb-policy.js';
import { PoolSource } from './pool-source.js';
import { RequestFlow } from './request-flow.js';
import { UpstreamClient } from './upstream.js';

export interface GatewayStats {
  requests: number;
  inFlight: number;
  /** Requests by outcome (ok, immediate, fail-open, local reply codes...). */
  outcomes: Record<string, number>;
}

export interface Gateway {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly config: GatewayConfig;
  stats(): GatewayStats;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

export async function startGateway(config: GatewayConfig, opts: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = opts.logger ?? pino({ level: 'info', base: { component: 'igw-gateway' } });
  const pool =
    config.resourcesFile && config.poolName
      ? PoolSource.open(config.resourcesFile, config.poolName, config.poolNamespace, logger)
      : undefined;
  pool?.watch();
  const failureMode = (): FailureMode => config.failureMode ?? pool?.failureMode() ?? 'FailClose';
  const clientOf = (address: string, secure: boolean) => new ExtProcClient({ address, secure });
  const epp = config.epp ? clientOf(config.epp, config.eppSecure) : undefined;
  const bbr = config.bbr ? clientOf(config.bbr, config.bbrSecure) : undefined;
  const own = new EndpointPicker(
    config.lbPolicy === 'epp' ? 'least-request' : config.lbPolicy,
    config.seed === undefined ? Math.random : seededRandom(config.seed),
  );
  const upstream = new UpstreamClient(config.connectTimeoutMs);
  const stats: GatewayStats = { requests: 0, inFlight: 0, outcomes: {} };
  let closing = false;

  const flowDeps = { config, logger, pool, epp, bbr, picker: own, upstream, failureMode };
  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    stats.requests++;
    stats.inFlight++;
    const flow = new RequestFlow(flowDeps, req, res, closing);
    flow.run().then(
      (outcome) => {
        stats.inFlight--;
        stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1;
      },
      (e: unknown) => {
        // RequestFlow handles its own errors; this is a bug guard so one request never takes the process down.
        stats.inFlight--;
        logger.error({ err: String(e) }, 'request flow crashed');
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal gateway error');
        } else res.destroy();
      },
    );
  });
  const { host, port } = splitHostPort(config.listen);
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([e]) => {
      pool?.close();
      throw e;
    }),
  ]);
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  logger.info(
    {
      url,
      epp: config.epp,
      bbr: config.bbr,
      lbPolicy: config.lbPolicy,
      failureMode: failureMode(),
      messageTimeoutMs: config.messageTimeoutMs,
      bodyMode: config.bodyMode,
      responseBodyMode: config.responseHeaders ? config.responseBodyMode : 'SKIP',
    },
    'gateway listening',
  );

  let closed: Promise<void> | undefined;
  return {
    url,
    port: bound,
    host,
    config,
    stats: () => ({ ...stats, outcomes: { ...stats.outcomes } }),
    close: (graceMs = 5_000) => {
      closed ??= (async () => {
        closing = true;
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await done;
        clearTimeout(timer);
        upstream.close();
        epp?.close();
        bbr?.close();
        pool?.close();
        logger.info({ served: stats.requests }, 'gateway stopped');
      })();
      return closed;
    },
  };
}
