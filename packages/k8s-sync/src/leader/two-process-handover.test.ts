// Leader hand-over between two OS processes (each its own client and connection pool) through the stand-in.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KubeApiStandin } from '../apiserver-standin/server.js';
import { waitFor } from '../apiserver-standin/test-support.js';
import { eppLeaseName } from './lease-elector.js';

const SCRIPT = fileURLToPath(new URL('./testdata/elector-process.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  started: boolean;
  leader: boolean;
  exited: Promise<number | null>;
}

function startProcess(server: string, identity: string): Proc {
  const child = spawn(process.execPath, [SCRIPT, server, identity], { stdio: ['ignore', 'pipe', 'inherit'] });
  const p: Proc = {
    child,
    started: false,
    leader: false,
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { leader?: boolean; started?: boolean };
    if (m.started) p.started = true;
    if (m.leader !== undefined) p.leader = m.leader;
  });
  return p;
}

describe('leader hand-over between two processes', () => {
  const s = new KubeApiStandin();
  const procs: Proc[] = [];
  after(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await s.stop();
  });

  test('SIGTERM releases at once; a killed leader is replaced after the lease expires', async () => {
    await s.start();
    const holder = () =>
      (
        s.get('coordination.k8s.io/v1', 'Lease', 'default', eppLeaseName('default', 'pool'))?.spec as
          | { holderIdentity?: string }
          | undefined
      )?.holderIdentity;
    const a = startProcess(s.url, 'a');
    procs.push(a);
    await waitFor('a leads', () => a.leader && holder() === 'a', 10_000);
    const b = startProcess(s.url, 'b');
    procs.push(b);
    // Loading client-node takes a while on a busy machine: wait until b campaigns.
    await waitFor('b runs', () => b.started, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.leader, false);
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    await waitFor('b leads', () => b.leader && holder() === 'b', 5000);
    assert.ok(Date.now() - t0 < 900, 'hand-over without waiting for the lease to expire');
    const c = startProcess(s.url, 'c');
    procs.push(c);
    await waitFor('c runs', () => c.started, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(c.leader, false);
    const t1 = Date.now();
    b.child.kill('SIGKILL');
    await waitFor('c leads', () => c.leader && holder() === 'c', 5000);
    assert.ok(Date.now() - t1 >= 800, 'a killed leader keeps the lease until it expires');
  });
});
