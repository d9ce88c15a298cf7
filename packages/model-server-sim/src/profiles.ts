// Engine parameters and the named latency profiles.
//
// Times are in *simulated* milliseconds; the pod's time scale divides them into wall-clock time.

export type LatencyModel = 'batch' | 'per-token';

export interface EngineParams {
  /** 'batch': iteration-level continuous batching. 'per-token': llm-d-inference-sim's independent sleeps. */
  latencyModel: LatencyModel;

  // batch model: a step takes base + perDecodeToken x decodes + perPrefillToken x prefill tokens, jittered.
  stepBaseMs: number;
  stepPerDecodeTokenMs: number;
  stepPerPrefillTokenMs: number;
  /** Standard deviation of a step's time as a fraction of its mean (clamped to [0.3, 1.7] x mean). */
  stepJitter: number;
  /** Token budget of one step (vLLM --max-num-batched-tokens): decodes first, the rest goes to chunked prefill. */
  maxNumBatchedTokens: number;

  // per-token model (llm-d-inference-sim's flags of the same names)
  /** 'constant': TTFT = timeToFirstToken. 'per-token': TTFT = prefillOverhead + uncached tokens x prefillTimePerToken. */
  ttftCalculator: 'constant' | 'per-token';
  timeToFirstTokenMs: number;
  timeToFirstTokenStdDevMs: number;
  interTokenLatencyMs: number;
  interTokenLatencyStdDevMs: number;
  prefillOverheadMs: number;
  prefillTimePerTokenMs: number;
  prefillTimeStdDevMs: number;
  /** F in f = 1 + (F - 1)(running - 1)/(maxNumSeqs - 1), applied to every delay. */
  timeFactorUnderLoad: number;
  /** Truncate each sampled delay to whole milliseconds, as llm-d-inference-sim does. */
  truncateToMs: boolean;

  // shared
  maxNumSeqs: number;
  maxWaitingQueueLength: number;
  maxModelLen: number;
  blockSize: number;
  numGpuBlocks: number;
  enablePrefixCaching: boolean;
  maxLoras: number;
  /** Added to the step (batch) or TTFT (per-token) of a request whose adapter had to be loaded. */
  loraLoadMs: number;
}

const BASE: EngineParams = {
  latencyModel: 'batch',
  stepBaseMs: 6,
  stepPerDecodeTokenMs: 0.045,
  stepPerPrefillTokenMs: 0.05,
  stepJitter: 0.05,
  maxNumBatchedTokens: 8192,
  ttftCalculator: 'constant',
  timeToFirstTokenMs: 100,
  timeToFirstTokenStdDevMs: 20,
  interTokenLatencyMs: 12,
  interTokenLatencyStdDevMs: 2,
  prefillOverheadMs: 30,
  prefillTimePerTokenMs: 0.25,
  prefillTimeStdDevMs: 0,
  timeFactorUnderLoad: 2,
  truncateToMs: true,
  maxNumSeqs: 256,
  maxWaitingQueueLength: 1000,
  maxModelLen: 32768,
  blockSize: 16,
  numGpuBlocks: 30000,
  enablePrefixCaching: true,
  maxLoras: 4,
  loraLoadMs: 10,
};

/**
 * Named profiles. The batch ones are calibrated so that a lightly loaded pod lands on the reference numbers of
 * llm-d-inference-sim's profiles (8B on H100: TTFT ~100 ms for ~1k-token prompts, ITL ~12 ms) and their prefill rate
 * on the llm-d calibration (Qwen3-32B TP2: an 8,192-token chunk in 0.40 s). KV capacity follows from model size:
 * Llama-3-8B needs 128 KiB of KV per token, so ~60 GB of free H100 memory holds ~480k tokens = 30,000 blocks of 16.
 */
