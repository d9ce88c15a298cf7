// The periodic inference_pool_* gauges (--refresh-prometheus-metrics-interval, upstream 5 s) over endpoints whose
// metrics are fresher than --metrics-staleness-threshold, plus the prefix indexer size from the scheduler.
import type { PoolDatastore } from '../datastore/datastore.js';
import type { EppMetrics } from './metrics.js';

export interface PoolGaugesOptions {
  datastore: PoolDatastore;
  metrics: EppMetrics;
  intervalMs: number;
  stalenessMs: number;
  now?: () => number;
}

/** One refresh (also what the timer runs). */
export function refreshPoolGauges(o: PoolGaugesOptions): void {
  const pool = o.datastore.pool();
  if (pool) {
    const fresh = o.datastore.freshEndpoints((o.now ?? Date.now)(), o.stalenessMs).map((e) => ({
      podName: e.podName,
      kvCacheUsagePercent: e.last!.kvCacheUsagePercent,
      waitingQueueSize: e.last!.waitingQueueSize,
    }));
    o.metrics.recordPoolGauges(pool.name, fresh);
  }
  o.metrics.prefixIndexerSize.set(o.datastore.scheduler.stats().prefixIndexEntries);
}

export function startPoolGauges(o: PoolGaugesOptions): { stop(): void } {
  // Per-pod series of pods that left the pool are dropped at once, not left at their last value.
  o.datastore.onEndpointsChanged((diff) => {
    const pool = o.datastore.pool();
    if (!pool) return;
    const still = new Set(o.datastore.endpoints().map((e) => e.podName));
    for (const e of diff.removed) if (!still.has(e.podName)) o.metrics.forgetPod(pool.name, e.podName);
  });
  const timer = setInterval(() => refreshPoolGauges(o), o.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
