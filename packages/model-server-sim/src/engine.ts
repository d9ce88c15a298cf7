// A pod's engine: the waiting queue, the running set, the KV cache and the LoRA slots, driven by ONE timer.
//
// Time is virtual: events happen at exact simulated instants (step ends, token times) and the timer only wakes the
// engine when the next one is due. When the process is late (coarse timers, a GC pause, a large time scale), every
// event that is due runs in one go, in order, at its own simulated time, so latency figures do not depend on timer
// precision. A request is never admitted at a simulated time before its arrival.
//
// The latency model (batch or per-token) decides what happens at an event; see batch-model.ts, per-token-model.ts.

import type { SimClock } from './clock.js';
import { SimError } from './errors.js';
import { BlockCache } from './kv-cache.js';
import { LoraSlots } from './lora-slots.js';
import { type GaugeSnapshot, PodMetrics } from './metrics.js';
import type { EngineParams } from './profiles.js';
import type { Rng } from './random.js';
import { type SeqInput, SeqState, Sequence } from './sequence.js';

export interface LatencyModelImpl {
  /** Handles the event due at `at` (simulated ms) and returns the time of the next one (Infinity = idle). */
  advance(at: number): number;
  /** A request arrived at `now` while the model had nothing scheduled, or could start it at once. */
  onArrival(now: number, nextAt: number): number;
}

/** Events processed per timer callback before yielding to I/O. */
const MAX_EVENTS_PER_TICK = 5000;

export interface EngineStats {
  running: number;
  waiting: number;
  kvUsedBlocks: number;
  kvTotalBlocks: number;
  kvUsage: number;
  kvEvictions: number;
  prefixQueryTokens: number;
  prefixHitTokens: number;
  preemptions: number;
  promptTokens: number;
  generationTokens: number;
  finished: number;
  aborted: number;
  loadedLoras: string[];
  loraLoads: number;
  /** Largest delay (wall-clock ms) between an event's due time and when the engine processed it. */
  maxLagMs: number;
}

export class Engine {
  readonly params: EngineParams;
  readonly rng: Rng;
  readonly clock: SimClock;
  readonly cache: BlockCache;
  readonly loras: LoraSlots;
  readonly metrics: PodMetrics;
  /** FIFO of waiting sequences; entries before `head` are consumed. */
  private waiting: Sequence[] = [];
  private head = 0;
  readonly waitingByLora = new Map<string, number>();
  running: Sequence[] = [];
  model!: LatencyModelImpl;

  private nextAt = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private nextId = 1;
  private closed = false;
  maxLagMs = 0;

  constructor(params: EngineParams, modelName: string, rng: Rng, clock: SimClock) {
    this.params = params;
    this.rng = rng;
    this.clock = clock;
    this.cache = new BlockCache(params.numGpuBlocks);
    this.loras = new LoraSlots(params.maxLoras);
    this.metrics = new PodMetrics(modelName, params.maxModelLen);
  }

