// body-field-to-header: copy a top-level body field into a request header (default: model -> X-Gateway-Model-Name).
import { isValidHeaderName } from '@igw/ext-proc';
import { z } from 'zod';
import { goFormatValue } from '../scan/go-format.js';
import { PluginConfigError, type PluginFactory, type RequestPlugin } from './types.js';

export const BODY_FIELD_TO_HEADER = 'body-field-to-header';

const paramsSchema = z.object({
  fieldName: z.string().min(1, 'fieldName must be a non-empty string'),
  headerName: z
    .string()
    .min(1, 'headerName must be a non-empty string')
    .refine(isValidHeaderName, 'headerName must be a valid HTTP header name'),
});

export const bodyFieldToHeader: PluginFactory = (name, params, deps): RequestPlugin => {
  const parsed = paramsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    const why = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`)
      .join('; ');
    throw new PluginConfigError(`plugin ${BODY_FIELD_TO_HEADER}:${name}: ${why}`);
  }
  const { fieldName, headerName } = parsed.data;
  const notFound = deps.metrics.fieldNotFound.labels(fieldName);
  const empty = deps.metrics.fieldEmpty.labels(fieldName);
  return {
    type: BODY_FIELD_TO_HEADER,
    name,
    fields: [fieldName],
    processRequest(msg) {
      const f = msg.body.get(fieldName);
      if (!f.found) {
        notFound.inc();
        return;
      }
      // Upstream formats the decoded value with %v: numbers as Go float64, null as <nil>.
      const value = goFormatValue(f.value);
      if (value === '') {
        empty.inc();
        return;
      }
      msg.setHeader(headerName, value);
    },
  };
};
