// One scrape loop per endpoint: GET the page, extract with the pod's engine extractor (WASM), write the result
// into the datastore (-> scheduler.updateMetrics). The next scrape starts `intervalMs` after the previous one started
// (or at once if it took longer), so a slow pod never gets two requests in flight. Loops follow the datastore:
// an endpoint that leaves the pool stops its loop and aborts its in-flight request.
//
// Failure semantics (upstream): a failed fetch (status, timeout, network, unparseable page) writes nothing, so the
// endpoint's update time ages and it stays schedulable with its last values; a partial extraction (one family
// missing) is written with update time = now and the errors are logged.
import type { EndpointMetrics } from '@igw/metrics-parser';
import type { Logger } from 'pino';
import type { EndpointState, PoolDatastore, SnapshotDiff } from '../datastore/datastore.js';
import type { EngineRegistry } from './engines.js';
import { type FetchHandle, type PageFetcher, ScrapeError } from './fetch-page.js';

export interface ScraperOptions {
  datastore: PoolDatastore;
  fetcher: PageFetcher;
  engines: EngineRegistry;
  intervalMs: number;
  path: string;
  /** --model-server-metrics-port; 0 = the endpoint's own target port. */
  metricsPort: number;
  logger: Logger;
  now?: () => number;
}

export interface LoopStats {
  engine: string;
  scrapes: number;
  failures: number;
  /** Consecutive failed scrapes (0 when the last one succeeded). */
  failing: number;
  lastError: string | undefined;
  lastPartialErrors: string[];
}

function foundAny(m: EndpointMetrics): boolean {
  return (
    m.waitingQueueSize !== undefined ||
    m.runningRequestsSize !== undefined ||
    m.kvCacheUsagePercent !== undefined ||
    m.activeModels !== undefined ||
    m.maxActiveModels !== undefined ||
    m.cacheBlockSize !== undefined ||
    m.cacheNumGpuBlocks !== undefined
  );
}

class ScrapeLoop {
  readonly stats: LoopStats;
  private timer: NodeJS.Timeout | undefined;
  /** Cancels the request in flight (set by the fetcher while one is). */
  private readonly inflight: FetchHandle = { cancel: undefined };
  private stopped = false;
  private readonly port: number;
  private lastPartialKey = '';

  constructor(
    readonly endpoint: EndpointState,
    private readonly s: Scraper,
    private readonly o: ScraperOptions,
  ) {
    this.stats = {
      engine: o.engines.engineFor(endpoint.engineType),
      scrapes: 0,
      failures: 0,
      failing: 0,
      lastError: undefined,
      lastPartialErrors: [],
    };
    this.port = o.metricsPort > 0 ? o.metricsPort : endpoint.port;
  }

  /** First scrape after a random fraction of the interval, so 100 pods do not fire in lock-step. */
  start(): void {
    this.timer = setTimeout(() => this.tick(), Math.floor(Math.random() * this.o.intervalMs));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.inflight.cancel?.();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.o.now ?? Date.now;
    const started = now();
    this.s.datastore.markScrapeStart(this.endpoint);
    try {
      const page = await this.o.fetcher.fetch(this.endpoint.ip, this.port, this.o.path, this.inflight);
      if (this.stopped) return;
      const m = this.o.engines.extractor(this.stats.engine).extract(page);
      this.apply(m, now());
    } catch (err) {
      if (this.stopped) return;
      this.fail(err instanceof ScrapeError ? err.message : `unexpected: ${(err as Error).message}`);
    } finally {
      if (!this.stopped) {
        const wait = Math.max(0, this.o.intervalMs - (now() - started));
        this.timer = setTimeout(() => this.tick(), wait);
      }
    }
  }

  private apply(m: EndpointMetrics, nowMs: number): void {
    const pageError = m.errors.find((e) => e.metric === 'page');
    if (pageError) {
      this.fail(`${pageError.code}: ${pageError.message}`);
      return;
    }
    if (m.errors.length > 0 && !foundAny(m)) {
      // Nothing usable on the page (not a metrics page, or every family missing): treat it like a failed
      // fetch, as upstream does for a page its Prometheus parser rejects, so the endpoint's metrics go stale.
      this.fail(`no configured metric found: ${m.errors.map((e) => `${e.metric}: ${e.message}`).join('; ')}`);
      return;
    }
    this.s.datastore.recordMetrics(this.endpoint, m, nowMs);
    this.stats.scrapes++;
    if (this.stats.failing > 0) {
      this.o.logger.info(
        { endpoint: this.endpoint.address, pod: this.endpoint.podName, afterFailures: this.stats.failing },
        'metrics scrape recovered',
      );
    }
    this.stats.failing = 0;
    this.stats.lastError = undefined;
    const partial = m.errors.map((e) => `${e.metric}: ${e.message}`);
    this.stats.lastPartialErrors = partial;
    // Log a partial scrape when its set of errors changes, not 20 times a second.
    const key = partial.join('\n');
    if (key !== this.lastPartialKey) {
      this.lastPartialKey = key;
      if (partial.length > 0) {
        this.o.logger.warn(
          {
            endpoint: this.endpoint.address,
            pod: this.endpoint.podName,
            engine: this.stats.engine,
            errors: partial,
          },
          'metrics scrape incomplete; stored the metrics that were found',
        );
      }
    }
  }

  private fail(message: string): void {
    this.stats.failures++;
    this.stats.failing++;
    this.stats.lastError = message;
    const log = { endpoint: this.endpoint.address, pod: this.endpoint.podName, error: message };
    if (this.stats.failing === 1) this.o.logger.warn(log, 'metrics scrape failed; keeping the last metrics');
    else this.o.logger.trace(log, 'metrics scrape failed');
  }
}

export class Scraper {
  private readonly loops = new Map<EndpointState, ScrapeLoop>();
  private running = false;

  constructor(private readonly opts: ScraperOptions) {
    opts.datastore.onEndpointsChanged((diff) => this.onChange(diff));
  }

  get datastore(): PoolDatastore {
    return this.opts.datastore;
  }

  start(): void {
    this.running = true;
    for (const e of this.opts.datastore.endpoints()) this.startLoop(e);
  }

  stop(): void {
    this.running = false;
    for (const l of this.loops.values()) l.stop();
    this.loops.clear();
    this.opts.fetcher.close();
  }

  /** Number of live loops (one per endpoint while running). */
  get size(): number {
    return this.loops.size;
  }

  stats(address: string): LoopStats | undefined {
    for (const [e, l] of this.loops) if (e.address === address) return l.stats;
    return undefined;
  }

  private onChange(diff: SnapshotDiff): void {
    for (const e of diff.removed) {
      this.loops.get(e)?.stop();
      this.loops.delete(e);
    }
    if (!this.running) return;
    for (const e of diff.added) this.startLoop(e);
  }

  private startLoop(e: EndpointState): void {
    if (this.loops.has(e)) return;
    const loop = new ScrapeLoop(e, this, this.opts);
    this.loops.set(e, loop);
    loop.start();
  }
}