export const PROFILES: Record<string, Partial<EngineParams>> = {
  /** Llama-3-8B-class model on one H100-80GB (default). */
  'h100-8b': {},
  /** Qwen3-32B-class model on 2 x H100 (TP2), as in the llm-d benchmarks: ~20k prefill tokens/s. */
  'h100-32b-tp2': {
    stepBaseMs: 9,
    stepPerDecodeTokenMs: 0.07,
    stepPerPrefillTokenMs: 0.048,
    numGpuBlocks: 20000,
  },
  /** Llama-3-70B-class model on 8 x H100 (TP8). */
  'h100-70b-tp8': {
    stepBaseMs: 14,
    stepPerDecodeTokenMs: 0.08,
    stepPerPrefillTokenMs: 0.09,
    numGpuBlocks: 40000,
    timeFactorUnderLoad: 3,
  },
  /** llm-d-inference-sim's 8B/H100 reference: constant TTFT 100 +- 20 ms, ITL 12 +- 2 ms, F = 2. */
  'sim-8b': { latencyModel: 'per-token', ttftCalculator: 'constant' },
  /** The same model with TTFT = 30 ms + 250 us per uncached prompt token. */
  'sim-8b-per-token': { latencyModel: 'per-token', ttftCalculator: 'per-token' },
  /** llm-d-inference-sim's 70B TP8 reference: TTFT 200 +- 40 ms, ITL 25 +- 4 ms, or 80 ms + 500 us/token, F = 3. */
  'sim-70b': {
    latencyModel: 'per-token',
    ttftCalculator: 'constant',
    timeToFirstTokenMs: 200,
    timeToFirstTokenStdDevMs: 40,
    interTokenLatencyMs: 25,
    interTokenLatencyStdDevMs: 4,
    prefillOverheadMs: 80,
    prefillTimePerTokenMs: 0.5,
    timeFactorUnderLoad: 3,
  },
  /** llm-d's nightly EPP perf runs: ITL 1 ms, prefill 5 ms + 4 us/token, 256 seqs, queue 2,048, huge cache. */
  'llm-d-perf': {
    latencyModel: 'per-token',
    ttftCalculator: 'per-token',
    interTokenLatencyMs: 1,
    interTokenLatencyStdDevMs: 0,
    prefillOverheadMs: 5,
    prefillTimePerTokenMs: 0.004,
    timeFactorUnderLoad: 1,
    maxWaitingQueueLength: 2048,
    numGpuBlocks: 10_000_000,
    maxModelLen: 131072,
  },
};

export function profileNames(): string[] {
  return Object.keys(PROFILES);
}

/** A profile's full parameters with `overrides` applied and checked. Throws RangeError naming the bad field. */
export function resolveParams(profile: string, overrides: Partial<EngineParams> = {}): EngineParams {
  const p = PROFILES[profile];
  if (p === undefined)
    throw new RangeError(`unknown latency profile "${profile}" (known: ${profileNames().join(', ')})`);
  const params: EngineParams = { ...BASE, ...p };
  for (const [k, v] of Object.entries(overrides))
    if (v !== undefined) (params as unknown as Record<string, unknown>)[k] = v;
  validateParams(params);
  return params;
}

function validateParams(p: EngineParams): void {
  const positiveInt: Array<keyof EngineParams> = [
    'maxNumSeqs',
    'maxModelLen',
    'blockSize',
    'numGpuBlocks',
    'maxNumBatchedTokens',
  ];
  for (const k of positiveInt) {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new RangeError(`${k} must be an integer >= 1`);
  }
  for (const k of ['maxWaitingQueueLength', 'maxLoras'] as const) {
    if (!Number.isInteger(p[k]) || p[k] < 0) throw new RangeError(`${k} must be an integer >= 0`);
  }
  const nonNegative: Array<keyof EngineParams> = [
    'stepBaseMs',
    'stepPerDecodeTokenMs',
    'stepPerPrefillTokenMs',
    'stepJitter',
    'timeToFirstTokenMs',
    'timeToFirstTokenStdDevMs',
    'interTokenLatencyMs',
    'interTokenLatencyStdDevMs',
    'prefillOverheadMs',
    'prefillTimePerTokenMs',
    'prefillTimeStdDevMs',
    'loraLoadMs',
  ];
  for (const k of nonNegative) {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new RangeError(`${k} must be a number >= 0`);
  }
  // vLLM's own check: every running sequence must be able to decode in one step.
  if (p.maxNumBatchedTokens < p.maxNumSeqs)
    throw new RangeError(
      `maxNumBatchedTokens (${p.maxNumBatchedTokens}) must be >= maxNumSeqs (${p.maxNumSeqs})`,
    );
  if (p.stepBaseMs + p.stepPerDecodeTokenMs <= 0) throw new RangeError('stepBaseMs must be > 0');
  if (!(p.timeFactorUnderLoad >= 1)) throw new RangeError('timeFactorUnderLoad must be >= 1');
  if (p.latencyModel !== 'batch' && p.latencyModel !== 'per-token')
    throw new RangeError(`latencyModel must be "batch" or "per-token"`);
  if (p.ttftCalculator !== 'constant' && p.ttftCalculator !== 'per-token')
    throw new RangeError(`ttftCalculator must be "constant" or "per-token"`);
  // llm-d-inference-sim's validation: a standard deviation may be at most 30% of its mean.
  if (p.timeToFirstTokenStdDevMs > 0.3 * p.timeToFirstTokenMs)
    throw new RangeError('timeToFirstTokenStdDevMs must be <= 30% of timeToFirstTokenMs');
  if (p.interTokenLatencyStdDevMs > 0.3 * p.interTokenLatencyMs)
    throw new RangeError('interTokenLatencyStdDevMs must be <= 30% of interTokenLatencyMs');
  if (p.stepJitter > 0.3) throw new RangeError('stepJitter must be <= 0.3');
}
