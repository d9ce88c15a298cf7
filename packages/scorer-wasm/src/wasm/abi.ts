// The JS side of the WASM ABI: export signatures, config-block indices and the published layout slots
// (mirrors assembly/config.ts and assembly/index.ts publishLayout()).
import { readFileSync } from 'node:fs';

export interface ScorerExports {
  memory: WebAssembly.Memory;
  cfgPtr(): number;
  layoutPtr(): number;
  outPtr(): number;
  applyConfig(): void;
  seed(s: number): void;
  reserve(e: number, a: number, c: number, inBytes: number, blocks: number): number;
  addEndpoint(slot: number): number;
  removeEndpoint(slot: number): number;
  isSaturated(nowMs: number): number;
  schedule(
    modelLen: number,
    promptLen: number,
    nCandIn: number,
    target: number,
    priority: number,
    nowMs: number,
    flags: number,
  ): number;
  hashPrompt(modelLen: number, promptLen: number): number;
  hashBytes(ptr: number, len: number): void;
}

export const Cfg = {
  profileKind: 0,
  picker: 1,
  maxPicks: 2,
  nScorers: 3,
  utilFilter: 4,
  satKind: 5,
  satQdt: 6,
  satKvt: 7,
  satStaleMs: 8,
  satHeadroom: 9,
  prefixOn: 10,
  blockBytes: 11,
  maxBlocks: 12,
  lruCap: 13,
  hashScheme: 14,
  legKv: 15,
  legQCrit: 16,
  legQLora: 17,
  legAffinity: 18,
  scorerType: 20,
  scorerWeight: 36,
} as const;

export const MAX_SCORERS = 16;

export const ScorerCode = {
  'queue-scorer': 0,
  'kv-cache-utilization-scorer': 1,
  'lora-affinity-scorer': 2,
  'prefix-cache-scorer': 3,
  'running-requests-size-scorer': 4,
} as const;

export const PickerCode = { 'max-score-picker': 0, 'random-picker': 1, 'weighted-random-picker': 2 } as const;

/** Slots of the f64 layout block, in publishLayout() order. */
export const L = {
  inUse: 0,
  gen: 1,
  hasMetrics: 2,
  waiting: 3,
  running: 4,
  kv: 5,
  maxLora: 6,
  updatedAt: 7,
  nActive: 8,
  nWaitingModels: 9,
  active: 10,
  waitingModels: 11,
  candIn: 12,
  cand: 13,
  total: 14,
  perScorer: 15,
  picked: 16,
  input: 17,
  capE: 18,
  capA: 19,
  capC: 20,
  capIn: 21,
  capBlocks: 22,
  nBuckets: 23,
  regionEnd: 24,
  hashes: 25,
  lruCount: 26,
  allow: 27,
  assumed: 28,
} as const;

/** Slots of the f64 output block. */
export const O = {
  nCand: 0,
  nPicked: 1,
  totalBlocks: 2,
  matchedPrimary: 3,
  lookups: 4,
  hitBlocks: 5,
  totalBlocksSum: 6,
  indexEntries: 7,
  hash: 8,
} as const;

let compiled: WebAssembly.Module | undefined;

/** Compiles build/scorer.wasm once per process; every Scheduler gets its own instance (own memory). */
export function instantiateScorer(): ScorerExports {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('../../build/scorer.wasm', import.meta.url)));
  return new WebAssembly.Instance(compiled, {}).exports as unknown as ScorerExports;
}
