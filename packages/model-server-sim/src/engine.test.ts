import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { BatchModel } from './batch-model.js';
import { SimClock } from './clock.js';
import { Engine } from './engine.js';
import { SimError } from './errors.js';
import { PerTokenModel } from './per-token-model.js';
import { type EngineParams, resolveParams } from './profiles.js';
import { Rng } from './random.js';
import { type SeqSink, SeqState, type Sequence } from './sequence.js';
import { textBlockHashes } from './tokens.js';

/** Simulated time under the test's control; the engine's real timer never fires on its own. */
class ManualClock extends SimClock {
  t = 0;
  override now(): number {
    return this.t;
  }
  override realDelay(): number {
    return 1e6;
  }
}

const engines: Engine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

function makeEngine(overrides: Partial<EngineParams>, profile = 'h100-8b') {
  const clock = new ManualClock(1);
  const e = new Engine(resolveParams(profile, overrides), 'm', new Rng(1), clock);
  e.model = e.params.latencyModel === 'batch' ? new BatchModel(e) : new PerTokenModel(e);
  engines.push(e);
  const times = new Map<number, number[]>();
  const sink: SeqSink = {
    onToken(s: Sequence) {
      const list = times.get(s.id) ?? [];
      list.push(clock.t);
      times.set(s.id, list);
    },
    onFinish() {},
  };
  const submit = (
    promptTokens: number,
    outputTokens: number,
    opts: { hashes?: number[]; lora?: string } = {},
  ) =>
    e.submit({
      promptTokens,
      blockHashes: opts.hashes ?? [],
      outputTokens,
      finishReason: 'length',
      lora: opts.lora ?? null,
      sink,
    });
  /** Runs events one at a time until idle or `limit`. */
  const run = (limit = 1e9) => {
    while (e.nextEventAt <= limit) {
      clock.t = e.nextEventAt;
      e.advanceTo(clock.t);
    }
  };
  return { e, clock, submit, run, times };
}

const EXACT = { stepBaseMs: 10, stepPerDecodeTokenMs: 1, stepPerPrefillTokenMs: 0.01, stepJitter: 0 };

