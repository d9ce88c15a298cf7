// Requests held back until release() (a slow API server), to force the order of concurrent writes in tests.
import type { ResourceKey } from '../informers/resource-types.js';

export class RequestHold {
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly method: string,
    readonly resource: ResourceKey,
    private readonly onRelease: (h: RequestHold) => void,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  matches(method: string, resource: ResourceKey | undefined): boolean {
    return method === this.method && resource === this.resource;
  }

  enqueue(run: () => void): void {
    this.queue.push(run);
  }

  /** Runs the held requests in arrival order; later requests pass straight through. */
  release(): void {
    this.onRelease(this);
    for (const run of this.queue.splice(0)) run();
  }
}
