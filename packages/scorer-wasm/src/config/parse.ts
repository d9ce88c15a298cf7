import type { EndpointPickerConfig } from '../types.js';

export const SUPPORTED_PLUGIN_TYPES: readonly string[] = [];

/** YAML text of an EndpointPickerConfig. Throws ConfigError whose message names each bad field. */
export function parseEndpointPickerConfig(_yamlText: string): EndpointPickerConfig {
  throw new Error('not implemented yet');
}

/** queue 2, kv 2, prefix 3, max-score picker, v1.0 saturation detector. */
export function defaultEndpointPickerConfig(): EndpointPickerConfig {
  throw new Error('not implemented yet');
}