describe('batch model', () => {
  test('a step lasts base + per decode token + per prefill token; new requests join at step boundaries', () => {
    const { e, submit, run, times } = makeEngine(EXACT);
    const a = submit(100, 3);
    const b = submit(100, 2);
    run();
    // step 1 [0,11): prefill a (100 tokens) = 10 + 1. b arrived during it and waits for the boundary.
    // step 2 [11,23): decode a + prefill b = 10 + 1 + 1. step 3 [23,35): decode a and b = 10 + 2.
    assert.deepEqual(times.get(a.id), [11, 23, 35]);
    assert.deepEqual(times.get(b.id), [23, 35]);
    assert.equal(e.running.length, 0);
    assert.equal(e.cache.used, 0, 'all blocks released');
    const s = e.stats();
    assert.equal(s.finished, 2);
    assert.equal(s.generationTokens, 5);
  });

  test('chunked prefill shares the token budget with decodes', () => {
    const { submit, run, times } = makeEngine({ ...EXACT, maxNumBatchedTokens: 256 });
    const short = submit(10, 6);
    const long = submit(1000, 1);
    run();
    // step 1: prefill short (10). Then each step: 1 decode + 255 prefill tokens of long: 1000 = 255*3 + 235.
    const shortTimes = times.get(short.id)!;
    assert.equal(shortTimes.length, 6);
    const longTimes = times.get(long.id)!;
    assert.equal(longTimes.length, 1);
    // The long prompt's first token comes at the end of its 4th chunk, while short kept decoding every step.
    assert.equal(longTimes[0], shortTimes[4]);
    const steps = shortTimes.slice(1).map((t, i) => t - shortTimes[i]!);
    assert.deepEqual(
      steps.slice(0, 3).map((d) => Math.round(d * 100) / 100),
      [13.55, 13.55, 13.55],
    );
  });

  test('max-num-seqs caps the running set; the rest wait FIFO', () => {
    const { e, submit, run, clock } = makeEngine({ ...EXACT, maxNumSeqs: 2 });
    const seqs = [submit(20, 5), submit(20, 5), submit(20, 5), submit(20, 5)];
    clock.t = e.nextEventAt;
    e.advanceTo(clock.t);
    assert.equal(e.running.length, 2);
    assert.equal(e.waitingCount, 2);
    run();
    const finishOrder = [...seqs].sort((x, y) => x.finishedMs - y.finishedMs).map((s) => s.id);
    assert.deepEqual(
      finishOrder,
      seqs.map((s) => s.id),
    );
  });

  test('a full waiting queue refuses with queue_full (429)', () => {
    const { submit } = makeEngine({ ...EXACT, maxNumSeqs: 1, maxWaitingQueueLength: 2 });
    submit(10, 5); // admitted at once (the engine was idle)
    submit(10, 5);
    submit(10, 5);
    assert.throws(
      () => submit(10, 5),
      (err: unknown) =>
        err instanceof SimError && err.status === 429 && /waiting queue is full/.test(err.message),
    );
  });

  test('prefix hits skip prefill and share blocks', () => {
    const { e, submit, run, times } = makeEngine(EXACT);
    const hashes = textBlockHashes('m', 'q'.repeat(4 * 800), 16);
    const first = submit(800, 1, { hashes });
    run();
    assert.equal(first.cachedTokens, 0);
    assert.equal(e.cache.used, 0);
    assert.equal(e.cache.stats().evictable, 50, 'its 50 full blocks stay cached');
    const second = submit(800, 3, { hashes });
    const third = submit(800, 3, { hashes });
    run();
    // 800 tokens = 50 full blocks; at least one token is recomputed, so 49 blocks hit.
    assert.equal(second.cachedTokens, 784);
    assert.equal(third.cachedTokens, 784);
    const t2 = times.get(second.id)!;
    assert.ok(
      t2[0]! - first.finishedMs < 11,
      `the cached prompt prefilled in ${t2[0]! - first.finishedMs} ms (16 tokens)`,
    );
    const st = e.stats();
    assert.equal(st.prefixQueryTokens, 2400);
    assert.equal(st.prefixHitTokens, 1568);
  });

  test('sequences wait for KV blocks, and decode growth preempts the newest sequence', () => {
    const { e, submit, run, times, clock } = makeEngine({ ...EXACT, numGpuBlocks: 10, blockSize: 16 });
    const a = submit(64, 60); // 4 blocks, grows to 8
    const b = submit(64, 60);
    let maxUsed = 0;
    while (e.nextEventAt < Number.POSITIVE_INFINITY) {
      clock.t = e.nextEventAt;
      e.advanceTo(clock.t);
      maxUsed = Math.max(maxUsed, e.cache.used);
      assert.equal(
        new Set(e.running).size,
        e.running.length,
        'a sequence is never in the running list twice',
      );
    }
    assert.ok(maxUsed <= 10);
    assert.equal(a.generated, 60);
    assert.equal(b.generated, 60);
    assert.ok(e.stats().preemptions >= 1, 'b was preempted when a needed blocks');
    assert.equal(a.preemptions, 0);
    assert.ok(b.preemptions >= 1);
    const bTimes = times.get(b.id)!;
    assert.equal(bTimes.length, 60);
    for (let i = 1; i < bTimes.length; i++)
      assert.ok(bTimes[i]! > bTimes[i - 1]!, 'one token per step, never two');
    run();
  });

  test('under KV pressure with preemptions, invariants hold (mixed sizes, seeded)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { e, submit, clock, times } = makeEngine({
        ...EXACT,
        numGpuBlocks: 24,
        blockSize: 16,
        maxNumSeqs: 8,
      });
      const rng = new Rng(seed);
      const seqs = Array.from({ length: 30 }, () => submit(rng.int(5, 120), rng.int(1, 90)));
      let steps = 0;
      while (e.nextEventAt < Number.POSITIVE_INFINITY && steps++ < 100_000) {
        clock.t = e.nextEventAt;
        e.advanceTo(clock.t);
        assert.equal(
          new Set(e.running).size,
          e.running.length,
          'a sequence is never in the running list twice',
        );
        assert.ok(
          e.running.every((s) => s.state === SeqState.Running),
          'preempted sequences leave the running list (and the running gauge) at once',
        );
        assert.ok(e.cache.used <= 24 && e.running.length <= 8);
      }
      for (const s of seqs) {
        assert.equal(s.generated, s.outputTokens);
        const t = times.get(s.id)!;
        assert.equal(t.length, s.outputTokens);
        for (let i = 1; i < t.length; i++) assert.ok(t[i]! > t[i - 1]!, 'one token per step, never two');
      }
      assert.equal(e.cache.used, 0);
      assert.ok(e.stats().preemptions > 0, `seed ${seed} exercised preemption`);
    }
  });

  test('a request that does not fit waits until blocks free up (head of line)', () => {
    const { e, submit, clock } = makeEngine({ ...EXACT, numGpuBlocks: 10, blockSize: 16 });
    const a = submit(100, 20); // 7 blocks
    const big = submit(100, 1); // 7 more: does not fit while a runs
    const small = submit(10, 1); // would fit, but FIFO keeps it behind `big`
    clock.t = e.nextEventAt;
    e.advanceTo(clock.t);
    assert.equal(e.running.length, 1);
    assert.equal(e.waitingCount, 2);
    assert.ok(e.gauges().kvUsage > 0.6);
    while (e.nextEventAt < Number.POSITIVE_INFINITY) e.advanceTo(e.nextEventAt);
    assert.ok(big.firstTokenMs > a.finishedMs - 1e-9);
    assert.ok(small.firstTokenMs >= big.firstTokenMs);
  });

  test('LoRA slots: adapters load on demand, others wait, the base model is not blocked', () => {
    const { e, submit, clock } = makeEngine({ ...EXACT, maxLoras: 1, loraLoadMs: 5 });
    const a1 = submit(10, 10, { lora: 'a1' });
    const a2 = submit(10, 2, { lora: 'a2' });
    const base = submit(10, 2);
    clock.t = e.nextEventAt; // 0 + 10 + 0.1 + 5 (load)
    assert.equal(clock.t, 15.1);
    e.advanceTo(clock.t);
    clock.t = e.nextEventAt;
    e.advanceTo(clock.t);
    assert.deepEqual(e.gauges().runningLoras, ['a1']);
    assert.deepEqual(e.gauges().waitingLoras, ['a2']);
    assert.equal(base.generated, 1, 'the base-model request skipped past the waiting adapter');
    while (e.nextEventAt < Number.POSITIVE_INFINITY) e.advanceTo(e.nextEventAt);
    assert.ok(a2.firstTokenMs > a1.finishedMs - 1e-9);
    assert.equal(e.stats().loraLoads, 2);
    assert.deepEqual(e.stats().loadedLoras, ['a2'], 'a1 was unloaded for a2');
  });

  test('an aborted waiting request leaves the queue at once', () => {
    const { e, submit } = makeEngine({ ...EXACT, maxNumSeqs: 1 });
    submit(10, 5);
    const w = submit(10, 5);
    assert.equal(e.waitingCount, 1);
    e.abort(w);
    assert.equal(e.waitingCount, 0);
    assert.equal(e.stats().aborted, 1);
  });

  test('jitter is Gaussian around the step time and seeded', () => {
    const durations = (seed: number) => {
      const e = new Engine(
        resolveParams('h100-8b', { stepJitter: 0.1 }),
        'm',
        new Rng(seed),
        new ManualClock(1),
      );
      return Array.from({ length: 200 }, () => e.rng.jitter(10, 1));
    };
    const a = durations(5);
    assert.deepEqual(a, durations(5));
    assert.notDeepEqual(a, durations(6));
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    assert.ok(Math.abs(mean - 10) < 0.3, `mean ${mean}`);
    assert.ok(a.every((x) => x >= 3 && x <= 17));
  });
});

