// `npm start`: a local inference gateway on loopback. Simulated vLLM pods (a base model and LoRA adapters), the
// EPP and the BBR from their bins, and the dev gateway; prints how to use it, sends a short burst of mixed traffic,
// prints where each request went and why, then stays up until Ctrl-C and shuts everything down.
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import parser from 'yargs-parser';
import { type Stack, StackError, startStack } from './stack.js';
import { formatTable, TrafficRunner } from './traffic.js';

/** Set once a shutdown began: errors of requests cut short by it are expected, not failures. */
let stopping: Promise<void> | undefined;

/** The saturation detector's queue threshold in the demo's EPP config. */
const QUEUE_DEPTH_THRESHOLD = 3;

const HELP = `Usage: npm start [-- flags]   (or node packages/dev-gateway/dist/demo/main.js [flags])

Starts simulated pods, the EPP, the BBR and the dev gateway on loopback, sends a burst of mixed traffic,
prints where it went, and serves until Ctrl-C.

Flags:
  --port int       gateway port on 127.0.0.1 (default 8081; 0 = any free port)
  --pods int       simulated pods (default 4)
  --no-burst       skip the traffic burst
  --exit           exit after the burst instead of serving (for CI)
  --help           this text
`;

function parseArgs(argv: string[]) {
  const a = parser(argv, {
    number: ['port', 'pods'],
    boolean: ['burst', 'exit', 'help'],
    configuration: { 'camel-case-expansion': false, 'boolean-negation': true },
  });
  const known = new Set(['_', 'port', 'pods', 'burst', 'exit', 'help']);
  for (const k of Object.keys(a)) if (!known.has(k)) throw new StackError(`unknown flag --${k}\n\n${HELP}`);
  const port = (a.port as number | undefined) ?? 8081;
  const pods = (a.pods as number | undefined) ?? 4;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StackError(`--port: invalid port ${String(a.port)}`);
  if (!Number.isInteger(pods) || pods < 1 || pods > 64) throw new StackError('--pods: 1..64');
  return { port, pods, burst: a.burst !== false, exit: a.exit === true, help: a.help === true };
}

function usage(url: string, model: string, adapter: string): string {
  return `
The gateway is up: ${url}

  curl -s ${url}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"${adapter}","messages":[{"role":"user","content":"Hello!"}],"max_tokens":20}' -i

  # Node, with the official client (npm install openai):
  import OpenAI from 'openai';
  const client = new OpenAI({ baseURL: '${url}/v1', apiKey: 'unused' });
  const r = await client.chat.completions.create({ model: '${model}', messages: [{ role: 'user', content: 'Hi' }] });
  // a sheddable request: { headers: { 'x-gateway-inference-objective': 'batch' } } as the second argument

The x-inference-pod response header names the simulated pod that served the request.
`;
}

async function main(): Promise<void> {
  // grpc-js warns (DEP0123) that TLS to 127.0.0.1 sets an IP as the SNI name; harmless here, noise in a demo.
  process.noDeprecation = true;
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  const logDir = join(tmpdir(), `igw-demo-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const childLogs = new Map<string, ReturnType<typeof createWriteStream>>();
  const gatewayLog = pino(
    { level: 'info', base: { component: 'igw-gateway' } },
    pino.destination({ dest: join(logDir, 'gateway.log'), sync: false }),
  );
  process.stdout.write('Starting simulated pods, the EPP, the BBR and the gateway...\n');
  const starting = startStack({
    listen: `127.0.0.1:${args.port}`,
    pods: args.pods,
    // One adapter slot per pod, a short queue: LoRA affinity and shedding show up with a small burst.
    simParams: { maxLoras: 1, maxNumSeqs: 4 },
    queueDepthThreshold: QUEUE_DEPTH_THRESHOLD,
    logger: gatewayLog,
    onChildLine: (name, line) => {
      let s = childLogs.get(name);
      if (!s) {
        s = createWriteStream(join(logDir, `${name}.log`));
        childLogs.set(name, s);
      }
      s.write(`${line}\n`);
    },
  });
  // Signals are handled from the start: Ctrl-C while starting waits for the start, then stops everything.
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      process.stdout.write(`\n${why}: stopping the gateway, the EPP, the BBR and the pods...\n`);
      const started = await starting.catch(() => undefined);
      await started?.close();
      gatewayLog.flush();
      for (const s of childLogs.values()) s.end();
      process.stdout.write('Stopped.\n');
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C').then(() => process.exit(0)));
  process.on('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));
  let stack: Stack;
  try {
    stack = await starting;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new StackError(`port ${args.port} is in use: try npm start -- --port 0 (any free port)`);
    throw e;
  }
  if (stopping) return; // Ctrl-C arrived while starting
  const { gateway, sim, model, loras } = stack;
  process.stdout.write(
    `Pods: ${sim.pods.map((p) => `${p.name}@${p.address}`).join(', ')}\n` +
      `Model ${model}, adapters ${loras.join(', ')} (one adapter slot per pod)\n` +
      `EPP ext_proc on 127.0.0.1:${stack.eppPorts.grpc} (TLS, self-signed), metrics http://127.0.0.1:${stack.eppPorts.metrics}/metrics\n` +
      `Logs: ${logDir}/{gateway,epp,bbr}.log\n`,
  );
  process.stdout.write(usage(gateway.url, model, loras[0]!));

  if (args.burst) {
    process.stdout.write('\nSending a burst of mixed traffic...\n');
    const t = new TrafficRunner(gateway.url, sim, model);
    await t.warmup();
    await t.adapters(loras.slice(0, 2));
    await t.sharedPrefixes();
    await t.saturation(QUEUE_DEPTH_THRESHOLD);
    process.stdout.write(`\n${formatTable(t.records)}\n`);
    const lines = sim.pods.map((p) => {
      const s = p.stats();
      const hit =
        s.prefixQueryTokens > 0 ? ((100 * s.prefixHitTokens) / s.prefixQueryTokens).toFixed(0) : '0';
      return `  ${p.name}: ${s.finished} completions (${s.aborted} aborted), prefix-cache hit ${hit}% of prompt tokens, adapter in its slot: ${s.loadedLoras.join(', ') || 'none'} (${s.loraLoads} loads)`;
    });
    process.stdout.write(`\nPods after the burst:\n${lines.join('\n')}\n`);
    process.stdout.write(`Gateway outcomes: ${JSON.stringify(gateway.stats().outcomes)}\n`);
  }
  if (args.exit) {
    await shutdown('--exit');
    return;
  }
  process.stdout.write(`\nServing on ${gateway.url} until Ctrl-C.\n`);
}

main().catch((e: unknown) => {
  if (stopping) return; // Ctrl-C during the burst: the shutdown in progress exits.
  const msg = e instanceof StackError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`\ndemo failed: ${msg}\n`);
  process.exit(1);
});
