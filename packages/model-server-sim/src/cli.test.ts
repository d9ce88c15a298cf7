import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './cli-flags.js';
import { MODEL, postJson } from './test-helpers.js';

const BIN = fileURLToPath(new URL('../bin/igw-sim.mjs', import.meta.url));

describe('igw-sim flags (pflag-like)', () => {
  test('--flag value, --flag=value, repeated and comma-separated lists, engine overrides', () => {
    const c = parseFlags([
      '--pods=3',
      '--model',
      'm',
      '--lora',
      'a,b',
      '--lora=c',
      '--time-scale',
      '20',
      '--max-num-seqs=8',
      '--kv-cache-size',
      '4000',
      '--enable-prefix-caching=false',
      '--failure-types',
      'rate_limit,server_error',
    ]);
    assert.equal(c.cluster.pods, 3);
    assert.equal(c.cluster.model, 'm');
    assert.deepEqual(c.cluster.loras, ['a', 'b', 'c']);
    assert.equal(c.cluster.timeScale, 20);
    assert.equal(c.cluster.port, 8000, "vLLM's default port");
    assert.deepEqual(c.cluster.params, { maxNumSeqs: 8, numGpuBlocks: 4000, enablePrefixCaching: false });
    assert.deepEqual(c.cluster.failureTypes, ['rate_limit', 'server_error']);
  });

  test('unknown flags, bad numbers, missing values and bad enums are errors', () => {
    assert.throws(() => parseFlags(['--podz', '2']), /unknown flag: --podz/);
    assert.throws(() => parseFlags(['--pods', 'two']), /invalid argument "two" for "--pods" flag/);
    assert.throws(() => parseFlags(['--model']), /flag needs an argument: --model/);
    assert.throws(() => parseFlags(['--mode', 'loud']), /--mode/);
    assert.throws(() => parseFlags(['--failure-types', 'meteor']), /"meteor" for "--failure-types"/);
    assert.throws(() => parseFlags(['stray']), /unexpected argument "stray"/);
  });

  test('booleans take every Go spelling; an empty number is an error, not 0', () => {
    assert.deepEqual(parseFlags(['--enable-prefix-caching=F']).cluster.params, {
      enablePrefixCaching: false,
    });
    assert.equal(parseFlags(['--shared-host=t']).cluster.sharedHost, true);
    assert.throws(
      () => parseFlags(['--shared-host=maybe']),
      /invalid argument "maybe" for "--shared-host" flag/,
    );
    assert.throws(() => parseFlags(['--pods=']), /invalid argument "" for "--pods" flag/);
    assert.throws(() => parseFlags(['--pods', '--model', 'm']), /flag needs an argument: --pods/);
  });
});

describe('igw-sim process', () => {
  test('--help prints the flags and exits 0', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: igw-sim/);
    for (const f of ['--pods', '--model', '--lora', '--profile', '--time-scale', '--max-loras'])
      assert.ok(r.stdout.includes(f), f);
  });

  test('a bad flag exits 2 with a message on stderr', () => {
    const r = spawnSync(process.execPath, [BIN, '--pods', '2', '--bogus'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown flag: --bogus/);
  });

  test('serves pods on consecutive addresses, logs JSON, stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--pods', '2', '--host', '127.0.0.40', '--port', '0', '--time-scale', '50', '--lora', 'ad1'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const lines = createInterface({ input: child.stdout! });
      let ready: { addresses: string[] } | undefined;
      for await (const line of lines) {
        const rec = JSON.parse(line) as { msg: string; addresses: string[] };
        if (rec.msg === 'simulator ready') {
          ready = rec;
          break;
        }
      }
      assert.ok(ready);
      assert.equal(ready.addresses.length, 2);
      assert.match(ready.addresses[0]!, /^127\.0\.0\.40:\d+$/);
      assert.match(ready.addresses[1]!, /^127\.0\.0\.41:\d+$/);
      const r = await postJson(`http://${ready.addresses[1]}/v1/completions`, {
        model: 'ad1',
        prompt: 'hi',
        max_tokens: 3,
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-inference-pod'), 'sim-1');
      const models = (await (await fetch(`http://${ready.addresses[0]}/v1/models`)).json()) as {
        data: Array<{ id: string }>;
      };
      assert.deepEqual(
        models.data.map((m) => m.id),
        [MODEL, 'ad1'],
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
