// Wires one EPP process: config -> scheduler -> datastore <- file source; scraper and pool gauges; Prometheus
// HTTP; gRPC health; the ext_proc server with the request path's processor. Returns a handle whose stop() is the
// graceful shutdown (see shutdown.ts). main.ts is the CLI around it; tests start it in-process.

import {
  addHealthService,
  type ExtProcServer,
  type HealthServer,
  startExtProcServer,
  startHealthServer,
} from '@igw/ext-proc';
import type { PoolSelection } from '@igw/k8s-sync';
import { Scheduler } from '@igw/scorer-wasm';
import type { Logger } from 'pino';
import { loadConfig, resolveMetricsDataSource } from '../config/load-config.js';
import { PoolDatastore } from '../datastore/datastore.js';
import type { EppOptions } from '../flags/options.js';
import { EppMetrics } from '../observability/metrics.js';
import { startPoolGauges } from '../observability/pool-gauges.js';
import { createEppProcessor } from '../request/index.js';
import { EngineRegistry } from '../scrape/engines.js';
import { PageFetcher } from '../scrape/fetch-page.js';
import { Scraper } from '../scrape/scraper.js';
import { EXT_PROC_SERVICE, healthStatus } from '../server/health.js';
import { type MetricsHttpServer, startMetricsHttp } from '../server/metrics-http.js';
import { type PoolSource, startPoolSource } from '../sources/pool-source.js';
import { type ShutdownOptions, shutdownEpp } from './shutdown.js';

/** Upstream's scrape timeout. */
const SCRAPE_TIMEOUT_MS = 5_000;
/** Largest /metrics page read (the metrics-parser default). */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;
/**
 * Endpoint slots the scheduler reserves at start. Growth doubles the capacity and re-lays out the whole table
 * (about 0.75 MB per slot at the default prefix LRU, ~75 MB at 100 endpoints), stalling the event loop while it
 * copies; starting at 64 instead of scorer-wasm's 16 takes a 100-endpoint pool through one growth instead of three.
 * The scheduler exists before the first snapshot (the datastore needs it), so this is a fixed default.
 */
export const SCHEDULER_INITIAL_CAPACITY = 64;

export interface EppHandle {
  datastore: PoolDatastore;
  /** The pool's scheduler (read-only use: memoryInfo(), stats()); the datastore owns its slots. */
  scheduler: Scheduler;
  metrics: EppMetrics;
  scraper: Scraper;
  source: PoolSource;
  extProc: ExtProcServer;
  health: HealthServer;
  metricsHttp: MetricsHttpServer;
  /** The health status a probe for `service` gets now. */
  status(service: string): ReturnType<typeof healthStatus>;
  draining(): boolean;
  /** Graceful stop: readiness NOT_SERVING, in-flight streams finish (bounded by drainTimeoutMs), then close. */
  stop(opts?: Partial<ShutdownOptions>): Promise<void>;
}

export interface StartOptions {
  /** Bind address of every listener; default 0.0.0.0 (all interfaces, as upstream's `:port`). */
  host?: string;
  env?: NodeJS.ProcessEnv;
}

export function poolSelection(o: EppOptions): PoolSelection {
  return o.endpointSelector
    ? {
        mode: 'standalone',
        namespace: o.poolNamespace,
        name: o.poolName,
        selector: o.endpointSelector,
        targetPorts: o.endpointTargetPorts,
      }
    : { mode: 'pool', namespace: o.poolNamespace, name: o.poolName, group: o.poolGroup };
}

