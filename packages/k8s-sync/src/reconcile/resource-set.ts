// The objects a source has seen, by kind/group/namespace/name. The file source replaces whole kinds on each reload;
// the informers (later) upsert and remove one object per watch event. Objects are validated once, on the way in.
import { type DecodedObject, decodeObject, SUPPORTED_KINDS, type SupportedKind } from './decode.js';
import type { ReconcileIssue } from './types.js';

export interface StoredObject {
  object: DecodedObject;
  /** Arrival order; breaks ties between objects without (or with equal) creation timestamps. */
  seq: number;
}

function key(kind: string, group: string, namespace: string, name: string): string {
  return `${kind}|${group}|${namespace}|${name}`;
}

function issueKey(i: ReconcileIssue): string {
  return `${i.kind}|${i.namespace}|${i.name}`;
}

export class ResourceSet {
  private readonly byKind = new Map<SupportedKind, Map<string, StoredObject>>();
  private readonly rejected = new Map<string, ReconcileIssue>();
  private seq = 0;
  private changes = 0;

  /** @param defaultNamespace namespace of objects that carry none (the pool namespace, as `kubectl apply -n`). */
  constructor(readonly defaultNamespace = 'default') {
    for (const k of SUPPORTED_KINDS) this.byKind.set(k, new Map());
  }

  /** Bumps on every change; a source compares it to skip reconciles that cannot change anything. */
  get version(): number {
    return this.changes;
  }

  /** Adds or replaces one object. A malformed object is not stored (and drops the version it replaces). */
  upsert(raw: unknown): ReconcileIssue | undefined {
    const r = decodeObject(raw, this.defaultNamespace);
    this.changes++;
    if (!r.ok) {
      this.rejected.set(issueKey(r.issue), r.issue);
      const m = this.byKind.get(r.issue.kind as SupportedKind);
      if (m) for (const [k, v] of m) if (sameObject(v.object, r.issue)) m.delete(k);
      return r.issue;
    }
    const o = r.object;
    const m = this.byKind.get(o.kind)!;
    const k = key(o.kind, o.group, o.meta.namespace, o.meta.name);
    const prev = m.get(k);
    m.set(k, { object: o, seq: prev?.seq ?? this.seq++ });
    this.rejected.delete(`${o.kind}|${o.meta.namespace}|${o.meta.name}`);
    return undefined;
  }

  /** Removes an object (every API group of it unless `group` is given). Returns whether anything was removed. */
  remove(kind: SupportedKind, namespace: string, name: string, group?: string): boolean {
    const m = this.byKind.get(kind)!;
    let removed = false;
    for (const [k, v] of m) {
      const o = v.object;
      if (
        o.meta.namespace === namespace &&
        o.meta.name === name &&
        (group === undefined || o.group === group)
      ) {
        m.delete(k);
        removed = true;
      }
    }
    this.rejected.delete(`${kind}|${namespace}|${name}`);
    if (removed) this.changes++;
    return removed;
  }

  /** Replaces every object of `kind` (a full list or a reloaded file). Returns the objects rejected. */
  replaceAll(kind: SupportedKind, raws: readonly unknown[]): ReconcileIssue[] {
    this.byKind.get(kind)!.clear();
    for (const [k, i] of this.rejected) if (i.kind === kind) this.rejected.delete(k);
    const issues: ReconcileIssue[] = [];
    for (const raw of raws) {
      const issue = this.upsert(raw);
      if (issue) issues.push(issue);
    }
    this.changes++;
    return issues;
  }

  objects<K extends SupportedKind>(
    kind: K,
  ): Array<StoredObject & { object: Extract<DecodedObject, { kind: K }> }> {
    return [...this.byKind.get(kind)!.values()] as Array<
      StoredObject & { object: Extract<DecodedObject, { kind: K }> }
    >;
  }

  /** Objects currently rejected as malformed. */
  issues(): ReconcileIssue[] {
    return [...this.rejected.values()];
  }

  get size(): number {
    let n = 0;
    for (const m of this.byKind.values()) n += m.size;
    return n;
  }
}

function sameObject(o: DecodedObject, id: { namespace: string; name: string }): boolean {
  return o.meta.namespace === id.namespace && o.meta.name === id.name;
}
