import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlagError, HELP, logLevel, parseFlags } from './flags.js';
import { parsePluginSpec } from './plugins/registry.js';

describe('flags (pflag semantics)', () => {
  test('defaults are the upstream ones', () => {
    const f = parseFlags([]);
    assert.equal(f['grpc-port'], 9004);
    assert.equal(f['grpc-health-port'], 9005);
    assert.equal(f['metrics-port'], 9090);
    assert.equal(f['secure-serving'], true);
    assert.equal(f.streaming, true);
    assert.equal(f['max-request-body-bytes'], 64 * 1024 * 1024);
    assert.deepEqual(f.plugin, []);
  });
  test('--flag value, --flag=value, --bool, --bool=false, -v 2, repeated --plugin, last scalar wins', () => {
    const f = parseFlags([
      '--grpc-port',
      '1234',
      '--metrics-port=9999',
      '--secure-serving=false',
      '--streaming',
      '-v',
      '4',
      '--plugin',
      'body-field-to-header:a:{"fieldName":"x","headerName":"X-A"}',
      '--plugin=base-model-to-header:b',
      '--grpc-port=1235',
      '--zap-encoder',
      'json',
      '--tracing=false',
    ]);
    assert.equal(f['grpc-port'], 1235);
    assert.equal(f['metrics-port'], 9999);
    assert.equal(f['secure-serving'], false);
    assert.equal(f.streaming, true);
    assert.equal(f.v, 4);
    assert.equal(logLevel(f), 'debug');
    assert.equal(f.plugin.length, 2);
  });
  test('older charts: --log-level and the GAIE v0.3 camelCase spellings', () => {
    const f = parseFlags([
      '--streaming',
      '--log-level',
      'error',
      '-grpcPort',
      '7001',
      '-grpcHealthPort=7002',
      '-metricsPort',
      '7003',
    ]);
    assert.equal(logLevel(f), 'error');
    assert.deepEqual([f['grpc-port'], f['grpc-health-port'], f['metrics-port']], [7001, 7002, 7003]);
    assert.equal(parseFlags(['-streaming=false']).streaming, false);
  });
  test('--kubeconfig (controller-runtime spelling): default empty, last one wins, listed in --help', () => {
    assert.equal(parseFlags([]).kubeconfig, '');
    assert.equal(parseFlags(['--kubeconfig', '/a', '--kubeconfig=/b']).kubeconfig, '/b');
    assert.match(HELP, /--kubeconfig path/);
    assert.match(HELP, /NAMESPACE .*unset = all/);
  });
  test('bad input is a clear FlagError', () => {
    assert.throws(
      () => parseFlags(['--nope']),
      (e: unknown) => e instanceof FlagError && /unknown flag: --nope/.test((e as Error).message),
    );
    assert.throws(() => parseFlags(['--grpc-port', 'abc']), /--grpc-port must be a port number/);
    assert.throws(() => parseFlags(['--grpc-port', '9090']), /must differ/);
    assert.throws(() => parseFlags(['--max-request-body-bytes', '-1']), /positive integer/);
    assert.throws(() => parseFlags(['stray']), /unexpected argument/);
  });
  test('--plugin type:name[:json] splits on the first two colons', () => {
    assert.deepEqual(parsePluginSpec('t:n'), { type: 't', name: 'n' });
    assert.deepEqual(parsePluginSpec('t:n:{"a":"b:c"}'), { type: 't', name: 'n', params: { a: 'b:c' } });
    assert.throws(() => parsePluginSpec('t'), /expected <type>:<name>/);
    assert.throws(() => parsePluginSpec(':n'), /non-empty/);
    assert.throws(() => parsePluginSpec('t:n:{bad'), /not valid JSON/);
  });
  test('booleans take every Go spelling; durations are Go durations', () => {
    assert.equal(parseFlags(['--streaming=f']).streaming, false);
    assert.equal(parseFlags(['--secure-serving=F', '--secure-serving=T'])['secure-serving'], true);
    assert.throws(() => parseFlags(['--streaming=maybe']), /invalid argument "maybe" for "--streaming" flag/);
    assert.equal(parseFlags(['--graceful-shutdown-timeout=1m30s'])['graceful-shutdown-timeout'], 90_000);
    assert.equal(parseFlags(['--graceful-shutdown-timeout', '500ms'])['graceful-shutdown-timeout'], 500);
    assert.throws(() => parseFlags(['--graceful-shutdown-timeout=-5s']), /must be a duration like 25s/);
    assert.throws(() => parseFlags(['--graceful-shutdown-timeout=30']), /must be a duration like 25s/);
    assert.throws(() => parseFlags(['--cert-path']), /flag needs an argument: --cert-path/);
    assert.throws(() => parseFlags(['--plugin', '--streaming']), /flag needs an argument: --plugin/);
  });
});
