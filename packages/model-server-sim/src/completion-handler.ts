// POST /v1/completions and /v1/chat/completions: validate, size the work, hand it to the engine, and write the
// tokens out as the engine produces them (SSE) or all at the end (JSON).

import type { ServerResponse } from 'node:http';
import type { Engine } from './engine.js';
import { SimError } from './errors.js';
import { type FailureInjection, maybeInjectFailure } from './failures.js';
import { sendError, sendJson } from './http-util.js';
import { sampleOutputLength } from './output-length.js';
import type { Rng } from './random.js';
import { chatRequestSchema, completionRequestSchema, describeZodError } from './request-schema.js';
import { type Endpoint, ResponseWriter } from './responses.js';
import type { SeqSink, Sequence } from './sequence.js';
import {
  contentText,
  countTextTokens,
  echoToken,
  idBlockHashes,
  randomToken,
  renderChat,
  textBlockHashes,
} from './tokens.js';

export type OutputMode = 'random' | 'echo';

export interface CompletionContext {
  engine: Engine;
  podName: string;
  modelName: string;
  loras: ReadonlySet<string>;
  rng: Rng;
  failure: FailureInjection;
  mode: OutputMode;
  nextRequestId(): number;
}

interface Prompt {
  tokens: number;
  hashes: number[];
  /** Text that `echo` mode repeats. */
  echoSource: string;
}

export function handleCompletion(
  ctx: CompletionContext,
  endpoint: Endpoint,
  res: ServerResponse,
  raw: Buffer,
): void {
  try {
    startCompletion(ctx, endpoint, res, raw);
  } catch (e) {
    sendError(
      res,
      e instanceof SimError ? e : new SimError('internal', `internal error: ${(e as Error).message}`),
    );
  }
}

