// The Prometheus endpoint (--metrics-port, GET /metrics). Plain HTTP without authentication: upstream's
// --metrics-endpoint-auth (TokenReview/SubjectAccessReview) needs the Kubernetes API and is a documented no-op.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { EppMetrics } from '../observability/metrics.js';

export interface MetricsHttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsHttp(
  metrics: EppMetrics,
  port: number,
  logger: Logger,
  host = '0.0.0.0',
): Promise<MetricsHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: Error) => {
        logger.error({ err }, 'rendering /metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics rendering failed\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