describe('per-token model (llm-d-inference-sim)', () => {
  test('constant TTFT then ITL per token, scaled by the load factor', () => {
    const p = {
      timeToFirstTokenMs: 100,
      timeToFirstTokenStdDevMs: 0,
      interTokenLatencyMs: 10,
      interTokenLatencyStdDevMs: 0,
      timeFactorUnderLoad: 3,
      maxNumSeqs: 3,
      loraLoadMs: 0,
    };
    const { e, submit, run, times } = makeEngine(p, 'sim-8b');
    const a = submit(50, 3);
    run();
    assert.deepEqual(times.get(a.id), [100, 110, 120]);
    // Two running: f = 1 + (3-1)(2-1)/(3-1) = 2.
    const b = submit(50, 2);
    const c = submit(50, 2);
    run();
    assert.deepEqual(
      times.get(b.id)!.map((t) => t - 120),
      [100, 120],
      'b started alone (f=1), its ITL saw 2 running',
    );
    assert.deepEqual(
      times.get(c.id)!.map((t) => t - 120),
      [200, 200 + 10],
    );
    assert.equal(e.cache.used, 0);
  });

  test('per-token TTFT counts only uncached prompt tokens', () => {
    const { submit, run, times } = makeEngine(
      {
        prefillOverheadMs: 30,
        prefillTimePerTokenMs: 0.25,
        prefillTimeStdDevMs: 0,
        interTokenLatencyStdDevMs: 0,
        loraLoadMs: 0,
      },
      'sim-8b-per-token',
    );
    const hashes = textBlockHashes('m', 'w'.repeat(4 * 400), 16);
    const a = submit(400, 1, { hashes });
    run();
    assert.deepEqual(times.get(a.id), [130]);
    const b = submit(400, 1, { hashes });
    run();
    assert.equal(b.cachedTokens, 384);
    assert.equal(times.get(b.id)![0]! - 130, 34); // 30 + 16 x 0.25
  });
});

