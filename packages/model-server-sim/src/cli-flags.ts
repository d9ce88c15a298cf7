// Command-line flags of `igw-sim`, read by @igw/cli-common's pflag-style reader (kebab-case names,
// `--flag value` or `--flag=value`, booleans as `--flag` or `--flag=false`, unknown flags rejected).
// Flag names follow llm-d-inference-sim and vLLM where those have one.

import {
  convertFlagValue,
  FlagError,
  type FlagSpec,
  parseArgs,
  type RawFlagValue,
  renderHelp,
} from '@igw/cli-common';
import type { SimClusterOptions } from './cluster.js';
import { DEFAULT_MODEL } from './cluster.js';
import { FAILURE_TYPES, type FailureType } from './failures.js';
import type { EngineParams } from './profiles.js';
import { profileNames } from './profiles.js';

type FlagType = 'number' | 'string' | 'boolean' | 'list';

interface FlagDef {
  type: FlagType;
  help: string;
  /** Engine parameter the flag overrides, if any. */
  param?: keyof EngineParams;
}

const FLAGS: Record<string, FlagDef> = {
  pods: { type: 'number', help: 'number of simulated pods (default 1)' },
  model: { type: 'string', help: `base model name (default ${DEFAULT_MODEL})` },
  lora: { type: 'list', help: 'LoRA adapter name; repeat the flag or give a comma-separated list' },
  profile: { type: 'string', help: `latency profile: ${profileNames().join(', ')} (default h100-8b)` },
  'time-scale': { type: 'number', help: 'simulated ms per wall-clock ms (default 1)' },
  seed: { type: 'number', help: 'random seed (default 1)' },
  host: { type: 'string', help: 'address of the first pod; pod i listens on host + i (default 127.0.0.2)' },
  port: { type: 'number', help: 'port of every pod, 0 = any free port (default 8000)' },
  'shared-host': {
    type: 'boolean',
    help: 'all pods on --host, pod i on port + i (for systems without 127/8)',
  },
  'name-prefix': {
    type: 'string',
    help: 'pod names are <prefix>-<i>, sent as x-inference-pod (default sim)',
  },
  namespace: { type: 'string', help: 'sent as x-inference-namespace (default default)' },
  mode: { type: 'string', help: 'answer text: random or echo (default random)' },
  'latency-model': {
    type: 'string',
    help: 'batch (continuous batching) or per-token (llm-d-inference-sim)',
    param: 'latencyModel',
  },
  'step-base-ms': { type: 'number', help: 'batch: fixed time of a step, ms', param: 'stepBaseMs' },
  'step-per-decode-token-ms': {
    type: 'number',
    help: 'batch: time per decode token in a step, ms',
    param: 'stepPerDecodeTokenMs',
  },
  'step-per-prefill-token-ms': {
    type: 'number',
    help: 'batch: time per prefill token in a step, ms',
    param: 'stepPerPrefillTokenMs',
  },
  'step-jitter': {
    type: 'number',
    help: 'batch: std-dev of a step time as a fraction of it (<= 0.3)',
    param: 'stepJitter',
  },
  'max-num-batched-tokens': {
    type: 'number',
    help: 'batch: token budget of a step',
    param: 'maxNumBatchedTokens',
  },
  'latency-calculator': {
    type: 'string',
    help: 'per-token: TTFT constant or per-token',
    param: 'ttftCalculator',
  },
  'time-to-first-token': {
    type: 'number',
    help: 'per-token: constant TTFT, ms',
    param: 'timeToFirstTokenMs',
  },
  'time-to-first-token-std-dev': {
    type: 'number',
    help: 'per-token: its std-dev, ms',
    param: 'timeToFirstTokenStdDevMs',
  },
  'inter-token-latency': {
    type: 'number',
    help: 'per-token: time per later token, ms',
    param: 'interTokenLatencyMs',
  },
  'inter-token-latency-std-dev': {
    type: 'number',
    help: 'per-token: its std-dev, ms',
    param: 'interTokenLatencyStdDevMs',
  },
  'prefill-overhead': {
    type: 'number',
    help: 'per-token: fixed prefill time, ms',
    param: 'prefillOverheadMs',
  },
  'prefill-time-per-token': {
    type: 'number',
    help: 'per-token: prefill time per uncached token, ms',
    param: 'prefillTimePerTokenMs',
  },
  'prefill-time-std-dev': {
    type: 'number',
    help: 'per-token: prefill std-dev, ms',
    param: 'prefillTimeStdDevMs',
  },
  'time-factor-under-load': {
    type: 'number',
    help: 'per-token: slowdown factor at max-num-seqs running',
    param: 'timeFactorUnderLoad',
  },
  'max-num-seqs': { type: 'number', help: 'running sequences per pod', param: 'maxNumSeqs' },
  'max-waiting-queue-length': {
    type: 'number',
    help: 'waiting requests per pod before 429',
    param: 'maxWaitingQueueLength',
  },
  'max-model-len': { type: 'number', help: 'context window, tokens', param: 'maxModelLen' },
  'block-size': { type: 'number', help: 'tokens per KV block', param: 'blockSize' },
  'kv-cache-size': { type: 'number', help: 'KV blocks per pod (num_gpu_blocks)', param: 'numGpuBlocks' },
  'enable-prefix-caching': {
    type: 'boolean',
    help: 'reuse cached prompt blocks (default true)',
    param: 'enablePrefixCaching',
  },
  'max-loras': { type: 'number', help: 'LoRA adapter slots per pod', param: 'maxLoras' },
  'lora-load-time': { type: 'number', help: 'time to load an adapter into a slot, ms', param: 'loraLoadMs' },
  'failure-injection-rate': { type: 'number', help: 'percent of requests that fail (0-100)' },
  'failure-types': {
    type: 'list',
    help: `failure types to inject: ${FAILURE_TYPES.join(', ')} (default all)`,
  },
  'max-request-body-size-mb': { type: 'number', help: 'largest accepted request body, MiB (default 4)' },
  'log-level': { type: 'string', help: 'pino log level (default info)' },
  help: { type: 'boolean', help: 'print this help' },
};

