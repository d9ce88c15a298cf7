// zod schemas of the EndpointPickerConfig file (strict: unknown fields are errors) and of each plugin type's
// parameters.
import { z } from 'zod';

export const API_VERSIONS = ['inference.networking.x-k8s.io/v1alpha1', 'llm-d.ai/v1alpha1'] as const;

const pluginRef = z.string().min(1, 'must not be empty');

export const fileSchema = z.strictObject({
  apiVersion: z.enum(API_VERSIONS),
  kind: z.literal('EndpointPickerConfig'),
  plugins: z
    .array(
      z.strictObject({
        name: z.string().min(1, 'must not be empty').optional(),
        type: z.string().min(1, 'must not be empty'),
        parameters: z.record(z.string(), z.unknown()).nullish(),
      }),
    )
    .default([]),
  schedulingProfiles: z
    .array(
      z.strictObject({
        name: z.string().min(1, 'must not be empty'),
        plugins: z
          .array(z.strictObject({ pluginRef, weight: z.number().finite().min(0, 'must be >= 0').optional() }))
          .default([]),
      }),
    )
    .default([]),
  featureGates: z.array(z.string()).nullish(),
  saturationDetector: z.strictObject({ pluginRef }).optional(),
  dataLayer: z
    .strictObject({
      sources: z
        .array(
          z.strictObject({
            pluginRef,
            extractors: z.array(z.strictObject({ pluginRef })).default([]),
          }),
        )
        .default([]),
      injectDefaults: z.boolean().optional(),
    })
    .optional(),
});
export type ConfigFile = z.infer<typeof fileSchema>;

const int = z.number().int('must be an integer');
/** Go-style duration string ('200ms', '1.5s') or a number of milliseconds. */
const duration = z.union([z.string(), z.number().finite()]);

const noParams = z.strictObject({});

export const paramSchemas = {
  'queue-scorer': noParams,
  'kv-cache-utilization-scorer': noParams,
  'lora-affinity-scorer': noParams,
  'running-requests-size-scorer': noParams,
  'prefix-cache-scorer': z.strictObject({
    hashBlockSize: int.min(1, 'must be >= 1').optional(),
    maxPrefixBlocksToMatch: int.min(1, 'must be >= 1').optional(),
    lruCapacityPerServer: int.optional(),
    blockSize: int.min(1, 'must be >= 1').optional(),
    blockSizeTokens: int.min(1, 'must be >= 1').optional(),
    maxPrefixTokensToMatch: int.min(1, 'must be >= 1').optional(),
    autoTune: z
      .literal(false, 'only false is supported (per-endpoint auto-tuning is not implemented)')
      .optional(),
  }),
  'max-score-picker': z.strictObject({ maxNumOfEndpoints: int.optional() }),
  'random-picker': z.strictObject({ maxNumOfEndpoints: int.optional() }),
  'weighted-random-picker': z.strictObject({ maxNumOfEndpoints: int.optional() }),
  'single-profile-handler': noParams,
  'header-based-testing-filter': noParams,
  'legacy-filter-tree': z.strictObject({
    kvCacheThreshold: z.number().finite().optional(),
    queueThresholdCritical: int.optional(),
    queueingThresholdLoRA: int.optional(),
    loraAffinityThreshold: z.number().min(0).max(1).optional(),
  }),
  'v1-saturation-detector': z.strictObject({
    queueDepthThreshold: int.optional(),
    kvCacheUtilThreshold: z.number().finite().optional(),
    metricsStalenessThreshold: duration.optional(),
  }),
  'utilization-detector': z.strictObject({
    queueDepthThreshold: int.optional(),
    kvCacheUtilThreshold: z.number().finite().optional(),
    metricsStalenessThreshold: duration.optional(),
    headroom: z.number().finite().min(0, 'must be >= 0').optional(),
  }),
  'metrics-data-source': z.strictObject({
    scheme: z.enum(['http', 'https']).optional(),
    path: z.string().startsWith('/', "must start with '/'").optional(),
    insecureSkipVerify: z.boolean().optional(),
  }),
  'core-metrics-extractor': z.strictObject({
    defaultEngine: z.string().min(1).optional(),
    engineConfigs: z
      .array(
        z.strictObject({
          name: z.string().min(1, 'must not be empty'),
          queuedRequestsSpec: z.string().optional(),
          runningRequestsSpec: z.string().optional(),
          kvUsageSpec: z.string().optional(),
          loraSpec: z.string().optional(),
          cacheInfoSpec: z.string().optional(),
        }),
      )
      .optional(),
  }),
} as const;

export type PluginType = keyof typeof paramSchemas;
export const PLUGIN_TYPES = Object.keys(paramSchemas) as PluginType[];

export type PluginRole =
  | 'filter'
  | 'scorer'
  | 'picker'
  | 'handler'
  | 'legacy'
  | 'detector'
  | 'data-source'
  | 'extractor';

export const ROLE: Record<PluginType, PluginRole> = {
  'queue-scorer': 'scorer',
  'kv-cache-utilization-scorer': 'scorer',
  'lora-affinity-scorer': 'scorer',
  'running-requests-size-scorer': 'scorer',
  'prefix-cache-scorer': 'scorer',
  'max-score-picker': 'picker',
  'random-picker': 'picker',
  'weighted-random-picker': 'picker',
  'single-profile-handler': 'handler',
  'header-based-testing-filter': 'filter',
  'legacy-filter-tree': 'legacy',
  'v1-saturation-detector': 'detector',
  'utilization-detector': 'detector',
  'metrics-data-source': 'data-source',
  'core-metrics-extractor': 'extractor',
};
