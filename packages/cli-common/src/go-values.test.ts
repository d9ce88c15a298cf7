import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertFlagValue } from './convert.js';
import { FlagError } from './flag-error.js';
import { parseGoBool, parseGoDuration, parseGoInt } from './go-values.js';

describe('Go value syntaxes', () => {
  test('time.ParseDuration in ms', () => {
    assert.equal(parseGoDuration('50ms'), 50);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('-2s'), -2000);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('1500us'), 1.5);
    for (const bad of ['', '5', 'ms', '1x', '1s junk', '--1s']) assert.equal(parseGoDuration(bad), null, bad);
  });
  test('strconv.ParseBool and Atoi', () => {
    for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(t), true);
    for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(f), false);
    for (const bad of ['yes', 'tRUE', '']) assert.equal(parseGoBool(bad), null);
    assert.equal(parseGoInt('-12'), -12);
    assert.equal(parseGoInt('+7'), 7);
    for (const bad of ['1.5', '1e3', '0x10', '', '99999999999999999999']) assert.equal(parseGoInt(bad), null);
  });
  test('convertFlagValue: typed values, pflag wording for bad ones', () => {
    assert.equal(convertFlagValue('n', 'int', '42'), 42);
    assert.equal(convertFlagValue('x', 'float', '0.25'), 0.25);
    assert.equal(convertFlagValue('d', 'duration', '2m'), 120_000);
    assert.equal(convertFlagValue('b', 'bool', 'f'), false);
    assert.equal(convertFlagValue('s', 'string', ''), '');
    const bad: Array<[Parameters<typeof convertFlagValue>, RegExp]> = [
      [['n', 'int', '4.5'], /^invalid argument "4.5" for "--n" flag: must be an integer$/],
      [['x', 'float', ''], /for "--x" flag: must be a number/],
      [['x', 'float', 'Infinity'], /must be a number/],
      [['d', 'duration', '5'], /must be a duration such as 50ms/],
      [['b', 'bool', 'yes'], /must be a boolean/],
    ];
    for (const [args, re] of bad)
      assert.throws(
        () => convertFlagValue(...args),
        (e: unknown) => e instanceof FlagError && re.test(e.message),
        args.join(' '),
      );
  });
});
