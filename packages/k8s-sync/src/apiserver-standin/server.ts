// A kube API server stand-in on 127.0.0.1 for tests: the REST protocol client-node speaks (list, watch streams,
// get/create/update/delete, Status errors), backed by the in-memory ObjectStore. It survives stop()/start() on the
// same port with its data, like an API server restart in front of the same etcd.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  apiVersionOf,
  DEFAULT_RESOURCES,
  type ParsedPath,
  parseResourcePath,
  type ResourceKey,
  type ResourceType,
  resourceKey,
} from '../informers/resource-types.js';
import { LabelSelectorError, parseLabelSelector } from '../reconcile/label-selector.js';
import { FieldSelectorError, parseFieldSelector } from './field-selector.js';
import { readJsonBody, sendJson, sendStatus } from './http-io.js';
import { type KubeObject, ObjectStore, StoreError } from './object-store.js';
import { allows, type Grant, requestVerb, type Verb } from './rbac.js';
import { RequestHold } from './request-hold.js';
import { statusBody } from './status.js';
import { WatchStream } from './watch-stream.js';

export type { Verb } from './rbac.js';

export interface StandinOptions {
  /** Serve HTTPS with this key and certificate (PEM), as a real API server does. */
  tls?: { key: string; cert: string };
  /** Require `Authorization: Bearer <token>` (401 otherwise), as for a service account. */
  bearerToken?: string;
  /** Resource types known to the stand-in (default: core pods/configmaps/namespaces, leases, the inference CRDs). */
  resources?: readonly ResourceType[];
  /** Auto-compaction: keep at most this many events in the watch log. */
  maxLogEvents?: number;
  /** How a watch from a compacted version is refused: a 200 stream with one ERROR event (what kube-apiserver does), or HTTP 410. */
  expiredWatch?: 'event' | 'http';
  /** End every watch cleanly after this long (kube-apiserver's --min-request-timeout, randomised there). */
  watchTimeoutMs?: number;
  /** Send a BOOKMARK this often on watches that asked for bookmarks (allowWatchBookmarks=true). */
  bookmarkIntervalMs?: number;
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

const WATCH_HEADERS = {
  'content-type': 'application/json',
  'transfer-encoding': 'chunked',
  'cache-control': 'no-cache',
};

export class KubeApiStandin {
  readonly store: ObjectStore;
  /** The last 2,000 requests, for tests that check what the client sent. */
  readonly requests: RecordedRequest[] = [];
  private readonly known = new Map<ResourceKey, ResourceType>();
  private readonly installed = new Set<ResourceKey>();
  private readonly forbidden = new Map<ResourceKey, Set<Verb> | 'all'>();
  private readonly watches = new Set<WatchStream>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private port = 0;
  private unsubscribe: (() => void) | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private readonly holds = new Set<RequestHold>();
  private rbac: Grant[] | undefined;

  constructor(private readonly opts: StandinOptions = {}) {
    this.store = new ObjectStore(opts.maxLogEvents !== undefined ? { maxLogEvents: opts.maxLogEvents } : {});
    for (const rt of opts.resources ?? DEFAULT_RESOURCES) {
      this.known.set(resourceKey(rt), rt);
      this.installed.add(resourceKey(rt));
    }
  }

