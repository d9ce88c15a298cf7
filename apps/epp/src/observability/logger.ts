// pino JSON logs on stdout; the level and time format come from the upstream logging flags (-v, --zap-*).
import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';
import { levelForVerbosity, type ZapOptions } from '../flags/options.js';

export interface LoggerOptions {
  verbosity: number;
  zap: ZapOptions;
  /** Defaults to an asynchronous stdout destination (flushed at exit). */
  destination?: DestinationStream;
}

export interface EppLogger {
  logger: Logger;
  /** Write out buffered lines (before process.exit). */
  flush(): void;
}

/** --zap-log-level wins over -v; --zap-devel means debug when neither is given. */
export function loggerLevel(o: Pick<LoggerOptions, 'verbosity' | 'zap'>, verbosityGiven: boolean): string {
  if (o.zap.level) return o.zap.level;
  if (!verbosityGiven && o.zap.devel) return 'debug';
  return levelForVerbosity(o.verbosity);
}

function timeFormat(enc: ZapOptions['timeEncoding']): () => string {
  switch (enc) {
    case 'epoch':
      // zap's epoch: float seconds
      return () => `,"time":${Date.now() / 1000}`;
    case 'millis':
      return stdTimeFunctions.epochTime;
    case 'nano':
      return () => `,"time":${BigInt(Date.now()) * 1_000_000n}`;
    default:
      return stdTimeFunctions.isoTime;
  }
}

export function createLogger(o: LoggerOptions, verbosityGiven: boolean): EppLogger {
  const dest = o.destination ?? pino.destination({ dest: 1, sync: false, minLength: 0 });
  const logger = pino(
    {
      level: loggerLevel(o, verbosityGiven),
      name: 'epp',
      base: { pid: process.pid },
      timestamp: timeFormat(o.zap.timeEncoding),
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  return {
    logger,
    flush() {
      const d = dest as { flushSync?: () => void };
      try {
        d.flushSync?.();
      } catch {
        // not yet ready (nothing written) or already closed
      }
    },
  };
}
