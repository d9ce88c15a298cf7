// The demo's burst of mixed traffic and the explanation of each routing decision, from what the components
// expose: the pod that answered (x-inference-pod, set by the simulator), usage.prompt_tokens_details.cached_tokens
// (prefix-cache hits), the adapters each pod had loaded just before the request (simulator stats), and the EPP's
// x-llm-d-request-dropped-reason on shed requests.
import type { SimCluster } from '@igw/model-server-sim';

export interface RequestRecord {
  phase: string;
  label: string;
  model: string;
  objective: string;
  status: number;
  pod: string;
  promptTokens: number;
  cachedTokens: number;
  why: string;
}

interface Sent {
  status: number;
  pod: string;
  promptTokens: number;
  cachedTokens: number;
  dropped: string | undefined;
  bodyText: string;
}

export class TrafficRunner {
  readonly records: RequestRecord[] = [];

  constructor(
    private readonly url: string,
    private readonly sim: SimCluster,
    private readonly model: string,
  ) {}

  private async send(path: string, body: Record<string, unknown>, objective?: string): Promise<Sent> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (objective) headers['x-gateway-inference-objective'] = objective;
    const r = await fetch(`${this.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await r.text();
    let promptTokens = 0;
    let cachedTokens = 0;
    try {
      const j = JSON.parse(text) as {
        usage?: { prompt_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
      };
      promptTokens = j.usage?.prompt_tokens ?? 0;
      cachedTokens = j.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    } catch {
      // Error bodies are text (immediate responses).
    }
    return {
      status: r.status,
      pod: r.headers.get('x-inference-pod') ?? '-',
      promptTokens,
      cachedTokens,
      dropped: r.headers.get('x-llm-d-request-dropped-reason') ?? undefined,
      bodyText: text,
    };
  }

  private loadedAdapters(): Map<string, string[]> {
    return new Map(this.sim.pods.map((p) => [p.name, p.stats().loadedLoras]));
  }

  private record(phase: string, label: string, model: string, objective: string, s: Sent, why: string): void {
    this.records.push({
      phase,
      label,
      model,
      objective,
      status: s.status,
      pod: s.pod,
      promptTokens: s.promptTokens,
      cachedTokens: s.cachedTokens,
      why,
    });
  }

  private static failure(s: Sent): string {
    return s.dropped ? `shed by the EPP: ${s.dropped}` : `error: ${s.bodyText.slice(0, 80)}`;
  }

  /** A few short requests for the base model, chat and completions, at once. */
  async warmup(): Promise<void> {
    const jobs = Array.from({ length: 4 }, (_, i) =>
      i % 2 === 0
        ? this.send('/v1/chat/completions', {
            model: this.model,
            messages: [{ role: 'user', content: `Hello number ${i}` }],
            max_tokens: 16,
          })
        : this.send('/v1/completions', {
            model: this.model,
            prompt: `Write a haiku about the number ${i}`,
            max_tokens: 16,
          }),
    );
    const res = await Promise.all(jobs);
    res.forEach((s, i) => {
      this.record(
        'base model',
        i % 2 === 0 ? 'chat' : 'completion',
        this.model,
        '-',
        s,
        s.status === 200 ? 'lowest queue / KV-cache score' : TrafficRunner.failure(s),
      );
    });
  }

  /**
   * Requests for adapters. vLLM (and the simulator) report an adapter in lora_requests_info while requests for it
   * run, so each adapter first gets one long streaming request; the short ones sent while it runs should follow it.
   */
  async adapters(adapters: readonly string[], perAdapter = 3): Promise<void> {
    for (const adapter of adapters) {
      const before = this.loadedAdapters();
      const ctl = new AbortController();
      const anchor = await fetch(`${this.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: adapter,
          prompt: `A long task for ${adapter}`,
          max_tokens: 500,
          ignore_eos: true,
          stream: true,
        }),
        signal: ctl.signal,
      });
      const anchorPod = anchor.headers.get('x-inference-pod') ?? '-';
      const drained = anchor.body?.pipeTo(new WritableStream()).catch(() => undefined);
      const had = [...before].filter(([, l]) => l.includes(adapter)).map(([p]) => p);
      this.records.push({
        phase: 'LoRA adapters',
        label: `${adapter} (long, streaming)`,
        model: adapter,
        objective: '-',
        status: anchor.status,
        pod: anchorPod,
        promptTokens: 0,
        cachedTokens: 0,
        why:
          anchor.status !== 200
            ? 'error'
            : had.includes(anchorPod)
              ? `${adapter} already in the pod's adapter slot`
              : `${adapter} running nowhere: loaded on demand on ${anchorPod}`,
      });
      // Let the EPP scrape lora_requests_info (every 50 ms) while the long request runs.
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < perAdapter; i++) {
        const s = await this.send('/v1/completions', {
          model: adapter,
          prompt: `Task ${i} for ${adapter}: summarise this.`,
          max_tokens: 12,
        });
        let why: string;
        if (s.status !== 200) why = TrafficRunner.failure(s);
        else if (s.pod === anchorPod) why = `LoRA affinity: ${adapter} is running on ${s.pod}`;
        else why = `${adapter} runs on ${anchorPod}, but queue/KV scores won`;
        this.record('LoRA adapters', `${adapter} #${i + 1}`, adapter, '-', s, why);
      }
      ctl.abort();
      await drained;
    }
  }

  /** Groups of users sharing a long system prompt: the EPP's prefix scorer sends each group where it is cached. */
  async sharedPrefixes(groups = 2, usersPerGroup = 3): Promise<void> {
    for (let g = 0; g < groups; g++) {
      const system =
        `You are assistant ${g} of the demo. `.repeat(1) +
        'Follow the house style guide carefully. '.repeat(120);
      for (let u = 0; u < usersPerGroup; u++) {
        const s = await this.send('/v1/chat/completions', {
          model: this.model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: `User ${u} asks question ${u * 7 + g}.` },
          ],
          max_tokens: 16,
        });
        const why =
          s.status !== 200
            ? TrafficRunner.failure(s)
            : s.cachedTokens > 0
              ? `prefix-cache hit: ${s.cachedTokens} of ${s.promptTokens} prompt tokens cached on ${s.pod}`
              : 'first of its prefix group: nothing cached yet';
        this.record('shared prefix', `group ${g} user ${u}`, this.model, '-', s, why);
      }
    }
  }

  /**
   * A spike of long critical requests saturates every pod; sheddable requests sent during it are shed (429),
   * a critical one still goes through (it waits in a pod's queue).
   */
  async saturation(queueDepthThreshold: number, sheddable = 3): Promise<void> {
    const long: Array<Promise<Sent>> = [];
    const add = (n: number) => {
      for (let i = 0; i < n; i++)
        long.push(
          this.send(
            '/v1/completions',
            {
              model: this.model,
              prompt: `Long story ${long.length}: once upon a time`,
              max_tokens: 600,
              ignore_eos: true,
            },
            'critical',
          ),
        );
    };
    // The EPP spreads a burst by the metrics it last scraped; add long requests until every queue is over the
    // saturation detector's threshold (or give up at a cap: then nothing is shed, and the table says so).
    add(this.sim.pods.length * 6);
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && !this.sim.pods.every((p) => p.stats().waiting > queueDepthThreshold)) {
      if (long.length < this.sim.pods.length * 20) add(2);
      await new Promise((r) => setTimeout(r, 150));
    }
    // Let the EPP scrape the queues (every 50 ms).
    await new Promise((r) => setTimeout(r, 200));
    const probes = await Promise.all([
      ...Array.from({ length: sheddable }, (_, i) =>
        this.send('/v1/completions', { model: this.model, prompt: `Batch job ${i}`, max_tokens: 8 }, 'batch'),
      ),
      this.send(
        '/v1/completions',
        { model: this.model, prompt: 'Urgent question', max_tokens: 8 },
        'critical',
      ),
    ]);
    probes.forEach((s, i) => {
      const critical = i === probes.length - 1;
      const why =
        s.status === 429
          ? `${TrafficRunner.failure(s)} (every pod saturated)`
          : s.status === 200
            ? critical
              ? 'critical: never shed, queued on the best pod'
              : 'sheddable, but the pool was not saturated at that moment'
            : TrafficRunner.failure(s);
      this.record(
        'saturation',
        critical ? 'during spike' : `during spike #${i + 1}`,
        this.model,
        critical ? 'critical' : 'batch (sheddable)',
        s,
        why,
      );
    });
    const spikeResults = await Promise.all(long);
    const byStatus = new Map<number, number>();
    for (const s of spikeResults) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
    const pods = new Set(spikeResults.map((s) => s.pod));
    this.records.push({
      phase: 'saturation',
      label: `spike x${long.length}`,
      model: this.model,
      objective: 'critical',
      status: spikeResults.every((s) => s.status === 200) ? 200 : 0,
      pod: `${pods.size} pods`,
      promptTokens: 0,
      cachedTokens: 0,
      why: `long requests spread over ${pods.size} pods; statuses ${[...byStatus].map(([k, v]) => `${k}x${v}`).join(', ')}`,
    });
  }
}

/** The table printed by the demo. */
export function formatTable(records: readonly RequestRecord[]): string {
  const head = ['phase', 'request', 'objective', 'status', 'pod', 'tokens (cached)', 'why'];
  const rows = records.map((r) => [
    r.phase,
    r.label,
    r.objective,
    r.status === 0 ? 'mixed' : String(r.status),
    r.pod,
    r.promptTokens > 0 ? `${r.promptTokens} (${r.cachedTokens})` : '-',
    r.why,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