  /** Listens on 127.0.0.1 (a random port the first time, the same port after a stop). Returns the base URL. */
  async start(): Promise<string> {
    if (this.server) return this.url;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const server = this.opts.tls ? createTlsServer({ ...this.opts.tls }, handler) : createServer(handler);
    server.on(this.opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.unsubscribe = this.store.subscribe((e) => {
      for (const w of this.watches) w.deliver(e);
    });
    if (this.opts.bookmarkIntervalMs !== undefined) {
      this.bookmarkTimer = setInterval(() => this.bookmark(false), this.opts.bookmarkIntervalMs);
      this.bookmarkTimer.unref();
    }
    return this.url;
  }

  /**
   * Stops serving. Default: abrupt (open watch sockets are destroyed, as when the API server dies);
   * `graceful: true` ends watch streams cleanly first. The store is kept for the next start().
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.unsubscribe?.();
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const w of [...this.watches]) {
      if (opts.graceful) w.end();
      else w.destroy();
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async restart(opts: { graceful?: boolean; downMs?: number } = {}): Promise<void> {
    await this.stop(opts);
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    await this.start();
  }

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.server !== undefined;
  }

  // ---- test helpers -------------------------------------------------------------------------------------------

  /** The resource type of an object or of apiVersion+kind (throws for an unknown pair). */
  typeOf(apiVersion: string, kind: string): ResourceType {
    for (const rt of this.known.values()) if (apiVersionOf(rt) === apiVersion && rt.kind === kind) return rt;
    throw new Error(`stand-in: unknown resource type ${apiVersion} ${kind}`);
  }

  create(obj: KubeObject): KubeObject {
    return this.store.create(this.typeOf(obj.apiVersion ?? '', obj.kind ?? ''), obj);
  }

  /** Replaces the stored object (ignores the input's resourceVersion: a test helper, not a client). */
  update(obj: KubeObject): KubeObject {
    const { resourceVersion: _ignored, ...meta } = obj.metadata;
    return this.store.update(this.typeOf(obj.apiVersion ?? '', obj.kind ?? ''), { ...obj, metadata: meta });
  }

  /** Create or update. */
  apply(obj: KubeObject): KubeObject {
    const rt = this.typeOf(obj.apiVersion ?? '', obj.kind ?? '');
    return this.store.get(rt, obj.metadata.namespace, obj.metadata.name)
      ? this.update(obj)
      : this.create(obj);
  }

  /** Reads, changes and writes back an object. */
  modify(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    fn: (o: KubeObject) => void,
  ): KubeObject {
    const rt = this.typeOf(apiVersion, kind);
    const cur = this.store.get(rt, namespace, name);
    if (!cur) throw new Error(`stand-in: ${kind} ${namespace}/${name} not found`);
    fn(cur);
    return this.update(cur);
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject {
    return this.store.delete(this.typeOf(apiVersion, kind), namespace, name);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(this.typeOf(apiVersion, kind), namespace, name);
  }

  /** Removes a resource type from discovery: its paths answer 404 (a CRD not installed). Data is kept. */
  uninstall(rt: ResourceType): void {
    const k = resourceKey(rt);
    this.installed.delete(k);
    for (const w of [...this.watches]) if (w.filter.resource === k) w.end();
  }

  install(rt: ResourceType): void {
    this.known.set(resourceKey(rt), rt);
    this.installed.add(resourceKey(rt));
  }

  /** Answers 403 for these verbs on a resource (all verbs when omitted); open watches of it are closed. */
  forbid(rt: ResourceType, verbs?: readonly Verb[]): void {
    const k = resourceKey(rt);
    this.forbidden.set(k, verbs ? new Set(verbs) : 'all');
    for (const w of [...this.watches]) if (w.filter.resource === k) w.end();
  }

  allow(rt: ResourceType): void {
    this.forbidden.delete(resourceKey(rt));
  }

  /** Enforces these Roles/ClusterRoles on every request (403 otherwise); undefined turns RBAC off again. */
  enforceRbac(grants: Grant[] | undefined): void {
    this.rbac = grants;
  }

  /** Compacts the event log: any watch that resumes from an older version gets 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Compacts and tells every open watch its version expired (an ERROR 410 event), then ends the streams. */
  expireWatches(): void {
    this.store.compact();
    for (const w of [...this.watches]) {
      w.send('ERROR', this.expiredStatus());
      w.end();
    }
  }

  /** Ends every open watch cleanly, as a server-side watch timeout does. */
  closeWatches(): void {
    for (const w of [...this.watches]) w.end();
  }

  /** Freezes (or thaws) the open watches: they stay connected but deliver nothing (a stalled connection). */
  freezeWatches(frozen = true): void {
    for (const w of this.watches) w.frozen = frozen;
  }

  /** Sends a BOOKMARK with the current version to watches that asked for bookmarks (or to all with `all`). */
  bookmark(all = true): void {
    const rv = String(this.store.currentVersion());
    for (const w of this.watches) {
      if (!all && !w.bookmarks) continue;
      const rt = this.known.get(w.filter.resource)!;
      w.send('BOOKMARK', { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: rv } });
    }
  }

  /** Open watches, optionally of one resource. */
  watchCount(rt?: ResourceType): number {
    if (!rt) return this.watches.size;
    const k = resourceKey(rt);
    return [...this.watches].filter((w) => w.filter.resource === k).length;
  }

  /** Requests that match, e.g. `requestsTo(CORE_PODS, 'list')`. */
  requestsTo(rt: ResourceType, verb: 'list' | 'watch'): RecordedRequest[] {
    const k = resourceKey(rt);
    return this.requests.filter((r) => {
      const p = parseResourcePath(r.path);
      return p?.resource === k && p.name === undefined && (r.query.watch === 'true') === (verb === 'watch');
    });
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, status: 0 };
    this.requests.push(record);
    if (this.requests.length > 2000) this.requests.splice(0, this.requests.length - 2000);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    if (
      this.opts.bearerToken !== undefined &&
      req.headers.authorization !== `Bearer ${this.opts.bearerToken}`
    ) {
      sendStatus(res, 'Unauthorized', 'Unauthorized');
      return;
    }
    const run = () => {
      try {
        this.route(req, res, url, query);
      } catch (err) {
        sendStatus(res, 'InternalError', `stand-in: ${(err as Error).message}`);
      }
    };
    const key = parseResourcePath(url.pathname)?.resource;
    for (const h of this.holds) {
      if (h.matches(record.method, key)) {
        h.enqueue(run);
        return;
      }
    }
    run();
  }

