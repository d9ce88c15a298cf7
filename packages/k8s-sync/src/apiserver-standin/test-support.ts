// Small helpers for tests that drive real clients against the stand-in.
import type { SourceLogger } from '../informers/logger.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that records entries (and prints them when IGW_TEST_LOGS=1), to assert what an operator would read. */
export function captureLogger(): SourceLogger & {
  entries: LogEntry[];
  find(re: RegExp, level?: LogEntry['level']): LogEntry | undefined;
} {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: object, msg: string): void => {
      entries.push({ level, msg, fields: { ...fields } });
      if (process.env.IGW_TEST_LOGS === '1') console.log(JSON.stringify({ level, msg, ...fields }));
    };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    find: (re, level) => entries.find((e) => (level === undefined || e.level === level) && re.test(e.msg)),
  };
}

/** Polls until `check` returns true (or a value other than false/undefined); throws with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => T | false | undefined | Promise<T | false | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== false && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
