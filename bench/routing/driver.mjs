// Open-loop load driver: sends each request at its (time-scaled) Poisson arrival time over keep-alive node:http,
// streaming (SSE), and records per request the status, TTFT (first SSE token), end-to-end latency, output tokens
// and cached prompt tokens. Times are converted to simulated milliseconds (wall x time scale).
import http from 'node:http';

/**
 * @typedef {{ status: number | 'error' | 'timeout', ttftMs: number, e2eMs: number, outputTokens: number,
 *   cachedTokens: number, pod: string, sentAtMs: number, error?: string }} RequestResult
 */

const FIRST_TOKEN = '"choices":[{';

/**
 * @param {{ url: string, requests: import('./workloads.mjs').WorkRequest[], timeScale: number, drainCapS: number,
 *   onProgress?: (done: number, total: number) => void }} o
 * @returns {Promise<{ results: RequestResult[], wallS: number, windowS: number }>}
 */
export async function runLoad(o) {
  const target = new URL('/v1/completions', o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, scheduling: 'fifo' });
  /** @type {RequestResult[]} */
  const results = new Array(o.requests.length);
  /** @type {Set<http.ClientRequest>} */
  const open = new Set();
  const t0 = performance.now();
  const simMs = (/** @type {number} */ wall) => wall * o.timeScale;
  let done = 0;
  /** @type {() => void} */
  let allDone = () => undefined;
  const finished = new Promise((r) => {
    allDone = () => r(undefined);
  });
  const complete = (/** @type {number} */ i, /** @type {RequestResult} */ r) => {
    if (results[i]) return;
    results[i] = r;
    done++;
    if (done === o.requests.length) allDone();
  };

  const send = (/** @type {number} */ i) => {
    const w = o.requests[i];
    const body = JSON.stringify({
      model: w.model,
      prompt: w.prompt,
      max_tokens: w.maxTokens,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const sent = performance.now();
    let first = 0;
    let tail = '';
    let text = '';
    const req = http.request(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (/** @type {string} */ d) => {
          if (first === 0 && res.statusCode === 200 && (tail + d).includes(FIRST_TOKEN))
            first = performance.now();
          tail = d.slice(-16);
          // Keep only what can hold the usage chunk (the end of the stream) and error bodies.
          text = d.length >= 2048 ? d : (text + d).slice(-4096);
        });
        res.on('end', () => {
          open.delete(req);
          const end = performance.now();
          const out = /"completion_tokens":(\d+)/.exec(text);
          const cached = /"cached_tokens":(\d+)/.exec(text);
          complete(i, {
            status: res.statusCode ?? 'error',
            ttftMs: first ? simMs(first - sent) : Number.NaN,
            e2eMs: simMs(end - sent),
            outputTokens: res.statusCode === 200 && out ? Number(out[1]) : 0,
            cachedTokens: cached ? Number(cached[1]) : 0,
            pod: String(res.headers['x-inference-pod'] ?? ''),
            sentAtMs: simMs(sent - t0),
            ...(res.statusCode !== 200
              ? { error: String(res.headers['x-igw-gateway-error'] ?? text.slice(0, 120)) }
              : {}),
          });
        });
        res.on('error', () => undefined);
      },
    );
    open.add(req);
    req.on('error', () => {
      open.delete(req);
      complete(i, {
        status: 'error',
        ttftMs: first ? simMs(first - sent) : Number.NaN,
        e2eMs: simMs(performance.now() - sent),
        outputTokens: 0,
        cachedTokens: 0,
        pod: '',
        sentAtMs: simMs(sent - t0),
      });
    });
    req.end(body);
  };

  // Fire every request whose arrival time has come, then sleep until the next one.
  let next = 0;
  await new Promise((resolveSent) => {
    const tick = () => {
      const nowSim = simMs(performance.now() - t0) / 1000;
      while (next < o.requests.length && o.requests[next].t <= nowSim) send(next++);
      if (next >= o.requests.length) return resolveSent(undefined);
      const waitMs = Math.max(0, (o.requests[next].t * 1000) / o.timeScale - (performance.now() - t0));
      setTimeout(tick, waitMs);
    };
    tick();
  });
  const windowS = o.requests.length ? o.requests[o.requests.length - 1].t : 0;
  const progress = setInterval(() => o.onProgress?.(done, o.requests.length), 2_000);
  const cap = setTimeout(
    () => {
      for (const [i, w] of o.requests.entries()) {
        if (!results[i]) {
          complete(i, {
            status: 'timeout',
            ttftMs: Number.NaN,
            e2eMs: Number.NaN,
            outputTokens: 0,
            cachedTokens: 0,
            pod: '',
            sentAtMs: w.t * 1000,
          });
        }
      }
      for (const r of open) r.destroy();
    },
    (o.drainCapS * 1000) / o.timeScale,
  );
  if (o.requests.length > 0) await finished;
  clearTimeout(cap);
  clearInterval(progress);
  agent.destroy();
  return { results, wallS: (performance.now() - t0) / 1000, windowS };
}
