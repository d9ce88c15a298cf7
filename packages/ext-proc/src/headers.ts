// Header helpers: reading Envoy's HeaderMap (raw_value preferred), sanitising values we emit, and building /
// applying HeaderMutation messages. Values are decoded and encoded as UTF-8.
import type { HeaderMap__Output } from './gen/envoy/config/core/v3/HeaderMap.js';
import type { HeaderValue__Output } from './gen/envoy/config/core/v3/HeaderValue.js';
import type { HeaderValueOption } from './gen/envoy/config/core/v3/HeaderValueOption.js';
import type {
  HeaderMutation,
  HeaderMutation__Output,
} from './gen/envoy/service/ext_proc/v3/HeaderMutation.js';

/** Read-only view of a header map: lower-cased names; for repeated names get() returns the last value. */
export interface RequestHeadersView {
  get(name: string): string | undefined;
  has(name: string): boolean;
  entries(): Array<[string, string]>;
}

export function headerValueOf(h: HeaderValue__Output): string {
  const raw = h.rawValue;
  if (raw !== undefined && raw.length > 0) return raw.toString('utf8');
  return h.value ?? '';
}

/** Up to this many headers, lookups scan the list (cheaper than building a Map per request); past it, a Map. */
const SCAN_LIMIT = 32;

export class HeaderMapView implements RequestHeadersView {
  private readonly list: Array<[string, string]>;
  private byName: Map<string, string> | undefined;

  constructor(list: Array<[string, string]>) {
    this.list = list;
  }

  static fromProto(map: HeaderMap__Output | null | undefined): HeaderMapView {
    const list: Array<[string, string]> = [];
    for (const h of map?.headers ?? []) list.push([(h.key ?? '').toLowerCase(), headerValueOf(h)]);
    return new HeaderMapView(list);
  }

  static empty(): HeaderMapView {
    return new HeaderMapView([]);
  }

  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const list = this.list;
    if (list.length <= SCAN_LIMIT) {
      // The last value of a repeated name wins, as with the Map.
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i] as [string, string];
        if (e[0] === key) return e[1];
      }
      return undefined;
    }
    return this.map().get(key);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  entries(): Array<[string, string]> {
    return this.list.slice();
  }

  private map(): Map<string, string> {
    if (!this.byName) {
      this.byName = new Map();
      for (const [k, v] of this.list) this.byName.set(k, v);
    }
    return this.byName;
  }
}

// CR, LF, NUL and the other C0 controls (HTAB allowed by RFC 9110 field-value) plus DEL.
const UNSAFE_HEADER_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** Strip characters that must never reach a header value (header injection, invalid HTTP/2 fields). */
export function sanitizeHeaderValue(value: string): string {
  UNSAFE_HEADER_CHARS.lastIndex = 0;
  if (!UNSAFE_HEADER_CHARS.test(value)) return value;
  UNSAFE_HEADER_CHARS.lastIndex = 0;
  return value.replace(UNSAFE_HEADER_CHARS, '');
}

const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export function isValidHeaderName(name: string): boolean {
  return HEADER_NAME.test(name);
}

/** Build a HeaderMutation (values as raw_value, sanitised). Undefined when there is nothing to mutate. */
export function buildHeaderMutation(
  set: ReadonlyArray<readonly [string, string]> | undefined,
  remove: readonly string[] | undefined,
): HeaderMutation | undefined {
  const setHeaders: HeaderValueOption[] = [];
  for (const [key, value] of set ?? []) {
    setHeaders.push({ header: { key, rawValue: Buffer.from(sanitizeHeaderValue(value), 'utf8') } });
  }
  const removeHeaders = remove ? [...remove] : [];
  if (setHeaders.length === 0 && removeHeaders.length === 0) return undefined;
  return { setHeaders, removeHeaders };
}

/**
 * Apply a HeaderMutation the way Envoy's ext_proc filter does: removals first, then sets. An unset `append` and
 * the default append action overwrite (ext_proc's historic default); `append: true` adds another value;
 * ADD_IF_ABSENT / OVERWRITE_IF_EXISTS honoured. Pseudo-headers (':'-prefixed) and `host` are never removed.
 * Names are lower-cased (HTTP/2). Returns a new list.
 */
export function applyHeaderMutation(
  headers: ReadonlyArray<readonly [string, string]>,
  mutation: HeaderMutation__Output | null | undefined,
): Array<[string, string]> {
  let out: Array<[string, string]> = headers.map(([k, v]) => [k, v]);
  if (!mutation) return out;
  for (const name of mutation.removeHeaders ?? []) {
    const lc = name.toLowerCase();
    if (lc.startsWith(':') || lc === 'host') continue;
    out = out.filter(([k]) => k !== lc);
  }
  for (const opt of mutation.setHeaders ?? []) {
    const h = opt.header;
    if (!h) continue;
    const key = (h.key ?? '').toLowerCase();
    const value = headerValueOf(h);
    const exists = out.some(([k]) => k === key);
    const action = opt.appendAction ?? 'APPEND_IF_EXISTS_OR_ADD';
    if (opt.append?.value === true) {
      out.push([key, value]);
    } else if (action === 'ADD_IF_ABSENT') {
      if (!exists) out.push([key, value]);
    } else if (action === 'OVERWRITE_IF_EXISTS') {
      if (exists) out = [...out.filter(([k]) => k !== key), [key, value]];
    } else {
      out = [...out.filter(([k]) => k !== key), [key, value]];
    }
  }
  return out;
}
