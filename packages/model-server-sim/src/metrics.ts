// A pod's Prometheus metrics with vLLM's names, label shapes and bucket sets. Counters and histograms are updated
// by the engine as events happen; gauges are read from the engine when /metrics is rendered.

import { buckets125, Histogram, REQUEST_LATENCY_BUCKETS, TPOT_BUCKETS, TTFT_BUCKETS } from './histogram.js';
import type { FinishReason, Sequence } from './sequence.js';

export interface GaugeSnapshot {
  running: number;
  waiting: number;
  kvUsage: number;
  blockSize: number;
  numGpuBlocks: number;
  enablePrefixCaching: boolean;
  maxLoras: number;
  runningLoras: string[];
  waitingLoras: string[];
}

/** Keep at most this many lora_requests_info label sets (vLLM keeps every one it ever set). */
const MAX_LORA_SERIES = 32;

export class PodMetrics {
  private readonly labels: string;
  promptTokens = 0;
  generationTokens = 0;
  prefixQueries = 0;
  prefixHits = 0;
  preemptions = 0;
  readonly success: Record<FinishReason | 'abort', number> = { stop: 0, length: 0, abort: 0 };

  readonly ttft = new Histogram(TTFT_BUCKETS);
  readonly itl = new Histogram(TPOT_BUCKETS);
  readonly tpot = new Histogram(TPOT_BUCKETS);
  readonly requestTpot = new Histogram(TPOT_BUCKETS);
  readonly e2e = new Histogram(REQUEST_LATENCY_BUCKETS);
  readonly queueTime = new Histogram(REQUEST_LATENCY_BUCKETS);
  readonly inferenceTime = new Histogram(REQUEST_LATENCY_BUCKETS);
  readonly prefillTime = new Histogram(REQUEST_LATENCY_BUCKETS);
  readonly decodeTime = new Histogram(REQUEST_LATENCY_BUCKETS);
  readonly promptTokensHist: Histogram;
  readonly generationTokensHist: Histogram;

  /** lora_requests_info series: label text -> Unix time (s) when that label set was last current. */
  private readonly loraSeries = new Map<string, number>();
  private lastLoraLabels = '';

  constructor(modelName: string, maxModelLen: number) {
    this.labels = `model_name="${escapeLabel(modelName)}"`;
    this.promptTokensHist = new Histogram(buckets125(maxModelLen));
    this.generationTokensHist = new Histogram(buckets125(maxModelLen));
  }

  /** Times are simulated ms. */
  onToken(seq: Sequence, atMs: number): void {
    this.generationTokens++;
    if (seq.generated === 1) {
      this.ttft.observe((atMs - seq.arrivalMs) / 1000);
    } else {
      const s = (atMs - seq.lastTokenMs) / 1000;
      this.itl.observe(s);
      this.tpot.observe(s);
    }
  }

  onFinish(seq: Sequence, atMs: number): void {
    if (seq.aborted) {
      this.success.abort++;
      return;
    }
    this.success[seq.finishReason]++;
    this.promptTokens += seq.promptTokens;
    const admitted = seq.firstAdmittedMs;
    this.e2e.observe((atMs - seq.arrivalMs) / 1000);
    this.queueTime.observe((admitted - seq.arrivalMs) / 1000);
    this.inferenceTime.observe((atMs - admitted) / 1000);
    this.prefillTime.observe((seq.firstTokenMs - admitted) / 1000);
    this.decodeTime.observe((atMs - seq.firstTokenMs) / 1000);
    if (seq.generated > 1) this.requestTpot.observe((atMs - seq.firstTokenMs) / 1000 / (seq.generated - 1));
    this.promptTokensHist.observe(seq.promptTokens);
    this.generationTokensHist.observe(seq.generated);
  }

  /** Records the current LoRA state (called on scrape; a new label set gets the current wall-clock time). */
  private noteLoras(g: GaugeSnapshot): void {
    const labels = `max_lora="${g.maxLoras}",running_lora_adapters="${escapeLabel(g.runningLoras.join(','))}",waiting_lora_adapters="${escapeLabel(g.waitingLoras.join(','))}"`;
    if (labels === this.lastLoraLabels && this.loraSeries.has(labels)) return;
    this.lastLoraLabels = labels;
    this.loraSeries.delete(labels);
    this.loraSeries.set(labels, Date.now() / 1000);
    if (this.loraSeries.size > MAX_LORA_SERIES)
      this.loraSeries.delete(this.loraSeries.keys().next().value as string);
  }

