import type {
  EndpointHandle,
  EndpointMetricsUpdate,
  EndpointPickerConfig,
  ScheduleRequest,
  ScheduleResult,
  SchedulerOptions,
  SchedulerStats,
} from './types.js';

export class Scheduler {
  static create(_cfg: EndpointPickerConfig, _opts?: SchedulerOptions): Scheduler {
    throw new Error('not implemented yet');
  }
  addEndpoint(_address: string): EndpointHandle {
    throw new Error('not implemented yet');
  }
  removeEndpoint(_h: EndpointHandle): void {
    throw new Error('not implemented yet');
  }
  updateMetrics(_h: EndpointHandle, _m: EndpointMetricsUpdate): void {
    throw new Error('not implemented yet');
  }
  isSaturated(_nowMs: number): boolean {
    throw new Error('not implemented yet');
  }
  schedule(_req: ScheduleRequest): ScheduleResult {
    throw new Error('not implemented yet');
  }
  stats(): SchedulerStats {
    throw new Error('not implemented yet');
  }
}
