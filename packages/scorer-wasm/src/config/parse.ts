// EndpointPickerConfig YAML -> EndpointPickerConfig: strict decoding, upstream defaults, and validation whose
// messages name the bad field. Every problem found is reported at once in one ConfigError.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type {
  CoreMetricsExtractorConfig,
  EndpointPickerConfig,
  LegacyTreeParams,
  MetricsDataSourceConfig,
  PickerType,
  PrefixCacheParams,
  SaturationDetectorConfig,
  ScorerSpec,
  ScorerType,
} from '../types.js';
import { parseDurationMs } from './duration.js';
import { type ConfigFile, fileSchema, PLUGIN_TYPES, type PluginType, paramSchemas, ROLE } from './schema.js';

export const SUPPORTED_PLUGIN_TYPES: readonly string[] = PLUGIN_TYPES;

export interface ParseOptions {
  /** Environment for the SD_* and v0.3 threshold knobs. Default: process.env. */
  env?: Record<string, string | undefined>;
}

type Env = Record<string, string | undefined>;

interface Plugin {
  name: string;
  type: PluginType;
  params: Record<string, unknown>;
  path: string;
}

function formatPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

function zodIssues(prefix: string, err: z.ZodError): string[] {
  return err.issues.map((i) => `${formatPath(prefix, i.path)}: ${i.message}`);
}

function envNumber(env: Env, name: string, issues: string[]): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    issues.push(`env ${name}: '${v}' is not a number`);
    return undefined;
  }
  return n;
}

function envDuration(env: Env, name: string, issues: string[]): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const ms = parseDurationMs(v);
  if (ms === null) issues.push(`env ${name}: '${v}' is not a duration (e.g. 200ms)`);
  return ms ?? undefined;
}

function detectorConfig(p: Plugin | null, env: Env, issues: string[]): SaturationDetectorConfig {
  const q =
    (p?.params.queueDepthThreshold as number | undefined) ??
    envNumber(env, 'SD_QUEUE_DEPTH_THRESHOLD', issues);
  const kv =
    (p?.params.kvCacheUtilThreshold as number | undefined) ??
    envNumber(env, 'SD_KV_CACHE_UTIL_THRESHOLD', issues);
  let stale: number | undefined;
  const rawStale = p?.params.metricsStalenessThreshold as string | number | undefined;
  if (rawStale !== undefined) {
    const ms = parseDurationMs(rawStale);
    if (ms === null)
      issues.push(`${p!.path}.parameters.metricsStalenessThreshold: '${rawStale}' is not a duration`);
    stale = ms ?? undefined;
  } else {
    stale = envDuration(env, 'SD_METRICS_STALENESS_THRESHOLD', issues);
  }
  // upstream: <= 0 (and KV >= 1) fall back to the defaults
  return {
    kind: p?.type === 'utilization-detector' ? 'utilization' : 'v1.0',
    queueDepthThreshold: q !== undefined && q > 0 ? q : 5,
    kvCacheUtilThreshold: kv !== undefined && kv > 0 && kv < 1 ? kv : 0.8,
    metricsStalenessThresholdMs: stale !== undefined && stale > 0 ? stale : 200,
    headroom: (p?.params.headroom as number | undefined) ?? 0,
  };
}

function legacyParams(p: Plugin, env: Env, issues: string[]): LegacyTreeParams {
  const get = (param: string, envName: string, dflt: number) =>
    (p.params[param] as number | undefined) ?? envNumber(env, envName, issues) ?? dflt;
  return {
    kvCacheThreshold: get('kvCacheThreshold', 'KV_CACHE_THRESHOLD', 0.8),
    queueThresholdCritical: get('queueThresholdCritical', 'QUEUE_THRESHOLD_CRITICAL', 5),
    queueingThresholdLoRA: get('queueingThresholdLoRA', 'QUEUING_THRESHOLD_LORA', 128),
    loraAffinityThreshold: get('loraAffinityThreshold', 'LORA_AFFINITY_THRESHOLD', 0.999),
  };
}

const MAX_PREFIX_BYTES = 64 * 1024 * 1024;

