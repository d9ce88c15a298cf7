// Request body -> model and prompt (director steps 1 and 3). The parsed document is kept only for reading; the
// forwarded bytes are the original ones unless the model is rewritten (see rewriteModel).

import { replaceTopLevelString } from './json-splice.js';
import { type ApiKind, extractPrompt } from './prompt.js';
import { MSG, type Rejection, reject } from './rejection.js';

export interface ParsedRequest {
  kind: ApiKind;
  /** `model` as the client sent it. */
  model: string;
  prompt: string;
  /** The body as text (UTF-8), kept for a rewrite splice. */
  text: string;
  doc: Record<string, unknown>;
}

export function parseRequestBody(body: Buffer): ParsedRequest | Rejection {
  const text = body.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return reject('BadRequest', MSG.badJson);
  }
  // Go unmarshals into map[string]any: any other top-level JSON value is an unmarshal error too.
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return reject('BadRequest', MSG.badJson);
  const obj = doc as Record<string, unknown>;
  if (typeof obj.model !== 'string') return reject('BadRequest', MSG.noModel);
  const extracted = extractPrompt(obj);
  if ('rejected' in extracted) return extracted;
  return { kind: extracted.kind, model: obj.model, prompt: extracted.prompt, text, doc: obj };
}

/** The body with its top-level `model` replaced; only these bytes change. */
export function rewriteModel(parsed: ParsedRequest, target: string): Buffer {
  const spliced = replaceTopLevelString(parsed.text, 'model', target);
  // parseRequestBody guaranteed a top-level string `model`, so the splice always finds it.
  if (spliced === null) throw new Error('model member vanished from a parsed body');
  return Buffer.from(spliced, 'utf8');
}
