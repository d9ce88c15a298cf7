// Per-stream response phase: pass-through of every chunk (SSE or not) with usage read from a copy, and the
// model name mapped back to the client's when the request's model was rewritten.
//  - SSE: chunks forwarded as they come (lines held back only while mapping a rewritten model).
//  - JSON: forwarded unchanged and copied (bounded) for `usage`; with a mapping the body is held to the end
//    (as upstream buffers non-SSE bodies) so the top-level `model` can be replaced. Invalid JSON is forwarded
//    unchanged. A body over the copy bound is passed through without usage or mapping.
import { type ModelMapping, mapModelInJsonText, SseModelMapper } from './model-mapback.js';
import { SseUsageScanner, type Usage, usageOf } from './usage.js';

export interface ResponseTrackerOptions {
  /** Set when the request's model was rewritten. */
  mapping?: ModelMapping;
  /** Most bytes of a non-SSE body kept for usage / mapping (default 16 MiB). */
  maxCopyBytes?: number;
}

export class ResponseTracker {
  private sse = false;
  private sseUsage: SseUsageScanner | null = null;
  private sseMapper: SseModelMapper | null = null;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private overflowed = false;
  private jsonUsage: Usage | undefined;
  /** Bytes received from the model server. */
  responseBytes = 0;
  /** True when a complete body was seen (end of stream). */
  complete = false;
  private readonly maxCopy: number;

  constructor(private readonly opts: ResponseTrackerOptions = {}) {
    this.maxCopy = opts.maxCopyBytes ?? 16 * 1024 * 1024;
  }

  /** Response headers: the content type decides SSE. */
  onHeaders(contentType: string | undefined): void {
    this.sse = contentType?.toLowerCase().includes('text/event-stream') ?? false;
    if (this.sse) {
      this.sseUsage = new SseUsageScanner();
      if (this.opts.mapping) this.sseMapper = new SseModelMapper(this.opts.mapping);
    }
  }

  get isSse(): boolean {
    return this.sse;
  }

  /** True when the forwarded body may differ in length from the model server's (drop its Content-Length). */
  get mayChangeLength(): boolean {
    return this.opts.mapping !== undefined && this.opts.mapping.from.length !== this.opts.mapping.to.length;
  }

  /** A body chunk; returns the bytes to forward now. */
  onChunk(chunk: Buffer, endOfStream: boolean): Buffer {
    this.responseBytes += chunk.length;
    if (this.sse) return this.onSseChunk(chunk, endOfStream);
    return this.onJsonChunk(chunk, endOfStream);
  }

  get usage(): Usage | undefined {
    return this.sse ? this.sseUsage?.usage : this.jsonUsage;
  }

  private onSseChunk(chunk: Buffer, eos: boolean): Buffer {
    this.sseUsage?.feed(chunk);
    if (eos) {
      this.sseUsage?.end();
      this.complete = true;
    }
    return this.sseMapper ? this.sseMapper.push(chunk, eos) : chunk;
  }

  private onJsonChunk(chunk: Buffer, eos: boolean): Buffer {
    const mapping = this.opts.mapping;
    if (!this.overflowed) {
      if (this.heldBytes + chunk.length > this.maxCopy) {
        this.overflowed = true;
        // Too big to inspect: release whatever was held back and stream the rest untouched.
        const release = mapping ? Buffer.concat([...this.held, chunk]) : chunk;
        this.held = [];
        this.heldBytes = 0;
        if (eos) this.complete = true;
        return release;
      }
      // The chunk buffer is owned by the gRPC message; keep a copy only if we hold it past this call.
      this.held.push(eos && this.held.length === 0 ? chunk : Buffer.from(chunk));
      this.heldBytes += chunk.length;
    }
    if (!eos) return this.overflowed || !mapping ? chunk : Buffer.alloc(0);
    this.complete = true;
    if (this.overflowed) return chunk;
    const whole = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held);
    this.held = [];
    const text = whole.toString('utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      // Invalid JSON is forwarded unchanged, without usage.
      return mapping ? whole : chunk;
    }
    this.jsonUsage = usageOf(doc);
    if (!mapping) return chunk;
    const mapped = mapModelInJsonText(text, mapping);
    return mapped === text ? whole : Buffer.from(mapped, 'utf8');
  }
}
