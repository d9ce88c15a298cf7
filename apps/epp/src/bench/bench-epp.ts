// The EPP processor as the benchmark runs it: the real PoolDatastore and WASM Scheduler (default plugin set) with
// 8 endpoints whose metrics are refreshed every 100 ms, real metrics, logs at info to /dev/null.
import type { StreamProcessor } from '@igw/ext-proc';
import type { PoolSnapshot } from '@igw/k8s-sync';
import { defaultEndpointPickerConfig, Scheduler } from '@igw/scorer-wasm';
import pino from 'pino';
import { PoolDatastore } from '../datastore/datastore.js';
import { EppMetrics } from '../observability/metrics.js';
import { createEppProcessor } from '../request/index.js';

const ENDPOINTS = 8;

function snapshot(): PoolSnapshot {
  const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => ({
    address: `10.0.0.${i + 1}:8000`,
    ip: `10.0.0.${i + 1}`,
    port: 8000,
    podName: `pod-${i + 1}`,
    namespace: 'default',
    labels: { app: 'vllm' },
  }));
  return {
    pool: {
      name: 'pool',
      namespace: 'default',
      group: 'inference.networking.k8s.io',
      selector: { app: 'vllm' },
      targetPorts: [8000],
      appProtocol: 'http',
      failureMode: 'FailClose',
    },
    endpoints,
    models: new Map(),
    objectives: new Map(),
    rewrites: [],
    issues: [],
  };
}

export function createBenchProcessor(): StreamProcessor {
  const scheduler = Scheduler.create(defaultEndpointPickerConfig(), { seed: 1 });
  const datastore = new PoolDatastore(scheduler);
  datastore.apply(snapshot());
  const refresh = () => {
    const now = Date.now();
    datastore.endpoints().forEach((e, i) => {
      datastore.recordMetrics(
        e,
        {
          waitingQueueSize: i % 4,
          runningRequestsSize: 2,
          kvCacheUsagePercent: 0.1 * (i % 5),
          maxActiveModels: 4,
        },
        now,
      );
    });
  };
  refresh();
  setInterval(refresh, 100).unref();
  const metrics = new EppMetrics({ defaultMetrics: false });
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const processor = createEppProcessor({ datastore, metrics, logger, options: { seed: 1 } });
  return processor;
}
