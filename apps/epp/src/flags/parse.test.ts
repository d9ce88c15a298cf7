import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGoDuration } from '@igw/cli-common';
import { FLAGS } from './definitions.js';
import { resolveOptions } from './options.js';
import { FlagError, helpText, parseFlags } from './parse.js';

const opts = (args: string[], env: NodeJS.ProcessEnv = {}) => resolveOptions(parseFlags(args), env);

describe('flags', () => {
  test('upstream defaults', () => {
    const o = opts(['--pool-name', 'p']);
    assert.equal(o.grpcPort, 9002);
    assert.equal(o.grpcHealthPort, 9003);
    assert.equal(o.metricsPort, 9090);
    assert.equal(o.poolNamespace, 'default');
    assert.equal(o.poolGroup, 'inference.networking.k8s.io');
    assert.equal(o.refreshMetricsIntervalMs, 50);
    assert.equal(o.refreshPrometheusMetricsIntervalMs, 5000);
    assert.equal(o.metricsStalenessThresholdMs, 2000);
    assert.equal(o.secureServing, true);
    assert.equal(o.streaming, true);
    assert.equal(o.maxRequestBodyBytes, 64 * 1024 * 1024);
    assert.equal(o.verbosity, 2);
    assert.deepEqual(o.metricFlags, {});
    assert.equal(o.modelServerMetricsScheme, undefined);
  });

  test('pflag syntaxes: --flag value, --flag=value, --bool, --bool=false, -v 2, last one wins', () => {
    const o = opts([
      '--pool-name=p',
      '--grpc-port',
      '1234',
      '--grpc-port=1235',
      '--secure-serving=false',
      '--emit-endpoint-scores',
      '-v',
      '4',
      '--refresh-metrics-interval=1m30s',
      '--tracing=false',
      '--metrics-endpoint-auth=false',
      '--streaming',
      'false',
    ]);
    assert.equal(o.poolName, 'p');
    assert.equal(o.grpcPort, 1235);
    assert.equal(o.secureServing, false);
    assert.equal(o.emitEndpointScores, true);
    assert.equal(o.verbosity, 4);
    assert.equal(o.refreshMetricsIntervalMs, 90_000);
    assert.equal(o.streaming, false);
    assert.deepEqual(o.ignored, ['tracing', 'metrics-endpoint-auth']);
    assert.equal(opts(['--pool-name=p', '-v=5']).verbosity, 5);
    assert.equal(opts(['--pool-name=p', '--v=3']).verbosity, 3);
  });

  test('booleans take every Go spelling (t, T, 1, TRUE, f, F, 0, FALSE)', () => {
    assert.equal(opts(['--pool-name=p', '--secure-serving=T']).secureServing, true);
    assert.equal(opts(['--pool-name=p', '--emit-endpoint-scores=1']).emitEndpointScores, true);
    assert.equal(opts(['--pool-name=p', '--streaming=F']).streaming, false);
    assert.throws(() => opts(['--pool-name', '--grpc-port', '5']), /flag needs an argument: --pool-name/);
  });

  test('v0.3 camelCase spellings', () => {
    const o = opts(['-poolName', 'p', '-grpcPort', '9100', '--poolNamespace=ns']);
    assert.equal(o.poolName, 'p');
    assert.equal(o.grpcPort, 9100);
    assert.equal(o.poolNamespace, 'ns');
  });

  test('every argument the upstream Helm charts pass is accepted', () => {
    const o = opts(
      [
        '--pool-name=vllm-llama3-8b-instruct',
        '--pool-namespace=default',
        '--pool-group=inference.networking.k8s.io',
        '--zap-encoder=json',
        '--zap-log-level=debug',
        '--zap-devel=false',
        '--zap-stacktrace-level=error',
        '--zap-time-encoding=iso8601',
        '--config-file=/config/default-plugins.yaml',
        '--grpc-port=9002',
        '--grpc-health-port=9003',
        '--metrics-port=9090',
        '--v=1',
        '--ha-enable-leader-election',
        '--total-queued-requests-metric=sglang:num_queue_reqs',
        '--kv-cache-usage-percentage-metric=sglang:token_usage',
        '--lora-info-metric=',
        '--tracing=false',
        '--enable-pprof=true',
        '--metrics-endpoint-auth=false',
        '--kube-api-qps=50',
        '--kube-api-burst=100',
        '--kubeconfig=/tmp/kc',
        '--model-server-metrics-port=8000',
        '--model-server-metrics-path=/metrics',
        '--model-server-metrics-scheme=https',
        '--model-server-metrics-https-insecure-skip-verify=true',
        '--refresh-prometheus-metrics-interval=5s',
        '--metrics-staleness-threshold=2s',
        '--enable-cert-reload',
        '--cert-path=/certs',
        '--disable-endpoint-subset-filter=false',
        '--health-checking=false',
        '--drain-timeout=30s',
      ],
      {},
    );
    assert.equal(o.zap.level, 'debug');
    assert.equal(o.zap.timeEncoding, 'iso8601');
    assert.deepEqual(o.metricFlags, {
      waitingQueue: 'sglang:num_queue_reqs',
      kvUsage: 'sglang:token_usage',
      lora: '',
    });
    assert.equal(o.modelServerMetricsScheme, 'https');
    assert.equal(o.haEnableLeaderElection, true);
    assert.equal(o.certPath, '/certs');
  });

  test('standalone mode flags', () => {
    const o = opts(['--endpoint-selector', 'app=vllm,tier in (gpu)', '--endpoint-target-ports=8000,8001']);
    assert.equal(o.endpointSelector?.length, 2);
    assert.deepEqual(o.endpointTargetPorts, [8000, 8001]);
    assert.throws(() => opts(['--endpoint-selector=app=vllm']), /needs --endpoint-target-ports/);
    assert.throws(
      () => opts(['--endpoint-selector=app=vllm', '--endpoint-target-ports=8000,8000']),
      /unique/,
    );
    assert.throws(
      () => opts(['--endpoint-selector=app=v@', '--endpoint-target-ports=1']),
      /invalid --endpoint-selector/,
    );
    assert.throws(
      () => opts(['--pool-name=p', '--endpoint-selector=a=b', '--endpoint-target-ports=1']),
      /mutually exclusive/,
    );
  });

  test('--pool-namespace falls back to $NAMESPACE', () => {
    assert.equal(opts(['--pool-name=p'], { NAMESPACE: 'team-a' }).poolNamespace, 'team-a');
    assert.equal(opts(['--pool-name=p', '--pool-namespace=x'], { NAMESPACE: 'team-a' }).poolNamespace, 'x');
  });

  test('unknown flags and bad values are FlagErrors with useful messages', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--pool-name=p', '--no-such-flag'], /unknown flag: --no-such-flag/],
      [['--pool-name=p', '--no-such-flag=1'], /unknown flag: --no-such-flag/],
      [['--pool-name=p', '-x'], /unknown flag: -x/],
      [
        ['--pool-name=p', '--grpc-port=abc'],
        /invalid argument "abc" for "--grpc-port" flag: must be an integer/,
      ],
      [['--pool-name=p', '--grpc-port=70000'], /invalid --grpc-port 70000/],
      [['--pool-name=p', '--secure-serving=maybe'], /invalid argument "maybe" for "--secure-serving"/],
      [['--pool-name=p', '--refresh-metrics-interval=50'], /must be a duration/],
      [['--pool-name=p', '--refresh-metrics-interval=0s'], /positive duration/],
      [['--pool-name'], /flag needs an argument: --pool-name/],
      [[], /required flag --pool-name is missing/],
      [['--pool-name=p', 'extra'], /unexpected argument "extra"/],
      [['--pool-name=p', '--pool-group=example.com'], /invalid --pool-group/],
      [['--pool-name=p', '--config-file=a', '--config-text=b'], /mutually exclusive/],
      [['--pool-name=p', '--model-server-metrics-scheme=ftp'], /only http and https/],
      [['--pool-name=p', '--zap-log-level=loud'], /invalid --zap-log-level/],
      [['--pool-name=p', '--zap-encoder=xml'], /invalid --zap-encoder/],
      [['--pool-name=p', '--zap-time-encoding=unix'], /invalid --zap-time-encoding/],
      [['--pool-name=p', '--max-request-body-bytes=0'], /invalid --max-request-body-bytes/],
    ];
    for (const [args, re] of cases) {
      assert.throws(
        () => opts(args),
        (e: unknown) => e instanceof FlagError && re.test(e.message),
        args.join(' '),
      );
    }
  });

  test('--help lists every flag and marks the no-ops', () => {
    assert.equal(parseFlags(['--help', '--whatever']).help, true);
    const text = helpText();
    for (const f of FLAGS) assert.ok(text.includes(`-${f.name}`), f.name);
    assert.match(text, /--tracing\n.*\[accepted, no effect\]/);
  });

  test('Go durations', () => {
    assert.equal(parseGoDuration('50ms'), 50);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('2h45m'), 9_900_000);
    assert.equal(parseGoDuration('100us'), 0.1);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('5'), null);
    assert.equal(parseGoDuration('5 s'), null);
    assert.equal(parseGoDuration(''), null);
  });
});
