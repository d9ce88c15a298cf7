// Typed values from the raw text of a flag, with Go's syntaxes and pflag's error wording:
// `invalid argument "<text>" for "--<flag>" flag: <why>`.
import { FlagError } from './flag-error.js';
import { parseGoBool, parseGoDuration, parseGoInt } from './go-values.js';

/** Value types a flag table can declare; `duration` converts to milliseconds. */
export type ValueKind = 'bool' | 'int' | 'float' | 'duration' | 'string';

export type FlagValue = string | number | boolean;

export function invalidArgument(flag: string, text: string, why: string): FlagError {
  return new FlagError(`invalid argument "${text}" for "--${flag}" flag: ${why}`);
}

/** Converts `text` given for `--flag` to its kind's value, or throws a FlagError naming the text. */
export function convertFlagValue(flag: string, kind: ValueKind, text: string): FlagValue {
  switch (kind) {
    case 'bool': {
      const b = parseGoBool(text);
      if (b === null) throw invalidArgument(flag, text, 'must be a boolean (true, false, 1, 0, t, f)');
      return b;
    }
    case 'int': {
      const n = parseGoInt(text);
      if (n === null) throw invalidArgument(flag, text, 'must be an integer');
      return n;
    }
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw invalidArgument(flag, text, 'must be a number');
      return n;
    }
    case 'duration': {
      const ms = parseGoDuration(text);
      if (ms === null) throw invalidArgument(flag, text, 'must be a duration such as 50ms, 5s or 1m30s');
      return ms;
    }
    case 'string':
      return text;
  }
}
