// Prompt extraction: the text the scheduler hashes for prefix-cache affinity, per OpenAI-style API.
// Completions and chat follow [G]@v1.0.0 `util/request/body.go`; the responses and embeddings inputs are ours
// (upstream v1.0 rejects them), rendered the same deterministic way so requests that share a prefix hash alike.
import { MSG, type Rejection, reject } from './rejection.js';

export type ApiKind = 'chat' | 'completions' | 'responses' | 'embeddings';

export interface ExtractedPrompt {
  kind: ApiKind;
  prompt: string;
}

const IM_START = '<|im_start|>';
const IM_END = '<|im_end|>\n';

function renderTurn(role: string, content: string): string {
  return `${IM_START}${role}\n${content}${IM_END}`;
}

/** String content, or the concatenated `text` of content parts (OpenAI multimodal form); null when neither. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  let out = '';
  let any = false;
  for (const part of content) {
    if (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string') {
      out += (part as { text: string }).text;
      any = true;
    }
  }
  return any ? out : null;
}

/** Chat messages as `<|im_start|>role\ncontent<|im_end|>\n`; messages without a string role or text are skipped. */
function renderMessages(messages: readonly unknown[]): string {
  let out = '';
  for (const m of messages) {
    if (typeof m !== 'object' || m === null) continue;
    const role = (m as { role?: unknown }).role;
    const text = contentText((m as { content?: unknown }).content);
    if (typeof role === 'string' && text !== null) out += renderTurn(role, text);
  }
  return out;
}

function isTokenList(v: readonly unknown[]): boolean {
  return v.every((x) => typeof x === 'number' || (Array.isArray(x) && x.every((y) => typeof y === 'number')));
}

/** Responses API (`instructions` and/or a list of input items) in the chat rendering. */
function renderResponsesInput(instructions: unknown, input: unknown): string {
  let out = typeof instructions === 'string' ? renderTurn('system', instructions) : '';
  if (typeof input === 'string') return out + renderTurn('user', input);
  for (const item of input as unknown[]) {
    if (typeof item === 'string') out += renderTurn('user', item);
    else out += renderMessages([item]);
  }
  return out;
}

export function extractPrompt(doc: Record<string, unknown>): ExtractedPrompt | Rejection {
  if ('messages' in doc) {
    const messages = doc.messages;
    if (!Array.isArray(messages)) return reject('BadRequest', MSG.messagesNotList);
    if (messages.length === 0) return reject('BadRequest', MSG.messagesEmpty);
    return { kind: 'chat', prompt: renderMessages(messages) };
  }
  if ('prompt' in doc) {
    if (typeof doc.prompt !== 'string') return reject('BadRequest', MSG.promptNotString);
    return { kind: 'completions', prompt: doc.prompt };
  }
  if ('input' in doc) {
    const input = doc.input;
    const itemList =
      Array.isArray(input) && input.some((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
    if ((typeof input === 'string' && 'instructions' in doc) || itemList) {
      return { kind: 'responses', prompt: renderResponsesInput(doc.instructions, input) };
    }
    if (typeof input === 'string') return { kind: 'embeddings', prompt: input };
    if (Array.isArray(input)) {
      if (input.every((x) => typeof x === 'string')) return { kind: 'embeddings', prompt: input.join('\n') };
      if (isTokenList(input)) return { kind: 'embeddings', prompt: JSON.stringify(input) };
    }
    return reject('BadRequest', MSG.inputInvalid);
  }
  return reject('BadRequest', MSG.promptMissing);
}
