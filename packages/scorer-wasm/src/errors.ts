// Every error this package throws, in one place.

/** Invalid EndpointPickerConfig; `issues` holds one line per bad field (`path: message`). */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid EndpointPickerConfig: ${issues.join('; ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Bad argument to a Scheduler method (NaN metric, stale handle, ...). State is left unchanged. */
export class SchedulerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerInputError';
  }
}

/** Status codes returned by the WASM `schedule` export (kept in sync with assembly/status.ts). */
export const WasmStatus = {
  ok: 0,
  noCandidates: 1,
  shed: 2,
  legacyNoPods: 3,
  badRequest: 4,
  filteredEmpty: 5,
} as const;

export const SHED_SATURATED_MESSAGE = 'system saturated, sheddable request dropped';
export const SHED_LEGACY_MESSAGE = 'dropping request due to limited backend resources';

/** The WASM memory could not grow to the requested capacity. */
export class SchedulerCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerCapacityError';
  }
}
