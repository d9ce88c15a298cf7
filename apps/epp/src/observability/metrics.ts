// The EPP's Prometheus metrics: upstream names, labels, help texts and buckets (GAIE v1.x pkg/epp/metrics,
// after the v1.1 rename inference_model_* -> inference_objective_*), on one prom-client Registry served at
// :9090/metrics. Label children are cached because prom-client's labels() hashes its arguments on every call.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const alpha = (help: string): string => `[ALPHA] ${help}`;

export const DURATION_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 120,
  180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600,
];
export const REQUEST_SIZE_BUCKETS = [
  64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152,
  4194304, 8388608, 16777216, 33554432, 67108864, 134217728, 268435456, 536870912, 1073741824,
];
// 32778 (sic) is upstream's; dashboards match on it.
export const RESPONSE_SIZE_BUCKETS = [
  1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536,
];
export const INPUT_TOKEN_BUCKETS = [
  1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072, 262144, 524288,
  1048576,
];
export const OUTPUT_TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
export const NTPOT_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
export const SCHEDULER_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];
export const PREFIX_HIT_RATIO_BUCKETS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
export const PREFIX_HIT_BYTES_BUCKETS = [
  0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
];

/** Label children of one (model_name, target_model_name) pair, cached for the hot path. */
export interface ModelRecorder {
  /** inference_objective_request_total + request_sizes: after a successful Director run. */
  request(requestSizeBytes: number): void;
  /** inference_objective_request_error_total: once per stream at exit; '' records nothing (as upstream). */
  error(code: string): void;
  /** Request duration, response size, tokens and NTPOT at the end of a successful response. */
  completed(r: {
    durationSeconds: number;
    responseBytes: number;
    inputTokens: number;
    outputTokens: number;
  }): void;
}

export interface EppMetricsOptions {
  /** Register process_* / nodejs_* (default true). */
  defaultMetrics?: boolean;
  /** Values of inference_extension_info. */
  commit?: string;
  buildRef?: string;
  /** Bound on cached label children per family; past it the cache restarts (client model names are input). */
  maxCachedLabelSets?: number;
}

export class EppMetrics {
  readonly registry = new Registry();

  readonly requestTotal: Counter<'model_name' | 'target_model_name'>;
  readonly requestErrorTotal: Counter<'model_name' | 'target_model_name' | 'error_code'>;
  readonly requestDuration: Histogram<'model_name' | 'target_model_name'>;
  readonly requestSizes: Histogram<'model_name' | 'target_model_name'>;
  readonly responseSizes: Histogram<'model_name' | 'target_model_name'>;
  readonly inputTokens: Histogram<'model_name' | 'target_model_name'>;
  readonly outputTokens: Histogram<'model_name' | 'target_model_name'>;
  readonly runningRequests: Gauge<'model_name'>;
  readonly normalizedTimePerOutputToken: Histogram<'model_name' | 'target_model_name'>;

  readonly poolAverageKvCacheUtilization: Gauge<'name'>;
  readonly poolAverageQueueSize: Gauge<'name'>;
  readonly poolReadyPods: Gauge<'name'>;
  readonly poolPerPodQueueSize: Gauge<'name' | 'model_server_pod'>;

  readonly schedulerE2eDuration: Histogram<string>;
  readonly pluginDuration: Histogram<'extension_point' | 'plugin_type' | 'plugin_name'>;
  readonly prefixIndexerSize: Gauge<string>;
  readonly prefixIndexerHitRatio: Histogram<string>;
  readonly prefixIndexerHitBytes: Histogram<string>;
  readonly modelRewriteDecisions: Counter<'model_rewrite_name' | 'model_name' | 'target_model'>;
  readonly info: Gauge<'commit' | 'build_ref'>;

  private readonly models = new Map<string, ModelRecorder>();
  private readonly running = new Map<string, ReturnType<Gauge<'model_name'>['labels']>>();
  private readonly maxCached: number;

