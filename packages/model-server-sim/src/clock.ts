// Simulated time. All engine times are simulated milliseconds; `timeScale` simulated ms pass per wall-clock ms,
// so a benchmark at timeScale 10 runs ten times faster than the GPU it imitates.

export class SimClock {
  readonly timeScale: number;
  private readonly t0 = performance.now();

  constructor(timeScale = 1) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new RangeError('timeScale must be a number > 0');
    this.timeScale = timeScale;
  }

  /** Simulated ms since the clock started. */
  now(): number {
    return (performance.now() - this.t0) * this.timeScale;
  }

  /** Wall-clock ms until simulated time `atMs` (never negative). */
  realDelay(atMs: number): number {
    return Math.max(0, (atMs - this.now()) / this.timeScale);
  }
}
