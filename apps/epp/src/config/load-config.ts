// The EndpointPickerConfig of this run: --config-file or --config-text parsed by @igw/scorer-wasm (strict, every
// bad field named), else the default plugin set. Read once at startup, as upstream.
import { readFileSync } from 'node:fs';
import {
  ConfigError,
  defaultEndpointPickerConfig,
  type EndpointPickerConfig,
  type MetricsDataSourceConfig,
  parseEndpointPickerConfig,
} from '@igw/scorer-wasm';
import type { EppOptions } from '../flags/options.js';

export class ConfigLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigLoadError';
  }
}

export function loadConfig(
  o: Pick<EppOptions, 'configFile' | 'configText'>,
  env: NodeJS.ProcessEnv = process.env,
): { config: EndpointPickerConfig; source: string } {
  let text: string | undefined;
  let source = 'default plugins';
  if (o.configText !== undefined) {
    text = o.configText;
    source = '--config-text';
  } else if (o.configFile !== undefined) {
    try {
      text = readFileSync(o.configFile, 'utf8');
    } catch (err) {
      throw new ConfigLoadError(
        `failed to load config from a file '${o.configFile}': ${(err as Error).message}`,
      );
    }
    source = o.configFile;
  }
  if (text === undefined) return { config: defaultEndpointPickerConfig({ env }), source };
  try {
    return { config: parseEndpointPickerConfig(text, { env }), source };
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ConfigLoadError(`failed to load the configuration (${source}): ${err.message}`);
    throw err;
  }
}

/** Where to scrape: flags given on the command line, else the config's metrics-data-source, else the defaults. */
export function resolveMetricsDataSource(
  o: Pick<
    EppOptions,
    'modelServerMetricsScheme' | 'modelServerMetricsPath' | 'modelServerMetricsInsecureSkipVerify'
  >,
  config: EndpointPickerConfig,
): MetricsDataSourceConfig {
  const c = config.dataLayer.metricsDataSource;
  return {
    scheme: o.modelServerMetricsScheme ?? c?.scheme ?? 'http',
    path: o.modelServerMetricsPath ?? c?.path ?? '/metrics',
    insecureSkipVerify: o.modelServerMetricsInsecureSkipVerify ?? c?.insecureSkipVerify ?? true,
  };
}
