// The one place that names what can go wrong talking to the API server, with the hint a platform engineer needs.

export type SourceErrorCode =
  | 'Forbidden' // 403: an RBAC grant is missing
  | 'NotFound' // 404 on a collection: the CRD (or that version of it) is not installed
  | 'Unauthorized' // 401: credentials rejected
  | 'Unreachable' // connection refused/reset, DNS, premature close
  | 'TlsError' // the server certificate does not verify against the configured CA
  | 'ServerError' // 5xx or another unexpected status
  | 'Stalled' // our watchdog: no event or reconnect for too long
  | 'Unknown';

export interface SourceError {
  code: SourceErrorCode;
  status?: number;
  /** What the server or the transport said. */
  message: string;
  /** What to do about it. */
  hint: string;
}

export interface ResourceDescription {
  plural: string;
  group: string;
  version: string;
  /** undefined = all namespaces */
  namespace?: string;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.code === 'number') return e.code;
  return undefined;
}

/** The Status message in an ApiException body (a JSON string or an object), if any. */
function serverMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.length > 0 ? body.slice(0, 500) : undefined;
    }
  }
  const msg = (parsed as { message?: unknown } | null)?.message;
  return typeof msg === 'string' ? msg : undefined;
}

export function resourceName(r: ResourceDescription): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

export function classifyError(err: unknown, r: ResourceDescription): SourceError {
  const status = statusOf(err);
  const raw = serverMessage(err) ?? (err instanceof Error ? err.message : String(err));
  const message = raw.split('\n')[0]!.slice(0, 500);
  const res = resourceName(r);
  const where = r.namespace === undefined ? 'cluster-wide (ClusterRole)' : `in namespace ${r.namespace}`;
  if (status === 403) {
    return {
      code: 'Forbidden',
      status,
      message,
      hint: `RBAC: grant get/list/watch on ${res} ${where} to this service account (deploy/rbac has the manifests)`,
    };
  }
  if (status === 404) {
    return {
      code: 'NotFound',
      status,
      message,
      hint: `the API ${r.group === '' ? r.version : `${r.group}/${r.version}`} ${r.plural} is not served: install the CRD (or the version) or change --pool-group`,
    };
  }
  if (status === 401) {
    return {
      code: 'Unauthorized',
      status,
      message,
      hint: 'the API server rejected the credentials (token expired?)',
    };
  }
  if (status !== undefined) {
    return { code: 'ServerError', status, message, hint: 'the API server answered an error; retrying' };
  }
  if ((err as { code?: unknown } | null)?.code === 'STALLED') {
    return {
      code: 'Stalled',
      message,
      hint: 'no watch event or reconnect within the staleness limit; restarting',
    };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/.test(code)) {
    return {
      code: 'TlsError',
      message,
      hint: `TLS verification failed (${code}): check the cluster CA (certificate-authority-data) of the kubeconfig`,
    };
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'FetchError' || typeof (err as { code?: unknown } | null)?.code === 'string') {
    return { code: 'Unreachable', message, hint: 'cannot reach the API server; retrying' };
  }
  return { code: 'Unknown', message, hint: 'unexpected error; retrying' };
}
