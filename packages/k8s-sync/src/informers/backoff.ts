// Capped exponential backoff with jitter, so restarts of many informers do not hammer the API server in step
// (kubernetes-client/javascript#1933).

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** 0..1: the delay is drawn from [d*(1-jitter), d] (default 0.5). */
  jitter?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    if (!(opts.initialMs > 0) || !(opts.maxMs >= opts.initialMs)) {
      throw new RangeError(`invalid backoff: initialMs ${opts.initialMs}, maxMs ${opts.maxMs}`);
    }
  }

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next retry; grows until maxMs. */
  next(): number {
    const factor = this.opts.factor ?? 2;
    const jitter = Math.min(1, Math.max(0, this.opts.jitter ?? 0.5));
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * factor ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 - jitter * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
