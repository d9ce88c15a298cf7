// Reads a command line the way Go's pflag does: `--flag value`, `--flag=value`, `--bool`, `--bool=false`,
// `-v 2`, single-dash long names (`-poolName`, Go's flag package), the last occurrence of a scalar wins, lists
// accumulate, no `--no-x` negation and no short-option groups. yargs-parser does the reading; a scan of the tokens
// beforehand makes the checks it does not (unknown names, "flag needs an argument", Go bool syntax, positionals).
import yargsParser from 'yargs-parser';
import { FlagError } from './flag-error.js';
import { parseGoBool } from './go-values.js';

/**
 * How a flag's value is written:
 * - `bool`: `--x` (true), `--x=false` or `--x false` (Go's strconv.ParseBool spellings);
 * - `string`: one value, `--x v` or `--x=v`; the last occurrence wins. Numbers and durations are read as
 *   text and converted by the caller (see `convertFlagValue`), so the error names the text the user typed;
 * - `stringArray`: repeatable, each occurrence one item (pflag's StringArray; commas are kept);
 * - `stringSlice`: repeatable, each occurrence a comma-separated list (pflag's StringSlice).
 */
export type FlagArity = 'bool' | 'string' | 'stringArray' | 'stringSlice';

export interface FlagSpec {
  name: string;
  arity: FlagArity;
  /** Other spellings that mean this flag (e.g. `grpcPort` for `grpc-port`, `h` for `help`). */
  aliases?: readonly string[];
}

/** Raw value of each flag given on the command line: text, a boolean, or the items of a list. */
export type RawFlagValue = string | boolean | string[];

export interface ParseArgsOptions {
  /** Program name for the "takes only flags" message. */
  program: string;
}

interface Token {
  /** Canonical flag name. */
  name: string;
  /** As typed, without `=value` (for messages). */
  typed: string;
  value: string | undefined;
}

/** `--name=value` / `-name=value` / `--name` split into parts; undefined for a positional, `-` or `--`. */
function flagToken(arg: string, canonical: (n: string) => string): Token | undefined {
  if (arg === '-' || arg === '--') return undefined;
  const m = /^(--?)([^=\s][^=]*)(?:=(.*))?$/s.exec(arg);
  if (!m) return undefined;
  return { name: canonical(m[2]!), typed: `${m[1]}${m[2]}`, value: m[3] };
}

/** A token that yargs-parser (and pflag) read as the value of a preceding flag, not as a flag. */
function isValueToken(arg: string): boolean {
  if (arg === '--') return false;
  return !/^--?[^-]/.test(arg) || /^-\d+(\.\d+)?([eE][+-]?\d+)?$/.test(arg);
}

const YARGS_CONFIGURATION: Partial<yargsParser.Configuration> = {
  'short-option-groups': false,
  'camel-case-expansion': false,
  'dot-notation': false,
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'boolean-negation': false,
  'duplicate-arguments-array': true,
  'flatten-duplicate-arrays': true,
  'greedy-arrays': false,
  'strip-aliased': true,
  'halt-at-non-option': false,
};

/**
 * Parses `argv` against the flag table. Returns the flags that were given (canonical names, in table order);
 * absent flags are not in the map, so the caller applies its defaults. Throws FlagError for an unknown flag,
 * a missing value, a malformed boolean or any positional argument (these CLIs take only flags).
 */
export function parseArgs(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  options: ParseArgsOptions,
): Map<string, RawFlagValue> {
  const byName = new Map<string, FlagSpec>();
  const aliasOf = new Map<string, string>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) aliasOf.set(a, s.name);
  }
  const canonical = (n: string) => aliasOf.get(n) ?? n;
  const bools = new Map<string, boolean>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw unexpected(argv[i + 1]!, options.program);
      break;
    }
    const t = flagToken(arg, canonical);
    if (!t) throw unexpected(arg, options.program);
    const spec = byName.get(t.name);
    if (!spec) throw new FlagError(`unknown flag: ${t.typed} (see --help)`);
    if (spec.arity === 'bool') {
      let text = t.value;
      // `--bool false`: yargs-parser (and so these CLIs, always) read a following true/false as the value.
      if (text === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) text = argv[++i];
      const b = text === undefined ? true : parseGoBool(text);
      if (b === null)
        throw new FlagError(
          `invalid argument "${text}" for "--${spec.name}" flag: must be a boolean (true, false, 1, 0, t, f)`,
        );
      bools.set(spec.name, b);
    } else if (t.value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || !isValueToken(next))
        throw new FlagError(`flag needs an argument: --${spec.name}`);
      i++;
    }
  }

  const parsed = yargsParser.detailed(argv as string[], {
    // Booleans come from the scan above (yargs-parser reads `--x=t` as false); here they are plain strings.
    string: specs.map((s) => s.name),
    array: specs.filter((s) => s.arity === 'stringArray' || s.arity === 'stringSlice').map((s) => s.name),
    alias: Object.fromEntries(specs.filter((s) => s.aliases).map((s) => [s.name, [...s.aliases!]])),
    configuration: YARGS_CONFIGURATION,
  });
  if (parsed.error) throw new FlagError(parsed.error.message);
  const args = parsed.argv as Record<string, unknown>;

  const out = new Map<string, RawFlagValue>();
  for (const spec of specs) {
    if (spec.arity === 'bool') {
      const b = bools.get(spec.name);
      if (b !== undefined) out.set(spec.name, b);
      continue;
    }
    const given = args[spec.name];
    if (given === undefined) continue;
    const items = (Array.isArray(given) ? given : [given]).map(String);
    if (spec.arity === 'string') out.set(spec.name, items.at(-1)!);
    else if (spec.arity === 'stringArray') out.set(spec.name, items);
    else
      out.set(
        spec.name,
        items.flatMap((s) => s.split(',')),
      );
  }
  return out;
}

function unexpected(arg: string, program: string): FlagError {
  return new FlagError(`unexpected argument "${arg}": ${program} takes only flags (see --help)`);
}
