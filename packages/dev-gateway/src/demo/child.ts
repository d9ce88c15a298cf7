// A component started from its bin (igw-epp, igw-bbr) as a child process: output collected line by line,
// graceful stop (SIGTERM, then SIGKILL after a grace period) and hard kill (SIGKILL) for failure tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../../../', import.meta.url);

/** Absolute path of a file in the repository (from packages/dev-gateway/dist/demo/). */
export function repoPath(rel: string): string {
  return fileURLToPath(new URL(rel, ROOT));
}

export const EPP_BIN = repoPath('apps/epp/bin/igw-epp.mjs');
export const EPP_MAIN = repoPath('apps/epp/dist/main.js');
export const BBR_BIN = repoPath('apps/bbr/bin/igw-bbr.mjs');
export const BBR_MAIN = repoPath('apps/bbr/dist/main.js');

export function built(main: string): boolean {
  return existsSync(main);
}

export class ChildComponent {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private pending = '';

  constructor(
    readonly name: string,
    bin: string,
    readonly args: string[],
    onLine?: (name: string, line: string) => void,
  ) {
    this.child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (d: Buffer) => {
      this.pending += d.toString();
      const lines = this.pending.split('\n');
      this.pending = lines.pop() ?? '';
      for (const l of lines) {
        if (this.output.length < 20_000) this.output.push(l);
        onLine?.(name, l);
      }
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code once the process has exited. */
  wait(): Promise<number | null> {
    return this.exited;
  }

  /** The last lines of output, for error messages. */
  tail(n = 15): string {
    return this.output.slice(-n).join('\n');
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves with the exit code. */
  async stop(graceMs = 8_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** SIGKILL: the process dies with its streams open, like a crashed pod. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}
