// The logging surface the sources need; a pino Logger satisfies it (structured object first, then the message).
export interface SourceLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: SourceLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
