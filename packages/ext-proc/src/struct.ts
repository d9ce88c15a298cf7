// google.protobuf.Struct <-> plain JSON, for metadata_context.filter_metadata and dynamic_metadata.
import type { ListValue__Output } from './gen/google/protobuf/ListValue.js';
import type { Struct, Struct__Output } from './gen/google/protobuf/Struct.js';
import type { Value, Value__Output } from './gen/google/protobuf/Value.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export function toStruct(obj: Record<string, unknown>): Struct {
  const fields: Record<string, Value> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

export function toValue(v: unknown): Value {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'number':
      return { numberValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'object':
      if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
      return { structValue: toStruct(v as Record<string, unknown>) };
    default:
      return { stringValue: String(v) };
  }
}

export function fromStruct(s: Struct__Output | null | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  if (!s?.fields) return out;
  for (const [k, v] of Object.entries(s.fields)) out[k] = fromValue(v);
  return out;
}

export function fromValue(v: Value__Output | null | undefined): JsonValue {
  if (!v) return null;
  // Decoded messages carry the virtual oneof `kind`; hand-built ones (toValue) do not.
  const kind =
    v.kind ??
    (['stringValue', 'numberValue', 'boolValue', 'structValue', 'listValue'] as const).find(
      (k) => v[k] !== undefined,
    );
  switch (kind) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'numberValue':
      return v.numberValue ?? 0;
    case 'boolValue':
      return v.boolValue ?? false;
    case 'structValue':
      return fromStruct(v.structValue);
    case 'listValue':
      return fromList(v.listValue);
    default:
      return null;
  }
}

function fromList(l: ListValue__Output | null | undefined): JsonValue[] {
  return (l?.values ?? []).map(fromValue);
}
