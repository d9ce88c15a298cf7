// The igw-bbr bin started as a process, as a platform engineer would run it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkHealth, EnvoyLikeClient } from '@igw/ext-proc';

const BIN = fileURLToPath(new URL('../bin/igw-bbr.mjs', import.meta.url));

function startBin(
  args: string[],
): Promise<{ child: ChildProcess; ports: { grpcPort: number; healthPort: number; metricsPort: number } }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('igw-bbr did not start within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`igw-bbr exited early with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const rec = JSON.parse(line) as {
        msg: string;
        grpcPort: number;
        healthPort: number;
        metricsPort: number;
      };
      if (rec.msg === 'bbr serving') {
        clearTimeout(timer);
        resolve({ child, ports: rec });
      }
    });
  });
}

const healthCheck = (port: number, service = ''): Promise<string> =>
  checkHealth(`127.0.0.1:${port}`, service);

describe('igw-bbr CLI', () => {
  test('--help prints the flags; a bad flag exits 2', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--grpc-port int .*9004/);
    assert.match(help.stdout, /--plugin type:name\[:json\]/);
    const bad = spawnSync(process.execPath, [BIN, '--grpc-port', 'x'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--grpc-port must be a port number/);
  });

  test('a missing ConfigMap file fails the start with a clear log line', () => {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        '--grpc-port=0',
        '--grpc-health-port=0',
        '--metrics-port=0',
        '--base-model-configmaps-file=/nonexistent.yaml',
      ],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 1);
    assert.match(r.stdout, /cannot read \/nonexistent\.yaml/);
  });

  test('serves ext_proc over TLS by default, health SERVING, then drains on SIGTERM and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igw-bbr-cli-'));
    const file = join(dir, 'cm.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {inference.networking.k8s.io/bbr-managed: "true"}\ndata:\n  baseModel: base-1\n  adapters: "[lora-1]"\n',
    );
    const { child, ports } = await startBin([
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
      '--host=127.0.0.1',
      `--base-model-configmaps-file=${file}`,
      '-v',
      '4',
    ]);
    try {
      const client = new EnvoyLikeClient({ address: `127.0.0.1:${ports.grpcPort}`, secure: true });
      const r = await client.process({
        headers: { ':method': 'POST', 'x-request-id': 'cli-1' },
        body: '{"model":"lora-1"}',
        chunkSize: 5,
      });
      client.close();
      assert.equal(r.request.header('x-gateway-model-name'), 'lora-1');
      assert.equal(r.request.header('x-gateway-base-model-name'), 'base-1');
      assert.equal(await healthCheck(ports.healthPort, ''), 'SERVING');
      const metrics = await (await fetch(`http://127.0.0.1:${ports.metricsPort}/metrics`)).text();
      assert.match(metrics, /^bbr_success_total 1$/m);
      assert.match(metrics, /^process_cpu_seconds_total /m);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