function prefixParams(p: Plugin, issues: string[]): PrefixCacheParams {
  const v = p.params as {
    hashBlockSize?: number;
    blockSize?: number;
    maxPrefixBlocksToMatch?: number;
    lruCapacityPerServer?: number;
    blockSizeTokens?: number;
    maxPrefixTokensToMatch?: number;
  };
  const lru =
    v.lruCapacityPerServer !== undefined && v.lruCapacityPerServer > 0 ? v.lruCapacityPerServer : 31250;
  let out: PrefixCacheParams;
  if (v.blockSizeTokens !== undefined) {
    const maxBlocks =
      v.maxPrefixTokensToMatch !== undefined
        ? Math.max(1, Math.floor(v.maxPrefixTokensToMatch / v.blockSizeTokens))
        : (v.maxPrefixBlocksToMatch ?? 256);
    out = {
      blockSizeBytes: v.blockSizeTokens * 4,
      maxPrefixBlocksToMatch: maxBlocks,
      lruCapacityPerServer: lru,
      scheme: 'token-approximate',
    };
  } else {
    if (v.maxPrefixTokensToMatch !== undefined) {
      issues.push(`${p.path}.parameters.maxPrefixTokensToMatch: only valid together with blockSizeTokens`);
    }
    out = {
      blockSizeBytes: v.hashBlockSize ?? v.blockSize ?? 64,
      maxPrefixBlocksToMatch: v.maxPrefixBlocksToMatch ?? 256,
      lruCapacityPerServer: lru,
      scheme: 'v1.0',
    };
  }
  if (out.blockSizeBytes * out.maxPrefixBlocksToMatch > MAX_PREFIX_BYTES) {
    issues.push(`${p.path}.parameters: block size x max blocks must be <= ${MAX_PREFIX_BYTES} bytes`);
  }
  if (out.lruCapacityPerServer > 10_000_000) {
    issues.push(`${p.path}.parameters.lruCapacityPerServer: must be <= 10000000`);
  }
  return out;
}

/** Valid plugins by name; the names of invalid entries go to `failed` (their errors to `issues`). */
function readPlugins(file: ConfigFile, issues: string[], failed: Set<string>): Map<string, Plugin> {
  const byName = new Map<string, Plugin>();
  file.plugins.forEach((raw, i) => {
    const path = `plugins[${i}]`;
    const name = raw.name ?? raw.type;
    failed.add(name);
    if (!(PLUGIN_TYPES as string[]).includes(raw.type)) {
      issues.push(
        `${path}.type: unknown plugin type '${raw.type}'; supported types: ${PLUGIN_TYPES.join(', ')}`,
      );
      return;
    }
    const type = raw.type as PluginType;
    const parsed = paramSchemas[type].safeParse(raw.parameters ?? {});
    if (!parsed.success) {
      issues.push(...zodIssues(`${path}.parameters`, parsed.error));
      return;
    }
    if (byName.has(name)) {
      issues.push(`${path}.name: duplicate plugin name '${name}'`);
      return;
    }
    byName.set(name, { name, type, params: parsed.data as Record<string, unknown>, path });
    failed.delete(name);
  });
  return byName;
}

function ofRole(plugins: Map<string, Plugin>, ...roles: string[]): Plugin[] {
  return [...plugins.values()].filter((p) => roles.includes(ROLE[p.type]));
}

