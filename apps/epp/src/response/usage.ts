// Token usage read from a copy of the response, never altering what is forwarded ([G]@v1.0.0 handlers/response.go):
// JSON bodies carry `usage`; SSE streams carry it on the last `data:` line before `data: [DONE]` (with
// stream_options.include_usage). Missing fields count as 0.

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Usage of a parsed response document; undefined when it has no `usage` object. */
export function usageOf(doc: unknown): Usage | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const u = (doc as { usage?: unknown }).usage;
  if (typeof u !== 'object' || u === null) return undefined;
  const o = u as Record<string, unknown>;
  return {
    promptTokens: num(o.prompt_tokens),
    completionTokens: num(o.completion_tokens),
    totalTokens: num(o.total_tokens),
  };
}

const NL = 0x0a;
const DATA = Buffer.from('data:');
const DONE = '[DONE]';
/** A line longer than this is not a usage line we can afford to keep (a huge content delta); it is dropped. */
const MAX_LINE_BYTES = 1 << 20;

/**
 * Scans an SSE stream for the latest `usage` without holding the stream: only the current incomplete line is
 * kept between chunks. Only lines mentioning `"usage"` are JSON-parsed.
 */
export class SseUsageScanner {
  private tail: Buffer | null = null;
  private tailTooLong = false;
  usage: Usage | undefined;
  sawDone = false;

  feed(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      let line = chunk.subarray(start, nl);
      if (this.tail !== null) {
        line = this.tailTooLong ? Buffer.alloc(0) : Buffer.concat([this.tail, line]);
        this.tail = null;
        this.tailTooLong = false;
      }
      this.line(line);
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** End of stream: a last line without a newline still counts. */
  end(): void {
    if (this.tail !== null && !this.tailTooLong) this.line(this.tail);
    this.tail = null;
  }

  private keep(rest: Buffer): void {
    if (this.tailTooLong) return;
    const len = (this.tail?.length ?? 0) + rest.length;
    if (len > MAX_LINE_BYTES) {
      this.tail = Buffer.alloc(0);
      this.tailTooLong = true;
      return;
    }
    // Copy: the chunk's memory belongs to the gRPC message and the next chunk may arrive much later.
    this.tail = this.tail === null ? Buffer.from(rest) : Buffer.concat([this.tail, rest]);
  }

  private line(line: Buffer): void {
    if (line.length < DATA.length || line.compare(DATA, 0, DATA.length, 0, DATA.length) !== 0) return;
    const payload = line.subarray(DATA.length).toString('utf8').trim();
    if (payload === DONE) {
      this.sawDone = true;
      return;
    }
    if (!payload.includes('"usage"')) return;
    try {
      const u = usageOf(JSON.parse(payload));
      if (u !== undefined) this.usage = u;
    } catch {
      // Not JSON: forwarded unchanged, no usage from it.
    }
  }
}
