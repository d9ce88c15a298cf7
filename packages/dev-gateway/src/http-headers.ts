// Conversions between node:http header objects and the ordered, lower-cased (name, value) lists ext_proc carries,
// with Envoy's pseudo-headers (:method, :path, :authority, :scheme, :status) and without hop-by-hop headers.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { HeaderList } from './ext-proc-session.js';

// RFC 9110 7.6.1 connection-specific fields: never forwarded by a proxy (Envoy strips them too).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/** The downstream request as Envoy's ext_proc filter presents it. */
export function requestHeaderList(req: IncomingMessage): HeaderList {
  const out: HeaderList = [
    [':method', req.method ?? 'GET'],
    [':path', req.url ?? '/'],
    [':authority', req.headers.host ?? ''],
    [':scheme', 'http'],
  ];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (k === 'host' || isHopByHop(k)) continue;
    out.push([k, raw[i + 1]!]);
  }
  return out;
}

/** The upstream response as Envoy's ext_proc filter presents it. */
export function responseHeaderList(res: IncomingMessage): HeaderList {
  const out: HeaderList = [[':status', String(res.statusCode ?? 502)]];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (isHopByHop(k)) continue;
    out.push([k, raw[i + 1]!]);
  }
  return out;
}

export function lookup(list: HeaderList, name: string): string | undefined {
  let v: string | undefined;
  for (const [k, val] of list) if (k === name) v = val;
  return v;
}

/** Regular headers of a list as an object for node:http (repeated names become arrays). Pseudo-headers dropped. */
export function toNodeHeaders(list: HeaderList, drop: readonly string[] = []): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of list) {
    if (k.startsWith(':') || isHopByHop(k) || drop.includes(k)) continue;
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}
