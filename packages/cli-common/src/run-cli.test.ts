import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// A real child process on runCli (test-fixtures/cli-child.ts): exit codes, stderr, signals.
const CHILD = fileURLToPath(new URL('./test-fixtures/cli-child.js', import.meta.url));

describe('runCli', () => {
  test('--help prints the help on stdout and exits 0', () => {
    const r = spawnSync(process.execPath, [CHILD, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: cli-child \[flags\]\n {2}--port/);
  });

  test('a bad flag or value exits 2 with the message and a hint on stderr, nothing started', () => {
    for (const [argv, re] of [
      [['--bogus'], /^Error: unknown flag: --bogus \(see --help\)\nRun 'cli-child --help' for usage\.\n$/],
      [['--port', 'x'], /^Error: invalid argument "x" for "--port" flag: must be an integer\n/],
    ] as const) {
      const r = spawnSync(process.execPath, [CHILD, ...argv], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
  });

  test('a failed start logs one JSON line and exits 1', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const r = spawnSync(process.execPath, [CHILD, '--port', String(port)], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      const rec = JSON.parse(r.stdout.trim()) as { msg: string; code: string; component: string };
      assert.equal(rec.msg, 'could not listen (EADDRINUSE)');
      assert.equal(rec.component, 'cli-child');
    } finally {
      busy.close();
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`serves until ${signal}, then closes and exits 0`, async () => {
      const child = spawn(process.execPath, [CHILD, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const lines = createInterface({ input: child.stdout! });
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        const seen: string[] = [];
        for await (const line of lines) {
          const rec = JSON.parse(line) as { msg: string; port: number };
          seen.push(rec.msg);
          if (rec.msg === 'ready') {
            assert.equal(await (await fetch(`http://127.0.0.1:${rec.port}/`)).text(), 'ok');
            child.kill(signal);
          }
        }
        assert.equal(await exited, 0);
        assert.deepEqual(seen, ['ready', 'shutting down']);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
