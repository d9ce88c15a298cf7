// Engine presets: which metric of each model server feeds which endpoint field (spec epp.md section 4).
import type { EngineName, ExtractorConfig } from './types.js';

export const ENGINE_NAMES: readonly EngineName[] = ['vllm', 'sglang', 'trtllm-serve', 'triton-trtllm'];

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/** A fresh copy of the preset for `engine` (callers may override fields). */
export function engineConfig(engine: EngineName): ExtractorConfig {
  switch (engine) {
    case 'vllm':
      return {
        waitingQueue: 'vllm:num_requests_waiting',
        running: 'vllm:num_requests_running',
        kvUsage: 'vllm:kv_cache_usage_perc',
        kvUsageFallback: 'vllm:gpu_cache_usage_perc',
        lora: 'vllm:lora_requests_info',
        cacheInfo: 'vllm:cache_config_info',
        cacheInfoLabels: { blockSize: 'block_size', numBlocks: 'num_gpu_blocks' },
      };
    case 'sglang':
      return {
        waitingQueue: 'sglang:num_queue_reqs',
        running: 'sglang:num_running_reqs',
        kvUsage: 'sglang:token_usage',
        lora: '',
        cacheInfo: 'sglang:cache_config_info',
        cacheInfoLabels: { blockSize: 'page_size', numBlocks: 'num_pages' },
      };
    case 'trtllm-serve':
      return {
        waitingQueue: 'trtllm_num_requests_waiting',
        running: 'trtllm_num_requests_running',
        kvUsage: 'trtllm_kv_cache_utilization',
        lora: '',
        cacheInfo: '',
        cacheBlockSizeSpec: 'trtllm_kv_cache_tokens_per_block',
        cacheNumBlocksSpec: 'trtllm_kv_cache_max_blocks',
      };
    case 'triton-trtllm':
      return {
        waitingQueue: 'nv_trt_llm_request_metrics{request_type=waiting}',
        running: 'nv_trt_llm_request_metrics{request_type=scheduled}',
        kvUsage: 'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}',
        lora: '',
        cacheInfo: '',
        cacheBlockSizeSpec: 'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=tokens_per}',
        cacheNumBlocksSpec: 'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=max}',
      };
  }
}
