// Command-line parsing of igw-epp on @igw/cli-common's pflag reader: `--flag value`, `--flag=value`, `--bool`,
// `--bool=false`, `-v 2`, the last occurrence wins, no `--no-x` negation, no short option groups. Single-dash long
// names (`-poolName`, Go's flag package in v0.2/v0.3) are read as long names. Values are checked with Go's
// syntaxes; an unknown flag or a bad value is a FlagError (exit code 1).
import {
  convertFlagValue,
  FlagError,
  type FlagSpec,
  type FlagValue,
  parseArgs,
  renderHelp,
} from '@igw/cli-common';
import { FLAGS, type FlagDef } from './definitions.js';

export { FlagError, type FlagValue };

export interface ParsedFlags {
  /** Every flag, set or defaulted (durations in ms). */
  values: ReadonlyMap<string, FlagValue>;
  /** Flags given on the command line (canonical names). */
  explicit: ReadonlySet<string>;
  help: boolean;
}

const SPECS: readonly FlagSpec[] = FLAGS.map((f) => ({
  name: f.name,
  arity: f.kind === 'bool' ? 'bool' : 'string',
  aliases: f.aliases,
}));

const defaultValue = (f: FlagDef): FlagValue => convertFlagValue(f.name, f.kind, f.default);

export function parseFlags(argv: readonly string[]): ParsedFlags {
  // --help wins over everything else on the line, bad flags included.
  if (argv.includes('--help') || argv.includes('-h')) {
    return { values: new Map(FLAGS.map((f) => [f.name, defaultValue(f)])), explicit: new Set(), help: true };
  }
  const given = parseArgs(argv, SPECS, { program: 'igw-epp' });
  const values = new Map<string, FlagValue>();
  for (const f of FLAGS) {
    const raw = given.get(f.name);
    values.set(f.name, raw === undefined ? defaultValue(f) : convertFlagValue(f.name, f.kind, String(raw)));
  }
  return { values, explicit: new Set(given.keys()), help: false };
}

/** The --help text: every flag with its default, and what an accepted-but-ignored flag means. */
export function helpText(): string {
  return renderHelp({
    header: [
      'igw-epp: the Endpoint Picker (Envoy ext_proc server) of the Gateway API Inference Extension, in TypeScript.',
      '',
      'Usage: igw-epp [flags]',
      '',
      'Flags (Go pflag syntax: --flag value, --flag=value, --bool, --bool=false, -v 2):',
    ],
    flags: FLAGS,
    argLabel: (f) => (f.kind === 'bool' ? '' : ` ${f.kind}`),
    describe: (f) => {
      const def =
        f.kind === 'string'
          ? f.default === ''
            ? ''
            : ` (default "${f.default}")`
          : ` (default ${f.default})`;
      const tag = f.support === 'no-op' ? ' [accepted, no effect]' : f.support === 'ours' ? ' [igw]' : '';
      return `${f.help}${def}${tag}${f.note ? ` Note: ${f.note}.` : ''}`;
    },
    footer: ['  -h, --help', '      Show this help.'],
  });
}
