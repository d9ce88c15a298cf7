// Standalone source of base-model ConfigMaps: a multi-document YAML file (ConfigMaps or v1 Lists of them, as
// `kubectl get cm -o yaml` prints), re-read when it changes. A bad edit (YAML syntax, unreadable file) is logged and
// the last good state kept; an individual invalid ConfigMap is reported and skipped.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { type ConfigMapObject, configMapSchema } from '@igw/k8s-sync';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import type { ConfigMapSink } from './store.js';

export class ConfigMapFileError extends Error {
  override name = 'ConfigMapFileError';
}

export interface LoadedConfigMaps {
  configMaps: ConfigMapObject[];
  /** Documents that are not valid ConfigMaps (skipped). */
  problems: string[];
}

/** Parse the file's text. Throws ConfigMapFileError on YAML syntax errors. */
export function parseConfigMapsYaml(text: string, source: string, namespace?: string): LoadedConfigMaps {
  const docs = parseAllDocuments(text);
  const configMaps: ConfigMapObject[] = [];
  const problems: string[] = [];
  const items: Array<{ where: string; obj: unknown }> = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new ConfigMapFileError(
        `${source}: document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`,
      );
    }
    const obj = doc.toJS() as unknown;
    if (obj === null || obj === undefined) return;
    const o = obj as { kind?: unknown; items?: unknown };
    if (
      typeof o === 'object' &&
      (o.kind === 'List' || o.kind === 'ConfigMapList') &&
      Array.isArray(o.items)
    ) {
      o.items.forEach((it, j) => {
        items.push({
          where: `document ${i + 1} item ${j + 1}`,
          obj: { apiVersion: 'v1', kind: 'ConfigMap', ...(it as object) },
        });
      });
    } else {
      items.push({ where: `document ${i + 1}`, obj });
    }
  });
  for (const { where, obj } of items) {
    const r = configMapSchema.safeParse(obj);
    if (!r.success) {
      problems.push(
        `${source}: ${where}: not a valid ConfigMap: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
      continue;
    }
    const cm = {
      ...r.data,
      metadata: { ...r.data.metadata, namespace: r.data.metadata.namespace ?? 'default' },
    };
    if (namespace !== undefined && cm.metadata.namespace !== namespace) continue;
    configMaps.push(cm);
  }
  return { configMaps, problems };
}

export interface ConfigMapFileSourceOptions {
  path: string;
  sink: ConfigMapSink;
  logger: Logger;
  /** Only ConfigMaps in this namespace (upstream: the NAMESPACE env var scopes the cache). */
  namespace?: string | undefined;
  pollMs?: number;
}

export class ConfigMapFileSource {
  private watching = false;
  private lastText: string | undefined;

  constructor(private readonly o: ConfigMapFileSourceOptions) {}

  /** First load: errors are fatal (the process should not start with a broken file). */
  start(): void {
    this.load(true);
    watchFile(this.o.path, { interval: this.o.pollMs ?? 1000, persistent: false }, () => this.reload());
    this.watching = true;
  }

  /** Re-read now; errors are logged and the last good state kept. Returns false on error. */
  reload(): boolean {
    try {
      this.load(false);
      return true;
    } catch (err) {
      this.o.logger.error(
        { err: (err as Error).message, path: this.o.path },
        'base-model ConfigMap file rejected; keeping the last good state',
      );
      return false;
    }
  }

  stop(): void {
    if (this.watching) unwatchFile(this.o.path);
    this.watching = false;
  }

  private load(initial: boolean): void {
    let text: string;
    try {
      text = readFileSync(this.o.path, 'utf8');
    } catch (err) {
      throw new ConfigMapFileError(`cannot read ${this.o.path}: ${(err as Error).message}`);
    }
    if (!initial && text === this.lastText) return;
    const { configMaps, problems } = parseConfigMapsYaml(text, this.o.path, this.o.namespace);
    for (const p of problems) this.o.logger.warn({ path: this.o.path }, p);
    const issues = this.o.sink.replaceAll(configMaps);
    for (const i of issues) {
      this.o.logger.warn(
        { namespace: i.namespace, name: i.name },
        `ConfigMap ${i.namespace}/${i.name}: ${i.message}; keeping its last good state`,
      );
    }
    this.lastText = text;
    this.o.logger.info({ path: this.o.path, configMaps: configMaps.length }, 'base-model ConfigMaps loaded');
  }
}
