// A plain TypeScript implementation of the same scheduling algorithm as the WASM module (same RNG draws in the
// same order), used by the differential tests and as the benchmark baseline. It is written for clarity first,
// with the obvious data structures (arrays of objects, Maps, Array.prototype.sort).
import { SHED_LEGACY_MESSAGE, SHED_SATURATED_MESSAGE } from '../errors.js';
import { EndpointRegistry } from '../registry.js';
import type {
  EndpointHandle,
  EndpointMetricsUpdate,
  EndpointPickerConfig,
  EndpointScore,
  ScheduleRequest,
  ScheduleResult,
  SchedulerOptions,
  SchedulerStats,
  ScorerType,
} from '../types.js';
import { legacyCritical, validateMetrics, validateRequest } from '../validate.js';
import { legacyTree } from './legacy-tree.js';
import { PrefixStore } from './prefix-store.js';
import { Mulberry32 } from './rng.js';

export interface RefEndpoint {
  slot: number;
  hasMetrics: boolean;
  waiting: number;
  running: number;
  kv: number;
  maxLora: number;
  updatedAt: number;
  active: Set<string>;
  waitingModels: Set<string>;
  /** Picks since the last scrape (SchedulerOptions.assumedLoad). */
  assumed: number;
  /** `assumed` when the scrape in flight was sent; -1 when none was marked. */
  scrapeMark: number;
}

export class ReferenceScheduler {
  private readonly reg = new EndpointRegistry();
  private readonly eps: Array<RefEndpoint | undefined> = [];
  private readonly rng: Mulberry32;
  private readonly prefix: PrefixStore | null;
  private lookups = 0;
  private hitBlocks = 0;
  private totalBlocks = 0;
  private readonly assumeLoad: boolean;

  constructor(
    private readonly cfg: EndpointPickerConfig,
    opts: SchedulerOptions = {},
  ) {
    this.assumeLoad = opts.assumedLoad === true;
    this.rng = new Mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    const pc = cfg.prefixCache;
    this.prefix = pc
      ? new PrefixStore(pc.blockSizeBytes, pc.maxPrefixBlocksToMatch, pc.lruCapacityPerServer, pc.scheme)
      : null;
  }

  addEndpoint(address: string): EndpointHandle {
    const existing = this.reg.find(address);
    if (existing) return existing;
    const slot = this.reg.allocate(address);
    this.prefix?.drop(slot);
    this.eps[slot] = {
      slot,
      hasMetrics: false,
      waiting: 0,
      running: 0,
      kv: 0,
      maxLora: 0,
      updatedAt: 0,
      active: new Set(),
      waitingModels: new Set(),
      assumed: 0,
      scrapeMark: -1,
    };
    return this.reg.handle(slot);
  }

  removeEndpoint(h: EndpointHandle): void {
    this.reg.check(h);
    this.prefix?.drop(h.slot);
    this.eps[h.slot] = undefined;
    this.reg.release(h);
  }

  updateMetrics(h: EndpointHandle, m: EndpointMetricsUpdate): void {
    this.reg.check(h);
    validateMetrics(m);
    const e = this.eps[h.slot]!;
    e.hasMetrics = true;
    e.waiting = m.waitingQueueSize;
    e.running = m.runningRequestsSize;
    e.kv = m.kvCacheUsagePercent;
    e.maxLora = m.maxActiveModels;
    e.updatedAt = m.updatedAtMs;
    e.active = new Set(m.activeModels);
    e.waitingModels = new Set(m.waitingModels);
    e.assumed = e.scrapeMark < 0 ? 0 : Math.max(0, e.assumed - e.scrapeMark);
    e.scrapeMark = -1;
  }

  markScrapeStart(h: EndpointHandle): void {
    this.reg.check(h);
    const e = this.eps[h.slot]!;
    e.scrapeMark = e.assumed;
  }

  assumedLoad(h: EndpointHandle): number {
    this.reg.check(h);
    return this.eps[h.slot]!.assumed;
  }

  private fresh(e: RefEndpoint, now: number): boolean {
    return e.hasMetrics && now - e.updatedAt <= this.cfg.saturationDetector.metricsStalenessThresholdMs;
  }

  private saturated(now: number, cands: RefEndpoint[] | null): boolean {
    const sd = this.cfg.saturationDetector;
    const all = this.eps.filter((e): e is RefEndpoint => e !== undefined);
    if (sd.kind === 'v1.0') {
      return !all.some(
        (e) => this.fresh(e, now) && e.waiting <= sd.queueDepthThreshold && e.kv <= sd.kvCacheUtilThreshold,
      );
    }
    const list = cands ?? all;
    if (list.length === 0) return true;
    let sum = 0;
    for (const e of list) {
      sum += this.fresh(e, now)
        ? Math.max(e.waiting / sd.queueDepthThreshold, e.kv / sd.kvCacheUtilThreshold)
        : 1;
    }
    return sum / list.length >= 1;
  }

  isSaturated(nowMs: number): boolean {
    return this.saturated(nowMs, null);
  }

  private candidates(hint: string[] | null | undefined): RefEndpoint[] {
    if (hint == null) return this.eps.filter((e): e is RefEndpoint => e !== undefined);
    return this.reg.subsetSlots(hint).map((s) => this.eps[s]!);
  }

