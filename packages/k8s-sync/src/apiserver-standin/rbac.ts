// Just enough RBAC for the stand-in to enforce a Role or ClusterRole, so tests can prove the manifests under
// deploy/rbac grant what the clients use (and that a Role cannot serve a cluster-wide request).

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'delete';

/** The RBAC verb of a request, as the API server derives it; undefined for a method the stand-in does not serve. */
export function requestVerb(
  method: string,
  named: boolean,
  watchParam: string | undefined,
): Verb | undefined {
  switch (method) {
    case 'GET':
      if (named) return 'get';
      return watchParam === 'true' || watchParam === '1' ? 'watch' : 'list';
    case 'POST':
      return named ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'DELETE':
      return named ? 'delete' : undefined;
    default:
      return undefined;
  }
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface Grant {
  /** The Role's namespace; undefined for a ClusterRole (bound cluster-wide). */
  namespace?: string;
  rules: PolicyRule[];
}

export interface AccessRequest {
  verb: string;
  group: string;
  resource: string;
  /** undefined for a cluster-scoped or all-namespaces request */
  namespace?: string;
  name?: string;
}

const has = (list: readonly string[] | undefined, v: string) =>
  list !== undefined && (list.includes('*') || list.includes(v));

export function allows(grants: readonly Grant[], r: AccessRequest): boolean {
  return grants.some(
    (g) =>
      (g.namespace === undefined || g.namespace === r.namespace) &&
      g.rules.some(
        (rule) =>
          has(rule.apiGroups, r.group) &&
          has(rule.resources, r.resource) &&
          has(rule.verbs, r.verb) &&
          (rule.resourceNames === undefined ||
            rule.resourceNames.length === 0 ||
            (r.name !== undefined && rule.resourceNames.includes(r.name))),
      ),
  );
}
