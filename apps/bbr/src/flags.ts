// Command-line flags, parsed like Go's pflag (upstream uses it) by @igw/cli-common: --flag value, --flag=value,
// --bool, --bool=false, -v 2, repeated --plugin. Unknown flags are errors, as in pflag. zod validates the values.
import { FlagError, type FlagSpec, parseArgs, parseGoDuration } from '@igw/cli-common';
import { z } from 'zod';

export { FlagError };

export const DEFAULT_MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;

const BOOLEAN_FLAGS = [
  'secure-serving',
  'streaming',
  'metrics-endpoint-auth',
  'tracing',
  'enable-pprof',
  'zap-devel',
  'help',
] as const;
const STRING_FLAGS = [
  'grpc-port',
  'grpc-health-port',
  'metrics-port',
  'cert-path',
  'plugin',
  'max-request-body-bytes',
  'base-model-configmaps-file',
  'kubeconfig',
  'host',
  'v',
  'zap-encoder',
  'zap-log-level',
  'zap-stacktrace-level',
  'zap-time-encoding',
  'graceful-shutdown-timeout',
  'log-level',
] as const;

// GAIE v0.3 spelled the flags in Go-flag camelCase with one dash (-grpcPort 9004 -streaming=false).
const V03_ALIASES: Record<string, string[]> = {
  'grpc-port': ['grpcPort'],
  'grpc-health-port': ['grpcHealthPort'],
  'metrics-port': ['metricsPort'],
};

const FLAG_SPECS: readonly FlagSpec[] = [
  ...BOOLEAN_FLAGS.map((name) => ({ name, arity: 'bool' as const })),
  ...STRING_FLAGS.map((name) => ({
    name,
    arity: name === 'plugin' ? ('stringArray' as const) : ('string' as const),
    aliases: V03_ALIASES[name],
  })),
];

export const HELP = `Usage: igw-bbr [flags]

The Body-Based Router: an Envoy ext_proc server that copies the request body's "model" into the
X-Gateway-Model-Name header and its base model into X-Gateway-Base-Model-Name.

Flags:
  --grpc-port int                    ext_proc gRPC port (default 9004)
  --grpc-health-port int             grpc.health.v1 port (default 9005)
  --metrics-port int                 Prometheus /metrics port (default 9090)
  --host string                      bind address for all three servers (default 0.0.0.0)
  --secure-serving                   serve ext_proc over TLS (default true)
  --cert-path string                 directory with tls.crt and tls.key; empty = self-signed certificate made at start
  --streaming                        FULL_DUPLEX_STREAMED when Envoy sends no protocol_config; false = BUFFERED (default true)
  --plugin type:name[:json]          request plugin, repeatable, run in flag order. Types: body-field-to-header
                                     ({"fieldName":..,"headerName":..}), base-model-to-header. Default:
                                     body-field-to-header:model-to-header:{"fieldName":"model","headerName":"X-Gateway-Model-Name"}
                                     then base-model-to-header:base-model-to-header
  --base-model-configmaps-file path  standalone mode: YAML file of ConfigMaps (labelled inference.llm-d.ai/ipp-managed
                                     or inference.networking.k8s.io/bbr-managed = "true", data.baseModel,
                                     data.adapters), re-read when it changes. Without it the ConfigMaps are
                                     watched through the Kubernetes API (health NOT_SERVING until listed once)
  --kubeconfig path                  Kubernetes client configuration; default $KUBECONFIG, then the in-cluster
                                     service account, then ~/.kube/config. None found: BBR serves without
                                     base-model mappings and logs a warning
  --max-request-body-bytes int       larger request bodies get 413 (default 67108864)
  --graceful-shutdown-timeout dur    how long SIGTERM waits for in-flight streams (default 25s)
  -v, --v int                        log verbosity: 0-3 info, 4 debug, 5+ trace (default 0)
  --zap-log-level string             debug|info|error or an integer (mapped onto pino levels); --log-level (older
                                     charts) is the same
  -grpcPort, -grpcHealthPort, -metricsPort   GAIE v0.3 spellings, accepted
  --zap-encoder, --zap-devel, --zap-stacktrace-level, --zap-time-encoding
                                     accepted for Helm compatibility; logs are always JSON (pino)
  --metrics-endpoint-auth            accepted; /metrics is served without authentication (default true)
  --tracing, --enable-pprof          accepted; not implemented (no-ops)
  --help                             show this help
Environment:
  NAMESPACE                          watch (or, with a file, use) only ConfigMaps of this namespace; unset = all
                                     namespaces (in a cluster that needs a ClusterRole)
`;

