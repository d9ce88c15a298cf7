import type { Logger } from 'pino';
import type { BaseModelLookup } from '../base-models/store.js';
import type { RequestMessage } from '../message.js';
import type { BbrMetrics } from '../metrics.js';

/** A request plugin; run in flag order on every request with a JSON-object body. May throw a GatewayError. */
export interface RequestPlugin {
  readonly type: string;
  readonly name: string;
  /** Top-level body fields the plugin reads (for logging and documentation). */
  readonly fields: readonly string[];
  processRequest(msg: RequestMessage): void;
}

export interface PluginDeps {
  baseModels: BaseModelLookup;
  metrics: BbrMetrics;
  logger: Logger;
}

export type PluginFactory = (name: string, params: unknown, deps: PluginDeps) => RequestPlugin;

export class PluginConfigError extends Error {
  override name = 'PluginConfigError';
}
