// One open watch: which events it wants (resource, namespace, selectors) and how they are written
// (newline-delimited JSON, one `{type, object}` per line, as the API server streams them).
import type { ServerResponse } from 'node:http';
import type { ResourceKey } from '../informers/resource-types.js';
import { type LabelRequirement, matchesLabels } from '../reconcile/label-selector.js';
import { type FieldRequirement, matchesFields } from './field-selector.js';
import type { KubeObject, StoreEvent } from './object-store.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchFilter {
  resource: ResourceKey;
  namespace?: string;
  labels: readonly LabelRequirement[];
  fields: readonly FieldRequirement[];
}

export class WatchStream {
  /** A frozen stream stays open but delivers nothing: a half-open TCP connection as the client sees it. */
  frozen = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly filter: WatchFilter,
    readonly bookmarks: boolean,
    private readonly onEnd: (w: WatchStream) => void,
  ) {
    res.on('close', () => this.finish());
  }

  get isEnded(): boolean {
    return this.ended;
  }

  matches(o: KubeObject): boolean {
    const m = o.metadata;
    if (this.filter.namespace !== undefined && m.namespace !== this.filter.namespace) return false;
    return matchesLabels(this.filter.labels, m.labels ?? {}) && matchesFields(this.filter.fields, m);
  }

  /** Translates a store event for this watcher: a label change in or out of the selector is ADDED or DELETED. */
  deliver(e: StoreEvent): void {
    if (e.resource !== this.filter.resource) return;
    const now = this.matches(e.object);
    if (e.type === 'MODIFIED') {
      const before = e.previous !== undefined && this.matches(e.previous);
      if (before && now) this.send('MODIFIED', e.object);
      else if (now) this.send('ADDED', e.object);
      else if (before) this.send('DELETED', e.object);
      return;
    }
    if (now) this.send(e.type, e.object);
  }

  send(type: WatchEventType, object: unknown): void {
    if (this.ended || this.frozen) return;
    this.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  endAfter(ms: number): void {
    this.timer = setTimeout(() => this.end(), ms);
    this.timer.unref();
  }

  /** Clean end of the response (what a server-side watch timeout looks like to the client). */
  end(): void {
    if (this.ended) return;
    this.res.end();
    this.finish();
  }

  /** Abrupt end: the socket is destroyed mid-stream (an API server crash). */
  destroy(): void {
    if (this.ended) return;
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.onEnd(this);
  }
}
