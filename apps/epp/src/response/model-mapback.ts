// After an InferenceModelRewrite or rewrite header changed the model, the model server answers with the target
// name; the client must see the name it sent. Only the top-level `model` member is touched, and only when it
// holds the target name; everything else keeps its bytes.
import { findTopLevelStringMember } from '../request/json-splice.js';

export interface ModelMapping {
  /** Name the model server answers with (the rewritten target). */
  from: string;
  /** Name the client sent. */
  to: string;
}

/** `text` (a JSON object) with its top-level model mapped; the input unchanged when nothing matches. */
export function mapModelInJsonText(text: string, m: ModelMapping): string {
  const span = findTopLevelStringMember(text, 'model');
  if (span === null) return text;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(span.start, span.end));
  } catch {
    return text;
  }
  if (value !== m.from) return text;
  return text.slice(0, span.start) + JSON.stringify(m.to) + text.slice(span.end);
}

const NL = 0x0a;
const DATA = 'data:';

function mapSseLine(line: string, m: ModelMapping): string {
  if (!line.startsWith(DATA)) return line;
  const payloadAt = line.charCodeAt(DATA.length) === 0x20 ? DATA.length + 1 : DATA.length;
  const payload = line.slice(payloadAt);
  if (!payload.includes('"model"')) return line;
  // The JSON scanner expects valid JSON; a line that is not is forwarded as it came.
  try {
    JSON.parse(payload);
  } catch {
    return line;
  }
  return line.slice(0, payloadAt) + mapModelInJsonText(payload, m);
}

/**
 * Streaming-safe SSE mapping: complete lines are mapped and forwarded at once; a line split across chunks is
 * held until its newline arrives (or the stream ends), so events are never broken.
 */
export class SseModelMapper {
  private tail: Buffer | null = null;

  constructor(private readonly mapping: ModelMapping) {}

  /** The bytes to forward for this chunk (possibly empty while a line is incomplete). */
  push(chunk: Buffer, endOfStream: boolean): Buffer {
    const data = this.tail === null ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = null;
    let cut = data.lastIndexOf(NL) + 1;
    if (endOfStream) cut = data.length;
    else if (cut < data.length) this.tail = Buffer.from(data.subarray(cut));
    if (cut === 0) return Buffer.alloc(0);
    const text = data.subarray(0, cut).toString('utf8');
    if (!text.includes(this.mapping.from)) return data.subarray(0, cut);
    const lines = text.split('\n');
    let changed = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      // Keep a trailing \r (CRLF streams) outside the JSON payload.
      const cr = line.endsWith('\r');
      const body = cr ? line.slice(0, -1) : line;
      const mapped = mapSseLine(body, this.mapping);
      if (mapped !== body) {
        lines[i] = cr ? `${mapped}\r` : mapped;
        changed = true;
      }
    }
    return changed ? Buffer.from(lines.join('\n'), 'utf8') : data.subarray(0, cut);
  }
}
