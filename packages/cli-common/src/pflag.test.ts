import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlagError } from './flag-error.js';
import { type FlagSpec, parseArgs } from './pflag.js';

const SPECS: FlagSpec[] = [
  { name: 'grpc-port', arity: 'string', aliases: ['grpcPort'] },
  { name: 'secure', arity: 'bool' },
  { name: 'v', arity: 'string' },
  { name: 'plugin', arity: 'stringArray' },
  { name: 'lora', arity: 'stringSlice' },
  { name: 'help', arity: 'bool', aliases: ['h'] },
];
const parse = (argv: string[]) => Object.fromEntries(parseArgs(argv, SPECS, { program: 'prog' }));

describe('parseArgs (pflag syntax)', () => {
  test('--flag value, --flag=value, -v 2, single-dash long names and aliases; the last one wins', () => {
    assert.deepEqual(parse(['--grpc-port', '1', '-v', '2', '--grpc-port=3']), { 'grpc-port': '3', v: '2' });
    assert.deepEqual(parse(['-grpcPort', '7']), { 'grpc-port': '7' });
    assert.deepEqual(parse(['-grpc-port=8', '-v=0']), { 'grpc-port': '8', v: '0' });
    assert.deepEqual(parse(['--grpc-port', '-5']), { 'grpc-port': '-5' }, 'a negative number is a value');
    assert.deepEqual(parse(['--grpc-port=']), { 'grpc-port': '' }, 'an explicit empty value');
    assert.deepEqual(parse([]), {});
  });

  test('booleans: --x, --x=<Go bool>, --x true|false; absent ones are not reported', () => {
    assert.deepEqual(parse(['--secure']), { secure: true });
    for (const f of ['false', '0', 'f', 'F', 'FALSE'])
      assert.deepEqual(parse([`--secure=${f}`]), { secure: false });
    for (const t of ['true', '1', 't', 'T', 'True'])
      assert.deepEqual(parse([`--secure=${t}`]), { secure: true });
    assert.deepEqual(parse(['--secure', 'false', '-v', '1']), { secure: false, v: '1' });
    assert.deepEqual(parse(['--secure=false', '--secure']), { secure: true });
    assert.deepEqual(parse(['-h']), { help: true });
  });

  test('lists: stringArray keeps each occurrence whole, stringSlice splits on commas', () => {
    assert.deepEqual(parse(['--plugin', 'a:b:{"x":1,"y":2}', '--plugin=c:d']), {
      plugin: ['a:b:{"x":1,"y":2}', 'c:d'],
    });
    assert.deepEqual(parse(['--lora', 'a,b', '--lora=c']), { lora: ['a', 'b', 'c'] });
  });

  test('errors say what is wrong', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--nope'], /^unknown flag: --nope \(see --help\)$/],
      [['--nope=1'], /^unknown flag: --nope \(see --help\)$/],
      [['-x'], /^unknown flag: -x \(see --help\)$/],
      [['--no-secure'], /^unknown flag: --no-secure \(see --help\)$/],
      [['--grpc-port'], /^flag needs an argument: --grpc-port$/],
      [['--grpc-port', '--secure'], /^flag needs an argument: --grpc-port$/],
      [['--grpc-port', '--'], /^flag needs an argument: --grpc-port$/],
      [['--secure=maybe'], /^invalid argument "maybe" for "--secure" flag: must be a boolean/],
      [['stray'], /^unexpected argument "stray": prog takes only flags/],
      [['--secure', 'yes'], /^unexpected argument "yes"/],
      [['-v', '1', '--', 'x'], /^unexpected argument "x"/],
      [['-'], /^unexpected argument "-"/],
    ];
    for (const [argv, re] of bad)
      assert.throws(
        () => parse(argv),
        (e: unknown) => e instanceof FlagError && re.test(e.message),
        argv.join(' '),
      );
    assert.deepEqual(parse(['-v', '1', '--']), { v: '1' }, 'a trailing -- is harmless');
  });
});
