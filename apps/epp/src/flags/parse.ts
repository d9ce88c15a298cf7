// Command-line parsing with yargs-parser, configured to read arguments the way Go's pflag does: `--flag value`,
// `--flag=value`, `--bool`, `--bool=false`, `-v 2`, the last occurrence wins, no `--no-x` negation, no short
// option groups. Single-dash long names (`-poolName`, Go's flag package in v0.2/v0.3) are read as long names.
// Values are checked with Go's syntaxes; an unknown flag or a bad value is a FlagError (exit code 1).
import yargsParser from 'yargs-parser';
import { FLAG_BY_NAME, FLAGS, type FlagDef } from './definitions.js';
import { parseGoBool, parseGoDuration, parseGoInt } from './go-values.js';

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export type FlagValue = string | number | boolean;

export interface ParsedFlags {
  /** Every flag, set or defaulted (durations in ms). */
  values: ReadonlyMap<string, FlagValue>;
  /** Flags given on the command line (canonical names). */
  explicit: ReadonlySet<string>;
  help: boolean;
}

const ALIAS_TO_NAME = new Map<string, string>();
for (const f of FLAGS) for (const a of f.aliases ?? []) ALIAS_TO_NAME.set(a, f.name);

function canonical(name: string): string {
  return ALIAS_TO_NAME.get(name) ?? name;
}

function convert(def: FlagDef, raw: string, shown: string): FlagValue {
  const bad = (why: string) => new FlagError(`invalid argument "${raw}" for "${shown}" flag: ${why}`);
  switch (def.kind) {
    case 'bool': {
      const b = parseGoBool(raw);
      if (b === null) throw bad('must be a boolean (true, false, 1, 0, t, f)');
      return b;
    }
    case 'int': {
      const n = parseGoInt(raw);
      if (n === null) throw bad('must be an integer');
      return n;
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad('must be a number');
      return n;
    }
    case 'duration': {
      const ms = parseGoDuration(raw);
      if (ms === null) throw bad('must be a duration such as 50ms, 5s or 1m30s');
      return ms;
    }
    case 'string':
      return raw;
  }
}

/** Splits `--name=value` / `-name=value` / `--name` into its parts (undefined for non-flags). */
function flagToken(arg: string): { name: string; value?: string; shown: string } | undefined {
  const m = /^--?([^=\s][^=]*)(?:=(.*))?$/s.exec(arg);
  if (!m || arg === '-' || arg === '--') return undefined;
  const name = canonical(m[1]!);
  return m[2] === undefined ? { name, shown: `--${name}` } : { name, value: m[2], shown: `--${name}` };
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const bools = FLAGS.filter((f) => f.kind === 'bool');
  const help = argv.includes('--help') || argv.includes('-h');
  if (help) return { values: defaults(), explicit: new Set(), help };
  // Checks yargs-parser does not make: pflag's "flag needs an argument", Go bool syntax, unknown names.
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    const t = flagToken(arg);
    if (!t) continue;
    if (t.name === 'help' || t.name === 'h') continue;
    const def = FLAG_BY_NAME.get(t.name);
    if (!def) throw new FlagError(`unknown flag: ${arg.split('=')[0]} (see --help)`);
    if (def.kind === 'bool') {
      if (t.value !== undefined) convert(def, t.value, t.shown);
      else if (argv[i + 1] === 'true' || argv[i + 1] === 'false') i++; // `--bool false`, as yargs reads it
    } else if (t.value === undefined) {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: ${t.shown}`);
      i++;
    }
  }
  const parsed = yargsParser.detailed(argv as string[], {
    boolean: bools.map((f) => f.name),
    string: FLAGS.filter((f) => f.kind !== 'bool').map((f) => f.name),
    alias: Object.fromEntries(FLAGS.filter((f) => f.aliases).map((f) => [f.name, f.aliases!])),
    configuration: {
      'short-option-groups': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'duplicate-arguments-array': false,
      'flatten-duplicate-arrays': true,
      'greedy-arrays': false,
      'strip-aliased': true,
      'halt-at-non-option': false,
    },
  });
  if (parsed.error) throw new FlagError(parsed.error.message);
  const args = parsed.argv as Record<string, unknown> & { _: Array<string | number> };
  if (args._.length > 0)
    throw new FlagError(`unexpected argument "${args._[0]}": igw-epp takes only flags (see --help)`);

  for (const key of Object.keys(args)) {
    if (key !== '_' && key !== '--' && !FLAG_BY_NAME.has(key))
      throw new FlagError(`unknown flag: --${key} (see --help)`);
  }

  const values = new Map<string, FlagValue>();
  const explicit = new Set<string>();
  for (const def of FLAGS) {
    const given = args[def.name];
    // yargs-parser sets declared booleans to false when absent; explicit tells them apart.
    const wasGiven = argv.some((a) => {
      const t = flagToken(a);
      return t !== undefined && t.name === def.name;
    });
    if (wasGiven && given !== undefined) {
      explicit.add(def.name);
      values.set(def.name, typeof given === 'boolean' ? given : convert(def, String(given), `--${def.name}`));
    } else {
      values.set(def.name, def.kind === 'string' ? def.default : convert(def, def.default, `--${def.name}`));
    }
  }
  return { values, explicit, help };
}

function defaults(): Map<string, FlagValue> {
  return new Map(
    FLAGS.map(
      (f) => [f.name, f.kind === 'string' ? f.default : convert(f, f.default, `--${f.name}`)] as const,
    ),
  );
}

/** The --help text: every flag with its default, and what an accepted-but-ignored flag means. */
export function helpText(): string {
  const lines = [
    'igw-epp: the Endpoint Picker (Envoy ext_proc server) of the Gateway API Inference Extension, in TypeScript.',
    '',
    'Usage: igw-epp [flags]',
    '',
    'Flags (Go pflag syntax: --flag value, --flag=value, --bool, --bool=false, -v 2):',
  ];
  for (const f of FLAGS) {
    const type = f.kind === 'bool' ? '' : ` ${f.kind}`;
    const def =
      f.kind === 'string' ? (f.default === '' ? '' : ` (default "${f.default}")`) : ` (default ${f.default})`;
    const tag = f.support === 'no-op' ? ' [accepted, no effect]' : f.support === 'ours' ? ' [igw]' : '';
    lines.push(`  ${f.name.length === 1 ? '-' : '--'}${f.name}${type}`);
    lines.push(`      ${f.help}${def}${tag}${f.note ? ` Note: ${f.note}.` : ''}`);
  }
  lines.push('  -h, --help', '      Show this help.');
  return `${lines.join('\n')}\n`;
}