const port = (flag: string, def: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return def;
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `--${flag} must be a port number 0-65535, got ${JSON.stringify(s)}`,
        });
        return z.NEVER;
      }
      return n;
    });

/** Go duration (time.ParseDuration) in ms; negative ones are no timeout and rejected. */
function durationMs(s: string): number | undefined {
  const ms = parseGoDuration(s);
  return ms === null || ms < 0 ? undefined : ms;
}

const schema = z.object({
  'grpc-port': port('grpc-port', 9004),
  'grpc-health-port': port('grpc-health-port', 9005),
  'metrics-port': port('metrics-port', 9090),
  host: z.string().default('0.0.0.0'),
  'secure-serving': z.boolean().default(true),
  'cert-path': z.string().default(''),
  streaming: z.boolean().default(true),
  plugin: z.array(z.string()).default([]),
  'base-model-configmaps-file': z.string().optional(),
  kubeconfig: z.string().default(''),
  'max-request-body-bytes': z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return DEFAULT_MAX_REQUEST_BODY_BYTES;
      if (!/^\d+$/.test(s) || Number(s) < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `--max-request-body-bytes must be a positive integer, got ${JSON.stringify(s)}`,
        });
        return z.NEVER;
      }
      return Number(s);
    }),
  'graceful-shutdown-timeout': z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return 25_000;
      const ms = durationMs(s);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `--graceful-shutdown-timeout must be a duration like 25s, got ${JSON.stringify(s)}`,
        });
        return z.NEVER;
      }
      return ms;
    }),
  v: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return 0;
      if (!/^\d+$/.test(s)) {
        ctx.addIssue({
          code: 'custom',
          message: `-v must be a non-negative integer, got ${JSON.stringify(s)}`,
        });
        return z.NEVER;
      }
      return Number(s);
    }),
  'zap-log-level': z.string().optional(),
  'log-level': z.string().optional(),
  'zap-encoder': z.string().optional(),
  'zap-devel': z.boolean().optional(),
  'zap-stacktrace-level': z.string().optional(),
  'zap-time-encoding': z.string().optional(),
  'metrics-endpoint-auth': z.boolean().default(true),
  tracing: z.boolean().default(true),
  'enable-pprof': z.boolean().default(true),
  help: z.boolean().default(false),
});

export type BbrFlags = z.output<typeof schema>;

export function parseFlags(argv: readonly string[]): BbrFlags {
  // pflag: the last occurrence of a scalar flag wins; --plugin accumulates.
  const raw = Object.fromEntries(parseArgs(argv, FLAG_SPECS, { program: 'igw-bbr' }));
  const r = schema.safeParse(raw);
  if (!r.success) throw new FlagError(r.error.issues.map((i) => i.message).join('; '));
  const f = r.data;
  const ports = [f['grpc-port'], f['grpc-health-port'], f['metrics-port']].filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) {
    throw new FlagError('--grpc-port, --grpc-health-port and --metrics-port must differ');
  }
  return f;
}

/** pino level from -v and --zap-log-level (zap's integer levels are negated verbosities). */
export function logLevel(f: BbrFlags): 'error' | 'info' | 'debug' | 'trace' {
  const z = f['zap-log-level'] ?? f['log-level'];
  if (z !== undefined) {
    if (z === 'error' || z === 'info' || z === 'debug') return z;
    if (/^\d+$/.test(z)) return Number(z) >= 5 ? 'trace' : Number(z) >= 4 ? 'debug' : 'info';
    if (z === 'panic' || z === 'dpanic' || z === 'fatal' || z === 'warn')
      return z === 'warn' ? 'info' : 'error';
  }
  if (f.v >= 5) return 'trace';
  if (f.v >= 4) return 'debug';
  return 'info';
}
