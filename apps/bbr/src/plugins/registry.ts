// `--plugin <type>:<name>[:<json>]`: split on the first two ':'; type and name non-empty; any JSON must be valid.
import { BASE_MODEL_TO_HEADER, baseModelToHeader } from './base-model-to-header.js';
import { BODY_FIELD_TO_HEADER, bodyFieldToHeader } from './body-field-to-header.js';
import { PluginConfigError, type PluginDeps, type PluginFactory, type RequestPlugin } from './types.js';

export const MODEL_HEADER = 'X-Gateway-Model-Name';

const FACTORIES: Readonly<Record<string, PluginFactory>> = {
  [BODY_FIELD_TO_HEADER]: bodyFieldToHeader,
  [BASE_MODEL_TO_HEADER]: baseModelToHeader,
};

export const PLUGIN_TYPES = Object.keys(FACTORIES);

export interface PluginSpec {
  type: string;
  name: string;
  params?: unknown;
}

/** Used when no --plugin flag is given (upstream defaults, in this order). */
export const DEFAULT_PLUGIN_SPECS: readonly PluginSpec[] = [
  {
    type: BODY_FIELD_TO_HEADER,
    name: 'model-to-header',
    params: { fieldName: 'model', headerName: MODEL_HEADER },
  },
  { type: BASE_MODEL_TO_HEADER, name: 'base-model-to-header' },
];

export function parsePluginSpec(spec: string): PluginSpec {
  const first = spec.indexOf(':');
  if (first < 0)
    throw new PluginConfigError(`invalid --plugin ${JSON.stringify(spec)}: expected <type>:<name>[:<json>]`);
  const second = spec.indexOf(':', first + 1);
  const type = spec.slice(0, first).trim();
  const name = (second < 0 ? spec.slice(first + 1) : spec.slice(first + 1, second)).trim();
  if (type === '' || name === '') {
    throw new PluginConfigError(
      `invalid --plugin ${JSON.stringify(spec)}: plugin type and name must be non-empty`,
    );
  }
  if (second < 0) return { type, name };
  const json = spec.slice(second + 1);
  try {
    return { type, name, params: JSON.parse(json) };
  } catch (err) {
    throw new PluginConfigError(
      `invalid --plugin ${JSON.stringify(spec)}: parameters are not valid JSON: ${(err as Error).message}`,
    );
  }
}

export function createPlugins(specs: readonly PluginSpec[], deps: PluginDeps): RequestPlugin[] {
  const seen = new Set<string>();
  return specs.map((s) => {
    const factory = FACTORIES[s.type];
    if (!factory) {
      throw new PluginConfigError(
        `unknown plugin type ${JSON.stringify(s.type)} (known: ${PLUGIN_TYPES.join(', ')})`,
      );
    }
    const key = `${s.type}:${s.name}`;
    if (seen.has(key)) throw new PluginConfigError(`plugin ${key} is configured twice`);
    seen.add(key);
    return factory(s.name, s.params, deps);
  });
}
