// The WASM-backed Scheduler: pool state lives in the module's linear memory; this class only translates
// handles, interns names, writes inputs into the static buffers and reads the output buffer.
import {
  SchedulerCapacityError,
  SchedulerInputError,
  SHED_LEGACY_MESSAGE,
  SHED_SATURATED_MESSAGE,
  WasmStatus,
} from './errors.js';
import { EndpointRegistry } from './registry.js';
import type {
  EndpointHandle,
  EndpointMetricsUpdate,
  EndpointPickerConfig,
  EndpointScore,
  ScheduleRequest,
  ScheduleResult,
  SchedulerOptions,
  SchedulerStats,
} from './types.js';
import { legacyCritical, validateMetrics, validateRequest } from './validate.js';
import { instantiateScorer, L, O, type ScorerExports } from './wasm/abi.js';
import { writeConfigBlock } from './wasm/config-block.js';

const encoder = new TextEncoder();
const DEFAULT_CAPACITY = 16;
const INITIAL_ADAPTER_SLOTS = 8;
const INITIAL_MODEL_BYTES = 256;

export class Scheduler {
  private readonly ex: ScorerExports;
  private readonly reg = new EndpointRegistry();
  private readonly cfg: EndpointPickerConfig;
  private buf: ArrayBuffer | undefined;
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private u32 = new Uint32Array(0);
  private u8 = new Uint8Array(0);
  private lay = new Float64Array(0);
  private outBase = 0;
  private modelCap = INITIAL_MODEL_BYTES;
  private readonly promptCap: number;
  private readonly blockBytes: number;
  private readonly maxBlocks: number;
  private readonly lruCap: number;
  private readonly scorerNames: string[];
  // writeInput cache: the model whose bytes sit at the start of the input buffer, and the prompt view after them
  private inputModel: string | undefined;
  private inputModelLen = 0;
  private inputBase = -1;
  private inputBuf: Uint8Array | undefined;
  private promptView = new Uint8Array(0);
  /** Whole-table re-layouts after the constructor's first one (each copies the table and stalls the caller). */
  private relayouts = -1;
  private readonly assumeLoad: boolean;
  /** Per slot: the assumed load when the scrape in flight started (-1: no scrape marked). */
  private readonly scrapeMarks: number[] = [];

  static create(cfg: EndpointPickerConfig, opts: SchedulerOptions = {}): Scheduler {
    return new Scheduler(cfg, opts);
  }

