import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlagError, helpText, parseDurationMs, parseFlags } from './flags.js';

describe('igw-gateway flags', () => {
  test('defaults: Envoy message timeout 200 ms, TLS to the EPP, epp policy, full duplex', () => {
    const c = parseFlags(['--epp', '127.0.0.1:9002']);
    assert.equal(c.messageTimeoutMs, 200);
    assert.equal(c.eppSecure, true);
    assert.equal(c.lbPolicy, 'epp');
    assert.equal(c.bodyMode, 'FULL_DUPLEX_STREAMED');
    assert.equal(c.responseBodyMode, 'FULL_DUPLEX_STREAMED');
    assert.equal(c.listen, '127.0.0.1:8081');
    assert.equal(c.failureMode, undefined);
  });

  test('pflag forms: --flag=value, --flag value, booleans with =false', () => {
    const c = parseFlags([
      '--epp=127.0.0.1:9002',
      '--bbr',
      '127.0.0.1:9004',
      '--epp-secure=false',
      '--message-timeout=1.5s',
      '--failure-mode',
      'failopen',
      '--body-mode=BUFFERED',
      '--subset-hint=127.0.0.2:8000, 127.0.0.3:8000',
      '--resources-file=/tmp/x.yaml',
      '--pool-name=pool',
    ]);
    assert.equal(c.bbr, '127.0.0.1:9004');
    assert.equal(c.eppSecure, false);
    assert.equal(c.messageTimeoutMs, 1500);
    assert.equal(c.failureMode, 'FailOpen');
    assert.equal(c.bodyMode, 'BUFFERED');
    assert.deepEqual(c.subsetHint, ['127.0.0.2:8000', '127.0.0.3:8000']);
    assert.equal(parseFlags(['--epp=h:1', '--epp-insecure']).eppSecure, false);
  });

  test('bad input gets a clear error', () => {
    const bad: Array<[string[], RegExp]> = [
      [[], /--epp is required/],
      [['--epp=h:1', '--nope'], /unknown flag: --nope/],
      [
        ['--epp=h:1', '--lb-policy=fastest'],
        /"fastest" is not one of epp, round-robin, random, least-request/,
      ],
      [['--epp=nohostport'], /not host:port/],
      [['--epp=h:1', '--message-timeout=soon'], /invalid duration/],
      [['--epp=h:1', '--message-timeout=0'], /must be positive/],
      [['--lb-policy=random'], /needs --resources-file/],
      [['--epp=h:1', '--resources-file=/x'], /--pool-name is required/],
      [['--epp=h:1', '--max-request-body-bytes=abc'], /expected a number/],
      [['--epp=h:1', 'stray'], /unexpected argument/],
      [['--epp=h:1', '--epp-secure', '--epp-insecure'], /contradict/],
    ];
    for (const [argv, re] of bad)
      assert.throws(
        () => parseFlags(argv),
        (e: unknown) => e instanceof FlagError && re.test(e.message),
        argv.join(' '),
      );
  });

  test('help and durations', () => {
    assert.equal(parseFlags(['--help']).help, true);
    assert.match(helpText(), /--message-timeout/);
    assert.equal(parseDurationMs('x', '250'), 250);
    assert.equal(parseDurationMs('x', '2m'), 120_000);
  });
  test('booleans take every Go spelling; a flag without its value is an error', () => {
    assert.equal(parseFlags(['--epp=h:1', '--epp-secure=f']).eppSecure, false);
    assert.equal(parseFlags(['--epp=h:1', '--response-headers=0']).responseHeaders, false);
    assert.equal(parseFlags(['--epp=h:1', '--bbr=h:2', '--bbr-secure=T']).bbrSecure, true);
    const bad: Array<[string[], RegExp]> = [
      [['--epp=h:1', '--epp-secure=maybe'], /invalid argument "maybe" for "--epp-secure" flag/],
      [['--epp'], /flag needs an argument: --epp/],
      [['--epp', '--bbr', 'h:2'], /flag needs an argument: --epp/],
      [['--epp=h:1', '--seed='], /--seed: expected a number, got ""/],
    ];
    for (const [argv, re] of bad)
      assert.throws(
        () => parseFlags(argv),
        (e: unknown) => e instanceof FlagError && re.test(e.message),
        argv.join(' '),
      );
  });
});
