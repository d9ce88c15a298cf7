// @igw/dev-gateway: a local HTTP gateway that speaks ext_proc like Envoy (programmatic API; the CLI is main.ts).
export {
  type BodyMode,
  DEFAULTS,
  defaultConfig,
  type FailureMode,
  type GatewayConfig,
  type LbPolicy,
  type ResponseBodyMode,
} from './config.js';
export {
  DEMO_LORAS,
  DEMO_MODEL,
  DEMO_OBJECTIVES,
  eppConfigText,
  missingComponents,
  type Stack,
  StackError,
  type StackOptions,
  startStack,
} from './demo/stack.js';
export { ExtProcClient, type ExtProcClientOptions, type StreamOpener } from './ext-proc-client.js';
export { ExtProcSession, ProcessorFailure } from './ext-proc-session.js';
export { FlagError, helpText, parseDurationMs, parseFlags } from './flags.js';
export { type Gateway, type GatewayStats, startGateway } from './gateway.js';
export { EndpointPicker, type OwnPolicy, seededRandom } from './lb-policy.js';
export { LocalReplies, type LocalReply } from './local-replies.js';
export { loadPool, PoolFileError, PoolSource } from './pool-source.js';