function startCompletion(ctx: CompletionContext, endpoint: Endpoint, res: ServerResponse, raw: Buffer): void {
  // Injection comes before validation, as in llm-d-inference-sim.
  const injected = maybeInjectFailure(ctx.failure, ctx.rng, ctx.modelName);
  if (injected !== null) throw injected;

  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new SimError('bad_request', `Request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new SimError('bad_request', 'Request body must be a JSON object.');

  const params = ctx.engine.params;
  let model: string;
  let prompt: Prompt;
  let maxTokens: number | null;
  let stream: boolean;
  let includeUsage: boolean;
  let ignoreEos: boolean;
  if (endpoint === 'chat') {
    const r = chatRequestSchema.safeParse(json);
    if (!r.success) throw new SimError('bad_request', describeZodError(r.error));
    const b = r.data;
    model = b.model;
    const text = renderChat(b.messages);
    const lastUser = [...b.messages].reverse().find((m) => m.role === 'user');
    prompt = {
      tokens: countTextTokens(text),
      hashes: params.enablePrefixCaching ? textBlockHashes(model, text, params.blockSize) : [],
      echoSource: contentText(lastUser?.content ?? b.messages[b.messages.length - 1]!.content),
    };
    maxTokens = b.max_completion_tokens ?? b.max_tokens ?? null;
    stream = b.stream === true;
    includeUsage = b.stream_options?.include_usage === true;
    ignoreEos = b.ignore_eos === true;
  } else {
    const r = completionRequestSchema.safeParse(json);
    if (!r.success) throw new SimError('bad_request', describeZodError(r.error));
    const b = r.data;
    model = b.model;
    prompt = completionPrompt(b.prompt, model, params.blockSize, params.enablePrefixCaching);
    maxTokens = b.max_tokens ?? null;
    stream = b.stream === true;
    includeUsage = b.stream_options?.include_usage === true;
    ignoreEos = b.ignore_eos === true;
  }

  let lora: string | null = null;
  if (model !== ctx.modelName) {
    if (!ctx.loras.has(model)) throw new SimError('not_found', `The model \`${model}\` does not exist.`);
    lora = model;
  }
  if (prompt.tokens < 1)
    throw new SimError('bad_request', 'The prompt must not be empty.', { param: 'prompt' });
  if (ignoreEos && maxTokens === null)
    throw new SimError(
      'bad_request',
      'Ignore_eos is true but max_completion_tokens (or max_tokens) is not set',
    );
  const contextLeft = params.maxModelLen - prompt.tokens;
  if (contextLeft < 1 || (maxTokens !== null && maxTokens > contextLeft)) {
    const asked = prompt.tokens + (maxTokens ?? 0);
    throw new SimError(
      'bad_request',
      `This model's maximum context length is ${params.maxModelLen} tokens. However, you requested ${asked} tokens (${prompt.tokens} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`,
    );
  }

  const out =
    ctx.mode === 'echo' && !ignoreEos
      ? echoLength(prompt.echoSource, maxTokens)
      : sampleOutputLength(ctx.rng, maxTokens, ignoreEos, contextLeft);
  const blocks = ctx.engine.blocksFor(prompt.tokens + out.tokens);
  if (blocks > params.numGpuBlocks) {
    throw new SimError(
      'bad_request',
      `The request needs ${blocks} KV-cache blocks (${prompt.tokens} prompt + ${out.tokens} output tokens) but the pod has only ${params.numGpuBlocks}.`,
    );
  }

  const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${ctx.podName}-${ctx.nextRequestId()}`;
  const writer = new ResponseWriter(endpoint, id, model, Math.floor(Date.now() / 1000));
  const tokenText = (i: number) =>
    ctx.mode === 'echo' ? echoToken(prompt.echoSource, i) : randomToken(Math.floor(ctx.rng.next() * 1024));
  const sink = stream
    ? streamingSink(res, writer, endpoint, includeUsage, tokenText)
    : bufferedSink(res, writer, tokenText);
  const seq = ctx.engine.submit({
    promptTokens: prompt.tokens,
    blockHashes: prompt.hashes,
    outputTokens: out.tokens,
    finishReason: out.finishReason,
    lora,
    sink,
  });
  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
  }
  res.on('close', () => {
    if (!res.writableFinished) ctx.engine.abort(seq);
  });
}

function completionPrompt(
  p: string | string[] | number[] | number[][],
  model: string,
  blockSize: number,
  caching: boolean,
): Prompt {
  if (typeof p === 'string' || typeof p[0] === 'string') {
    const text = typeof p === 'string' ? p : (p[0] as string);
    return {
      tokens: countTextTokens(text),
      hashes: caching ? textBlockHashes(model, text, blockSize) : [],
      echoSource: text,
    };
  }
  const ids = typeof p[0] === 'number' ? (p as number[]) : (p as number[][])[0]!;
  return { tokens: ids.length, hashes: caching ? idBlockHashes(model, ids, blockSize) : [], echoSource: '' };
}

function echoLength(
  source: string,
  maxTokens: number | null,
): { tokens: number; finishReason: 'stop' | 'length' } {
  const n = Math.max(1, countTextTokens(source));
  return maxTokens !== null && maxTokens < n
    ? { tokens: maxTokens, finishReason: 'length' }
    : { tokens: n, finishReason: 'stop' };
}

/** Writes each token as an SSE chunk; writes of one event-loop turn are corked into one socket write. */
function streamingSink(
  res: ServerResponse,
  writer: ResponseWriter,
  endpoint: Endpoint,
  includeUsage: boolean,
  tokenText: (i: number) => string,
): SeqSink {
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const write = (s: string) => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    res.write(s);
  };
  return {
    onToken(seq: Sequence) {
      if (res.destroyed) return;
      const i = seq.generated - 1;
      if (i === 0 && endpoint === 'chat') write(writer.roleChunk());
      const last = seq.generated >= seq.outputTokens;
      write(writer.tokenChunk(tokenText(i), last ? seq.finishReason : null));
    },
    onFinish(seq: Sequence) {
      if (res.destroyed) return;
      if (seq.aborted) {
        res.destroy();
        return;
      }
      if (includeUsage)
        write(
          writer.usageChunk({
            prompt: seq.promptTokens,
            completion: seq.generated,
            cached: seq.cachedTokens,
          }),
        );
      write(ResponseWriter.DONE);
      res.end();
    },
  };
}

/** Answers once, with the whole text, when the last token is out. */
function bufferedSink(
  res: ServerResponse,
  writer: ResponseWriter,
  tokenText: (i: number) => string,
): SeqSink {
  return {
    onToken() {},
    onFinish(seq: Sequence) {
      if (res.destroyed) return;
      if (seq.aborted) {
        res.destroy();
        return;
      }
      let text = '';
      for (let i = 0; i < seq.generated; i++) text += tokenText(i);
      const usage = { prompt: seq.promptTokens, completion: seq.generated, cached: seq.cachedTokens };
      sendJson(res, 200, writer.fullBody(text, seq.finishReason, usage));
    },
  };
}