  private constructor(cfg: EndpointPickerConfig, opts: SchedulerOptions) {
    this.cfg = cfg;
    this.ex = instantiateScorer();
    const pc = cfg.prefixCache;
    this.blockBytes = pc ? pc.blockSizeBytes : 0;
    this.maxBlocks = pc ? pc.maxPrefixBlocksToMatch : 0;
    this.lruCap = pc ? pc.lruCapacityPerServer : 0;
    this.promptCap = this.blockBytes * this.maxBlocks;
    this.scorerNames = cfg.profile.kind === 'plugins' ? cfg.profile.scorers.map((s) => s.name) : [];
    this.assumeLoad = opts.assumedLoad === true && cfg.profile.kind === 'plugins';
    this.refreshViews();
    writeConfigBlock(this.f64, this.ex.cfgPtr() / 8, cfg);
    this.ex.applyConfig();
    this.ex.seed((opts.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0);
    const cap = Math.max(1, Math.floor(opts.initialCapacity ?? DEFAULT_CAPACITY));
    this.grow(cap, INITIAL_ADAPTER_SLOTS, this.modelCap);
  }

  /** Input bytes for a given model capacity: [model][prompt + encodeInto slack][hash scratch]. */
  private inputBytes(modelCap: number): number {
    return this.cfg.prefixCache ? modelCap + this.promptCap + 4 + this.blockBytes + 8 : 0;
  }

  private grow(endpoints: number, adapters: number, modelCap: number): void {
    const rc = this.ex.reserve(endpoints, adapters, this.lruCap, this.inputBytes(modelCap), this.maxBlocks);
    if (rc !== 0) {
      throw new SchedulerCapacityError(
        `cannot grow WASM memory to ${endpoints} endpoints x ${this.lruCap} prefix entries (${adapters} adapters)`,
      );
    }
    this.relayouts++;
    this.modelCap = modelCap;
    this.inputModel = undefined; // the input area is not preserved across a re-layout
    this.refreshViews();
  }

  private refreshViews(): void {
    const b = this.ex.memory.buffer;
    if (b === this.buf) return;
    this.buf = b;
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
    this.u32 = new Uint32Array(b);
    this.u8 = new Uint8Array(b);
    this.lay = new Float64Array(b, this.ex.layoutPtr(), 32);
    this.outBase = this.ex.outPtr() / 8;
  }

  private ptr(slot: number): number {
    return this.lay[slot]!;
  }

  /** Adds an endpoint (idempotent: an address already present returns its current handle). */
  addEndpoint(address: string): EndpointHandle {
    const existing = this.reg.find(address);
    if (existing) return existing;
    const slot = this.reg.allocate(address);
    const capE = this.ptr(L.capE);
    if (slot >= capE) {
      try {
        this.grow(Math.max(capE * 2, slot + 1), this.ptr(L.capA), this.modelCap);
      } catch (e) {
        this.reg.release(this.reg.handle(slot));
        throw e;
      }
    }
    this.ex.addEndpoint(slot);
    this.scrapeMarks[slot] = -1;
    return this.reg.handle(slot);
  }

  /** Frees the slot and drops its prefix-cache entries. */
  removeEndpoint(h: EndpointHandle): void {
    this.reg.check(h);
    this.ex.removeEndpoint(h.slot);
    this.reg.release(h);
  }

  updateMetrics(h: EndpointHandle, m: EndpointMetricsUpdate): void {
    this.reg.check(h);
    validateMetrics(m);
    const active = dedupe(m.activeModels);
    const waiting = dedupe(m.waitingModels);
    const need = Math.max(active.length, waiting.length);
    let capA = this.ptr(L.capA);
    if (need > capA) {
      let a = capA;
      while (a < need) a *= 2;
      this.grow(this.ptr(L.capE), a, this.modelCap);
      capA = a;
    }
    const s = h.slot;
    const f = this.f64;
    f[this.ptr(L.waiting) / 8 + s] = m.waitingQueueSize;
    f[this.ptr(L.running) / 8 + s] = m.runningRequestsSize;
    f[this.ptr(L.kv) / 8 + s] = m.kvCacheUsagePercent;
    f[this.ptr(L.maxLora) / 8 + s] = m.maxActiveModels;
    f[this.ptr(L.updatedAt) / 8 + s] = m.updatedAtMs;
    const activeRow = this.ptr(L.active) / 4 + s * capA;
    const waitingRow = this.ptr(L.waitingModels) / 4 + s * capA;
    for (let i = 0; i < active.length; i++) this.u32[activeRow + i] = this.reg.intern(active[i]!);
    for (let i = 0; i < waiting.length; i++) this.u32[waitingRow + i] = this.reg.intern(waiting[i]!);
    this.i32[this.ptr(L.nActive) / 4 + s] = active.length;
    this.i32[this.ptr(L.nWaitingModels) / 4 + s] = waiting.length;
    this.i32[this.ptr(L.hasMetrics) / 4 + s] = 1;
    // The scrape accounts for the picks made before it started; picks made while it was in flight may not have
    // reached the server yet, so they stay assumed.
    const assumed = this.ptr(L.assumed) / 8 + s;
    const mark = this.scrapeMarks[s] ?? -1;
    f[assumed] = mark < 0 ? 0 : Math.max(0, f[assumed]! - mark);
    this.scrapeMarks[s] = -1;
  }

  /**
   * Call when a scrape of this endpoint is sent: the next updateMetrics then clears only the picks made before
   * this moment. Without a mark, updateMetrics clears all of them.
   */
  markScrapeStart(h: EndpointHandle): void {
    this.reg.check(h);
    this.scrapeMarks[h.slot] = this.f64[this.ptr(L.assumed) / 8 + h.slot]!;
  }

  /** Requests picked for this endpoint that its scraped metrics do not show yet (0 unless assumedLoad). */
  assumedLoad(h: EndpointHandle): number {
    this.reg.check(h);
    return this.f64[this.ptr(L.assumed) / 8 + h.slot]!;
  }

  /** The configured saturation detector over the whole pool. */
  isSaturated(nowMs: number): boolean {
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
      throw new SchedulerInputError(`nowMs must be a finite number, got ${String(nowMs)}`);
    }
    return this.ex.isSaturated(nowMs) !== 0;
  }

