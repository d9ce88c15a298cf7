// The stand-in's etcd: objects by resource and namespace/name, one cluster-wide resourceVersion counter, and an
// event log that watches resume from. Compaction drops the log; a watch from a version older than the compaction
// point is answered with 410 Gone, as the real API server does.
import { randomUUID } from 'node:crypto';
import {
  apiVersionOf,
  type ResourceKey,
  type ResourceType,
  resourceKey,
} from '../informers/resource-types.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  resource: ResourceKey;
  rv: number;
  object: KubeObject;
  /** The object before a MODIFIED event (watchers with selectors turn label changes into ADDED/DELETED). */
  previous?: KubeObject;
}

export type StoreErrorReason = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid';

export class StoreError extends Error {
  constructor(
    readonly reason: StoreErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface ObjectStoreOptions {
  /** Keep at most this many events; older ones are compacted away (watches from before them get 410). */
  maxLogEvents?: number;
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const clone = <T>(v: T): T => structuredClone(v);

export class ObjectStore {
  private rv = 0;
  /** Events with rv <= compactedThrough are gone. */
  private compactedThrough = 0;
  private readonly objects = new Map<ResourceKey, Map<string, KubeObject>>();
  private log: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly maxLogEvents: number;

  constructor(opts: ObjectStoreOptions = {}) {
    this.maxLogEvents = opts.maxLogEvents ?? 10_000;
  }

  currentVersion(): number {
    return this.rv;
  }

  compactedVersion(): number {
    return this.compactedThrough;
  }

  /** Drops the whole event log: every watch from an earlier version now expires. */
  compact(): void {
    this.compactedThrough = this.rv;
    this.log = [];
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.bucket(rt).get(this.key(rt, namespace, name));
    return o === undefined ? undefined : clone(o);
  }

  /** All objects of a resource, in one namespace or all (namespace undefined), sorted by namespace/name. */
  list(rt: ResourceType, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.bucket(rt).values()) {
      if (namespace === undefined || !rt.namespaced || o.metadata.namespace === namespace) out.push(clone(o));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  create(rt: ResourceType, input: KubeObject): KubeObject {
    const name = input.metadata?.name;
    if (typeof name !== 'string' || name === '')
      throw new StoreError('Invalid', 'metadata.name: Required value');
    const ns = rt.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
    const key = this.key(rt, ns, name);
    const bucket = this.bucket(rt);
    if (bucket.has(key)) {
      throw new StoreError(
        'AlreadyExists',
        `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}" already exists`,
      );
    }
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    const meta = obj.metadata;
    if (ns !== undefined) meta.namespace = ns;
    else delete meta.namespace;
    meta.uid = randomUUID();
    meta.generation = 1;
    meta.creationTimestamp ??= rfc3339Now();
    meta.resourceVersion = String(++this.rv);
    bucket.set(key, obj);
    this.emit({ type: 'ADDED', resource: resourceKey(rt), rv: this.rv, object: clone(obj) });
    return clone(obj);
  }

  /**
   * Replaces an object. When the input carries metadata.resourceVersion it must equal the stored one
   * (optimistic concurrency, 409 Conflict otherwise), as on a real API server.
   */
  update(rt: ResourceType, input: KubeObject): KubeObject {
    const name = input.metadata?.name;
    if (typeof name !== 'string' || name === '')
      throw new StoreError('Invalid', 'metadata.name: Required value');
    const ns = rt.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
    const key = this.key(rt, ns, name);
    const bucket = this.bucket(rt);
    const prev = bucket.get(key);
    if (prev === undefined) {
      throw new StoreError('NotFound', `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}" not found`);
    }
    const wantRv = input.metadata.resourceVersion;
    if (wantRv !== undefined && wantRv !== '' && wantRv !== prev.metadata.resourceVersion) {
      throw new StoreError(
        'Conflict',
        `Operation cannot be fulfilled on ${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    const meta = obj.metadata;
    if (ns !== undefined) meta.namespace = ns;
    meta.uid = prev.metadata.uid;
    meta.creationTimestamp = prev.metadata.creationTimestamp;
    const specChanged = JSON.stringify(obj.spec) !== JSON.stringify(prev.spec);
    meta.generation = (prev.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    meta.resourceVersion = String(++this.rv);
    bucket.set(key, obj);
    this.emit({
      type: 'MODIFIED',
      resource: resourceKey(rt),
      rv: this.rv,
      object: clone(obj),
      previous: clone(prev),
    });
    return clone(obj);
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const key = this.key(rt, namespace, name);
    const bucket = this.bucket(rt);
    const prev = bucket.get(key);
    if (prev === undefined) {
      throw new StoreError('NotFound', `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}" not found`);
    }
    bucket.delete(key);
    const obj = clone(prev);
    obj.metadata.resourceVersion = String(++this.rv);
    this.emit({ type: 'DELETED', resource: resourceKey(rt), rv: this.rv, object: clone(obj) });
    return obj;
  }

  /**
   * Events of one resource after `fromRv`, or 'expired' when the log no longer reaches back that far.
   * fromRv equal to the compaction point is still served (nothing after it was dropped).
   */
  eventsSince(resource: ResourceKey, fromRv: number): StoreEvent[] | 'expired' {
    if (fromRv < this.compactedThrough) return 'expired';
    return this.log.filter((e) => e.resource === resource && e.rv > fromRv).map((e) => clone(e));
  }

  private emit(e: StoreEvent): void {
    this.log.push(e);
    if (this.log.length > this.maxLogEvents) {
      const dropped = this.log.splice(0, this.log.length - this.maxLogEvents);
      this.compactedThrough = dropped[dropped.length - 1]!.rv;
    }
    for (const fn of [...this.listeners]) fn(e);
  }

  private bucket(rt: ResourceType): Map<string, KubeObject> {
    const k = resourceKey(rt);
    let b = this.objects.get(k);
    if (b === undefined) {
      b = new Map();
      this.objects.set(k, b);
    }
    return b;
  }

  private key(rt: ResourceType, namespace: string | undefined, name: string): string {
    return rt.namespaced ? `${namespace ?? 'default'}/${name}` : name;
  }
}
