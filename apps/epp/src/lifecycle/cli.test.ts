// The igw-epp binary as a process: --help, bad flags, startup failures, pflag syntax, SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { healthClient } from '@igw/ext-proc';

const BIN = fileURLToPath(new URL('../../bin/igw-epp.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'epp-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
}

describe('igw-epp CLI', () => {
  test('--help prints the flags and exits 0', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: igw-epp \[flags\]/);
    assert.match(r.stdout, /--pool-name string/);
    assert.match(r.stdout, /--zap-encoder string/);
  });

  test('unknown flags and invalid values exit 1 with the reason on stderr', () => {
    let r = run(['--pool-name=p', '--pool-nmae=x']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /igw-epp: unknown flag: --pool-nmae/);
    r = run(['--pool-name=p', '--refresh-metrics-interval=fast']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /invalid argument "fast" for "--refresh-metrics-interval" flag/);
  });

  test('startup failures exit 1 with one JSON log line naming the cause', () => {
    const r = run([
      '--pool-name=p',
      `--resources-file=${join(dir, 'missing.yaml')}`,
      '--grpc-port=0',
      '--grpc-health-port=0',
      '--metrics-port=0',
    ]);
    assert.equal(r.status, 1);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(line.level, 'error');
    assert.match(line.msg, /startup failed: resources file .*missing\.yaml: cannot read/);
  });

  test('runs with the Helm chart arguments, becomes ready, and exits 0 on SIGTERM', async () => {
    const file = join(dir, 'resources.yaml');
    writeFileSync(
      file,
      `apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata: {name: pool, namespace: team-a}
spec:
  selector: {app: vllm}
  targetPortNumber: 8000
  extensionRef: {name: epp}
`,
    );
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--pool-name',
        'pool',
        '--pool-group=inference.networking.x-k8s.io',
        '--zap-encoder',
        'json',
        '--zap-log-level=info',
        '--tracing=false',
        '--metrics-endpoint-auth=false',
        '--secure-serving=false',
        `--resources-file=${file}`,
        '--grpc-port=0',
        '--grpc-health-port=0',
        '--metrics-port=0',
        '-v',
        '2',
      ],
      { env: { ...process.env, NAMESPACE: 'team-a' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const exited = once(child, 'exit');
    try {
      const end = Date.now() + 10_000;
      while (!/endpoint picker started/.test(out)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const started = JSON.parse(out.split('\n').find((l) => l.includes('endpoint picker started'))!);
      assert.equal(started.pool, 'team-a/pool');
      assert.equal(started.synced, true);
      const hc = healthClient(`127.0.0.1:${started.grpcHealthPort}`);
      assert.equal(await hc.check('inference-extension'), 'SERVING');
      hc.close();
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0);
      assert.match(out, /shutdown complete/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
