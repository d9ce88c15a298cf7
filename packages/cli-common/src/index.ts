// @igw/cli-common: what the igw command-line programs share.
export { convertFlagValue, type FlagValue, invalidArgument, type ValueKind } from './convert.js';
export { FlagError } from './flag-error.js';
export { parseGoBool, parseGoDuration, parseGoInt } from './go-values.js';
export { flagLabel, type HelpFlag, type HelpOptions, renderHelp } from './help.js';
export {
  type FlagArity,
  type FlagSpec,
  type ParseArgsOptions,
  parseArgs,
  type RawFlagValue,
} from './pflag.js';
export { mulberry32 } from './rng.js';
export { type CliProgram, type Closable, runCli } from './run-cli.js';