  constructor(opts: EppMetricsOptions = {}) {
    const registers = [this.registry];
    const mm = ['model_name', 'target_model_name'] as const;
    this.maxCached = opts.maxCachedLabelSets ?? 10_000;

    this.requestTotal = new Counter({
      name: 'inference_objective_request_total',
      help: alpha('Counter of inference objective requests broken out for each model and target model.'),
      labelNames: mm,
      registers,
    });
    this.requestErrorTotal = new Counter({
      name: 'inference_objective_request_error_total',
      help: alpha(
        'Counter of inference objective requests errors broken out for each model and target model.',
      ),
      labelNames: [...mm, 'error_code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'inference_objective_request_duration_seconds',
      help: alpha(
        'Inference objective response latency distribution in seconds for each model and target model.',
      ),
      labelNames: mm,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.requestSizes = new Histogram({
      name: 'inference_objective_request_sizes',
      help: alpha('Inference objective requests size distribution in bytes for each model and target model.'),
      labelNames: mm,
      buckets: REQUEST_SIZE_BUCKETS,
      registers,
    });
    this.responseSizes = new Histogram({
      name: 'inference_objective_response_sizes',
      help: alpha(
        'Inference objective responses size distribution in bytes for each model and target model.',
      ),
      labelNames: mm,
      buckets: RESPONSE_SIZE_BUCKETS,
      registers,
    });
    this.inputTokens = new Histogram({
      name: 'inference_objective_input_tokens',
      help: alpha('Inference objective input token count distribution for requests in each model.'),
      labelNames: mm,
      buckets: INPUT_TOKEN_BUCKETS,
      registers,
    });
    this.outputTokens = new Histogram({
      name: 'inference_objective_output_tokens',
      help: alpha('Inference objective output token count distribution for requests in each model.'),
      labelNames: mm,
      buckets: OUTPUT_TOKEN_BUCKETS,
      registers,
    });
    this.runningRequests = new Gauge({
      name: 'inference_objective_running_requests',
      help: alpha('Inference objective number of running requests in each model.'),
      labelNames: ['model_name'],
      registers,
    });
    this.normalizedTimePerOutputToken = new Histogram({
      name: 'inference_objective_normalized_time_per_output_token_seconds',
      help: alpha(
        'Inference objective latency divided by number of output tokens in seconds for each model and target model.',
      ),
      labelNames: mm,
      buckets: NTPOT_BUCKETS,
      registers,
    });

    this.poolAverageKvCacheUtilization = new Gauge({
      name: 'inference_pool_average_kv_cache_utilization',
      help: alpha('The average kv cache utilization for an inference server pool.'),
      labelNames: ['name'],
      registers,
    });
    this.poolAverageQueueSize = new Gauge({
      name: 'inference_pool_average_queue_size',
      help: alpha('The average number of requests pending in the model server queue.'),
      labelNames: ['name'],
      registers,
    });
    this.poolReadyPods = new Gauge({
      name: 'inference_pool_ready_pods',
      help: alpha('The number of ready pods in the inference server pool.'),
      labelNames: ['name'],
      registers,
    });
    this.poolPerPodQueueSize = new Gauge({
      name: 'inference_pool_per_pod_queue_size',
      help: alpha('The total number of requests pending in the model server queue for each underlying pod.'),
      labelNames: ['name', 'model_server_pod'],
      registers,
    });

    this.schedulerE2eDuration = new Histogram({
      name: 'inference_extension_scheduler_e2e_duration_seconds',
      help: alpha('End-to-end scheduling latency distribution in seconds.'),
      buckets: SCHEDULER_BUCKETS,
      registers,
    });
    this.pluginDuration = new Histogram({
      name: 'inference_extension_plugin_duration_seconds',
      help: alpha(
        'Plugin processing latency distribution in seconds for each extension point, plugin type and plugin name.',
      ),
      labelNames: ['extension_point', 'plugin_type', 'plugin_name'],
      buckets: SCHEDULER_BUCKETS,
      registers,
    });
    this.prefixIndexerSize = new Gauge({
      name: 'inference_extension_prefix_indexer_size',
      help: alpha('Size of the prefix indexer.'),
      registers,
    });
    this.prefixIndexerHitRatio = new Histogram({
      name: 'inference_extension_prefix_indexer_hit_ratio',
      help: alpha('Ratio of prefix length matched to total prefix length in the cache lookup.'),
      buckets: PREFIX_HIT_RATIO_BUCKETS,
      registers,
    });
    this.prefixIndexerHitBytes = new Histogram({
      name: 'inference_extension_prefix_indexer_hit_bytes',
      help: alpha('Length of the prefix match in number of bytes in the cache lookup.'),
      buckets: PREFIX_HIT_BYTES_BUCKETS,
      registers,
    });
    this.modelRewriteDecisions = new Counter({
      name: 'inference_extension_model_rewrite_decisions_total',
      help: alpha('Counter of model rewrite decisions broken out for each rewrite, model and target model.'),
      labelNames: ['model_rewrite_name', 'model_name', 'target_model'],
      registers,
    });
    this.info = new Gauge({
      name: 'inference_extension_info',
      help: alpha('General information of the current build of Inference Extension.'),
      labelNames: ['commit', 'build_ref'],
      registers,
    });
    this.info.labels(opts.commit ?? 'unknown', opts.buildRef ?? 'unknown').set(1);

    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Cached recorder for one (model_name, target_model_name) pair. */
  forModel(modelName: string, targetModelName: string): ModelRecorder {
    const key = `${modelName}\u0000${targetModelName}`;
    let rec = this.models.get(key);
    if (rec !== undefined) return rec;
    if (this.models.size >= this.maxCached) this.models.clear();
    const total = this.requestTotal.labels(modelName, targetModelName);
    const reqSize = this.requestSizes.labels(modelName, targetModelName);
    const duration = this.requestDuration.labels(modelName, targetModelName);
    const respSize = this.responseSizes.labels(modelName, targetModelName);
    const inTok = this.inputTokens.labels(modelName, targetModelName);
    const outTok = this.outputTokens.labels(modelName, targetModelName);
    const ntpot = this.normalizedTimePerOutputToken.labels(modelName, targetModelName);
    const errors = this.requestErrorTotal;
    rec = {
      request(requestSizeBytes) {
        total.inc();
        reqSize.observe(requestSizeBytes);
      },
      error(code) {
        if (code !== '') errors.labels(modelName, targetModelName, code).inc();
      },
      completed(r) {
        // Upstream skips non-positive durations and token counts.
        if (r.durationSeconds > 0) duration.observe(r.durationSeconds);
        respSize.observe(r.responseBytes);
        if (r.inputTokens > 0) inTok.observe(r.inputTokens);
        if (r.outputTokens > 0) {
          outTok.observe(r.outputTokens);
          if (r.durationSeconds > 0) ntpot.observe(r.durationSeconds / r.outputTokens);
        }
      },
    };
    this.models.set(key, rec);
    return rec;
  }

  /** inference_objective_running_requests +1 (after the body is forwarded); '' is ignored as upstream. */
  incRunning(modelName: string): void {
    if (modelName !== '') this.runningChild(modelName).inc();
  }

  /** inference_objective_running_requests -1 (at stream end). */
  decRunning(modelName: string): void {
    if (modelName !== '') this.runningChild(modelName).dec();
  }

  recordSchedulerLatency(seconds: number): void {
    this.schedulerE2eDuration.observe(seconds);
  }

  recordPrefixMatch(matchedBytes: number, totalBytes: number): void {
    this.prefixIndexerHitBytes.observe(matchedBytes);
    if (totalBytes > 0) this.prefixIndexerHitRatio.observe(matchedBytes / totalBytes);
  }

  recordModelRewrite(rewriteName: string, modelName: string, targetModel: string): void {
    this.modelRewriteDecisions.labels(rewriteName, modelName, targetModel).inc();
  }

  /** The periodic pool gauges (--refresh-prometheus-metrics-interval); nothing is written when no pod is fresh. */
  recordPoolGauges(
    poolName: string,
    fresh: ReadonlyArray<{ podName: string; kvCacheUsagePercent: number; waitingQueueSize: number }>,
  ): void {
    const n = fresh.length;
    if (n === 0) return;
    let kv = 0;
    let q = 0;
    for (const p of fresh) {
      kv += p.kvCacheUsagePercent;
      q += p.waitingQueueSize;
      this.poolPerPodQueueSize.labels(poolName, p.podName).set(p.waitingQueueSize);
    }
    this.poolAverageKvCacheUtilization.labels(poolName).set(kv / n);
    // Upstream divides integers: the average queue size is floored.
    this.poolAverageQueueSize.labels(poolName).set(Math.floor(q / n));
    this.poolReadyPods.labels(poolName).set(n);
  }

  /** Forget a pod's per-pod series once it leaves the pool. */
  forgetPod(poolName: string, podName: string): void {
    this.poolPerPodQueueSize.remove(poolName, podName);
  }

  /** Text exposition for GET /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private runningChild(modelName: string) {
    let c = this.running.get(modelName);
    if (c === undefined) {
      if (this.running.size >= this.maxCached) this.running.clear();
      c = this.runningRequests.labels(modelName);
      this.running.set(modelName, c);
    }
    return c;
  }
}
