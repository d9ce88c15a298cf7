// base-model-to-header: X-Gateway-Base-Model-Name = the base model of the requested LoRA adapter, the model itself
// when it is a known base model, else "" (so routes can match on the base model). Skips when `model` is absent.
import { goFormatValue } from '../scan/go-format.js';
import type { PluginFactory, RequestPlugin } from './types.js';

export const BASE_MODEL_TO_HEADER = 'base-model-to-header';
export const BASE_MODEL_HEADER = 'X-Gateway-Base-Model-Name';

export const baseModelToHeader: PluginFactory = (name, _params, deps): RequestPlugin => ({
  type: BASE_MODEL_TO_HEADER,
  name,
  fields: ['model'],
  processRequest(msg) {
    const f = msg.body.get('model');
    if (!f.found) return;
    msg.setHeader(BASE_MODEL_HEADER, deps.baseModels.baseModelOf(goFormatValue(f.value)));
  },
});