  get waitingCount(): number {
    return this.waiting.length - this.head;
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.params.blockSize);
  }

  /** Queues a request. Throws SimError('queue_full') past maxWaitingQueueLength (the HTTP layer answers 429). */
  submit(input: SeqInput): Sequence {
    if (this.closed) throw new SimError('unavailable', 'The server is shutting down.');
    if (this.waitingCount >= this.params.maxWaitingQueueLength) {
      throw new SimError(
        'queue_full',
        `Failed to enqueue request, the waiting queue is full (max-waiting-queue-length ${this.params.maxWaitingQueueLength})`,
      );
    }
    const now = this.clock.now();
    this.catchUp(now);
    const seq = new Sequence(this.nextId++, input, now);
    this.waiting.push(seq);
    if (seq.lora !== null) this.waitingByLora.set(seq.lora, (this.waitingByLora.get(seq.lora) ?? 0) + 1);
    this.nextAt = this.model.onArrival(now, this.nextAt);
    this.arm();
    return seq;
  }

  /** The client went away: drop a waiting sequence now; a running one is retired at its next event. */
  abort(seq: Sequence): void {
    if (seq.state === SeqState.Done || seq.aborted) return;
    seq.aborted = true;
    if (seq.state === SeqState.Waiting) {
      const i = this.waiting.indexOf(seq, this.head);
      if (i >= 0) this.removeWaitingAt(i);
      this.finish(seq, this.clock.now());
    }
  }

  /** Oldest admissible waiting sequence (FIFO; adapters without a slot are skipped), or null. */
  admitNext(at: number, blocksNeeded: (seq: Sequence) => number): Sequence | null {
    const p = this.params;
    for (let i = this.head; i < this.waiting.length; i++) {
      const s = this.waiting[i]!;
      if (s.arrivalMs > at) return null;
      if (s.lora !== null && !this.loras.canAcquire(s.lora)) continue;
      s.prefillTarget = s.promptTokens + s.generated;
      let hits = 0;
      if (p.enablePrefixCaching) {
        // At least one token is always computed (vLLM recomputes the last block of a fully cached prompt).
        const limit = Math.min(s.blockHashes.length, Math.floor((s.prefillTarget - 1) / p.blockSize));
        hits = this.cache.matchPrefix(s.blockHashes, limit);
      }
      const anon = blocksNeeded(s) - hits;
      // Head-of-line blocking on KV space, as in vLLM: no later request jumps a request that does not fit.
      if (anon > this.cache.allocatable - this.cache.countIdle(s.blockHashes, hits)) return null;
      this.cache.acquirePrefix(s.blockHashes, hits);
      this.cache.allocate(anon);
      this.removeWaitingAt(i);
      s.hashedHeld = hits;
      s.anonBlocks = anon;
      s.cachedTokens = hits * p.blockSize;
      s.computed = s.cachedTokens;
      s.loadedLora = s.lora !== null && this.loras.acquire(s.lora);
      s.state = SeqState.Running;
      if (s.firstAdmittedMs < 0) s.firstAdmittedMs = at;
      this.metrics.prefixQueries += s.promptTokens;
      this.metrics.prefixHits += Math.min(s.cachedTokens, s.promptTokens);
      this.running.push(s);
      return s;
    }
    return null;
  }

  /** Moves computed full prompt blocks into the prefix index. */
  publishComputed(s: Sequence): void {
    if (!this.params.enablePrefixCaching) return;
    const full = Math.min(s.blockHashes.length, Math.floor(s.computed / this.params.blockSize));
    while (s.hashedHeld < full) {
      this.cache.publish(s.blockHashes[s.hashedHeld]!);
      s.hashedHeld++;
      s.anonBlocks--;
    }
  }

  /** Frees everything a sequence holds (KV blocks, its adapter reference). */
  private releaseResources(s: Sequence): void {
    this.cache.release(s.blockHashes, s.hashedHeld, s.anonBlocks);
    s.hashedHeld = 0;
    s.anonBlocks = 0;
    if (s.lora !== null) this.loras.release(s.lora);
  }

  /** Puts a running sequence back at the head of the queue; its KV is dropped and recomputed later (vLLM V1). */
  preempt(s: Sequence): void {
    this.releaseResources(s);
    s.computed = 0;
    s.state = SeqState.Waiting;
    s.preemptions++;
    this.metrics.preemptions++;
    if (this.head > 0) this.waiting[--this.head] = s;
    else this.waiting.unshift(s);
    if (s.lora !== null) this.waitingByLora.set(s.lora, (this.waitingByLora.get(s.lora) ?? 0) + 1);
  }

  /** A token was produced at `at`. */
  emitToken(s: Sequence, at: number): void {
    s.generated++;
    this.metrics.onToken(s, at);
    if (s.generated === 1) s.firstTokenMs = at;
    s.lastTokenMs = at;
    s.sink.onToken(s);
  }

  /** Ends a sequence (complete or aborted). The caller removes it from `running`. */
  finish(s: Sequence, at: number): void {
    if (s.state === SeqState.Running) this.releaseResources(s);
    s.state = SeqState.Done;
    s.finishedMs = at;
    this.metrics.onFinish(s, at);
    s.sink.onFinish(s);
  }

  /** Simulated time at which the oldest waiting request arrived (Infinity if none). */
  headArrival(): number {
    return this.head < this.waiting.length ? this.waiting[this.head]!.arrivalMs : Number.POSITIVE_INFINITY;
  }

  private removeWaitingAt(i: number): void {
    const s = this.waiting[i]!;
    if (i === this.head) {
      this.waiting[i] = undefined as unknown as Sequence;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
    } else {
      this.waiting.splice(i, 1);
    }
    if (s.lora !== null) {
      const n = (this.waitingByLora.get(s.lora) ?? 1) - 1;
      if (n > 0) this.waitingByLora.set(s.lora, n);
      else this.waitingByLora.delete(s.lora);
    }
  }

  /** Runs every event due at or before simulated time `now` (the timer does this; tests with a manual clock too). */
  advanceTo(now: number): void {
    this.catchUp(now);
    this.arm();
  }

  /** Simulated time of the next event (Infinity when idle). */
  get nextEventAt(): number {
    return this.nextAt;
  }

  /**
   * Runs every event due at or before `now`, at most MAX_EVENTS_PER_TICK of them: every caller then calls arm(),
   * whose timer (0 ms, the next event being due) continues after pending I/O. (A separate setImmediate here used
   * to start a second wake-up chain beside that timer; under sustained overload such chains accumulated.)
   */
  private catchUp(now: number): void {
    let n = 0;
    while (this.nextAt <= now) {
      if (++n > MAX_EVENTS_PER_TICK) return;
      this.nextAt = this.model.advance(this.nextAt);
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.clock.now();
    if (this.nextAt < now) {
      const lag = (now - this.nextAt) / this.clock.timeScale;
      if (lag > this.maxLagMs) this.maxLagMs = lag;
    }
    this.catchUp(now);
    this.arm();
  };

  /** Keeps the one timer aimed at the next event. */
  private arm(): void {
    if (this.closed || this.nextAt === Number.POSITIVE_INFINITY) return;
    if (this.timer !== null && this.timerAt <= this.nextAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = this.nextAt;
    this.timer = setTimeout(this.onTimer, this.clock.realDelay(this.nextAt));
    // The pod's HTTP server is what keeps a process alive, not the engine's pending work.
    this.timer.unref();
  }

  /** Stops the timer and aborts every request (their sinks see onFinish with `aborted`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const now = this.clock.now();
    for (const s of this.running) {
      s.aborted = true;
      this.finish(s, now);
    }
    this.running = [];
    for (let i = this.head; i < this.waiting.length; i++) {
      const s = this.waiting[i]!;
      s.aborted = true;
      this.finish(s, now);
    }
    this.waiting = [];
    this.head = 0;
    this.waitingByLora.clear();
  }

  gauges(): GaugeSnapshot {
    return {
      running: this.running.length,
      waiting: this.waitingCount,
      kvUsage: this.cache.used / this.cache.capacity,
      blockSize: this.params.blockSize,
      numGpuBlocks: this.params.numGpuBlocks,
      enablePrefixCaching: this.params.enablePrefixCaching,
      maxLoras: this.params.maxLoras,
      runningLoras: this.loras.running(),
      waitingLoras: [...this.waitingByLora.keys()],
    };
  }

  stats(): EngineStats {
    const m = this.metrics;
    return {
      running: this.running.length,
      waiting: this.waitingCount,
      kvUsedBlocks: this.cache.used,
      kvTotalBlocks: this.cache.capacity,
      kvUsage: this.cache.used / this.cache.capacity,
      kvEvictions: this.cache.evictions,
      prefixQueryTokens: m.prefixQueries,
      prefixHitTokens: m.prefixHits,
      preemptions: m.preemptions,
      promptTokens: m.promptTokens,
      generationTokens: m.generationTokens,
      finished: m.success.stop + m.success.length,
      aborted: m.success.abort,
      loadedLoras: this.loras.loadedNames(),
      loraLoads: this.loras.loads,
      maxLagMs: this.maxLagMs,
    };
  }
}
