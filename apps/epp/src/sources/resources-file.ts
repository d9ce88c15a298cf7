// Reading a --resources-file: multi-document YAML of Kubernetes objects (or `kind: List` dumps as
// `kubectl get -o yaml` writes them) into a fresh ResourceSet. Kinds the EPP does not read (Deployments,
// Services...) are counted and ignored so a whole manifest bundle can be pointed at.
import {
  decodeObject,
  type ReconcileIssue,
  ResourceSet,
  SUPPORTED_KINDS,
  type SupportedKind,
} from '@igw/k8s-sync';
import { parseAllDocuments } from 'yaml';

export class ResourcesFileError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`resources file ${path}: ${detail}`);
    this.name = 'ResourcesFileError';
  }
}

export interface LoadedResources {
  set: ResourceSet;
  /** Objects skipped as malformed (kind/namespace/name/field/message). */
  issues: ReconcileIssue[];
  /** Objects of kinds the EPP does not read. */
  ignored: number;
  /** Objects defined twice (same kind/namespace/name): the later document wins. */
  duplicates: string[];
}

const supported = new Set<string>(SUPPORTED_KINDS);

/** Parses the text; YAML syntax errors throw ResourcesFileError (with line/column), object errors are issues. */
export function parseResources(path: string, text: string, defaultNamespace: string): LoadedResources {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: false });
  const objects: unknown[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      throw new ResourcesFileError(path, `YAML document ${i + 1}: ${doc.errors[0]!.message}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue;
    const list = value as { kind?: unknown; items?: unknown };
    if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
      objects.push(...list.items);
    } else {
      objects.push(value);
    }
  }
  const byKind = new Map<SupportedKind, unknown[]>();
  const seen = new Set<string>();
  const duplicates: string[] = [];
  let ignored = 0;
  const issues: ReconcileIssue[] = [];
  for (const o of objects) {
    const kind = typeof o === 'object' && o !== null ? (o as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string') {
      // decodeObject names what it can of the object and says the kind is missing.
      const r = decodeObject(o, defaultNamespace);
      if (!r.ok) issues.push(r.issue);
      continue;
    }
    if (!supported.has(kind)) {
      ignored++;
      continue;
    }
    const obj = o as { apiVersion?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const id = `${String(obj.apiVersion)} ${kind} ${String(obj.metadata?.namespace ?? defaultNamespace)}/${String(obj.metadata?.name)}`;
    if (seen.has(id)) duplicates.push(id);
    seen.add(id);
    const arr = byKind.get(kind as SupportedKind);
    if (arr) arr.push(o);
    else byKind.set(kind as SupportedKind, [o]);
  }
  const set = new ResourceSet(defaultNamespace);
  for (const [kind, raws] of byKind) issues.push(...set.replaceAll(kind, raws));
  return { set, issues, ignored, duplicates };
}
