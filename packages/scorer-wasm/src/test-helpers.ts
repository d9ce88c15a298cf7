// Shared helpers of this package's tests.
import { parseEndpointPickerConfig } from './config/parse.js';
import type { EndpointMetricsUpdate, EndpointPickerConfig } from './types.js';

export function metrics(p: Partial<EndpointMetricsUpdate> = {}): EndpointMetricsUpdate {
  return {
    waitingQueueSize: 0,
    runningRequestsSize: 0,
    kvCacheUsagePercent: 0,
    maxActiveModels: 0,
    activeModels: [],
    waitingModels: [],
    updatedAtMs: 1000,
    ...p,
  };
}

/** A config with the given profile plugins (YAML list items under `plugins:` and profile refs). */
export function configOf(yamlPlugins: string, profileRefs: string, extra = ''): EndpointPickerConfig {
  return parseEndpointPickerConfig(
    `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
${yamlPlugins}
schedulingProfiles:
- name: default
  plugins:
${profileRefs}
${extra}`,
    { env: {} },
  );
}
