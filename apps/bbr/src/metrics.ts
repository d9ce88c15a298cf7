// Prometheus metrics with the upstream names (GAIE v1.5 / IPP `pkg/metrics`), on their own registry so several
// BBR instances can live in one process (tests), served on --metrics-port at /metrics.
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

export class BbrMetrics {
  readonly registry = new Registry();
  readonly success = new Counter({
    name: 'bbr_success_total',
    help: 'Count of requests whose body was processed by the request plugins and whose headers were mutated.',
    registers: [this.registry],
  });
  readonly fieldNotFound = new Counter({
    name: 'bbr_body_field_not_found_total',
    help: 'Count of requests whose JSON body lacked the configured top-level field.',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });
  readonly fieldEmpty = new Counter({
    name: 'bbr_body_field_empty_total',
    help: 'Count of requests whose configured top-level body field was empty.',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });
  readonly pluginDuration = new FastHistogram(
    'bbr_plugin_duration_seconds',
    'Time spent in each BBR plugin per request.',
    ['extension_point', 'plugin_type', 'plugin_name'] as const,
    [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    this.registry,
  );
  readonly info = new Gauge({
    name: 'bbr_info',
    help: 'General information about the running BBR build.',
    labelNames: ['commit', 'build_ref'] as const,
    registers: [this.registry],
  });

  constructor(build: { commit: string; buildRef: string }, opts: { processMetrics?: boolean } = {}) {
    this.info.labels(build.commit, build.buildRef).set(1);
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}

/** GET /metrics (Prometheus text format); everything else 404. */
export function startMetricsServer(metrics: BbrMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
