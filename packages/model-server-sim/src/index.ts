// @igw/model-server-sim: a vLLM-compatible model-server simulator (programmatic API).

export { SimClock } from './clock.js';
export {
  DEFAULT_MODEL,
  offsetAddress,
  type SimCluster,
  type SimClusterOptions,
  startSimCluster,
} from './cluster.js';
export type { OutputMode } from './completion-handler.js';
export type { EngineStats } from './engine.js';
export { SimError, type SimErrorKind } from './errors.js';
export { FAILURE_TYPES, type FailureType } from './failures.js';
export { type PodConfig, type PodStats, SimPod } from './pod.js';
export { type EngineParams, type LatencyModel, PROFILES, profileNames, resolveParams } from './profiles.js';
export { CHARS_PER_TOKEN, countTextTokens, renderChat } from './tokens.js';