function compile(file: ConfigFile, env: Env): EndpointPickerConfig {
  const issues: string[] = [];
  const failed = new Set<string>();
  const plugins = readPlugins(file, issues, failed);

  // profiles (defaults as upstream: no profile -> 'default' with every scorer, picker and filter)
  let profiles = file.schedulingProfiles;
  if (profiles.length === 0) {
    // the utilization detector is also a filter upstream, so it joins the default profile like other filters
    const refs = [...plugins.values()]
      .filter(
        (p) =>
          ['filter', 'scorer', 'picker', 'legacy'].includes(ROLE[p.type]) ||
          p.type === 'utilization-detector',
      )
      .map((p) => ({ pluginRef: p.name }));
    profiles = [{ name: 'default', plugins: refs }];
  }
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    if (names.has(p.name)) issues.push(`schedulingProfiles[${i}].name: duplicate profile name '${p.name}'`);
    names.add(p.name);
  });
  const handlers = ofRole(plugins, 'handler');
  if (handlers.length > 1)
    issues.push(`plugins: several profile handlers (${handlers.map((h) => h.name).join(', ')})`);
  if (profiles.length !== 1) {
    issues.push(
      `schedulingProfiles: single-profile-handler needs exactly one profile, got ${profiles.length}`,
    );
  }

  const profileIn = profiles[0] ?? { name: 'default', plugins: [] };
  const scorers: ScorerSpec[] = [];
  let picker: Plugin | null = null;
  let legacy: Plugin | null = null;
  let utilizationFilter = false;
  let headerFilter = false;
  let prefix: PrefixCacheParams | null = null;
  profileIn.plugins.forEach((ref, j) => {
    const path = `schedulingProfiles[0].plugins[${j}]`;
    const p = plugins.get(ref.pluginRef);
    if (!p) {
      // a plugin whose own entry was invalid is already reported
      if (!failed.has(ref.pluginRef))
        issues.push(`${path}.pluginRef: '${ref.pluginRef}' is not defined in plugins`);
      return;
    }
    const role = ROLE[p.type];
    if (ref.weight !== undefined && role !== 'scorer') {
      issues.push(`${path}.weight: only scorers take a weight ('${p.name}' is a ${role})`);
    }
    if (role === 'scorer') {
      if (p.type === 'prefix-cache-scorer') {
        if (prefix) issues.push(`${path}.pluginRef: only one prefix-cache-scorer per profile`);
        prefix = prefixParams(p, issues);
      }
      scorers.push({ name: p.name, type: p.type as ScorerType, weight: ref.weight ?? 1 });
    } else if (role === 'picker') {
      if (picker) issues.push(`${path}.pluginRef: profile has two pickers ('${picker.name}', '${p.name}')`);
      picker = p;
    } else if (role === 'legacy') {
      legacy = p;
    } else if (p.type === 'utilization-detector') {
      utilizationFilter = true;
    } else if (role === 'filter') {
      headerFilter = true;
    } else if (role !== 'handler') {
      issues.push(`${path}.pluginRef: '${p.name}' (${p.type}) cannot be used in a scheduling profile`);
    }
  });
  if (scorers.length > 16) issues.push('schedulingProfiles[0].plugins: at most 16 scorers');

  // saturation detector: explicit ref, else the one declared, else v1.0 defaults
  let detector: Plugin | null = null;
  const detectors = ofRole(plugins, 'detector');
  if (file.saturationDetector) {
    const d = plugins.get(file.saturationDetector.pluginRef);
    if (!d || ROLE[d.type] !== 'detector') {
      issues.push(
        `saturationDetector.pluginRef: '${file.saturationDetector.pluginRef}' is not a detector plugin`,
      );
    } else detector = d;
  } else if (detectors.length > 1) {
    issues.push('saturationDetector.pluginRef: several detector plugins are defined; name the one to use');
  } else detector = detectors[0] ?? null;
  const saturationDetector = detectorConfig(detector, env, issues);

  const dataLayer = compileDataLayer(file, plugins, issues);

  let profile: EndpointPickerConfig['profile'];
  if (legacy) {
    const l = legacy as Plugin;
    if (scorers.length > 0 || picker || utilizationFilter || headerFilter) {
      issues.push(
        `schedulingProfiles[0].plugins: '${l.name}' (legacy-filter-tree) must be the profile's only plugin`,
      );
    }
    profile = { kind: 'legacy-v0.3', name: profileIn.name, params: legacyParams(l, env, issues) };
    prefix = null;
  } else {
    // no picker in the profile -> the first declared picker, else a new max-score-picker
    const pk: Plugin | null = picker ?? ofRole(plugins, 'picker')[0] ?? null;
    const n = (pk?.params.maxNumOfEndpoints as number | undefined) ?? 1;
    profile = {
      kind: 'plugins',
      name: profileIn.name,
      utilizationFilter,
      headerFilter,
      scorers,
      picker: {
        name: pk?.name ?? 'max-score-picker',
        type: (pk?.type as PickerType | undefined) ?? 'max-score-picker',
        maxNumOfEndpoints: n > 0 ? n : 1,
      },
    };
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    profile,
    prefixCache: prefix,
    saturationDetector,
    dataLayer,
    featureGates: file.featureGates ?? [],
  };
}

