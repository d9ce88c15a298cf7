// Many simulated pods in one process, each on its own loopback address (127.0.0.2, 127.0.0.3, ...).

import pino, { type Logger } from 'pino';
import { SimClock } from './clock.js';
import type { OutputMode } from './completion-handler.js';
import type { FailureType } from './failures.js';
import { SimPod } from './pod.js';
import { type EngineParams, resolveParams } from './profiles.js';
import { deriveSeed } from './random.js';

export interface SimClusterOptions {
  /** Number of pods (default 1). */
  pods?: number;
  /** Base model name served by every pod (default 'meta-llama/Llama-3.1-8B-Instruct'). */
  model?: string;
  /** LoRA adapters every pod can load (listed by /v1/models with the base model as parent). */
  loras?: string[];
  /** Latency profile name (default 'h100-8b'); see PROFILES. */
  profile?: string;
  /** Overrides of the profile's engine parameters (e.g. { numGpuBlocks: 2000, maxLoras: 2 }). */
  params?: Partial<EngineParams>;
  /** Simulated ms per wall-clock ms (default 1). */
  timeScale?: number;
  /** Seed of every random stream (default 1); pod i uses a seed derived from it. */
  seed?: number;
  /** Address of the first pod (default '127.0.0.2'); pod i gets this address + i, unless sharedHost. */
  host?: string;
  /** Put every pod on `host` itself (each on its own port), for systems without the whole 127/8 on loopback. */
  sharedHost?: boolean;
  /** Port of every pod (default 0 = a free port each). With sharedHost and a fixed port, pod i uses port + i. */
  port?: number;
  /** Pod names are `${namePrefix}-${i}` (default 'sim'); sent as x-inference-pod. */
  namePrefix?: string;
  namespace?: string;
  /** 'random' text (default) or 'echo' the prompt back. */
  mode?: OutputMode;
  /** Failure injection, percent of requests 0..100 (default 0) and types (default all). */
  failureRate?: number;
  failureTypes?: FailureType[];
  /** Largest request body accepted (default 4 MiB, llm-d-inference-sim's default); more gets 413. */
  maxRequestBodyBytes?: number;
  logger?: Logger;
  /** Per-pod variations (different adapters, parameters, ...), by pod index. */
  perPod?: (
    index: number,
  ) => Partial<Pick<SimClusterOptions, 'loras' | 'params' | 'profile' | 'failureRate' | 'failureTypes'>>;
}

export interface SimCluster {
  pods: SimPod[];
  clock: SimClock;
  /** Aborts in-flight requests and closes every pod. */
  close(): Promise<void>;
}

export const DEFAULT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

export async function startSimCluster(opts: SimClusterOptions = {}): Promise<SimCluster> {
  const n = opts.pods ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 250) throw new RangeError('pods must be an integer within 1..250');
  const clock = new SimClock(opts.timeScale ?? 1);
  const logger = opts.logger ?? pino({ level: 'silent' });
  const baseHost = opts.host ?? '127.0.0.2';
  const port = opts.port ?? 0;
  const seed = opts.seed ?? 1;
  const pods: SimPod[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const over = opts.perPod?.(i) ?? {};
      const params = resolveParams(over.profile ?? opts.profile ?? 'h100-8b', {
        ...opts.params,
        ...over.params,
      });
      const host = opts.sharedHost ? baseHost : offsetAddress(baseHost, i);
      const pod = await SimPod.start({
        name: `${opts.namePrefix ?? 'sim'}-${i}`,
        namespace: opts.namespace ?? 'default',
        host,
        port: opts.sharedHost && port !== 0 ? port + i : port,
        model: opts.model ?? DEFAULT_MODEL,
        loras: over.loras ?? opts.loras ?? [],
        params,
        seed: deriveSeed(seed, i),
        mode: opts.mode ?? 'random',
        failure: {
          rate: over.failureRate ?? opts.failureRate ?? 0,
          types: over.failureTypes ?? opts.failureTypes ?? [],
        },
        maxRequestBodyBytes: opts.maxRequestBodyBytes ?? 4 * 1024 * 1024,
        clock,
        logger: logger.child({ pod: `${opts.namePrefix ?? 'sim'}-${i}` }),
      });
      pods.push(pod);
    }
  } catch (e) {
    await Promise.all(pods.map((p) => p.close()));
    throw e;
  }
  let closed: Promise<void> | null = null;
  return {
    pods,
    clock,
    close: () => {
      closed ??= Promise.all(pods.map((p) => p.close())).then(() => undefined);
      return closed;
    },
  };
}

/** '127.0.0.2' + 3 -> '127.0.0.5' (carrying into the higher octets). */
export function offsetAddress(base: string, offset: number): string {
  const parts = base.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new RangeError(`host must be an IPv4 address, got "${base}"`);
  let v = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]! + offset;
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.unshift(v & 255);
    v = Math.floor(v / 256);
  }
  return out.join('.');
}
