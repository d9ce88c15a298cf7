// The typed options of one igw-epp run, resolved from the parsed flags and the environment, with the
// cross-flag rules (pool or standalone selector, exclusive config sources, value ranges).
import { type LabelRequirement, LabelSelectorError, parseLabelSelector } from '@igw/k8s-sync';
import { FlagError, type FlagValue, type ParsedFlags } from './parse.js';

export interface ZapOptions {
  encoder: 'json' | 'console';
  /** Explicit --zap-log-level, already a pino level. */
  level: 'trace' | 'debug' | 'info' | 'error' | 'fatal' | undefined;
  devel: boolean;
  timeEncoding: 'epoch' | 'millis' | 'nano' | 'iso8601' | 'rfc3339' | 'rfc3339nano';
}

export interface EppOptions {
  grpcPort: number;
  grpcHealthPort: number;
  metricsPort: number;
  secureServing: boolean;
  certPath: string | undefined;
  healthChecking: boolean;
  streaming: boolean;
  maxRequestBodyBytes: number;
  drainTimeoutMs: number;

  poolName: string;
  poolNamespace: string;
  poolGroup: 'inference.networking.k8s.io' | 'inference.networking.x-k8s.io';
  /** Standalone mode when set (--endpoint-selector). */
  endpointSelector: LabelRequirement[] | undefined;
  endpointTargetPorts: number[];
  resourcesFile: string | undefined;
  /** --kubeconfig; without it $KUBECONFIG, in-cluster, then ~/.kube/config (only used without --resources-file). */
  kubeconfig: string | undefined;
  haEnableLeaderElection: boolean;

  refreshMetricsIntervalMs: number;
  refreshPrometheusMetricsIntervalMs: number;
  metricsStalenessThresholdMs: number;
  /** Only the metric flags given explicitly (unset ones leave the engine presets alone). */
  metricFlags: {
    waitingQueue?: string;
    running?: string;
    kvUsage?: string;
    lora?: string;
    cacheInfo?: string;
  };
  modelServerMetricsPort: number;
  /** undefined = not given on the command line (the config's dataLayer, then the default, applies). */
  modelServerMetricsPath: string | undefined;
  modelServerMetricsScheme: 'http' | 'https' | undefined;
  modelServerMetricsInsecureSkipVerify: boolean | undefined;

  configFile: string | undefined;
  configText: string | undefined;
  disableEndpointSubsetFilter: boolean;
  emitEndpointScores: boolean;
  /** --assumed-load: count picks since an endpoint's last scrape as queued requests (scorer-wasm option). */
  assumedLoad: boolean;
  destinationKey: string;
  destinationMetadataNamespace: string;

  verbosity: number;
  zap: ZapOptions;
  /** Flags accepted without effect that were given, for a startup log line. */
  ignored: string[];
}

const ZAP_LEVELS: Record<string, ZapOptions['level']> = {
  debug: 'debug',
  info: 'info',
  error: 'error',
  panic: 'fatal',
  dpanic: 'fatal',
};
const TIME_ENCODINGS = ['epoch', 'millis', 'nano', 'iso8601', 'rfc3339', 'rfc3339nano'] as const;

/** pino level for a logr V-level (upstream DEFAULT=2, VERBOSE=3, DEBUG=4, TRACE=5). */
export function levelForVerbosity(v: number): 'info' | 'debug' | 'trace' {
  if (v >= 5) return 'trace';
  if (v >= 3) return 'debug';
  return 'info';
}

function port(name: string, v: number, allowZero: boolean): number {
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1) || v > 65535) {
    throw new FlagError(`invalid --${name} ${v}: must be ${allowZero ? '0' : '1'}..65535`);
  }
  return v;
}

function positiveMs(name: string, v: number): number {
  if (v <= 0) throw new FlagError(`invalid --${name}: must be a positive duration`);
  return v;
}

