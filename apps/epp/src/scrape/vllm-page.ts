// A /metrics page shaped like vLLM's (prometheus_client text format: HELP/TYPE lines, the gauges the EPP reads,
// LoRA and cache-config info series, and enough histogram families to reach a realistic size, ~30 KB by default).
// Used by the scraper tests and the scrape benchmark.

export interface VllmPageValues {
  waiting: number;
  running: number;
  kvUsage: number;
  runningLoras?: string[];
  waitingLoras?: string[];
  maxLora?: number;
  blockSize?: number;
  numGpuBlocks?: number;
  model?: string;
  /** Pad with histogram families until the page has at least this many bytes (default 30,000; 0 = no padding). */
  targetBytes?: number;
}

const BUCKETS = [
  '0.001',
  '0.005',
  '0.01',
  '0.02',
  '0.04',
  '0.06',
  '0.08',
  '0.1',
  '0.25',
  '0.5',
  '0.75',
  '1.0',
  '2.5',
  '5.0',
  '7.5',
  '10.0',
  '20.0',
  '40.0',
  '80.0',
  '+Inf',
];
const HISTOGRAMS = [
  'vllm:time_to_first_token_seconds',
  'vllm:inter_token_latency_seconds',
  'vllm:e2e_request_latency_seconds',
  'vllm:request_queue_time_seconds',
  'vllm:request_inference_time_seconds',
  'vllm:request_prefill_time_seconds',
  'vllm:request_decode_time_seconds',
  'vllm:request_prompt_tokens',
  'vllm:request_generation_tokens',
  'vllm:iteration_tokens_total',
];

function f(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

export function vllmPage(v: VllmPageValues): string {
  const model = v.model ?? 'meta-llama/Llama-3.1-8B-Instruct';
  const ml = `engine="0",model_name="${model}"`;
  const lines: string[] = [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${ml}} ${f(v.running)}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${ml}} ${f(v.waiting)}`,
    '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{${ml}} ${f(v.kvUsage)}`,
    '# HELP vllm:lora_requests_info Running stats on lora requests.',
    '# TYPE vllm:lora_requests_info gauge',
    `vllm:lora_requests_info{max_lora="${v.maxLora ?? 4}",running_lora_adapters="${(v.runningLoras ?? []).join(',')}",waiting_lora_adapters="${(v.waitingLoras ?? []).join(',')}"} 1.7000000001e+09`,
    '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig',
    '# TYPE vllm:cache_config_info gauge',
    `vllm:cache_config_info{block_size="${v.blockSize ?? 16}",cache_dtype="auto",enable_prefix_caching="True",gpu_memory_utilization="0.9",num_gpu_blocks="${v.numGpuBlocks ?? 8192}",num_cpu_blocks="0"} 1.0`,
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{${ml}} 1.234567e+06`,
  ];
  let text = `${lines.join('\n')}\n`;
  const target = v.targetBytes ?? 30_000;
  let round = 0;
  while (text.length < target) {
    const name = `${HISTOGRAMS[round % HISTOGRAMS.length]}${round >= HISTOGRAMS.length ? `_${round}` : ''}`;
    const h: string[] = [`# HELP ${name} Histogram of ${name}.`, `# TYPE ${name} histogram`];
    let cum = 0;
    for (const [i, b] of BUCKETS.entries()) {
      cum += (i * 7 + round) % 13;
      h.push(`${name}_bucket{${ml},le="${b}"} ${f(cum)}`);
    }
    h.push(`${name}_sum{${ml}} ${f(cum * 0.37)}`, `${name}_count{${ml}} ${f(cum)}`);
    text += `${h.join('\n')}\n`;
    round++;
  }
  return text;
}
