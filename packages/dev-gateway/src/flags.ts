// Command-line flags of `igw-gateway`, read by @igw/cli-common's pflag-style reader (kebab-case names,
// `--flag value` or `--flag=value`, booleans as `--flag` or `--flag=false`, unknown flags rejected).
import { FlagError, type FlagSpec, parseArgs, renderHelp } from '@igw/cli-common';
import type { BodyMode, FailureMode, GatewayConfig, LbPolicy, ResponseBodyMode } from './config.js';
import { DEFAULTS } from './config.js';

type FlagType = 'number' | 'string' | 'boolean';

interface FlagDef {
  type: FlagType;
  help: string;
}

export { FlagError };

const FLAGS: Record<string, FlagDef> = {
  listen: { type: 'string', help: `address to listen on, host:port (default ${DEFAULTS.listen})` },
  epp: {
    type: 'string',
    help: 'ext_proc address of the EPP, host:port (required unless --lb-policy is not epp)',
  },
  bbr: { type: 'string', help: 'ext_proc address of the BBR, host:port; runs before the EPP when set' },
  'epp-secure': {
    type: 'boolean',
    help: 'speak TLS to the EPP without verifying its certificate, like Envoy with an empty validation context (default true)',
  },
  'epp-insecure': { type: 'boolean', help: 'plaintext gRPC to the EPP (same as --epp-secure=false)' },
  'bbr-secure': { type: 'boolean', help: 'TLS to the BBR without verification (default true)' },
  'message-timeout': {
    type: 'string',
    help: `time to wait for each ext_proc reply: 200ms, 1s, or ms as a number (default ${DEFAULTS.messageTimeoutMs}ms, Envoy's)`,
  },
  'failure-mode': {
    type: 'string',
    help: "FailOpen (route anyway when an ext_proc server fails) or FailClose (answer 5xx); default: the pool's endpointPickerRef.failureMode, else FailClose",
  },
  'lb-policy': {
    type: 'string',
    help: "epp (the EPP picks), round-robin, random or least-request (Envoy's power of two choices) (default epp)",
  },
  'body-mode': {
    type: 'string',
    help: 'request body mode: FULL_DUPLEX_STREAMED or BUFFERED (default FULL_DUPLEX_STREAMED)',
  },
  'response-body-mode': {
    type: 'string',
    help: 'response body mode towards the EPP: FULL_DUPLEX_STREAMED, BUFFERED or NONE (default FULL_DUPLEX_STREAMED; NONE streams straight through)',
  },
  'response-headers': {
    type: 'boolean',
    help: 'send response headers to the EPP (default true; false = skip the whole response phase)',
  },
  'resources-file': {
    type: 'string',
    help: "YAML of InferencePool/Pod objects (the EPP's --resources-file): the endpoints for FailOpen and non-epp policies",
  },
  'pool-name': { type: 'string', help: 'InferencePool name in the resources file' },
  'pool-namespace': { type: 'string', help: `its namespace (default ${DEFAULTS.poolNamespace})` },
  'subset-hint': {
    type: 'string',
    help: 'comma-separated ip:port list sent as envoy.lb.subset_hint metadata with every request',
  },
  'max-request-body-bytes': {
    type: 'number',
    help: `largest request body accepted, larger gets 413 (default ${DEFAULTS.maxRequestBodyBytes})`,
  },
  seed: { type: 'number', help: 'seed of the random and least-request choices (default: unseeded)' },
  'connect-timeout': {
    type: 'string',
    help: `upstream connect timeout (default ${DEFAULTS.connectTimeoutMs}ms)`,
  },
  'log-level': { type: 'string', help: 'pino log level (default info)' },
  help: { type: 'boolean', help: 'print this help' },
};

const FLAG_SPECS: readonly FlagSpec[] = Object.entries(FLAGS).map(([name, def]) => ({
  name,
  arity: def.type === 'boolean' ? 'bool' : 'string',
  aliases: name === 'help' ? ['h'] : undefined,
}));

export function helpText(): string {
  return renderHelp({
    header: [
      'Usage: igw-gateway [flags]',
      '',
      'A local HTTP/1.1 gateway that speaks ext_proc like Envoy (EPP, optionally BBR first) and routes to',
      'x-gateway-destination-endpoint like an ORIGINAL_DST cluster.',
      '',
      'Flags:',
    ],
    flags: Object.entries(FLAGS).map(([name, def]) => ({ name, ...def })),
    argLabel: (f) => (f.type === 'boolean' ? '' : ` ${f.type}`),
    columnWidth: 36,
  });
}

