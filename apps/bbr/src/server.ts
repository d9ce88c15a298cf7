// Wires a running BBR: the ext_proc server (stream driver + BbrProcessor), the grpc.health.v1 server, the metrics
// server, the base-model store and its standalone ConfigMap file source. Also the graceful stop used on SIGTERM.
import type { Server as HttpServer } from 'node:http';
import { type ExtProcServer, type HealthServer, startExtProcServer, startHealthServer } from '@igw/ext-proc';
import type { Logger } from 'pino';
import { ConfigMapFileSource } from './base-models/configmap-file.js';
import { BaseModelStore } from './base-models/store.js';
import type { BbrFlags } from './flags.js';
import { BbrMetrics, startMetricsServer } from './metrics.js';
import { createPlugins, DEFAULT_PLUGIN_SPECS, parsePluginSpec } from './plugins/registry.js';
import type { RequestPlugin } from './plugins/types.js';
import { BbrProcessor } from './processor.js';
import { BUILD_INFO } from './version.js';

export interface RunningBbr {
  grpcPort: number;
  healthPort: number;
  metricsPort: number;
  store: BaseModelStore;
  metrics: BbrMetrics;
  plugins: readonly RequestPlugin[];
  /** Health NOT_SERVING, wait for in-flight streams (up to the timeout), close everything. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Feed ConfigMaps from elsewhere (e.g. the Kubernetes informers) into this store instead of a fresh one. */
  store?: BaseModelStore;
  /** Collect Node process metrics (default true; tests running many instances turn it off). */
  processMetrics?: boolean;
  namespace?: string | undefined;
  /** How often the ConfigMap file is checked for changes (default 1000 ms). */
  configMapPollMs?: number;
}

export async function startBbr(
  flags: BbrFlags,
  logger: Logger,
  opts: StartOptions = {},
): Promise<RunningBbr> {
  const store = opts.store ?? new BaseModelStore();
  const metrics = new BbrMetrics(BUILD_INFO, { processMetrics: opts.processMetrics !== false });
  const specs = flags.plugin.length > 0 ? flags.plugin.map(parsePluginSpec) : DEFAULT_PLUGIN_SPECS;
  const plugins = createPlugins(specs, { baseModels: store, metrics, logger });

  let fileSource: ConfigMapFileSource | undefined;
  if (flags['base-model-configmaps-file'] !== undefined) {
    fileSource = new ConfigMapFileSource({
      path: flags['base-model-configmaps-file'],
      sink: store,
      logger,
      namespace: opts.namespace,
      ...(opts.configMapPollMs !== undefined ? { pollMs: opts.configMapPollMs } : {}),
    });
    fileSource.start();
  }

  const debug = logger.isLevelEnabled('debug');
  const processor = new BbrProcessor({ plugins, metrics, logger, debug });
  let draining = false;
  const started: { ext?: ExtProcServer; health?: HealthServer; http?: HttpServer } = {};
  try {
    started.ext = await startExtProcServer({
      port: flags['grpc-port'],
      host: flags.host,
      secure: flags['secure-serving'],
      certPath: flags['cert-path'] || undefined,
      processor,
      stream: {
        streaming: flags.streaming,
        maxRequestBodyBytes: flags['max-request-body-bytes'],
        contentLength: 'always',
        errorPrefix: 'inference error',
        logger,
      },
    });
    started.health = await startHealthServer({
      port: flags['grpc-health-port'],
      bind: { host: flags.host },
      // `liveness` stays SERVING while draining so the pod is not restarted mid-drain (as the upstream servers).
      statusOf: (service) => (service !== 'liveness' && draining ? 'NOT_SERVING' : 'SERVING'),
    });
    started.http = await startMetricsServer(metrics, flags['metrics-port'], flags.host);
  } catch (err) {
    fileSource?.stop();
    await started.ext?.stop(0);
    await started.health?.stop(0);
    started.http?.close();
    throw err;
  }
  const { ext, health, http } = started as Required<typeof started>;
  const addr = http.address();
  const metricsPort = typeof addr === 'object' && addr ? addr.port : flags['metrics-port'];
  logger.info(
    {
      grpcPort: ext.port,
      healthPort: health.port,
      metricsPort,
      secureServing: flags['secure-serving'],
      streaming: flags.streaming,
      plugins: plugins.map((p) => `${p.type}:${p.name}`),
      baseModels: store.stats(),
    },
    'bbr serving',
  );

  let stopping: Promise<void> | undefined;
  return {
    grpcPort: ext.port,
    healthPort: health.port,
    metricsPort,
    store,
    metrics,
    plugins,
    stop() {
      stopping ??= (async () => {
        draining = true;
        health.notify();
        logger.info(
          { inFlight: ext.inFlight() },
          'draining: health NOT_SERVING, waiting for in-flight streams',
        );
        fileSource?.stop();
        await ext.stop(flags['graceful-shutdown-timeout']);
        await health.stop(1000);
        await new Promise<void>((r) => http.close(() => r()));
        logger.info('bbr stopped');
      })();
      return stopping;
    },
  };
}
