// A pino logger whose JSON lines are kept in memory, so tests can assert what was reported.
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown> & { msg: string; level: number }>;
}

export function captureLogger(level = 'trace'): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
