// Runs the EPP from its CLI (bin/igw-epp.mjs) as a child process for end-to-end tests, on free loopback ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EnvoyLikeClient, type ProcessResult } from '@igw/ext-proc';
import { stringify } from 'yaml';

export const EPP_BIN = fileURLToPath(new URL('../../bin/igw-epp.mjs', import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

export function writeResources(path: string, objects: ReadonlyArray<Record<string, unknown>>): void {
  writeFileSync(path, objects.map((o) => stringify(o)).join('---\n'));
}

export interface EppProcess {
  child: ChildProcess;
  grpcPort: number;
  healthPort: number;
  metricsPort: number;
  client: EnvoyLikeClient;
  /** Every stdout/stderr line so far (JSON log lines and anything else). */
  output: string[];
  logs(): Array<Record<string, unknown>>;
  metricsText(): Promise<string>;
  stop(): Promise<number | null>;
}

export async function startEpp(args: string[]): Promise<EppProcess> {
  const [grpcPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      EPP_BIN,
      '--secure-serving=false',
      `--grpc-port=${grpcPort}`,
      `--grpc-health-port=${healthPort}`,
      `--metrics-port=${metricsPort}`,
      '--metrics-endpoint-auth=false',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  let pending = '';
  const collect = (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    output.push(...lines);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const client = new EnvoyLikeClient({ address: `127.0.0.1:${grpcPort}` });
  const exited = once(child, 'exit');
  return {
    child,
    grpcPort,
    healthPort,
    metricsPort,
    client,
    output,
    logs: () =>
      output.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    metricsText: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    stop: async () => {
      client.close();
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls until `fn` returns a value that `ok` accepts (e.g. the EPP synced and scraped), or throws. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(last)} ${lastErr ?? ''}`);
}

export const destinationOf = (r: ProcessResult): string | undefined =>
  r.request.header('x-gateway-destination-endpoint');
