// Loopback "model-server pods" for end-to-end tests: one HTTP server per 127.0.0.x address, all on the same port
// (the InferencePool's target port), serving a vLLM-style /metrics page built from mutable state.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PodMetrics {
  waiting: number;
  running: number;
  /** 0..1 */
  kv: number;
  runningLoras: string[];
  waitingLoras: string[];
  maxLora: number;
}

/** ok: serve the page; hang: accept and never answer (a scrape that times out); error: HTTP 500. */
export type PodMode = 'ok' | 'hang' | 'error';

export class FakePod {
  metrics: PodMetrics = { waiting: 0, running: 0, kv: 0.1, runningLoras: [], waitingLoras: [], maxLora: 4 };
  mode: PodMode = 'ok';
  scrapes = 0;
  private readonly hung = new Set<ServerResponse>();

  constructor(
    readonly ip: string,
    readonly server: Server,
  ) {}

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get address(): string {
    return `${this.ip}:${this.port}`;
  }

  set(m: Partial<PodMetrics>): void {
    this.metrics = { ...this.metrics, ...m };
  }

  page(): string {
    const m = this.metrics;
    const lora = `max_lora="${m.maxLora}",running_lora_adapters="${m.runningLoras.join(',')}",waiting_lora_adapters="${m.waitingLoras.join(',')}"`;
    return [
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting{model_name="base"} ${m.waiting}`,
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running{model_name="base"} ${m.running}`,
      '# TYPE vllm:gpu_cache_usage_perc gauge',
      `vllm:gpu_cache_usage_perc{model_name="base"} ${m.kv}`,
      '# TYPE vllm:kv_cache_usage_perc gauge',
      `vllm:kv_cache_usage_perc{model_name="base"} ${m.kv}`,
      '# TYPE vllm:lora_requests_info gauge',
      `vllm:lora_requests_info{${lora}} ${Date.now() / 1000}`,
      '# TYPE vllm:cache_config_info gauge',
      'vllm:cache_config_info{block_size="16",num_gpu_blocks="2000"} 1',
      '',
    ].join('\n');
  }

  handle(res: ServerResponse): void {
    this.scrapes++;
    if (this.mode === 'hang') {
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (this.mode === 'error') {
      res.writeHead(500).end('internal error');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.page());
  }

  async close(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close').catch(() => undefined);
  }
}

async function listen(ip: string, port: number): Promise<FakePod> {
  let pod: FakePod | undefined;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) pod?.handle(res);
    else res.writeHead(404).end();
  });
  server.keepAliveTimeout = 60_000;
  pod = new FakePod(ip, server);
  server.listen(port, ip);
  await once(server, 'listening');
  return pod;
}

/** `count` pods on 127.0.0.<first>.. sharing one free port. */
export async function startPods(count: number, first = 2): Promise<FakePod[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const pods: FakePod[] = [];
    try {
      const head = await listen(`127.0.0.${first}`, 0);
      pods.push(head);
      for (let i = 1; i < count; i++) pods.push(await listen(`127.0.0.${first + i}`, head.port));
      return pods;
    } catch {
      await Promise.all(pods.map((p) => p.close()));
    }
  }
  throw new Error('could not bind the fake pods');
}