  /**
   * Writes model and prompt bytes into the input buffer; returns their lengths. The model's bytes and the prompt
   * view are cached while the model and the layout stay the same (the common case: one model per request stream),
   * so a decision usually costs one encodeInto and no allocation here.
   */
  private writeInput(model: string, prompt: string | Uint8Array): [number, number] {
    if (!this.cfg.prefixCache) return [0, 0];
    const inBase = this.ptr(L.input);
    if (model !== this.inputModel || this.inputBase !== inBase || this.inputBuf !== this.u8) {
      const r = encoder.encodeInto(model, this.u8.subarray(inBase, inBase + this.modelCap));
      if (r.read < model.length) {
        this.grow(this.ptr(L.capE), this.ptr(L.capA), Buffer.byteLength(model) + 64);
        return this.writeInput(model, prompt);
      }
      const start = inBase + r.written;
      this.inputModel = model;
      this.inputModelLen = r.written;
      this.inputBase = inBase;
      this.inputBuf = this.u8;
      this.promptView = this.u8.subarray(start, start + this.promptCap + 4);
    }
    let promptLen: number;
    if (typeof prompt === 'string') {
      promptLen = encoder.encodeInto(prompt, this.promptView).written;
    } else {
      promptLen = Math.min(prompt.length, this.promptCap);
      this.promptView.set(prompt.subarray(0, promptLen));
    }
    return [this.inputModelLen, Math.min(promptLen, this.promptCap)];
  }

  /** True when the profile is the legacy v0.3 filter tree (callers apply v0.3's InferenceModel-required rule). */
  get legacyProfile(): boolean {
    return this.cfg.profile.kind === 'legacy-v0.3';
  }

  /** One JS->WASM call: filters, scorers, picker, and recording the primary pick's prefix blocks. */
  schedule(req: ScheduleRequest): ScheduleResult {
    validateRequest(req);
    const [modelLen, promptLen] = this.writeInput(req.targetModel, req.prompt);
    let nCand = -1;
    if (req.subsetHint != null) {
      const slots = this.reg.subsetSlots(req.subsetHint);
      const base = this.ptr(L.candIn) / 4;
      for (let i = 0; i < slots.length; i++) this.i32[base + i] = slots[i]!;
      nCand = slots.length;
    }
    const profile = this.cfg.profile;
    const legacy = profile.kind === 'legacy-v0.3';
    let flags = legacy && legacyCritical(req) ? 1 : 0;
    if (this.assumeLoad) flags |= 4;
    let allowed: number[] | null = null;
    if (profile.kind === 'plugins' && profile.headerFilter) {
      allowed = this.reg.selectionSlots(req.endpointSelection ?? '');
      const base = this.ptr(L.allow) / 4;
      for (const s of allowed) this.i32[base + s] = 1;
      flags |= 2;
    }
    const status = this.ex.schedule(
      modelLen,
      promptLen,
      nCand,
      this.reg.lookup(req.targetModel),
      req.priority,
      req.nowMs,
      flags,
    );
    if (allowed) {
      const base = this.ptr(L.allow) / 4; // the mask is reset here so the next call starts clean
      for (const s of allowed) this.i32[base + s] = 0;
    }
    switch (status) {
      case WasmStatus.ok:
        return this.readResult(req.wantScores === true && !legacy);
      case WasmStatus.noCandidates:
        return { status: 'no-candidates' };
      case WasmStatus.shed:
        return { status: 'shed', message: legacy ? SHED_LEGACY_MESSAGE : SHED_SATURATED_MESSAGE };
      case WasmStatus.filteredEmpty:
        return { status: 'error', message: `failed to run scheduler profile '${profile.name}'` };
      case WasmStatus.legacyNoPods:
        return { status: 'error', message: 'failed to apply filter, resulted 0 pods' };
      default:
        return { status: 'error', message: `scheduler rejected the request (status ${status})` };
    }
  }

