// Library surface of @igw/bbr (the CLI entry is main.ts).

export { ConfigMapFileSource, parseConfigMapsYaml } from './base-models/configmap-file.js';
export {
  type BaseModelLookup,
  BaseModelStore,
  BBR_MANAGED_LABELS,
  type ConfigMapIssue,
  type ConfigMapSink,
} from './base-models/store.js';
export { type BbrFlags, HELP, parseFlags } from './flags.js';
export { BbrMetrics } from './metrics.js';
export { createPlugins, DEFAULT_PLUGIN_SPECS, parsePluginSpec } from './plugins/registry.js';
export { BbrProcessor } from './processor.js';
export { JsonScanner } from './scan/json-scanner.js';
export { type RunningBbr, startBbr } from './server.js';
