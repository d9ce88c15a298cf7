// Token approximation: no tokenizer download. A token is about 4 characters of text, the rule of thumb for
// English with BPE vocabularies. Token *identity* matters only for prefix caching, so blocks are hashed straight
// from the characters they cover (blockSize x 4 characters), which is equivalent to hashing 4-character tokens.

export const CHARS_PER_TOKEN = 4;

/** Tokens in a text: ceil(length / 4). */
export function countTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export interface ChatMessageLike {
  role: string;
  content?: string | Array<{ type: string; text?: string }> | null;
}

/** Renders chat messages with a ChatML-like template, as a chat model's template would, plus the assistant cue. */
export function renderChat(messages: ChatMessageLike[]): string {
  let out = '';
  for (const m of messages) out += `<|im_start|>${m.role}\n${contentText(m.content)}<|im_end|>\n`;
  return `${out}<|im_start|>assistant\n`;
}

export function contentText(content: ChatMessageLike['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  let out = '';
  for (const part of content) if (part.type === 'text' && typeof part.text === 'string') out += part.text;
  return out;
}

/** A prompt as the engine sees it: its token count and the chained hashes of its full blocks. */
export interface PromptInfo {
  tokens: number;
  blockHashes: number[];
}

const FNV_OFFSET_A = 0x811c9dc5;
const FNV_OFFSET_B = 0x01000193 ^ 0x5bd1e995;
const FNV_PRIME = 0x01000193;

/** Two 32-bit FNV-1a-style lanes folded into a 53-bit integer, so hashes are exact Map keys. */
function fold(a: number, b: number): number {
  return (a >>> 0) * 2097152 + ((b >>> 0) >>> 11);
}

/** Seed of a block chain: the model or adapter name (so adapters never share blocks with the base model). */
export function chainSeed(modelKey: string): [number, number] {
  let a = FNV_OFFSET_A;
  let b = FNV_OFFSET_B;
  for (let i = 0; i < modelKey.length; i++) {
    const c = modelKey.charCodeAt(i);
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a, b];
}

/**
 * Chained block hashes of a text prompt: block i covers characters [i*B*4, (i+1)*B*4) and its hash mixes in the
 * hash of block i-1, so equal hashes mean equal prefixes. Only full blocks get a hash (as in vLLM).
 */
export function textBlockHashes(modelKey: string, text: string, blockSize: number): number[] {
  const charsPerBlock = blockSize * CHARS_PER_TOKEN;
  const full = Math.floor(text.length / charsPerBlock);
  const out = new Array<number>(full);
  let [a, b] = chainSeed(modelKey);
  for (let blk = 0; blk < full; blk++) {
    const end = (blk + 1) * charsPerBlock;
    for (let i = blk * charsPerBlock; i < end; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, FNV_PRIME);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    out[blk] = fold(a, b);
  }
  return out;
}

/** The same for a prompt given as token ids (completions accept int[]). */
export function idBlockHashes(modelKey: string, ids: number[], blockSize: number): number[] {
  const full = Math.floor(ids.length / blockSize);
  const out = new Array<number>(full);
  let [a, b] = chainSeed(modelKey);
  for (let blk = 0; blk < full; blk++) {
    const end = (blk + 1) * blockSize;
    for (let i = blk * blockSize; i < end; i++) {
      const c = ids[i]! | 0;
      a = Math.imul(a ^ c, FNV_PRIME);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    out[blk] = fold(a, b);
  }
  return out;
}

// Output vocabulary for `random` mode: short English pieces of about 4 characters each, so the text length of an
// answer is about 4 x its token count, like the prompts.
const VOCAB = [
  ' the',
  ' and',
  ' of ',
  ' to ',
  ' in ',
  ' is ',
  ' it ',
  ' you',
  ' tha',
  't wa',
  's fo',
  'r on',
  ' wit',
  'h as',
  ' be ',
  ' at ',
  ' thi',
  's ha',
  've f',
  'rom ',
  ' or ',
  ' by ',
  ' wor',
  'ds; ',
  ' mod',
  'el s',
  'erve',
  'rs r',
  'oute',
  ' req',
  'uest',
  's qu',
  'ick.',
  ' Pre',
  'fix ',
  'cach',
  'e hi',
  'ts s',
  'ave ',
  'time',
  ', an',
  'd lo',
  'ad b',
  'alan',
  'cing',
  ' hel',
  'ps. ',
  'Toke',
  'ns f',
  'low ',
  'one ',
  'by o',
  'ne; ',
  'a ba',
  'tch ',
  'grow',
  's.\n',
  ' GPU',
  ' KV ',
  'bloc',
  'ks a',
  're s',
  'hare',
  'd.  ',
];

export function randomToken(pick: number): string {
  return VOCAB[pick % VOCAB.length]!;
}

/** The i-th output token in `echo` mode: the prompt's own text cut into 4-character pieces, cycling. */
export function echoToken(source: string, i: number): string {
  if (source.length === 0) return ' ';
  const pieces = Math.ceil(source.length / CHARS_PER_TOKEN);
  const p = i % pieces;
  return source.slice(p * CHARS_PER_TOKEN, (p + 1) * CHARS_PER_TOKEN);
}
