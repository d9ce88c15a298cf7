// llm-d-inference-sim's latency model, kept as an option: every running request sleeps on its own, with no
// batching effects. TTFT is constant (time-to-first-token) or prefill-overhead + uncached tokens x
// prefill-time-per-token; each later token takes inter-token-latency. Every delay is multiplied by the load factor
// f = 1 + (F - 1)(running - 1)/(max-num-seqs - 1), Gaussian-jittered (clamped to [0.3, 1.7] x mean) and, as an
// option, truncated to whole milliseconds. Requests hold KV blocks for their prompt only, as in the upstream sim.
// Per-request timers are kept in a min-heap so the pod still needs only its one engine timer.

import type { Engine, LatencyModelImpl } from './engine.js';
import { SeqState, type Sequence } from './sequence.js';

export class PerTokenModel implements LatencyModelImpl {
  private readonly engine: Engine;
  private readonly heap: Sequence[] = [];

  constructor(engine: Engine) {
    this.engine = engine;
  }

  onArrival(now: number, nextAt: number): number {
    this.admit(now);
    return Math.min(nextAt, this.nextTime(now));
  }

  advance(at: number): number {
    const e = this.engine;
    let removed = false;
    while (this.heap.length > 0 && this.heap[0]!.nextEventMs <= at) {
      const s = this.pop();
      if (s.aborted) {
        e.finish(s, at);
        removed = true;
        continue;
      }
      if (s.generated === 0) {
        s.computed = s.prefillTarget;
        e.publishComputed(s);
      }
      e.emitToken(s, at);
      if (s.generated >= s.outputTokens) {
        e.finish(s, at);
        removed = true;
        continue;
      }
      s.nextEventMs = at + this.interTokenDelay();
      this.push(s);
    }
    if (removed) e.running = e.running.filter((q) => q.state === SeqState.Running);
    this.admit(at);
    return this.nextTime(at);
  }

  private nextTime(at: number): number {
    const next = this.heap.length > 0 ? this.heap[0]!.nextEventMs : Number.POSITIVE_INFINITY;
    const head = this.engine.headArrival();
    // A queued request that arrived after `at` (virtual time lagging real time) is looked at when it is due.
    const wake =
      head > at && this.engine.running.length < this.engine.params.maxNumSeqs
        ? head
        : Number.POSITIVE_INFINITY;
    return Math.min(next, wake);
  }

  private admit(at: number): void {
    const e = this.engine;
    while (e.running.length < e.params.maxNumSeqs) {
      const s = e.admitNext(at, (q) => e.blocksFor(q.promptTokens));
      if (s === null) return;
      // A preempted request never happens here; generated > 0 only after an abort, so TTFT is always computed.
      s.nextEventMs = at + this.firstTokenDelay(s);
      this.push(s);
    }
  }

  private loadFactor(): number {
    const p = this.engine.params;
    if (p.maxNumSeqs <= 1) return 1;
    return 1 + ((p.timeFactorUnderLoad - 1) * (this.engine.running.length - 1)) / (p.maxNumSeqs - 1);
  }

  private firstTokenDelay(s: Sequence): number {
    const p = this.engine.params;
    const f = this.loadFactor();
    let d: number;
    if (p.ttftCalculator === 'constant') {
      d = f * this.engine.rng.jitter(p.timeToFirstTokenMs, p.timeToFirstTokenStdDevMs);
    } else {
      const mean = f * (p.prefillOverheadMs + (s.promptTokens - s.cachedTokens) * p.prefillTimePerTokenMs);
      d = this.engine.rng.jitter(mean, f * p.prefillTimeStdDevMs);
    }
    if (s.loadedLora) d += p.loraLoadMs;
    return p.truncateToMs ? Math.trunc(d) : d;
  }

  private interTokenDelay(): number {
    const p = this.engine.params;
    const f = this.loadFactor();
    const d = this.engine.rng.jitter(f * p.interTokenLatencyMs, f * p.interTokenLatencyStdDevMs);
    return p.truncateToMs ? Math.trunc(d) : d;
  }

  private push(s: Sequence): void {
    const h = this.heap;
    let i = h.length;
    h.push(s);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.nextEventMs <= s.nextEventMs) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = s;
  }

  private pop(): Sequence {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.nextEventMs < h[l]!.nextEventMs ? r : l;
        if (h[c]!.nextEventMs >= last.nextEventMs) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
