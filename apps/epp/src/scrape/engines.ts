// Which metrics to read from a pod: the engine presets of @igw/metrics-parser, overridden by the config's
// core-metrics-extractor engineConfigs and by metric-name flags given on the command line, chosen per pod by the
// label inference.networking.k8s.io/engine-type (default: the config's defaultEngine, else vllm).
import {
  type EngineName,
  type ExtractorConfig,
  engineConfig,
  MetricsExtractor,
  parseMetricSpec,
} from '@igw/metrics-parser';
import type { CoreMetricsExtractorConfig } from '@igw/scorer-wasm';

/** Metric-name flags the operator set explicitly (unset flags leave the engine preset alone). */
export interface MetricFlagOverrides {
  waitingQueue?: string;
  running?: string;
  kvUsage?: string;
  lora?: string;
  cacheInfo?: string;
}

export class EngineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineConfigError';
  }
}

const EMPTY: ExtractorConfig = { waitingQueue: '', running: '', kvUsage: '', lora: '', cacheInfo: '' };

function checkSpec(where: string, spec: string): void {
  try {
    parseMetricSpec(spec);
  } catch (err) {
    throw new EngineConfigError(`${where}: ${(err as Error).message}`);
  }
}

export class EngineRegistry {
  readonly defaultEngine: string;
  private readonly configs = new Map<string, ExtractorConfig>();
  private readonly extractors = new Map<string, MetricsExtractor>();
  private readonly warned = new Set<string>();
  private readonly onUnknown: ((engine: string) => void) | undefined;

  constructor(
    core: CoreMetricsExtractorConfig | undefined,
    flags: MetricFlagOverrides,
    opts: { maxPageBytes?: number; onUnknownEngine?: (engine: string) => void } = {},
  ) {
    this.defaultEngine = core?.defaultEngine ?? 'vllm';
    this.onUnknown = opts.onUnknownEngine;
    for (const name of ['vllm', 'sglang', 'trtllm-serve', 'triton-trtllm'] satisfies EngineName[]) {
      this.configs.set(name, engineConfig(name));
    }
    for (const ec of core?.engineConfigs ?? []) {
      const base = this.configs.get(ec.name) ?? { ...EMPTY };
      const next: ExtractorConfig = { ...base };
      const set = (field: keyof MetricFlagOverrides, spec: string | undefined, label: string) => {
        if (spec === undefined) return;
        checkSpec(`engineConfigs[${ec.name}].${label}`, spec);
        next[field] = spec;
        if (field === 'kvUsage') next.kvUsageFallback = '';
      };
      set('waitingQueue', ec.queuedRequestsSpec, 'queuedRequestsSpec');
      set('running', ec.runningRequestsSpec, 'runningRequestsSpec');
      set('kvUsage', ec.kvUsageSpec, 'kvUsageSpec');
      set('lora', ec.loraSpec, 'loraSpec');
      set('cacheInfo', ec.cacheInfoSpec, 'cacheInfoSpec');
      this.configs.set(ec.name, next);
    }
    if (!this.configs.has(this.defaultEngine)) {
      throw new EngineConfigError(
        `defaultEngine "${this.defaultEngine}" is neither a built-in engine (${[...this.configs.keys()].join(', ')}) nor in engineConfigs`,
      );
    }
    // Explicit flags describe the pods of the default engine (the v1.0 model: one engine per pool).
    const d = { ...this.configs.get(this.defaultEngine)! };
    const flagNames: Record<keyof MetricFlagOverrides, string> = {
      waitingQueue: '--total-queued-requests-metric',
      running: '--total-running-requests-metric',
      kvUsage: '--kv-cache-usage-percentage-metric',
      lora: '--lora-info-metric',
      cacheInfo: '--cache-info-metric',
    };
    for (const key of Object.keys(flagNames) as Array<keyof MetricFlagOverrides>) {
      const spec = flags[key];
      if (spec === undefined) continue;
      checkSpec(flagNames[key], spec);
      if (key === 'kvUsage' && spec !== d.kvUsage) d.kvUsageFallback = '';
      d[key] = spec;
    }
    this.configs.set(this.defaultEngine, d);
    if (opts.maxPageBytes !== undefined)
      for (const c of this.configs.values()) c.maxPageBytes = opts.maxPageBytes;
  }

  /** The engine a pod uses: its engine-type label when known, else the default engine. */
  engineFor(engineType: string | undefined): string {
    if (engineType === undefined || engineType === '') return this.defaultEngine;
    if (this.configs.has(engineType)) return engineType;
    if (!this.warned.has(engineType)) {
      this.warned.add(engineType);
      this.onUnknown?.(engineType);
    }
    return this.defaultEngine;
  }

  config(engine: string): ExtractorConfig {
    return this.configs.get(engine) ?? this.configs.get(this.defaultEngine)!;
  }

  /** One extractor per engine, built on first use (WASM instantiation is synchronous and cheap, but not free). */
  extractor(engine: string): MetricsExtractor {
    const name = this.configs.has(engine) ? engine : this.defaultEngine;
    let x = this.extractors.get(name);
    if (!x) {
      x = new MetricsExtractor(this.configs.get(name)!);
      this.extractors.set(name, x);
    }
    return x;
  }

  engines(): string[] {
    return [...this.configs.keys()];
  }
}
