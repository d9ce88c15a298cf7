// The processes of one benchmark point: the simulator (IPC child), the dev gateway and the EPP (their bins), with
// CPU accounting from /proc/<pid>/stat so CPU contention can be ruled out (or seen).
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const GATEWAY_BIN = join(ROOT, 'packages/dev-gateway/bin/igw-gateway.mjs');
export const EPP_BIN = join(ROOT, 'apps/epp/bin/igw-epp.mjs');
const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used so far, from /proc; NaN if it is gone or not Linux. @param {number} pid */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15 of the line)
  } catch {
    return Number.NaN;
  }
}

/** A free TCP port on host. @param {string} host */
export function freePort(host = '127.0.0.1') {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const addr = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => res(addr.port));
    });
  });
}

/** Every child started here, so an interrupted run leaves none behind. @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
}
/** @param {import('node:child_process').ChildProcess} c */
function track(c) {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** The simulator child process. */
export class SimProcess {
  constructor() {
    this.child = track(
      fork(join(import.meta.dirname, 'sim-child.mjs'), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    /** @type {Array<(m: any) => void>} */
    this.waiters = [];
    this.child.on('message', (m) => this.waiters.shift()?.(m));
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  get pid() {
    return /** @type {number} */ (this.child.pid);
  }

  /** @param {object} msg */
  call(msg) {
    return new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`simulator did not answer ${JSON.stringify(msg).slice(0, 80)}`)),
        30_000,
      );
      this.waiters.push((m) => {
        clearTimeout(timer);
        if (m.ok) res(m);
        else rej(new Error(`simulator: ${m.error}`));
      });
      this.child.send(msg);
    });
  }

  /** @param {object} opts SimClusterOptions (serialisable) */
  async start(opts) {
    return /** @type {{ pods: { name: string, address: string }[] }} */ (
      await this.call({ cmd: 'start', opts })
    );
  }

  async stats() {
    return /** @type {{ stats: any[] }} */ (await this.call({ cmd: 'stats' })).stats;
  }

  async close() {
    if (this.child.exitCode !== null) return;
    await this.call({ cmd: 'close' }).catch(() => undefined);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** A bin started as a child process, its output kept for error messages. */
export class BinProcess {
  /** @param {string} name @param {string} bin @param {string[]} args */
  constructor(name, bin, args) {
    this.name = name;
    /** @type {string[]} */
    this.output = [];
    this.child = track(spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const keep = (/** @type {Buffer} */ d) => {
      for (const l of d.toString().split('\n')) if (l && this.output.length < 2000) this.output.push(l);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  get pid() {
    return /** @type {number} */ (this.child.pid);
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(n = 10) {
    return this.output.slice(-n).join('\n');
  }

  async stop() {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(t);
  }
}