export { FlagError };

const FLAG_SPECS: readonly FlagSpec[] = Object.entries(FLAGS).map(([name, def]) => ({
  name,
  arity: def.type === 'boolean' ? 'bool' : def.type === 'list' ? 'stringSlice' : 'string',
  aliases: name === 'help' ? ['h'] : undefined,
}));

export interface CliConfig {
  help: boolean;
  logLevel: string;
  cluster: SimClusterOptions;
}

export function helpText(): string {
  return renderHelp({
    header: [
      'Usage: igw-sim [flags]',
      '',
      'A vLLM-compatible model-server simulator: many pods, one process.',
      '',
      'Flags:',
    ],
    flags: Object.entries(FLAGS).map(([name, def]) => ({ name, ...def })),
    argLabel: (f) =>
      f.type === 'boolean'
        ? ''
        : f.type === 'list'
          ? ' strings'
          : ` ${f.type === 'number' ? 'number' : 'string'}`,
    columnWidth: 40,
  });
}

export function parseFlags(argv: string[]): CliConfig {
  const values: Record<string, unknown> = {};
  for (const [key, value] of parseArgs(argv, FLAG_SPECS, { program: 'igw-sim' })) {
    values[key] = checkValue(key, FLAGS[key]!, value);
  }
  if (values.help === true) return { help: true, logLevel: 'info', cluster: {} };

  const params: Partial<EngineParams> = {};
  for (const [key, value] of Object.entries(values)) {
    const p = FLAGS[key]!.param;
    if (p !== undefined) (params as Record<string, unknown>)[p] = value;
  }
  const mode = values.mode as string | undefined;
  if (mode !== undefined && mode !== 'random' && mode !== 'echo')
    throw new FlagError(`invalid argument "${mode}" for "--mode" flag: must be random or echo`);
  const failureTypes = values['failure-types'] as string[] | undefined;
  for (const t of failureTypes ?? []) {
    if (!(FAILURE_TYPES as readonly string[]).includes(t))
      throw new FlagError(
        `invalid argument "${t}" for "--failure-types" flag: known types are ${FAILURE_TYPES.join(', ')}`,
      );
  }
  const bodyMb = values['max-request-body-size-mb'] as number | undefined;
  const cluster: SimClusterOptions = {
    pods: values.pods as number | undefined,
    model: values.model as string | undefined,
    loras: values.lora as string[] | undefined,
    profile: values.profile as string | undefined,
    params,
    timeScale: values['time-scale'] as number | undefined,
    seed: values.seed as number | undefined,
    host: values.host as string | undefined,
    port: (values.port as number | undefined) ?? 8000,
    sharedHost: values['shared-host'] as boolean | undefined,
    namePrefix: values['name-prefix'] as string | undefined,
    namespace: values.namespace as string | undefined,
    mode: mode as 'random' | 'echo' | undefined,
    failureRate: values['failure-injection-rate'] as number | undefined,
    failureTypes: failureTypes as FailureType[] | undefined,
    maxRequestBodyBytes: bodyMb === undefined ? undefined : Math.floor(bodyMb * 1024 * 1024),
  };
  return { help: false, logLevel: (values['log-level'] as string | undefined) ?? 'info', cluster };
}

function checkValue(key: string, def: FlagDef, value: RawFlagValue): unknown {
  switch (def.type) {
    case 'number':
      return convertFlagValue(key, 'float', value as string);
    case 'boolean':
      return value;
    case 'string':
      if (value === '') throw new FlagError(`flag needs an argument: --${key}`);
      return value;
    case 'list': {
      const clean = (value as string[]).map((s) => s.trim()).filter((s) => s !== '');
      if (clean.length === 0) throw new FlagError(`flag needs an argument: --${key}`);
      return clean;
    }
  }
}
