// The pool's endpoints as the gateway sees them: the same --resources-file the EPP reads, reconciled with
// @igw/k8s-sync (one reconcile path for every reader). Used for FailOpen and the non-EPP load-balancing policies.
// The file is re-read when it changes; a bad edit is logged and the last good endpoints are kept.
import { readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type EndpointInfo,
  type FailureMode,
  POOL_GROUP_V1,
  POOL_GROUP_V1ALPHA2,
  type PoolSnapshot,
  ResourceSet,
  reconcile,
  SUPPORTED_KINDS,
  type SupportedKind,
} from '@igw/k8s-sync';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';

export class PoolFileError extends Error {
  override name = 'PoolFileError';
}

/** Reads and reconciles the file. Throws PoolFileError on unreadable files, YAML errors or a missing pool. */
export function loadPool(path: string, poolName: string, namespace: string): PoolSnapshot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PoolFileError(`resources file ${path}: ${(e as Error).message}`);
  }
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const byKind = new Map<SupportedKind, unknown[]>();
  const supported = new Set<string>(SUPPORTED_KINDS);
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0)
      throw new PoolFileError(`resources file ${path}: YAML document ${i + 1}: ${doc.errors[0]!.message}`);
    const value = doc.toJS({ maxAliasCount: 1000 }) as { kind?: unknown; items?: unknown } | null;
    if (value === null || typeof value !== 'object') continue;
    const objects =
      typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)
        ? (value.items as unknown[])
        : [value];
    for (const o of objects) {
      const kind = (o as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !supported.has(kind)) continue;
      const list = byKind.get(kind as SupportedKind) ?? [];
      list.push(o);
      byKind.set(kind as SupportedKind, list);
    }
  }
  const set = new ResourceSet(namespace);
  for (const [kind, raws] of byKind) set.replaceAll(kind, raws);
  for (const group of [POOL_GROUP_V1, POOL_GROUP_V1ALPHA2] as const) {
    const snap = reconcile(set, { mode: 'pool', namespace, name: poolName, group });
    if (snap.pool) return snap;
  }
  throw new PoolFileError(`resources file ${path}: no InferencePool ${namespace}/${poolName}`);
}

export class PoolSource {
  private snapshot: PoolSnapshot;
  private timer: NodeJS.Timeout | undefined;
  /** mtime and size of the file as last read, so a change made before the first poll is not missed. */
  private seen = '';

  private constructor(
    private readonly path: string,
    private readonly poolName: string,
    private readonly namespace: string,
    private readonly logger: Logger,
  ) {
    this.seen = this.fileVersion();
    this.snapshot = loadPool(path, poolName, namespace);
  }

  private fileVersion(): string {
    try {
      const st = statSync(this.path);
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return 'missing';
    }
  }

  /** Throws PoolFileError when the file cannot be used at start (the gateway refuses to start). */
  static open(path: string, poolName: string, namespace: string, logger: Logger): PoolSource {
    const s = new PoolSource(path, poolName, namespace, logger);
    s.logger.info({ endpoints: s.addresses(), failureMode: s.failureMode() }, 'pool loaded');
    return s;
  }

  addresses(): string[] {
    return this.snapshot.endpoints.map((e) => e.address);
  }

  endpoints(): readonly EndpointInfo[] {
    return this.snapshot.endpoints;
  }

  failureMode(): FailureMode {
    return this.snapshot.pool?.failureMode ?? 'FailClose';
  }

  /** Polls the file (stat every 250 ms); fs.watch misses editors that replace the file. */
  watch(): void {
    if (this.timer) return;
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      stat(this.path)
        .then((st) => {
          if (`${st.mtimeMs}:${st.size}` !== this.seen) this.reload();
        })
        .catch(() => undefined) // a missing file is reported by reload() when it changes back
        .finally(() => {
          busy = false;
        });
    }, 250);
    this.timer.unref();
  }

  reload(): void {
    this.seen = this.fileVersion();
    try {
      const next = loadPool(this.path, this.poolName, this.namespace);
      this.snapshot = next;
      this.logger.info({ endpoints: this.addresses() }, 'pool reloaded');
    } catch (e) {
      this.logger.error(
        { err: (e as Error).message },
        'resources file rejected; keeping the last good endpoints',
      );
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
