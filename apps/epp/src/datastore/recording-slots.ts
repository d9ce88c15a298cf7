// A recording SchedulerSlots for the datastore's diff tests: it counts the add/remove calls the WASM scheduler would
// receive, which the real scheduler cannot report. Tests only; the end-to-end tests use the real scheduler.
import type { EndpointHandle, EndpointMetricsUpdate } from '@igw/scorer-wasm';
import type { SchedulerSlots } from './datastore.js';

export class RecordingSlots implements SchedulerSlots {
  readonly calls: string[] = [];
  readonly metrics = new Map<number, EndpointMetricsUpdate>();
  private readonly live = new Map<number, EndpointHandle>();
  private nextSlot = 0;
  private readonly free: number[] = [];
  private generation = 0;

  addEndpoint(address: string): EndpointHandle {
    const slot = this.free.pop() ?? this.nextSlot++;
    const h = { slot, generation: ++this.generation, address };
    this.live.set(slot, h);
    this.calls.push(`add ${address}`);
    return h;
  }

  removeEndpoint(h: EndpointHandle): void {
    if (this.live.get(h.slot) !== h) throw new Error(`stale handle ${h.address}`);
    this.live.delete(h.slot);
    this.metrics.delete(h.slot);
    this.free.push(h.slot);
    this.calls.push(`remove ${h.address}`);
  }

  updateMetrics(h: EndpointHandle, m: EndpointMetricsUpdate): void {
    if (this.live.get(h.slot) !== h) throw new Error(`stale handle ${h.address}`);
    this.metrics.set(h.slot, m);
  }

  markScrapeStart(h: EndpointHandle): void {
    if (this.live.get(h.slot) !== h) throw new Error(`stale handle ${h.address}`);
    this.calls.push(`mark ${h.address}`);
  }

  readonly legacyProfile = false;

  isSaturated(): boolean {
    return false;
  }

  schedule(): never {
    throw new Error('RecordingSlots does not schedule');
  }

  stats() {
    return {
      endpoints: this.live.size,
      prefixIndexEntries: 0,
      prefixLookups: 0,
      prefixHitBlocks: 0,
      prefixTotalBlocks: 0,
    };
  }
}
