// Iteration-level continuous batching, the way vLLM V1's scheduler works (simplified):
// every step gives one decode token to each running sequence that has finished its prefill, then spends what is
// left of the token budget (max-num-batched-tokens) on prefill chunks: first of running sequences, then of newly
// admitted ones (FIFO, capped by max-num-seqs, free KV blocks and LoRA slots). A step lasts
//   base + perDecodeToken x decodes + perPrefillToken x prefill tokens (+ adapter loads), Gaussian-jittered,
// and its tokens appear at its end. A decode that needs a new KV block when none is free preempts the most recently
// admitted sequence (its KV is dropped and recomputed later, as vLLM does).

import type { Engine, LatencyModelImpl } from './engine.js';
import { SeqState, type Sequence } from './sequence.js';

export class BatchModel implements LatencyModelImpl {
  private readonly engine: Engine;
  /** Sequences in the step under way. */
  private planned: Sequence[] = [];
  private stepActive = false;
  steps = 0;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  onArrival(now: number, nextAt: number): number {
    // A step under way (or a planned wake-up) picks the request up at its end, like vLLM's scheduler loop.
    if (nextAt !== Number.POSITIVE_INFINITY) return nextAt;
    return this.plan(now);
  }

  advance(at: number): number {
    if (this.stepActive) this.apply(at);
    return this.plan(at);
  }

  /** The step ending at `at` is done: its tokens come out. */
  private apply(at: number): void {
    const e = this.engine;
    let removed = false;
    for (const s of this.planned) {
      const chunk = s.planned;
      s.planned = 0;
      if (s.state !== SeqState.Running) continue; // preempted while planned cannot happen; aborted is handled below
      if (s.aborted) {
        e.finish(s, at);
        removed = true;
        continue;
      }
      if (chunk > 0) {
        s.computed += chunk;
        e.publishComputed(s);
        if (s.computed < s.prefillTarget) continue;
      }
      e.emitToken(s, at);
      if (s.generated >= s.outputTokens) {
        e.finish(s, at);
        removed = true;
      }
    }
    this.planned.length = 0;
    this.stepActive = false;
    if (removed) e.running = e.running.filter((s) => s.state === SeqState.Running);
  }

  /** Plans the step starting at `at`; returns its end, a wake-up time for a future arrival, or Infinity. */
  private plan(at: number): number {
    const e = this.engine;
    const p = e.params;
    let budget = p.maxNumBatchedTokens;
    let decodes = 0;
    let prefill = 0;
    let loads = 0;
    const planned = this.planned;
    let removed = false;
    const preemptionsBefore = e.metrics.preemptions;

    for (let i = 0; i < e.running.length && budget > 0; i++) {
      const s = e.running[i]!;
      if (s.state !== SeqState.Running) continue;
      if (s.aborted) {
        e.finish(s, at);
        removed = true;
        continue;
      }
      if (s.computed >= s.prefillTarget) {
        const need = e.blocksFor(s.promptTokens + s.generated) - s.blocksHeld;
        if (need > 0 && !this.growOrPreempt(s, need)) {
          removed = true;
          continue;
        }
        s.planned = -1;
        decodes++;
        budget--;
      } else {
        const chunk = Math.min(budget, s.prefillTarget - s.computed);
        s.planned = chunk;
        prefill += chunk;
        budget -= chunk;
      }
      planned.push(s);
    }
    // Preempted sequences went back to the queue: drop them from the running list before admitting (they may be
    // admitted again below, and must not appear twice).
    if (removed || e.metrics.preemptions !== preemptionsBefore)
      e.running = e.running.filter((s) => s.state === SeqState.Running);

    while (budget > 0 && e.running.length < p.maxNumSeqs) {
      const s = e.admitNext(at, (q) => e.blocksFor(q.prefillTarget));
      if (s === null) break;
      if (s.loadedLora) loads++;
      const chunk = Math.min(budget, s.prefillTarget - s.computed);
      s.planned = chunk;
      prefill += chunk;
      budget -= chunk;
      planned.push(s);
    }

    if (planned.length === 0) {
      // Nothing can run now; wake up when a request that arrived "in the future" of this virtual instant is due.
      const head = e.headArrival();
      return head > at && head !== Number.POSITIVE_INFINITY ? head : Number.POSITIVE_INFINITY;
    }
    const mean =
      p.stepBaseMs +
      p.stepPerDecodeTokenMs * decodes +
      p.stepPerPrefillTokenMs * prefill +
      p.loraLoadMs * loads;
    this.stepActive = true;
    this.steps++;
    return at + e.rng.jitter(mean, mean * p.stepJitter);
  }

  /** Gets `need` more blocks for `s`, preempting the newest running sequences. False if `s` itself was preempted. */
  private growOrPreempt(s: Sequence, need: number): boolean {
    const e = this.engine;
    while (!e.cache.allocate(need)) {
      let victim: Sequence | undefined;
      for (let j = e.running.length - 1; j >= 0; j--) {
        const c = e.running[j]!;
        if (c.state === SeqState.Running) {
          victim = c;
          break;
        }
      }
      if (victim === undefined) return false;
      e.preempt(victim);
      if (victim === s) return false;
    }
    s.anonBlocks += need;
    return true;
  }
}
