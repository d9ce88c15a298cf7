// OpenAI response bodies in vLLM's shapes. The per-token SSE chunk is assembled from strings precomputed once per
// request, so a token costs one JSON.stringify of its text and one write.

export type Endpoint = 'completions' | 'chat';

export interface UsageNumbers {
  prompt: number;
  completion: number;
  cached: number;
}

function usageJson(u: UsageNumbers): string {
  return `{"prompt_tokens":${u.prompt},"total_tokens":${u.prompt + u.completion},"completion_tokens":${u.completion},"prompt_tokens_details":{"cached_tokens":${u.cached}}}`;
}

export class ResponseWriter {
  private readonly endpoint: Endpoint;
  private readonly head: string;
  private readonly tokenPrefix: string;
  private readonly tokenSuffix: string;
  private readonly finishSuffixStart: string;

  constructor(endpoint: Endpoint, id: string, model: string, created: number) {
    this.endpoint = endpoint;
    const object = endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head = `{"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)}`;
    if (endpoint === 'chat') {
      this.tokenPrefix = `data: ${this.head},"choices":[{"index":0,"delta":{"content":`;
      this.tokenSuffix = '},"logprobs":null,"finish_reason":null}]}\n\n';
      this.finishSuffixStart = '},"logprobs":null,"finish_reason":';
    } else {
      this.tokenPrefix = `data: ${this.head},"choices":[{"index":0,"text":`;
      this.tokenSuffix = ',"logprobs":null,"finish_reason":null,"stop_reason":null}]}\n\n';
      this.finishSuffixStart = ',"logprobs":null,"finish_reason":';
    }
  }

  /** vLLM's first chat chunk: the assistant role with empty content. */
  roleChunk(): string {
    return `data: ${this.head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  tokenChunk(text: string, finishReason: string | null): string {
    if (finishReason === null) return this.tokenPrefix + JSON.stringify(text) + this.tokenSuffix;
    const tail =
      this.endpoint === 'chat' ? `"${finishReason}"}]}\n\n` : `"${finishReason}","stop_reason":null}]}\n\n`;
    return this.tokenPrefix + JSON.stringify(text) + this.finishSuffixStart + tail;
  }

  /** The usage chunk (stream_options.include_usage): empty choices, then usage. */
  usageChunk(u: UsageNumbers): string {
    return `data: ${this.head},"choices":[],"usage":${usageJson(u)}}\n\n`;
  }

  static readonly DONE = 'data: [DONE]\n\n';

  /** The non-streaming body. */
  fullBody(text: string, finishReason: string, u: UsageNumbers): string {
    const object = this.endpoint === 'chat' ? 'chat.completion' : 'text_completion';
    const head = this.head.replace(/"object":"[^"]*"/, `"object":"${object}"`);
    const choice =
      this.endpoint === 'chat'
        ? `{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)},"tool_calls":[]},"logprobs":null,"finish_reason":"${finishReason}","stop_reason":null}`
        : `{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":"${finishReason}","stop_reason":null,"prompt_logprobs":null}`;
    return `${head},"choices":[${choice}],"usage":${usageJson(u)}}`;
  }
}
