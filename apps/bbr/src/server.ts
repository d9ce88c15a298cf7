// Wires a running BBR: the ext_proc server (stream driver + BbrProcessor), the grpc.health.v1 server, the metrics
// server, the base-model store and its ConfigMap source (a file in standalone mode, the Kubernetes informers in a
// cluster). Also the graceful stop used on SIGTERM.
import type { Server as HttpServer } from 'node:http';
import { type ExtProcServer, type HealthServer, startExtProcServer, startHealthServer } from '@igw/ext-proc';
import type { BackoffOptions } from '@igw/k8s-sync';
import type { Logger } from 'pino';
import { ConfigMapFileSource } from './base-models/configmap-file.js';
import { type KubernetesBaseModels, startKubernetesBaseModels } from './base-models/kubernetes-source.js';
import { BaseModelStore } from './base-models/store.js';
import type { BbrFlags } from './flags.js';
import { BbrMetrics, startMetricsServer } from './metrics.js';
import { BASE_MODEL_TO_HEADER } from './plugins/base-model-to-header.js';
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
  /** Where the base-model ConfigMaps come from ('none': no file, no Kubernetes configuration, or no plugin reads them). */
  baseModelSource: 'file' | 'kubernetes' | 'none';
  /** False only in Kubernetes mode until the ConfigMap informers have listed once (health is NOT_SERVING until then). */
  baseModelsSynced(): boolean;
  /** Health NOT_SERVING, wait for in-flight streams (up to the timeout), close everything. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use this store instead of a fresh one (the ConfigMap source, file or Kubernetes, still writes into it). */
  store?: BaseModelStore;
  /** Collect Node process metrics (default true; tests running many instances turn it off). */
  processMetrics?: boolean;
  namespace?: string | undefined;
  /** How often the ConfigMap file is checked for changes (default 1000 ms). */
  configMapPollMs?: number;
  /** Environment the Kubernetes client configuration is looked up in ($KUBECONFIG, $HOME, in-cluster); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Retry timing of the ConfigMap informers (tests); default k8s-sync's 0.5 s doubling to 30 s. */
  kubernetesBackoff?: BackoffOptions;
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
  let kube: KubernetesBaseModels | undefined;
  if (flags['base-model-configmaps-file'] !== undefined) {
    if (flags.kubeconfig) logger.warn('--kubeconfig is ignored: --base-model-configmaps-file is given');
    fileSource = new ConfigMapFileSource({
      path: flags['base-model-configmaps-file'],
      sink: store,
      logger,
      namespace: opts.namespace,
      ...(opts.configMapPollMs !== undefined ? { pollMs: opts.configMapPollMs } : {}),
    });
    fileSource.start();
  } else if (specs.some((s) => s.type === BASE_MODEL_TO_HEADER)) {
    // As in IPP, the ConfigMaps are watched for the base-model-to-header plugin; without it nothing reads them.
    kube = startKubernetesBaseModels({
      kubeconfigPath: flags.kubeconfig || undefined,
      namespace: opts.namespace,
      sink: store,
      logger,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.kubernetesBackoff ? { backoff: opts.kubernetesBackoff } : {}),
    });
  }
  // Upstream's manager opens its ports only after the informer cache synced; we serve ext_proc at once (a request
  // before the sync just gets "" as base model) but answer NOT_SERVING on health until then, as upstream's probes see.
  let synced = kube === undefined;
  const baseModelSource = fileSource ? 'file' : kube ? 'kubernetes' : 'none';

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
      // `liveness` stays SERVING while draining or syncing, so the pod is not restarted for either.
      statusOf: (service) => (service !== 'liveness' && (draining || !synced) ? 'NOT_SERVING' : 'SERVING'),
    });
    started.http = await startMetricsServer(metrics, flags['metrics-port'], flags.host);
  } catch (err) {
    fileSource?.stop();
    await kube?.source.stop();
    await started.ext?.stop(0);
    await started.health?.stop(0);
    started.http?.close();
    throw err;
  }
  const { ext, health, http } = started as Required<typeof started>;
  kube?.source.synced.then(() => {
    if (draining) return;
    synced = true;
    health.notify();
    logger.info({ baseModels: store.stats() }, 'base-model ConfigMaps synced: health SERVING');
  });
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
      baseModelSource,
      baseModels: store.stats(),
      ...(kube ? { healthServing: synced } : {}),
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
    baseModelSource,
    baseModelsSynced: () => synced,
    stop() {
      stopping ??= (async () => {
        draining = true;
        health.notify();
        logger.info(
          { inFlight: ext.inFlight() },
          'draining: health NOT_SERVING, waiting for in-flight streams',
        );
        fileSource?.stop();
        await kube?.source.stop();
        await ext.stop(flags['graceful-shutdown-timeout']);
        await health.stop(1000);
        await new Promise<void>((r) => http.close(() => r()));
        logger.info('bbr stopped');
      })();
      return stopping;
    },
  };
}
