// Turns an ExtractorConfig into "slots": one parsed spec per value to look up, with its selection rule.
// Shared by the WASM extractor and the TypeScript reference so both answer the same questions.
import { ExtractorConfigError } from './errors.js';
import { parseMetricSpec } from './spec.js';
import type { ExtractorConfig, MetricField, MetricSpec } from './types.js';

export type SlotRole =
  | 'waiting'
  | 'running'
  | 'kv'
  | 'kvFallback'
  | 'lora'
  | 'cacheInfo'
  | 'cacheBlockSize'
  | 'cacheNumBlocks';

export interface PlanSlot {
  role: SlotRole;
  field: MetricField;
  spec: MetricSpec;
  /** 'latest': largest timestamp, first on ties; 'lora': largest value among series with an adapter label set. */
  mode: 'latest' | 'lora';
  /** Label values of the selected sample to report (LoRA lists, cache info); LoRA needs its two lists first. */
  captures: string[];
}

export interface ExtractionPlan {
  slots: PlanSlot[];
  maxPageBytes: number;
  cacheInfoLabels: { blockSize: string; numBlocks: string };
}

export const DEFAULT_MAX_PAGE_BYTES = 16 * 1024 * 1024;
export const LORA_RUNNING_LABEL = 'running_lora_adapters';
export const LORA_WAITING_LABEL = 'waiting_lora_adapters';
export const LORA_MAX_LABEL = 'max_lora';
const VLLM_KV = 'vllm:kv_cache_usage_perc';
const VLLM_KV_OLD = 'vllm:gpu_cache_usage_perc';

/** Parses every spec of `cfg` (throws MetricSpecError / ExtractorConfigError). */
export function buildPlan(cfg: ExtractorConfig): ExtractionPlan {
  const maxPageBytes = cfg.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES;
  if (!Number.isInteger(maxPageBytes) || maxPageBytes < 1 || maxPageBytes > 1024 * 1024 * 1024) {
    throw new ExtractorConfigError(`maxPageBytes must be an integer in 1..1073741824, got ${maxPageBytes}`);
  }
  const slots: PlanSlot[] = [];
  const cacheInfoLabels = cfg.cacheInfoLabels ?? { blockSize: 'block_size', numBlocks: 'num_gpu_blocks' };
  const add = (role: SlotRole, field: MetricField, text: string | undefined, mode: PlanSlot['mode']) => {
    const spec = parseMetricSpec(text ?? '');
    const captures =
      role === 'lora'
        ? [LORA_RUNNING_LABEL, LORA_WAITING_LABEL, LORA_MAX_LABEL]
        : role === 'cacheInfo'
          ? [cacheInfoLabels.blockSize, cacheInfoLabels.numBlocks]
          : [];
    if (spec) slots.push({ role, field, spec, mode, captures });
  };
  add('waiting', 'waitingQueue', cfg.waitingQueue, 'latest');
  add('running', 'running', cfg.running, 'latest');
  add('kv', 'kvUsage', cfg.kvUsage, 'latest');
  const fallback = cfg.kvUsageFallback ?? (cfg.kvUsage.trim() === VLLM_KV ? VLLM_KV_OLD : '');
  if (slots.some((s) => s.role === 'kv')) add('kvFallback', 'kvUsage', fallback, 'latest');
  add('lora', 'lora', cfg.lora, 'lora');
  add('cacheInfo', 'cacheInfo', cfg.cacheInfo, 'latest');
  add('cacheBlockSize', 'cacheInfo', cfg.cacheBlockSizeSpec, 'latest');
  add('cacheNumBlocks', 'cacheInfo', cfg.cacheNumBlocksSpec, 'latest');
  return { slots, maxPageBytes, cacheInfoLabels };
}

/**
 * A name that can never be a metric-name token of a page line (it contains a blank, control character, '{' or
 * '#'). Such a spec is legal upstream but always yields "family not found"; the WASM tables skip it.
 */
export function isUnmatchableName(name: string): boolean {
  return /[\u0000-\u0020{#\u007f]/.test(name);
}
