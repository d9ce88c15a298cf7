// @igw/epp as a library: start an EPP in-process (tests, embedding) with the same wiring as the igw-epp CLI.

export { PoolDatastore } from './datastore/datastore.js';
export type { Datastore, Endpoint, SchedulerView } from './datastore/types.js';
export { type EppOptions, resolveOptions } from './flags/options.js';
export { FlagError, helpText, parseFlags } from './flags/parse.js';
export { type EppHandle, startEpp } from './lifecycle/start-epp.js';
export { createLogger } from './observability/logger.js';
export { EppMetrics } from './observability/metrics.js';
export { type PoolSource, startPoolSource } from './sources/pool-source.js';
