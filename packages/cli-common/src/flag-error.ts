// The one error type of command-line parsing: every CLI reports it as a usage error (message + --help hint).
export class FlagError extends Error {
  override name = 'FlagError';
}
