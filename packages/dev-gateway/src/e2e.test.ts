// End to end, everything real on loopback: simulated vLLM pods (@igw/model-server-sim, in process) on 127.0.0.x,
// the EPP and the BBR started from their bins, the dev gateway, and the official `openai` client talking to it.
// Skipped (with the reason) only when apps/epp/dist/main.js is missing.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { missingComponents, type Stack, startStack } from './demo/stack.js';

// Skipped only when the EPP is not built (the BBR being missing is a failure with a clear message).
const skip = missingComponents({ bbr: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(stack: Stack): OpenAI {
  return new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
}

async function waitFor(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof APIError && e.status !== undefined) return e.status;
    throw e;
  }
}

describe('end to end through the dev gateway (sim pods, EPP, BBR, openai client)', {
  skip,
  timeout: 120_000,
}, () => {
  let stack: Stack;
  let ai: OpenAI;

  before(async () => {
    stack = await startStack({
      pods: 3,
      // One adapter slot and two sequences per pod: affinity and saturation are reachable with a few requests.
      simParams: { maxLoras: 1, maxNumSeqs: 2 },
      queueDepthThreshold: 2,
      // Affinity must beat the small queue/KV differences a busy shared machine produces between scrapes.
      loraWeight: 5,
      secure: true,
    });
    ai = client(stack);
  });
  after(async () => {
    await stack?.close();
  });

  test('chat and completions, streaming and not; BBR and EPP on the path', async () => {
    const { data: chat, response } = await ai.chat.completions
      .create({ model: stack.model, messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8 })
      .withResponse();
    assert.equal(chat.object, 'chat.completion');
    assert.ok(chat.choices[0]?.message.content);
    assert.match(response.headers.get('x-inference-pod') ?? '', /^sim-\d$/);
    assert.equal(
      response.headers.get('x-went-into-resp-headers'),
      'true',
      'the response went through the EPP',
    );

    const completion = await ai.completions.create({
      model: stack.model,
      prompt: 'Once upon a time',
      max_tokens: 8,
    });
    assert.equal(completion.object, 'text_completion');
    assert.ok(completion.usage && completion.usage.prompt_tokens > 0);

    const stream = await ai.chat.completions.create({
      model: stack.loras[0]!,
      messages: [{ role: 'user', content: 'Stream please' }],
      max_tokens: 12,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    assert.ok(chunks >= 12, `one chunk per token (${chunks})`);
    assert.ok(text.length > 0);
    assert.equal(usage?.completion_tokens, 12);

    const cstream = await ai.completions.create({
      model: stack.model,
      prompt: 'Count',
      max_tokens: 5,
      stream: true,
    });
    let cchunks = 0;
    for await (const c of cstream) if (c.choices[0]?.text) cchunks++;
    assert.ok(cchunks >= 1);
  });

  test('requests for an adapter land on the pod that has it loaded', async () => {
    const adapter = stack.loras[1]!;
    // An adapter shows in vLLM's lora_requests_info while it runs: keep one long request going on it.
    const ctl = new AbortController();
    const { data: anchor, response } = await ai.completions
      .create(
        {
          model: adapter,
          prompt: 'A long task',
          max_tokens: 2_000,
          ignore_eos: true,
          stream: true,
        } as OpenAI.CompletionCreateParamsStreaming,
        {
          signal: ctl.signal,
        },
      )
      .withResponse();
    const anchorPod = response.headers.get('x-inference-pod');
    const it = anchor[Symbol.asyncIterator]();
    await it.next();
    const pod = stack.sim.pods.find((p) => p.name === anchorPod)!;
    assert.ok(pod.stats().loadedLoras.includes(adapter));
    await sleep(300); // a few EPP scrapes (every 50 ms)
    try {
      for (let i = 0; i < 3; i++) {
        const { response: r } = await ai.completions
          .create({ model: adapter, prompt: `Short task ${i}`, max_tokens: 4 })
          .withResponse();
        assert.equal(
          r.headers.get('x-inference-pod'),
          anchorPod,
          `request ${i} went to the pod running ${adapter}`,
        );
      }
    } finally {
      ctl.abort();
      await it.return?.();
    }
  });

  test('repeated long prompts land where their prefix is cached', async () => {
    const system = 'You are a meticulous assistant. Always cite the style guide, section by section. '.repeat(
      60,
    );
    const pods: string[] = [];
    const cached: number[] = [];
    for (let u = 0; u < 4; u++) {
      const { data, response } = await ai.chat.completions
        .create({
          model: stack.model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: `Question ${u}` },
          ],
          max_tokens: 4,
        })
        .withResponse();
      pods.push(response.headers.get('x-inference-pod') ?? '');
      cached.push(data.usage?.prompt_tokens_details?.cached_tokens ?? 0);
    }
    assert.equal(new Set(pods).size, 1, `all on one pod: ${pods.join(', ')}`);
    assert.equal(cached[0], 0);
    for (const c of cached.slice(1)) assert.ok(c > 1_000, `prefix served from cache (${cached.join(', ')})`);
  });

  test('a sheddable objective gets 429 when every pod is saturated; a critical one is served', async () => {
    const ctl = new AbortController();
    setMaxListeners(200, ctl.signal); // one listener per spike request
    const spike: Array<Promise<number>> = [];
    const addSpike = (n: number) => {
      for (let i = 0; i < n; i++)
        spike.push(
          statusOf(
            ai.completions.create(
              {
                model: stack.model,
                prompt: `Spike ${spike.length}`,
                max_tokens: 3_000,
                ignore_eos: true,
              } as OpenAI.CompletionCreateParamsNonStreaming,
              { signal: ctl.signal, headers: { 'x-gateway-inference-objective': 'critical' } },
            ),
          ).catch(() => -1),
        );
    };
    try {
      // Saturated for the v1 detector: every pod's queue above queueDepthThreshold (2).
      // The EPP spreads a burst by stale metrics, so keep adding long requests until every queue is long enough.
      addSpike(12);
      await waitFor('every pod to queue more than 2 requests', async () => {
        if (stack.sim.pods.every((p) => p.stats().waiting > 2)) return true;
        if (spike.length < 60) addSpike(2);
        await sleep(150);
        return false;
      });
      await sleep(200); // scraped by the EPP
      let shed: APIError | undefined;
      try {
        await ai.completions.create(
          { model: stack.model, prompt: 'batch job', max_tokens: 2 },
          { headers: { 'x-gateway-inference-objective': 'batch' } },
        );
      } catch (e) {
        if (e instanceof APIError) shed = e;
        else throw e;
      }
      assert.equal(shed?.status, 429);
      assert.equal(shed?.headers?.get('x-llm-d-request-dropped-reason'), 'rejected-saturated');
      const waitingBefore = stack.sim.pods.reduce((n, p) => n + p.stats().waiting, 0);
      const critical = ai.completions.create(
        { model: stack.model, prompt: 'urgent', max_tokens: 2 },
        { headers: { 'x-gateway-inference-objective': 'critical' } },
      );
      await waitFor(
        'the critical request to be queued on a pod',
        () => stack.sim.pods.reduce((n, p) => n + p.stats().waiting, 0) > waitingBefore,
      );
      ctl.abort(); // free the pods
      const r = await critical;
      assert.equal(r.object, 'text_completion');
    } finally {
      ctl.abort();
      await Promise.all(spike);
    }
  });

  test('FailClose (the pool default): 5xx when the EPP process is killed', async () => {
    await stack.epp.kill();
    const status = await statusOf(ai.completions.create({ model: stack.model, prompt: 'x', max_tokens: 2 }));
    assert.ok(status >= 500 && status < 600, `got ${status}`);
  });
});

