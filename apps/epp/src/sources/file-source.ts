// The --resources-file source: loads the file, reconciles it for the selected pool and applies the snapshot to the
// datastore; then watches the file. A later edit that does not parse, or holds a malformed object, is reported and
// rejected as a whole: the last good state stays (a typo in the pool object must not empty the pool).
import { EventEmitter } from 'node:events';
import { type FSWatcher, readFileSync, type StatWatcher, unwatchFile, watch, watchFile } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type PoolSelection, type PoolSnapshot, type ReconcileIssue, reconcile } from '@igw/k8s-sync';
import type { Logger } from 'pino';
import type { PoolDatastore } from '../datastore/datastore.js';
import { parseResources, ResourcesFileError } from './resources-file.js';

export interface FileSourceOptions {
  path: string;
  selection: PoolSelection;
  datastore: PoolDatastore;
  logger: Logger;
  /** Quiet period after a change event before re-reading (editors write in several steps). Default 100 ms. */
  debounceMs?: number;
  /** Stat polling interval, a backstop for changes inotify misses (ConfigMap symlink swaps). Default 1000 ms. */
  pollMs?: number;
}

export interface FileSourceEvents {
  applied: [snapshot: PoolSnapshot];
  rejected: [error: Error];
}

function describe(i: ReconcileIssue): string {
  return `${i.kind} ${i.namespace}/${i.name}${i.field ? ` ${i.field}` : ''}: ${i.message}`;
}

export class FileSource extends EventEmitter<FileSourceEvents> {
  private lastText: string | undefined;
  private watcher: FSWatcher | undefined;
  private polling: StatWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Number of states applied (the initial load is 1). */
  generation = 0;

  constructor(private readonly opts: FileSourceOptions) {
    super();
  }

  /** Initial load. A missing or unparseable file throws (there is no previous state to keep); bad objects are skipped. */
  start(): PoolSnapshot {
    const snap = this.load(true);
    const dir = dirname(this.opts.path);
    const name = basename(this.opts.path);
    try {
      this.watcher = watch(dir, { persistent: true }, (_event, file) => {
        if (file === null || file === name || file === '..data') this.schedule();
      });
      this.watcher.on('error', (err) =>
        this.opts.logger.warn({ err, path: this.opts.path }, 'resources file watch error'),
      );
    } catch (err) {
      this.opts.logger.warn(
        { err, path: this.opts.path },
        'cannot watch the resources file directory; polling only',
      );
    }
    this.polling = watchFile(this.opts.path, { persistent: true, interval: this.opts.pollMs ?? 1000 }, () =>
      this.schedule(),
    );
    return snap!;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    if (this.polling) unwatchFile(this.opts.path);
  }

  /** Re-reads now (also what the watcher triggers). Returns the applied snapshot, or undefined when rejected/unchanged. */
  reload(): PoolSnapshot | undefined {
    try {
      return this.load(false);
    } catch (err) {
      const error = err as Error;
      this.opts.logger.error(
        { err: error, path: this.opts.path },
        'resources file change rejected; keeping the last good state',
      );
      this.emit('rejected', error);
      return undefined;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.reload();
    }, this.opts.debounceMs ?? 100);
  }

  private load(initial: boolean): PoolSnapshot | undefined {
    const { path, selection, datastore, logger } = this.opts;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ResourcesFileError(path, `cannot read: ${(err as Error).message}`);
    }
    if (!initial && text === this.lastText) return undefined;
    const loaded = parseResources(path, text, selection.namespace);
    if (loaded.issues.length > 0) {
      const lines = loaded.issues.map(describe);
      if (!initial) {
        throw new ResourcesFileError(path, `${lines.length} malformed object(s): ${lines.join('; ')}`);
      }
      for (const line of lines) logger.error({ path }, `skipping malformed object: ${line}`);
    }
    for (const d of loaded.duplicates)
      logger.warn({ path }, `object defined twice, the later document wins: ${d}`);
    const snap = reconcile(loaded.set, selection);
    for (const i of snap.issues) {
      if (!loaded.issues.includes(i)) logger.warn({ path }, `reconcile: ${describe(i)}`);
    }
    this.lastText = text;
    const diff = datastore.apply(snap);
    this.generation++;
    logger.info(
      {
        path,
        pool: snap.pool ? `${snap.pool.namespace}/${snap.pool.name}` : null,
        endpoints: snap.endpoints.length,
        added: diff.added.length,
        removed: diff.removed.length,
        models: snap.models.size,
        objectives: snap.objectives.size,
        rewrites: snap.rewrites.length,
        ignoredObjects: loaded.ignored,
      },
      snap.pool ? 'resources file applied' : 'resources file applied, but the selected pool is not in it',
    );
    this.emit('applied', snap);
    return snap;
  }
}
