// @igw/scorer-wasm: pool state in WASM linear memory and the per-request scheduler.
export {
  defaultEndpointPickerConfig,
  parseEndpointPickerConfig,
  SUPPORTED_PLUGIN_TYPES,
} from './config/parse.js';
export { ConfigError, SchedulerInputError } from './errors.js';
export { Scheduler } from './scheduler.js';
export type * from './types.js';
