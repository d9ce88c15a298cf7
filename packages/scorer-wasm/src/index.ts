// @igw/scorer-wasm: pool state in WASM linear memory and the per-request scheduler.
export {
  defaultEndpointPickerConfig,
  type ParseOptions,
  parseEndpointPickerConfig,
  SUPPORTED_PLUGIN_TYPES,
} from './config/parse.js';
export { ConfigError, SchedulerCapacityError, SchedulerInputError } from './errors.js';
export { ReferenceScheduler } from './reference/reference-scheduler.js';
export { Scheduler } from './scheduler.js';
export type * from './types.js';
export { priorityFromCriticality } from './validate.js';