  schedule(req: ScheduleRequest): ScheduleResult {
    validateRequest(req);
    let cands = this.candidates(req.subsetHint);
    const p = this.cfg.profile;
    if (p.kind === 'legacy-v0.3') {
      if (cands.length === 0) return { status: 'no-candidates' };
      const r = legacyTree(cands, legacyCritical(req), req.targetModel, p.params, this.rng);
      if (r === 'drop') return { status: 'shed', message: SHED_LEGACY_MESSAGE };
      if (r === null) return { status: 'error', message: 'failed to apply filter, resulted 0 pods' };
      return { status: 'ok', endpoints: [this.reg.address(r.slot)] };
    }
    if (req.priority < 0 && this.saturated(req.nowMs, cands)) {
      return { status: 'shed', message: SHED_SATURATED_MESSAGE };
    }
    if (cands.length === 0) return { status: 'no-candidates' };
    if (p.headerFilter) {
      const allowed = new Set(this.reg.selectionSlots(req.endpointSelection ?? ''));
      cands = cands.filter((e) => allowed.has(e.slot));
      if (cands.length === 0)
        return { status: 'error', message: `failed to run scheduler profile '${p.name}'` };
    }
    if (p.utilizationFilter) cands = this.utilizationFilter(cands, req.nowMs);

    let hashes: string[] = [];
    let matched = new Map<number, number>();
    if (this.prefix) {
      hashes = this.prefix.hashes(req.targetModel, req.prompt);
      matched = this.prefix.match(hashes);
    }
    const per = p.scorers.map((s) =>
      this.raw(s.type, cands, req.targetModel, matched, hashes.length).map(clamp),
    );
    const totals = cands.map((_, i) => {
      let t = 0;
      p.scorers.forEach((s, k) => {
        t += per[k]![i]! * s.weight;
      });
      return t;
    });
    const picks = this.pick(totals, p.picker.type, p.picker.maxNumOfEndpoints);
    const endpoints = picks.map((i) => this.reg.address(cands[i]!.slot));
    if (this.assumeLoad) cands[picks[0]!]!.assumed += 1;
    const res: ScheduleResult & { status: 'ok' } = { status: 'ok', endpoints };
    if (this.prefix) {
      const primary = cands[picks[0]!]!.slot;
      const m = hashes.length > 0 ? (matched.get(primary) ?? 0) : 0;
      this.lookups++;
      this.hitBlocks += m;
      this.totalBlocks += hashes.length;
      this.prefix.record(primary, hashes);
      res.prefix = {
        matchedBlocks: m,
        totalBlocks: hashes.length,
        blockSizeBytes: this.cfg.prefixCache!.blockSizeBytes,
      };
    }
    if (req.wantScores) {
      res.scores = cands.map((e, i): EndpointScore => {
        const perScorer: Record<string, number> = {};
        p.scorers.forEach((s, k) => {
          perScorer[s.name] = per[k]![i]!;
        });
        return { address: this.reg.address(e.slot), score: totals[i]!, perScorer };
      });
    }
    return res;
  }

  private utilizationFilter(cands: RefEndpoint[], now: number): RefEndpoint[] {
    const sd = this.cfg.saturationDetector;
    const q = sd.queueDepthThreshold * (1 + sd.headroom);
    const k = sd.kvCacheUtilThreshold * (1 + sd.headroom);
    const kept = cands.filter((e) => this.fresh(e, now) && e.waiting < q && e.kv < k);
    return kept.length === 0 ? cands : kept;
  }

  private raw(
    type: ScorerType,
    cands: RefEndpoint[],
    target: string,
    matched: Map<number, number>,
    total: number,
  ) {
    switch (type) {
      case 'queue-scorer':
        return minMax(cands.map((e) => e.waiting + e.assumed));
      case 'running-requests-size-scorer':
        return minMax(cands.map((e) => e.running + e.assumed));
      case 'kv-cache-utilization-scorer':
        return cands.map((e) => 1 - e.kv);
      case 'lora-affinity-scorer':
        return cands.map((e) => {
          if (e.active.has(target)) return 1;
          if (e.active.size + e.waitingModels.size < e.maxLora) return 0.8;
          if (e.waitingModels.has(target)) return 0.6;
          return 0;
        });
      case 'prefix-cache-scorer':
        return cands.map((e) => (total === 0 ? 0 : (matched.get(e.slot) ?? 0) / total));
    }
  }

  private shuffled(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.rng.next() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    return order;
  }

  /** Candidate positions picked, primary first. */
  private pick(totals: number[], type: string, max: number): number[] {
    const n = Math.min(Math.max(1, max), totals.length);
    if (type === 'max-score-picker' && n === 1) {
      // one pick: uniform among the best (one draw, only on a tie) -- same distribution as shuffle + sort
      const best = Math.max(...totals);
      const ties = totals.flatMap((t, i) => (t === best ? [i] : []));
      return [ties.length > 1 ? ties[Math.floor(this.rng.next() * ties.length)]! : ties[0]!];
    }
    if (type === 'max-score-picker') {
      return this.shuffled(totals.length)
        .sort((a, b) => totals[b]! - totals[a]!)
        .slice(0, n);
    }
    if (type === 'random-picker' || !totals.some((t) => t > 0))
      return this.shuffled(totals.length).slice(0, n);
    const keys = totals.map((s) => {
      if (s <= 0) return 0;
      let u = this.rng.next();
      if (u === 0) u = 1e-10;
      return u ** (1 / s);
    });
    return keys
      .map((_, i) => i)
      .sort((a, b) => keys[b]! - keys[a]!)
      .slice(0, n);
  }

  stats(): SchedulerStats {
    return {
      endpoints: this.reg.count,
      prefixIndexEntries: this.prefix?.entries ?? 0,
      prefixLookups: this.lookups,
      prefixHitBlocks: this.hitBlocks,
      prefixTotalBlocks: this.totalBlocks,
    };
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}

function minMax(values: number[]): number[] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => (hi === lo ? 1 : (hi - v) / (hi - lo)));
}
