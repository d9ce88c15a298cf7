// Input checks shared by the WASM Scheduler and the TS reference: a bad update or request throws
// SchedulerInputError naming the field, before any state is touched.
import { SchedulerInputError } from './errors.js';
import type { EndpointMetricsUpdate, ScheduleRequest } from './types.js';

function count(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new SchedulerInputError(`metrics.${name} must be a finite number >= 0, got ${String(v)}`);
  }
}

function names(name: string, v: unknown): void {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new SchedulerInputError(`metrics.${name} must be an array of strings`);
  }
}

export function validateMetrics(m: EndpointMetricsUpdate): void {
  if (!m || typeof m !== 'object') throw new SchedulerInputError('metrics must be an object');
  count('waitingQueueSize', m.waitingQueueSize);
  count('runningRequestsSize', m.runningRequestsSize);
  count('kvCacheUsagePercent', m.kvCacheUsagePercent);
  count('maxActiveModels', m.maxActiveModels);
  names('activeModels', m.activeModels);
  names('waitingModels', m.waitingModels);
  if (m.cacheBlockSize !== undefined) count('cacheBlockSize', m.cacheBlockSize);
  if (m.cacheNumGpuBlocks !== undefined) count('cacheNumGpuBlocks', m.cacheNumGpuBlocks);
  if (typeof m.updatedAtMs !== 'number' || !Number.isFinite(m.updatedAtMs)) {
    throw new SchedulerInputError(
      `metrics.updatedAtMs must be a finite number, got ${String(m.updatedAtMs)}`,
    );
  }
}

export function validateRequest(r: ScheduleRequest): void {
  if (!r || typeof r !== 'object') throw new SchedulerInputError('request must be an object');
  if (typeof r.prompt !== 'string' && !(r.prompt instanceof Uint8Array)) {
    throw new SchedulerInputError('request.prompt must be a string or Uint8Array');
  }
  if (typeof r.targetModel !== 'string')
    throw new SchedulerInputError('request.targetModel must be a string');
  if (typeof r.priority !== 'number' || !Number.isFinite(r.priority)) {
    throw new SchedulerInputError(`request.priority must be a finite number, got ${String(r.priority)}`);
  }
  if (typeof r.nowMs !== 'number' || !Number.isFinite(r.nowMs)) {
    throw new SchedulerInputError(`request.nowMs must be a finite number, got ${String(r.nowMs)}`);
  }
  if (
    r.subsetHint != null &&
    (!Array.isArray(r.subsetHint) || r.subsetHint.some((x) => typeof x !== 'string'))
  ) {
    throw new SchedulerInputError('request.subsetHint must be an array of strings, null or undefined');
  }
  if (r.endpointSelection != null && typeof r.endpointSelection !== 'string') {
    throw new SchedulerInputError('request.endpointSelection must be a string, null or undefined');
  }
  if (
    r.criticality !== undefined &&
    r.criticality !== 'Critical' &&
    r.criticality !== 'Standard' &&
    r.criticality !== 'Sheddable'
  ) {
    throw new SchedulerInputError(`request.criticality must be Critical, Standard or Sheddable`);
  }
}

/**
 * Legacy tree (spec 1.9, v0.3 `Critical: criticality == Critical`): only Critical takes the critical branch;
 * Standard, Sheddable and unset take the sheddable branch. Priority is not consulted: v0.3 had no priorities.
 */
export function legacyCritical(r: ScheduleRequest): boolean {
  return r.criticality === 'Critical';
}

/** Outside the legacy profile, InferenceModel criticality maps to priority: Sheddable -> -1, everything else 0. */
export function priorityFromCriticality(c: 'Critical' | 'Standard' | 'Sheddable' | undefined | null): number {
  return c === 'Sheddable' ? -1 : 0;
}