export function resolveOptions(p: ParsedFlags, env: NodeJS.ProcessEnv = process.env): EppOptions {
  const get = <T extends FlagValue>(name: string) => p.values.get(name) as T;
  const given = (name: string) => p.explicit.has(name);
  const str = (name: string) => get<string>(name);
  const optStr = (name: string) => (str(name) === '' ? undefined : str(name));

  const poolGroup = str('pool-group');
  if (poolGroup !== 'inference.networking.k8s.io' && poolGroup !== 'inference.networking.x-k8s.io') {
    throw new FlagError(
      `invalid --pool-group "${poolGroup}": must be inference.networking.k8s.io (v1) or inference.networking.x-k8s.io (v1alpha2)`,
    );
  }

  let endpointSelector: LabelRequirement[] | undefined;
  if (str('endpoint-selector') !== '') {
    try {
      endpointSelector = parseLabelSelector(str('endpoint-selector'));
    } catch (err) {
      if (err instanceof LabelSelectorError)
        throw new FlagError(`invalid --endpoint-selector: ${err.message}`);
      throw err;
    }
    if (endpointSelector.length === 0) throw new FlagError('invalid --endpoint-selector: empty selector');
  }
  const endpointTargetPorts =
    str('endpoint-target-ports') === ''
      ? []
      : str('endpoint-target-ports')
          .split(',')
          .map((s) => {
            const n = Number(s.trim());
            if (!/^\d+$/.test(s.trim()))
              throw new FlagError(
                `invalid --endpoint-target-ports "${str('endpoint-target-ports')}": "${s}" is not a port`,
              );
            return port('endpoint-target-ports', n, false);
          });
  if (new Set(endpointTargetPorts).size !== endpointTargetPorts.length) {
    throw new FlagError('invalid --endpoint-target-ports: port numbers must be unique');
  }
  if (endpointTargetPorts.length > 8) throw new FlagError('invalid --endpoint-target-ports: at most 8 ports');
  if (endpointSelector && endpointTargetPorts.length === 0) {
    throw new FlagError('--endpoint-selector needs --endpoint-target-ports');
  }
  if (!endpointSelector && endpointTargetPorts.length > 0) {
    throw new FlagError('--endpoint-target-ports needs --endpoint-selector');
  }
  const poolName = str('pool-name');
  if (poolName === '' && !endpointSelector) {
    throw new FlagError(
      'required flag --pool-name is missing (or use --endpoint-selector with --endpoint-target-ports)',
    );
  }
  if (poolName !== '' && endpointSelector) {
    throw new FlagError('--pool-name and --endpoint-selector are mutually exclusive');
  }

  if (optStr('config-file') && optStr('config-text')) {
    throw new FlagError('--config-file and --config-text are mutually exclusive');
  }

  const scheme = str('model-server-metrics-scheme');
  if (scheme !== 'http' && scheme !== 'https') {
    throw new FlagError(
      `invalid --model-server-metrics-scheme "${scheme}": only http and https are supported`,
    );
  }
  const path = str('model-server-metrics-path');
  if (!path.startsWith('/'))
    throw new FlagError(`invalid --model-server-metrics-path "${path}": must start with /`);

  const maxBody = get<number>('max-request-body-bytes');
  if (maxBody < 1 || maxBody > 2 ** 31 - 1 - 2 * 1024 * 1024) {
    throw new FlagError(
      `invalid --max-request-body-bytes ${maxBody}: must be 1..${2 ** 31 - 1 - 2 * 1024 * 1024}`,
    );
  }

  const zapLevelRaw = str('zap-log-level');
  let zapLevel: ZapOptions['level'];
  if (zapLevelRaw !== '') {
    if (/^\d+$/.test(zapLevelRaw)) zapLevel = levelForVerbosity(Number(zapLevelRaw));
    else {
      zapLevel = ZAP_LEVELS[zapLevelRaw];
      if (!zapLevel) {
        throw new FlagError(
          `invalid --zap-log-level "${zapLevelRaw}": must be debug, info, error, panic or an integer > 0`,
        );
      }
    }
  }
  const encoder = str('zap-encoder');
  if (encoder !== 'json' && encoder !== 'console')
    throw new FlagError(`invalid --zap-encoder "${encoder}": must be json or console`);
  const stack = str('zap-stacktrace-level');
  if (!['info', 'error', 'panic'].includes(stack)) {
    throw new FlagError(`invalid --zap-stacktrace-level "${stack}": must be info, error or panic`);
  }
  const timeEncoding = str('zap-time-encoding');
  if (!(TIME_ENCODINGS as readonly string[]).includes(timeEncoding)) {
    throw new FlagError(
      `invalid --zap-time-encoding "${timeEncoding}": must be one of ${TIME_ENCODINGS.join(', ')}`,
    );
  }
  const v = get<number>('v');
  if (v < 0) throw new FlagError(`invalid -v ${v}: must be >= 0`);

  const metricFlags: EppOptions['metricFlags'] = {};
  if (given('total-queued-requests-metric')) metricFlags.waitingQueue = str('total-queued-requests-metric');
  if (given('total-running-requests-metric')) metricFlags.running = str('total-running-requests-metric');
  if (given('kv-cache-usage-percentage-metric'))
    metricFlags.kvUsage = str('kv-cache-usage-percentage-metric');
  if (given('lora-info-metric')) metricFlags.lora = str('lora-info-metric');
  if (given('cache-info-metric')) metricFlags.cacheInfo = str('cache-info-metric');

  return {
    grpcPort: port('grpc-port', get('grpc-port'), true),
    grpcHealthPort: port('grpc-health-port', get('grpc-health-port'), true),
    metricsPort: port('metrics-port', get('metrics-port'), true),
    secureServing: get('secure-serving'),
    certPath: optStr('cert-path'),
    healthChecking: get('health-checking'),
    streaming: get('streaming'),
    maxRequestBodyBytes: maxBody,
    drainTimeoutMs: Math.max(0, get<number>('drain-timeout')),
    poolName: poolName !== '' ? poolName : 'standalone',
    // Upstream: the flag, else $NAMESPACE, else "default".
    poolNamespace: str('pool-namespace') || env.NAMESPACE || 'default',
    poolGroup,
    endpointSelector,
    endpointTargetPorts,
    resourcesFile: optStr('resources-file'),
    kubeconfig: optStr('kubeconfig'),
    haEnableLeaderElection: get('ha-enable-leader-election'),
    refreshMetricsIntervalMs: positiveMs('refresh-metrics-interval', get('refresh-metrics-interval')),
    refreshPrometheusMetricsIntervalMs: positiveMs(
      'refresh-prometheus-metrics-interval',
      get('refresh-prometheus-metrics-interval'),
    ),
    metricsStalenessThresholdMs: positiveMs(
      'metrics-staleness-threshold',
      get('metrics-staleness-threshold'),
    ),
    metricFlags,
    modelServerMetricsPort: port('model-server-metrics-port', get('model-server-metrics-port'), true),
    modelServerMetricsPath: given('model-server-metrics-path') ? path : undefined,
    modelServerMetricsScheme: given('model-server-metrics-scheme') ? scheme : undefined,
    modelServerMetricsInsecureSkipVerify: given('model-server-metrics-https-insecure-skip-verify')
      ? get<boolean>('model-server-metrics-https-insecure-skip-verify')
      : undefined,
    configFile: optStr('config-file'),
    configText: optStr('config-text'),
    disableEndpointSubsetFilter: get('disable-endpoint-subset-filter'),
    emitEndpointScores: get('emit-endpoint-scores'),
    assumedLoad: get('assumed-load'),
    destinationKey: str('destination-endpoint-hint-key'),
    destinationMetadataNamespace: str('destination-endpoint-hint-metadata-namespace'),
    verbosity: v,
    zap: {
      encoder,
      level: zapLevel,
      devel: get('zap-devel'),
      timeEncoding: timeEncoding as ZapOptions['timeEncoding'],
    },
    ignored: [
      'enable-cert-reload',
      'kube-api-qps',
      'kube-api-burst',
      'tracing',
      'enable-pprof',
      'metrics-endpoint-auth',
      'zap-stacktrace-level',
    ].filter((n) => given(n)),
  };
}