describe('both models under a random mix', () => {
  for (const profile of ['h100-8b', 'sim-8b-per-token']) {
    test(`${profile}: adapters, aborts, prefix sharing and KV pressure keep every invariant`, () => {
      const { e, submit, clock, times } = makeEngine(
        {
          ...EXACT,
          numGpuBlocks: 40,
          blockSize: 16,
          maxNumSeqs: 6,
          maxLoras: 2,
          loraLoadMs: 3,
          interTokenLatencyStdDevMs: 0,
        },
        profile,
      );
      const rng = new Rng(99);
      const shared = textBlockHashes('m', 's'.repeat(4 * 160), 16);
      const adapters = [null, null, 'l1', 'l2', 'l3'];
      const seqs = Array.from({ length: 60 }, (_, i) =>
        submit(160, rng.int(1, 60), {
          hashes: i % 2 === 0 ? shared : textBlockHashes('m', `${i}`.repeat(4 * 160).slice(0, 640), 16),
          ...(adapters[i % adapters.length] ? { lora: adapters[i % adapters.length]! } : {}),
        }),
      );
      const aborted = new Set([seqs[3]!, seqs[10]!, seqs[41]!]);
      let steps = 0;
      while (e.nextEventAt < Number.POSITIVE_INFINITY && steps++ < 100_000) {
        clock.t = e.nextEventAt;
        e.advanceTo(clock.t);
        if (steps === 5) for (const s of aborted) e.abort(s);
        assert.ok(e.running.every((s) => s.state === SeqState.Running));
        assert.equal(new Set(e.running).size, e.running.length);
        assert.ok(e.cache.used <= 40 && e.running.length <= 6);
        assert.ok(e.loras.loadedNames().length <= 2);
      }
      for (const s of seqs) {
        if (aborted.has(s)) continue;
        assert.equal(s.generated, s.outputTokens, `seq ${s.id}`);
        const t = times.get(s.id)!;
        for (let i = 1; i < t.length; i++) assert.ok(t[i]! >= t[i - 1]!);
      }
      const st = e.stats();
      assert.equal(st.finished + st.aborted, 60);
      assert.equal(st.aborted, 3);
      assert.equal(st.running + st.waiting + st.kvUsedBlocks, 0);
      assert.ok(st.prefixHitTokens > 0);
      assert.ok(st.loraLoads >= 3);
    });
  }
});

describe('engine timer', () => {
  test('a backlog larger than one tick drains with one wake-up per tick, none duplicated', async () => {
    // A clock under the test's control whose due events get a 0 ms timer (future ones 1 ms): the engine's own
    // timer drains the backlog, and every wake-up is counted.
    class DueClock extends SimClock {
      t = 0;
      override now(): number {
        return this.t;
      }
      override realDelay(atMs: number): number {
        return atMs <= this.t ? 0 : 1;
      }
    }
    const clock = new DueClock(1);
    const e = new Engine(resolveParams('h100-8b', EXACT), 'm', new Rng(1), clock);
    e.model = new BatchModel(e);
    engines.push(e);
    let wakeups = 0;
    const onTimer = (e as unknown as { onTimer: () => void }).onTimer;
    (e as unknown as { onTimer: () => void }).onTimer = () => {
      wakeups++;
      onTimer();
    };
    let done = false;
    e.submit({
      promptTokens: 16,
      blockHashes: [],
      outputTokens: 12_000, // one step per token: 12,000 events, more than two ticks' worth (5,000 each)
      finishReason: 'length',
      lora: null,
      sink: {
        onToken() {},
        onFinish() {
          done = true;
        },
      },
    });
    clock.t = 1e12; // before the engine's first wake-up: all 12,000 steps are due at once
    for (let i = 0; i < 1000 && !done; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(done, true);
    await new Promise((r) => setTimeout(r, 20));
    // 5,000 + 5,000 + 2,000 events: three wake-ups, no second chain beside the timer
    assert.equal(wakeups, 3);
  });
});
