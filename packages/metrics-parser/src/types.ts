// Public types of @igw/metrics-parser (the contract the EPP codes against).

export type EngineName = 'vllm' | 'sglang' | 'trtllm-serve' | 'triton-trtllm';

/** A parsed metric spec: `name` or `name{l1=v1,...}`. A sample matches when its labels contain all of `labels`. */
export interface MetricSpec {
  name: string;
  labels: Record<string, string>;
}

/** Which metric a spec string feeds. Every string is a metric spec; '' disables that metric. */
export interface ExtractorConfig {
  /** e.g. 'vllm:num_requests_waiting' ('' disables). */
  waitingQueue: string;
  /** e.g. 'vllm:num_requests_running'. */
  running: string;
  /** e.g. 'vllm:kv_cache_usage_perc'. */
  kvUsage: string;
  /** e.g. 'vllm:lora_requests_info' (the series with the largest value wins). */
  lora: string;
  /** A label-carrying info gauge, e.g. 'vllm:cache_config_info' (block size / block count read from its labels). */
  cacheInfo: string;
  /** Page cap in bytes; larger pages are refused. Default 16 MiB. */
  maxPageBytes?: number;
  /**
   * Used when the page has no `kvUsage` family at all. Defaults to 'vllm:gpu_cache_usage_perc' when kvUsage is
   * 'vllm:kv_cache_usage_perc' (older vLLM releases export only the old name); '' disables the fallback.
   */
  kvUsageFallback?: string;
  /** Label names read from the `cacheInfo` series. Default { blockSize: 'block_size', numBlocks: 'num_gpu_blocks' }. */
  cacheInfoLabels?: { blockSize: string; numBlocks: string };
  /** Engines without an info gauge expose the block size as a plain sample (trtllm-serve, Triton). '' disables. */
  cacheBlockSizeSpec?: string;
  /** Same for the number of KV blocks. '' disables. */
  cacheNumBlocksSpec?: string;
}

export type MetricField = 'waitingQueue' | 'running' | 'kvUsage' | 'lora' | 'cacheInfo' | 'page';

export interface MetricError {
  metric: MetricField;
  /** One of the codes in `ErrorCodes` (errors.ts). */
  code: string;
  message: string;
}

/** A field is undefined when disabled or when its spec errored. */
export interface EndpointMetrics {
  waitingQueueSize?: number;
  runningRequestsSize?: number;
  /** 0..1 as the model server reports it. */
  kvCacheUsagePercent?: number;
  maxActiveModels?: number;
  activeModels?: string[];
  waitingModels?: string[];
  cacheBlockSize?: number;
  cacheNumGpuBlocks?: number;
  /** Empty when everything asked for was found. */
  errors: MetricError[];
}