  /** Holds requests of this method to this resource until release(), which runs them in arrival order. */
  hold(method: string, rt: ResourceType): RequestHold {
    const h = new RequestHold(method, resourceKey(rt), (x) => this.holds.delete(x));
    this.holds.add(h);
    return h;
  }

  private route(req: IncomingMessage, res: ServerResponse, url: URL, query: Record<string, string>): void {
    const p = parseResourcePath(url.pathname);
    const rt = p ? this.known.get(p.resource) : undefined;
    if (!p || !rt || !this.installed.has(p.resource)) {
      sendStatus(res, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    const verb = requestVerb(req.method ?? 'GET', p.name !== undefined, query.watch);
    if (verb === undefined) {
      sendStatus(res, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      return;
    }
    const denied = this.forbidden.get(p.resource);
    const rbacDenied =
      this.rbac !== undefined &&
      !allows(this.rbac, {
        verb,
        group: rt.group,
        resource: rt.plural,
        ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
        ...(p.name !== undefined ? { name: p.name } : {}),
      });
    if (rbacDenied || denied === 'all' || denied?.has(verb)) {
      const where =
        p.namespace !== undefined ? ` in the namespace "${p.namespace}"` : ' at the cluster scope';
      sendStatus(
        res,
        'Forbidden',
        `${rt.plural}${rt.group ? `.${rt.group}` : ''} is forbidden: User "system:serviceaccount:standin:tester" cannot ${verb} resource "${rt.plural}" in API group "${rt.group}"${where}`,
        { kind: rt.plural, ...(rt.group ? { group: rt.group } : {}) },
      );
      return;
    }
    switch (verb) {
      case 'get': {
        const o = this.store.get(rt, p.namespace, p.name!);
        if (!o) this.storeFail(res, new StoreError('NotFound', `${rt.plural} "${p.name}" not found`), rt, p);
        else sendJson(res, 200, o);
        return;
      }
      case 'list':
        this.list(res, rt, p, query);
        return;
      case 'watch':
        this.watch(res, rt, p, query);
        return;
      case 'delete':
        try {
          sendJson(res, 200, this.store.delete(rt, p.namespace, p.name!));
        } catch (err) {
          this.storeFail(res, err, rt, p);
        }
        return;
      default:
        readJsonBody(req, res, this.opts.maxBodyBytes ?? 3 * 1024 * 1024, (body) =>
          this.write(res, rt, p, verb, body),
        );
    }
  }

  private list(res: ServerResponse, rt: ResourceType, p: ParsedPath, query: Record<string, string>): void {
    const filter = this.filterOf(res, rt, p, query);
    if (!filter) return;
    if (query.resourceVersionMatch === 'Exact' && query.resourceVersion !== undefined) {
      const asked = Number(query.resourceVersion);
      if (asked < this.store.compactedVersion()) {
        sendStatus(res, 'Expired', this.expiredStatus(Number(query.resourceVersion)).message);
        return;
      }
    }
    const probe = new WatchStream(res, filter, false, () => {});
    const items = this.store.list(rt, p.namespace).filter((o) => probe.matches(o));
    sendJson(res, 200, {
      kind: `${rt.kind}List`,
      apiVersion: apiVersionOf(rt),
      metadata: { resourceVersion: String(this.store.currentVersion()) },
      items,
    });
  }

  private watch(res: ServerResponse, rt: ResourceType, p: ParsedPath, query: Record<string, string>): void {
    const filter = this.filterOf(res, rt, p, query);
    if (!filter) return;
    const rvParam = query.resourceVersion ?? '';
    const fromRv = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (fromRv !== undefined && !Number.isInteger(fromRv)) {
      sendStatus(res, 'BadRequest', `invalid resource version "${rvParam}"`);
      return;
    }
    const backlog = fromRv === undefined ? undefined : this.store.eventsSince(p.resource, fromRv);
    if (backlog === 'expired' && this.opts.expiredWatch === 'http') {
      sendStatus(res, 'Expired', this.expiredStatus(fromRv).message);
      return;
    }
    res.writeHead(200, WATCH_HEADERS);
    res.flushHeaders();
    const w = new WatchStream(res, filter, query.allowWatchBookmarks === 'true', (x) =>
      this.watches.delete(x),
    );
    if (backlog === 'expired') {
      w.send('ERROR', this.expiredStatus(fromRv));
      w.end();
      return;
    }
    this.watches.add(w);
    if (backlog === undefined) {
      // No version: the current state as synthetic ADDED events, then live changes.
      for (const o of this.store.list(rt, p.namespace)) if (w.matches(o)) w.send('ADDED', o);
    } else {
      for (const e of backlog) w.deliver(e);
    }
    const timeoutSeconds = Number(query.timeoutSeconds);
    const timeoutMs =
      Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
        ? timeoutSeconds * 1000
        : this.opts.watchTimeoutMs;
    if (timeoutMs !== undefined) w.endAfter(timeoutMs);
  }

  private write(res: ServerResponse, rt: ResourceType, p: ParsedPath, verb: Verb, body: unknown): void {
    if (typeof body !== 'object' || body === null || typeof (body as KubeObject).metadata !== 'object') {
      sendStatus(res, 'BadRequest', 'the body must be a JSON object with metadata');
      return;
    }
    const obj = body as KubeObject;
    if (p.namespace !== undefined) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== p.namespace) {
        sendStatus(
          res,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
        return;
      }
      obj.metadata.namespace = p.namespace;
    }
    if (verb === 'update' && obj.metadata.name !== p.name) {
      sendStatus(res, 'BadRequest', 'the name of the object does not match the name on the URL');
      return;
    }
    try {
      if (verb === 'create') sendJson(res, 201, this.store.create(rt, obj));
      else sendJson(res, 200, this.store.update(rt, obj));
    } catch (err) {
      this.storeFail(res, err, rt, p);
    }
  }

  private filterOf(res: ServerResponse, rt: ResourceType, p: ParsedPath, query: Record<string, string>) {
    try {
      return {
        resource: resourceKey(rt),
        ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
        labels: parseLabelSelector(query.labelSelector ?? ''),
        fields: parseFieldSelector(query.fieldSelector),
      };
    } catch (err) {
      if (err instanceof LabelSelectorError || err instanceof FieldSelectorError) {
        sendStatus(res, 'BadRequest', err.message);
        return undefined;
      }
      throw err;
    }
  }

  private expiredStatus(fromRv?: number) {
    return statusBody(
      'Expired',
      `too old resource version: ${fromRv ?? 0} (${this.store.compactedVersion()})`,
    );
  }

  private storeFail(res: ServerResponse, err: unknown, rt: ResourceType, p: ParsedPath): void {
    if (!(err instanceof StoreError)) throw err;
    sendStatus(res, err.reason, err.message, {
      kind: rt.plural,
      ...(rt.group ? { group: rt.group } : {}),
      ...(p.name !== undefined ? { name: p.name } : {}),
    });
  }
}