function compileDataLayer(
  file: ConfigFile,
  plugins: Map<string, Plugin>,
  issues: string[],
): EndpointPickerConfig['dataLayer'] {
  (file.dataLayer?.sources ?? []).forEach((s, i) => {
    const src = plugins.get(s.pluginRef);
    if (src?.type !== 'metrics-data-source') {
      issues.push(`dataLayer.sources[${i}].pluginRef: '${s.pluginRef}' is not a metrics-data-source plugin`);
    }
    s.extractors.forEach((e, j) => {
      const ex = plugins.get(e.pluginRef);
      if (ex?.type !== 'core-metrics-extractor') {
        issues.push(
          `dataLayer.sources[${i}].extractors[${j}].pluginRef: '${e.pluginRef}' is not a core-metrics-extractor plugin`,
        );
      }
    });
  });
  const out: EndpointPickerConfig['dataLayer'] = {};
  if (file.dataLayer?.injectDefaults !== undefined) out.injectDefaults = file.dataLayer.injectDefaults;
  const sources = ofRole(plugins, 'data-source');
  const extractors = ofRole(plugins, 'extractor');
  if (sources.length > 1) issues.push('plugins: at most one metrics-data-source');
  if (extractors.length > 1) issues.push('plugins: at most one core-metrics-extractor');
  const src = sources[0];
  if (src) {
    const v = src.params as Partial<MetricsDataSourceConfig>;
    out.metricsDataSource = {
      scheme: v.scheme ?? 'http',
      path: v.path ?? '/metrics',
      insecureSkipVerify: v.insecureSkipVerify ?? true,
    };
  }
  const ex = extractors[0];
  if (ex) {
    const v = ex.params as Partial<CoreMetricsExtractorConfig>;
    const cfg: CoreMetricsExtractorConfig = { engineConfigs: v.engineConfigs ?? [] };
    if (v.defaultEngine !== undefined) cfg.defaultEngine = v.defaultEngine;
    out.coreMetricsExtractor = cfg;
  }
  return out;
}

/** YAML text of an EndpointPickerConfig. Throws ConfigError whose message names each bad field. */
export function parseEndpointPickerConfig(yamlText: string, opts: ParseOptions = {}): EndpointPickerConfig {
  const env = opts.env ?? process.env;
  if (typeof yamlText !== 'string') throw new ConfigError(['(root): config text must be a string']);
  if (yamlText.trim() === '') return defaultConfig(env);
  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `yaml (line ${e.linePos?.[0]?.line ?? '?'}): ${e.message}`));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // e.g. an alias bomb ("Excessive alias count")
    throw new ConfigError([`yaml: ${(e as Error).message}`]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodIssues('', parsed.error));
  return compile(parsed.data, env);
}

function defaultConfig(env: Env): EndpointPickerConfig {
  return compile(
    {
      apiVersion: 'inference.networking.x-k8s.io/v1alpha1',
      kind: 'EndpointPickerConfig',
      plugins: [
        { type: 'queue-scorer' },
        { type: 'kv-cache-utilization-scorer' },
        { type: 'prefix-cache-scorer' },
        { type: 'max-score-picker' },
        { type: 'single-profile-handler' },
        { type: 'metrics-data-source' },
        { type: 'core-metrics-extractor' },
      ],
      schedulingProfiles: [
        {
          name: 'default',
          plugins: [
            { pluginRef: 'queue-scorer', weight: 2 },
            { pluginRef: 'kv-cache-utilization-scorer', weight: 2 },
            { pluginRef: 'prefix-cache-scorer', weight: 3 },
            { pluginRef: 'max-score-picker' },
          ],
        },
      ],
    },
    env,
  );
}

/** The built-in config (upstream v1.2+ default): queue 2, kv 2, prefix 3, max-score picker, v1.0 detector. */
export function defaultEndpointPickerConfig(opts: ParseOptions = {}): EndpointPickerConfig {
  return defaultConfig(opts.env ?? process.env);
}