export async function startEpp(o: EppOptions, logger: Logger, so: StartOptions = {}): Promise<EppHandle> {
  const { config, source: configSource } = loadConfig(o, so.env);
  const dataSource = resolveMetricsDataSource(o, config);
  const engines = new EngineRegistry(config.dataLayer.coreMetricsExtractor, o.metricFlags, {
    maxPageBytes: MAX_PAGE_BYTES,
    onUnknownEngine: (engine) =>
      logger.warn({ engine, fallback: engines.defaultEngine }, 'pod engine-type label names no known engine'),
  });
  logger.info(
    {
      config: configSource,
      profile: config.profile.name,
      saturationDetector: config.saturationDetector.kind,
      metricsDataSource: dataSource,
      defaultEngine: engines.defaultEngine,
    },
    'configuration loaded',
  );
  if (o.ignored.length > 0)
    logger.info({ flags: o.ignored }, 'accepted flags that have no effect here (see --help)');

  const metrics = new EppMetrics();
  const scheduler = Scheduler.create(config, {
    initialCapacity: SCHEDULER_INITIAL_CAPACITY,
    assumedLoad: o.assumedLoad,
  });
  const datastore = new PoolDatastore(scheduler);
  const selection = poolSelection(o);

  const scraper = new Scraper({
    datastore,
    fetcher: new PageFetcher({
      scheme: dataSource.scheme,
      insecureSkipVerify: dataSource.insecureSkipVerify,
      timeoutMs: SCRAPE_TIMEOUT_MS,
      maxBytes: MAX_PAGE_BYTES,
    }),
    engines,
    intervalMs: o.refreshMetricsIntervalMs,
    path: dataSource.path,
    metricsPort: o.modelServerMetricsPort,
    logger: logger.child({ component: 'scraper' }),
  });
  const gauges = startPoolGauges({
    datastore,
    metrics,
    intervalMs: o.refreshPrometheusMetricsIntervalMs,
    stalenessMs: o.metricsStalenessThresholdMs,
  });

  let draining = false;
  let source: PoolSource | undefined;
  const state = {
    poolSynced: () => source?.ready() ?? false,
    isLeader: () => source?.isLeader() ?? false,
    draining: () => draining,
  };
  const status = (service: string) => healthStatus(service, state, o.haEnableLeaderElection);

  // Listeners first, so a port conflict fails before anything runs in the background.
  const started: Array<() => Promise<void>> = [];
  try {
    const metricsHttp = await startMetricsHttp(metrics, o.metricsPort, logger, so.host);
    started.push(() => metricsHttp.close());
    const health = await startHealthServer({
      port: o.grpcHealthPort,
      statusOf: status,
      knownServices: ['liveness', 'readiness', 'inference-extension', EXT_PROC_SERVICE],
      ...(so.host ? { bind: { host: so.host } } : {}),
    });
    started.push(() => health.stop(1_000));
    const processor = createEppProcessor({
      datastore,
      metrics,
      logger: logger.child({ component: 'ext-proc' }),
      options: {
        emitEndpointScores: o.emitEndpointScores,
        disableSubsetFilter: o.disableEndpointSubsetFilter,
        destinationKey: o.destinationKey,
        destinationMetadataNamespace: o.destinationMetadataNamespace,
      },
    });
    const extProc = await startExtProcServer({
      port: o.grpcPort,
      ...(so.host ? { host: so.host } : {}),
      secure: o.secureServing,
      certPath: o.certPath,
      processor,
      stream: { streaming: o.streaming, maxRequestBodyBytes: o.maxRequestBodyBytes },
      ...(o.healthChecking
        ? {
            configure: (server) => {
              // --health-checking: the ExternalProcessor service on the ext_proc port, SERVING while not draining.
              addHealthService(server, (svc) =>
                svc === EXT_PROC_SERVICE || svc === ''
                  ? draining
                    ? 'NOT_SERVING'
                    : 'SERVING'
                  : 'SERVICE_UNKNOWN',
              );
            },
          }
        : {}),
    });
    started.push(() => extProc.stop(0));

    // The source last: its first snapshot makes the pool synced (readiness) and starts the scrape loops.
    scraper.start();
    source = startPoolSource({
      selection,
      datastore,
      logger,
      resourcesFile: o.resourcesFile,
      kubeconfig: o.kubeconfig,
      leaderElection: o.haEnableLeaderElection,
      ...(so.env ? { env: so.env } : {}),
    });
    const running = source;
    started.push(() => running.stop());
    running.onChange(() => health.notify());
    health.notify();
    logger.info(
      {
        grpcPort: extProc.port,
        grpcHealthPort: health.port,
        metricsPort: metricsHttp.port,
        secureServing: o.secureServing,
        pool: `${selection.namespace}/${selection.name}`,
        mode: selection.mode,
        source: source.kind,
        synced: datastore.poolSynced(),
        endpoints: datastore.endpoints().length,
      },
      'endpoint picker started',
    );

    const handle: EppHandle = {
      datastore,
      scheduler,
      metrics,
      scraper,
      source: running,
      extProc,
      health,
      metricsHttp,
      status,
      draining: () => draining,
      stop: (sopts = {}) =>
        shutdownEpp(
          {
            setDraining: () => {
              draining = true;
              health.notify();
            },
            extProc,
            stopBackground: async () => {
              scraper.stop();
              gauges.stop();
              await running.stop();
            },
            closeListeners: async () => {
              await health.stop(1_000);
              await metricsHttp.close();
            },
            logger,
          },
          { drainTimeoutMs: o.drainTimeoutMs, ...sopts },
        ),
    };
    return handle;
  } catch (err) {
    scraper.stop();
    gauges.stop();
    for (const close of started.reverse()) await close().catch(() => {});
    throw err;
  }
}