  render(g: GaugeSnapshot): string {
    const L = this.labels;
    this.noteLoras(g);
    let out = '';
    out += gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', L, g.running);
    out += gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', L, g.waiting);
    out += gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', L, g.kvUsage);
    out +=
      '# HELP vllm:lora_requests_info Running stats on lora requests.\n# TYPE vllm:lora_requests_info gauge\n';
    for (const [labels, t] of this.loraSeries) out += `vllm:lora_requests_info{${labels}} ${t}\n`;
    out +=
      '# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n# TYPE vllm:cache_config_info gauge\n';
    out += `vllm:cache_config_info{block_size="${g.blockSize}",cache_dtype="auto",enable_prefix_caching="${g.enablePrefixCaching ? 'True' : 'False'}",gpu_memory_utilization="0.9",num_gpu_blocks="${g.numGpuBlocks}"} 1.0\n`;
    out += counter(
      'vllm:num_preemptions_total',
      'Cumulative number of preemption from the engine.',
      L,
      this.preemptions,
    );
    out += counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', L, this.promptTokens);
    out += counter(
      'vllm:generation_tokens_total',
      'Number of generation tokens processed.',
      L,
      this.generationTokens,
    );
    out += counter(
      'vllm:prefix_cache_queries_total',
      'Prefix cache queries, in terms of number of queried tokens.',
      L,
      this.prefixQueries,
    );
    out += counter(
      'vllm:prefix_cache_hits_total',
      'Prefix cache hits, in terms of number of cached tokens.',
      L,
      this.prefixHits,
    );
    out +=
      '# HELP vllm:request_success_total Count of successfully processed requests.\n# TYPE vllm:request_success_total counter\n';
    for (const reason of ['stop', 'length', 'abort'] as const)
      out += `vllm:request_success_total{finish_reason="${reason}",${L}} ${formatValue(this.success[reason])}\n`;
    out += hist(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      L,
      this.ttft,
    );
    out += hist(
      'vllm:inter_token_latency_seconds',
      'Histogram of inter-token latency in seconds.',
      L,
      this.itl,
    );
    out += hist(
      'vllm:time_per_output_token_seconds',
      'Histogram of time per output token in seconds.',
      L,
      this.tpot,
    );
    out += hist(
      'vllm:request_time_per_output_token_seconds',
      'Histogram of time_per_output_token_seconds per request.',
      L,
      this.requestTpot,
    );
    out += hist(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      L,
      this.e2e,
    );
    out += hist(
      'vllm:request_queue_time_seconds',
      'Histogram of time spent in WAITING phase for request.',
      L,
      this.queueTime,
    );
    out += hist(
      'vllm:request_inference_time_seconds',
      'Histogram of time spent in RUNNING phase for request.',
      L,
      this.inferenceTime,
    );
    out += hist(
      'vllm:request_prefill_time_seconds',
      'Histogram of time spent in PREFILL phase for request.',
      L,
      this.prefillTime,
    );
    out += hist(
      'vllm:request_decode_time_seconds',
      'Histogram of time spent in DECODE phase for request.',
      L,
      this.decodeTime,
    );
    out += hist(
      'vllm:request_prompt_tokens',
      'Number of prefill tokens processed.',
      L,
      this.promptTokensHist,
    );
    out += hist(
      'vllm:request_generation_tokens',
      'Number of generation tokens processed.',
      L,
      this.generationTokensHist,
    );
    return out;
  }
}

function gauge(name: string, help: string, labels: string, v: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}{${labels}} ${formatValue(v)}\n`;
}

function counter(name: string, help: string, labels: string, v: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} counter\n${name}{${labels}} ${formatValue(v)}\n`;
}

function hist(name: string, help: string, labels: string, h: Histogram): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} histogram\n${h.render(name, labels)}`;
}

/** Prometheus' Python client prints floats ("3.0"). */
function formatValue(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