  private readResult(wantScores: boolean): ScheduleResult {
    const out = this.f64;
    const o = this.outBase;
    const nPicked = out[o + O.nPicked]!;
    const picked = this.ptr(L.picked) / 4;
    const endpoints: string[] = new Array(nPicked);
    for (let i = 0; i < nPicked; i++) endpoints[i] = this.reg.address(this.i32[picked + i]!);
    const res: ScheduleResult & { status: 'ok' } = { status: 'ok', endpoints };
    if (this.cfg.prefixCache) {
      res.prefix = {
        matchedBlocks: out[o + O.matchedPrimary]!,
        totalBlocks: out[o + O.totalBlocks]!,
        blockSizeBytes: this.blockBytes,
      };
    }
    if (wantScores) res.scores = this.readScores(out[o + O.nCand]!);
    return res;
  }

  private readScores(n: number): EndpointScore[] {
    const cand = this.ptr(L.cand) / 4;
    const total = this.ptr(L.total) / 8;
    const per = this.ptr(L.perScorer) / 8;
    const capE = this.ptr(L.capE);
    const scores: EndpointScore[] = [];
    for (let i = 0; i < n; i++) {
      const perScorer: Record<string, number> = {};
      this.scorerNames.forEach((name, k) => {
        perScorer[name] = this.f64[per + k * capE + i]!;
      });
      scores.push({ address: this.reg.address(this.i32[cand + i]!), score: this.f64[total + i]!, perScorer });
    }
    return scores;
  }

  stats(): SchedulerStats {
    const o = this.outBase;
    return {
      endpoints: this.reg.count,
      prefixIndexEntries: this.f64[o + O.indexEntries]!,
      prefixLookups: this.f64[o + O.lookups]!,
      prefixHitBlocks: this.f64[o + O.hitBlocks]!,
      prefixTotalBlocks: this.f64[o + O.totalBlocksSum]!,
    };
  }

  /**
   * Linear-memory size, the part used by the state region, the endpoint capacity and how many times the table
   * was re-laid out since creation (endpoint, adapter or model-name growth) - for the memory benchmark and tests.
   */
  memoryInfo(): { memoryBytes: number; regionBytes: number; endpointCapacity: number; relayouts: number } {
    return {
      memoryBytes: this.ex.memory.buffer.byteLength,
      regionBytes: this.ptr(L.regionEnd),
      endpointCapacity: this.ptr(L.capE),
      relayouts: this.relayouts,
    };
  }

  /** The chained block hashes schedule() would compute for this model and prompt (diagnostics, tests). */
  prefixHashes(targetModel: string, prompt: string | Uint8Array): bigint[] {
    const [m, p] = this.writeInput(targetModel, prompt);
    const n = this.ex.hashPrompt(m, p);
    const base = this.ptr(L.hashes);
    const view = new BigUint64Array(this.ex.memory.buffer, base, Math.max(0, n));
    return Array.from(view);
  }
}

function dedupe(names: string[]): string[] {
  return names.length < 2 ? names : [...new Set(names)];
}
