// One request inside a pod's engine.

export type FinishReason = 'stop' | 'length';

export const SeqState = { Waiting: 0, Running: 1, Done: 2 } as const;
export type SeqState = (typeof SeqState)[keyof typeof SeqState];

/** Receives a sequence's tokens as the engine produces them (the HTTP layer writes them out). */
export interface SeqSink {
  /** A token was produced; `seq.generated` already counts it. */
  onToken(seq: Sequence): void;
  /** The last token was produced (called after its onToken), or the sequence was aborted. */
  onFinish(seq: Sequence): void;
}

export interface SeqInput {
  promptTokens: number;
  /** Chained hashes of the prompt's full blocks (empty when prefix caching is irrelevant). */
  blockHashes: number[];
  /** Tokens to generate (>= 1), already decided from max_tokens / ignore_eos / the random length model. */
  outputTokens: number;
  finishReason: FinishReason;
  /** Adapter name, or null for the base model. */
  lora: string | null;
  sink: SeqSink;
}

export class Sequence {
  readonly id: number;
  readonly promptTokens: number;
  readonly blockHashes: number[];
  readonly outputTokens: number;
  readonly finishReason: FinishReason;
  readonly lora: string | null;
  readonly sink: SeqSink;
  /** Simulated times (ms); -1 = not yet. */
  readonly arrivalMs: number;
  firstAdmittedMs = -1;
  firstTokenMs = -1;
  lastTokenMs = -1;
  finishedMs = -1;

  state: SeqState = SeqState.Waiting as SeqState;
  aborted = false;
  /** Tokens to (re)compute before decoding: the prompt plus, after a preemption, what was already generated. */
  prefillTarget = 0;
  /** Tokens whose KV is computed (cached prefix included). */
  computed = 0;
  generated = 0;
  /** Prompt tokens served from the prefix cache at the last admission. */
  cachedTokens = 0;
  /** Leading block hashes this sequence holds a reference on. */
  hashedHeld = 0;
  /** Anonymous blocks held (prompt blocks being computed, decode blocks). */
  anonBlocks = 0;
  preemptions = 0;
  /** Batch model: tokens of prefill planned for the current step, or -1 for a decode token, 0 for none. */
  planned = 0;
  /** Whether the last admission had to load the adapter. */
  loadedLora = false;
  /** Per-token model: simulated time of the next token. */
  nextEventMs = 0;

  constructor(id: number, input: SeqInput, arrivalMs: number) {
    this.id = id;
    this.promptTokens = input.promptTokens;
    this.blockHashes = input.blockHashes;
    this.outputTokens = input.outputTokens;
    this.finishReason = input.finishReason;
    this.lora = input.lora;
    this.sink = input.sink;
    this.arrivalMs = arrivalMs;
  }

  get blocksHeld(): number {
    return this.hashedHeld + this.anonBlocks;
  }
}
