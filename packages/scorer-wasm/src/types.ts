// Public types of @igw/scorer-wasm (the API the EPP codes against).

/** Scheme and path the EPP's scraper uses (`metrics-data-source` plugin). */
export interface MetricsDataSourceConfig {
  scheme: 'http' | 'https';
  path: string;
  insecureSkipVerify: boolean;
}

export interface EngineMetricsConfig {
  name: string;
  queuedRequestsSpec?: string;
  runningRequestsSpec?: string;
  kvUsageSpec?: string;
  loraSpec?: string;
  cacheInfoSpec?: string;
}

/** `core-metrics-extractor` plugin: per-engine metric specs for the scraper. */
export interface CoreMetricsExtractorConfig {
  defaultEngine?: string;
  engineConfigs: EngineMetricsConfig[];
}

export type ScorerType =
  | 'queue-scorer'
  | 'kv-cache-utilization-scorer'
  | 'lora-affinity-scorer'
  | 'prefix-cache-scorer'
  | 'running-requests-size-scorer';

export type PickerType = 'max-score-picker' | 'random-picker' | 'weighted-random-picker';

export interface PrefixCacheParams {
  /** Block size in bytes (upstream `hashBlockSize`, counted in bytes). With blockSizeTokens: tokens x 4. */
  blockSizeBytes: number;
  maxPrefixBlocksToMatch: number;
  lruCapacityPerServer: number;
  /** 'v1.0': model in the first block; 'token-approximate': model-seeded chain (only with blockSizeTokens). */
  scheme: 'v1.0' | 'token-approximate';
}

export interface ScorerSpec {
  /** Plugin name (defaults to the type); reported as the key in `perScorer`. */
  name: string;
  type: ScorerType;
  weight: number;
}

export interface SaturationDetectorConfig {
  /** `v1.0` = upstream v1.0 queue/KV detector; `utilization` = the later utilization detector. */
  kind: 'v1.0' | 'utilization';
  queueDepthThreshold: number;
  kvCacheUtilThreshold: number;
  metricsStalenessThresholdMs: number;
  /** utilization detector only */
  headroom: number;
}

export interface LegacyTreeParams {
  kvCacheThreshold: number;
  queueThresholdCritical: number;
  queueingThresholdLoRA: number;
  loraAffinityThreshold: number;
}

/** The one scheduling profile (single-profile-handler), compiled from the config. */
export type SchedulingProfile =
  | {
      kind: 'plugins';
      name: string;
      /** utilization-detector referenced in the profile also acts as a filter */
      utilizationFilter: boolean;
      /** header-based-testing-filter referenced: keep only the endpoints named in `endpointSelection` */
      headerFilter?: boolean;
      scorers: ScorerSpec[];
      picker: { name: string; type: PickerType; maxNumOfEndpoints: number };
    }
  | { kind: 'legacy-v0.3'; name: string; params: LegacyTreeParams };

export interface EndpointPickerConfig {
  profile: SchedulingProfile;
  /** Present when the profile uses prefix-cache-scorer. */
  prefixCache: PrefixCacheParams | null;
  saturationDetector: SaturationDetectorConfig;
  dataLayer: {
    metricsDataSource?: MetricsDataSourceConfig;
    coreMetricsExtractor?: CoreMetricsExtractorConfig;
    /** `dataLayer.injectDefaults` as written (later upstream: false opts out of the default source/extractor). */
    injectDefaults?: boolean;
  };
  /** `featureGates` as written; none of them changes scheduling here (the EPP may log or honour them). */
  featureGates: string[];
}

export interface EndpointHandle {
  readonly slot: number;
  readonly generation: number;
  readonly address: string;
}

export interface EndpointMetricsUpdate {
  waitingQueueSize: number;
  runningRequestsSize: number;
  /** 0..1 */
  kvCacheUsagePercent: number;
  maxActiveModels: number;
  activeModels: string[];
  waitingModels: string[];
  cacheBlockSize?: number;
  cacheNumGpuBlocks?: number;
  /** wall-clock ms of the successful scrape */
  updatedAtMs: number;
}

export interface ScheduleRequest {
  /** Already rendered prompt. Raw bytes are hashed as given (no UTF-8 validation). */
  prompt: string | Uint8Array;
  targetModel: string;
  /** < 0 = sheddable */
  priority: number;
  /** Only the legacy v0.3 profile reads it. */
  criticality?: 'Critical' | 'Standard' | 'Sheddable';
  /** null/undefined = no hint; [] = nothing allowed. Entries are `ip:port`, compared on IP. */
  subsetHint?: string[] | null;
  nowMs: number;
  wantScores?: boolean;
  /**
   * Value of the `test-epp-endpoint-selection` request header (comma-separated `ip` or `ip:port`), read only by
   * header-based-testing-filter (conformance). Missing or empty selects nothing.
   */
  endpointSelection?: string | null;
}

export interface EndpointScore {
  address: string;
  score: number;
  perScorer: Record<string, number>;
}

export type ScheduleResult =
  | { status: 'ok'; endpoints: string[]; scores?: EndpointScore[]; prefix?: PrefixMatchInfo }
  | { status: 'no-candidates' }
  | { status: 'shed'; message: string }
  | { status: 'error'; message: string };

export interface SchedulerStats {
  endpoints: number;
  prefixIndexEntries: number;
  prefixLookups: number;
  prefixHitBlocks: number;
  prefixTotalBlocks: number;
}

export interface SchedulerOptions {
  /** RNG seed (u32). Default: random. */
  seed?: number;
  /** Endpoint slots reserved up front (grows by doubling). Default 16. */
  initialCapacity?: number;
  /**
   * Count every primary pick as one more queued request on its endpoint until that endpoint's next scrape lands
   * (see markScrapeStart / updateMetrics), for the queue and running-requests scorers. Without it, every request
   * between two scrapes sees the same numbers and goes to the same endpoint. Default false (upstream has no such
   * accounting); the EPP turns it on by default.
   */
  assumedLoad?: boolean;
}

/** Prefix-cache outcome of one decision (for prefix_indexer_hit_ratio / hit_bytes). */
export interface PrefixMatchInfo {
  matchedBlocks: number;
  totalBlocks: number;
  blockSizeBytes: number;
}
