// Shared by the tests: real HTTP over loopback against a started cluster.

export const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

export interface JsonReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function postJson(url: string, body: unknown): Promise<JsonReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((b) => b.startsWith('data: '))
    .map((b) => b.slice('data: '.length));
}

/** Value of the first sample of `name` whose labels contain `labelSubstring`, from a metrics page. */
export function metricValue(page: string, name: string, labelSubstring = ''): number | undefined {
  for (const line of page.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labelSubstring))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A prompt of about `tokens` tokens (4 characters each), distinct per `tag`. */
export function promptOf(tokens: number, tag = 'p'): string {
  const unit = `${tag}:lorem ipsum dolor sit amet; `;
  return unit.repeat(Math.ceil((tokens * 4) / unit.length)).slice(0, tokens * 4);
}