describe('end to end: BUFFERED body mode, FailOpen and EPP restarts', { skip, timeout: 120_000 }, () => {
  let stack: Stack;
  let ai: OpenAI;

  before(async () => {
    stack = await startStack({
      pods: 2,
      bbr: false,
      failureMode: 'FailOpen',
      secure: false,
      bodyMode: 'BUFFERED',
    });
    ai = client(stack);
  });
  after(async () => {
    await stack?.close();
  });

  test('BUFFERED request bodies through the real EPP (plaintext gRPC)', async () => {
    const { data, response } = await ai.chat.completions
      .create({ model: stack.model, messages: [{ role: 'user', content: 'buffered please' }], max_tokens: 4 })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(response.headers.get('x-went-into-resp-headers'), 'true');
    assert.equal(stack.gateway.stats().outcomes.fail_open, undefined, 'routed by the EPP, not failing open');
  });

  test('the EPP restarting mid-traffic loses no request; FailOpen keeps serving while it is down', async () => {
    let stop = false;
    const statuses: number[] = [];
    const loop = async (k: number) => {
      let i = 0;
      while (!stop) {
        statuses.push(
          await statusOf(
            ai.completions.create({ model: stack.model, prompt: `loop ${k} request ${i++}`, max_tokens: 2 }),
          ),
        );
      }
    };
    const loops = [0, 1, 2].map(loop);
    await sleep(300);
    const before = statuses.length;
    // Graceful restart: SIGTERM drains the EPP's in-flight streams, then a new EPP on the same ports.
    assert.equal(await stack.epp.stop(), 0);
    await sleep(300); // traffic while no EPP runs: failing open
    const failedOpenWhileDown = stack.gateway.stats().outcomes.fail_open ?? 0;
    await stack.startEpp();
    await sleep(300);
    // A hard kill too: in-flight streams die with it; the gateway fails open for them.
    await stack.epp.kill();
    await sleep(200);
    await stack.startEpp();
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    assert.ok(statuses.length > before + 10, `traffic kept flowing (${statuses.length} requests)`);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'every request succeeded',
    );
    assert.ok(failedOpenWhileDown > 0, 'some requests were routed by the gateway while the EPP was down');
    // And the EPP routes again (the gateway opens a fresh channel after UNAVAILABLE rather than waiting out gRPC's
    // reconnect backoff).
    await waitFor(
      'a request routed by the EPP again',
      async () => {
        const failOpen = stack.gateway.stats().outcomes.fail_open ?? 0;
        const r = await ai.completions.create({ model: stack.model, prompt: 'after', max_tokens: 2 });
        assert.equal(r.object, 'text_completion');
        return (stack.gateway.stats().outcomes.fail_open ?? 0) === failOpen;
      },
      5_000,
    );
  });
});