/** '200ms', '1.5s', '2m' or a bare number of ms (Go durations, the subset that makes sense here). */
export function parseDurationMs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new FlagError(`--${flag}: invalid duration "${text}" (use e.g. 200ms, 1s)`);
  const n = Number(m[1]);
  const ms = m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  if (!(ms > 0)) throw new FlagError(`--${flag}: must be positive, got "${text}"`);
  return ms;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!hit) throw new FlagError(`--${flag}: "${value}" is not one of ${allowed.join(', ')}`);
  return hit;
}

function hostPort(flag: string, value: string): string {
  if (!/^[^\s:]+:\d{1,5}$/.test(value) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(value))
    throw new FlagError(`--${flag}: "${value}" is not host:port`);
  return value;
}

export function parseFlags(argv: string[]): GatewayConfig & { help: boolean; logLevel: string } {
  const v: Record<string, unknown> = {};
  for (const [key, value] of parseArgs(argv, FLAG_SPECS, { program: 'igw-gateway' })) {
    const def = FLAGS[key]!;
    if (def.type === 'number') {
      const n = Number(value);
      if ((value as string).trim() === '' || !Number.isFinite(n))
        throw new FlagError(`--${key}: expected a number, got "${String(value)}"`);
      v[key] = n;
    } else {
      if (def.type === 'string' && value === '') throw new FlagError(`--${key}: needs a value`);
      v[key] = value;
    }
  }
  const str = (k: string) => v[k] as string | undefined;
  const help = v.help === true;
  const lbPolicy = oneOf<LbPolicy>('lb-policy', str('lb-policy') ?? 'epp', [
    'epp',
    'round-robin',
    'random',
    'least-request',
  ]);
  const epp = str('epp');
  if (!help && lbPolicy === 'epp' && epp === undefined)
    throw new FlagError('--epp is required with --lb-policy epp');
  const resourcesFile = str('resources-file');
  const poolName = str('pool-name');
  if (!help && resourcesFile !== undefined && poolName === undefined)
    throw new FlagError('--pool-name is required with --resources-file');
  if (!help && lbPolicy !== 'epp' && resourcesFile === undefined)
    throw new FlagError(`--lb-policy ${lbPolicy} needs --resources-file (the pool's endpoints)`);
  if (v['epp-secure'] === true && v['epp-insecure'] === true)
    throw new FlagError('--epp-secure and --epp-insecure contradict each other');
  const maxBody = (v['max-request-body-bytes'] as number | undefined) ?? DEFAULTS.maxRequestBodyBytes;
  if (!Number.isInteger(maxBody) || maxBody <= 0)
    throw new FlagError('--max-request-body-bytes: must be a positive integer');
  const failure = str('failure-mode');
  const subset = str('subset-hint');
  const seed = v.seed as number | undefined;
  if (seed !== undefined && !Number.isInteger(seed)) throw new FlagError('--seed: must be an integer');
  return {
    help,
    seed,
    logLevel: str('log-level') ?? 'info',
    listen: hostPort('listen', str('listen') ?? DEFAULTS.listen),
    epp: epp === undefined ? undefined : hostPort('epp', epp),
    eppSecure: v['epp-insecure'] === true ? false : ((v['epp-secure'] as boolean | undefined) ?? true),
    bbr: str('bbr') === undefined ? undefined : hostPort('bbr', str('bbr')!),
    bbrSecure: (v['bbr-secure'] as boolean | undefined) ?? true,
    messageTimeoutMs:
      str('message-timeout') === undefined
        ? DEFAULTS.messageTimeoutMs
        : parseDurationMs('message-timeout', str('message-timeout')!),
    failureMode:
      failure === undefined
        ? undefined
        : oneOf<FailureMode>('failure-mode', failure, ['FailOpen', 'FailClose']),
    lbPolicy,
    bodyMode: oneOf<BodyMode>('body-mode', str('body-mode') ?? 'FULL_DUPLEX_STREAMED', [
      'FULL_DUPLEX_STREAMED',
      'BUFFERED',
    ]),
    responseBodyMode: oneOf<ResponseBodyMode>(
      'response-body-mode',
      str('response-body-mode') ?? 'FULL_DUPLEX_STREAMED',
      ['FULL_DUPLEX_STREAMED', 'BUFFERED', 'NONE'],
    ),
    responseHeaders: (v['response-headers'] as boolean | undefined) ?? true,
    resourcesFile,
    poolName,
    poolNamespace: str('pool-namespace') ?? DEFAULTS.poolNamespace,
    subsetHint:
      subset === undefined
        ? undefined
        : subset
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
            .map((s) => hostPort('subset-hint', s)),
    maxRequestBodyBytes: maxBody,
    connectTimeoutMs:
      str('connect-timeout') === undefined
        ? DEFAULTS.connectTimeoutMs
        : parseDurationMs('connect-timeout', str('connect-timeout')!),
  };
}
