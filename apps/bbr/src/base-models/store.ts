// LoRA adapter -> base model mapping built from labelled ConfigMaps (`data.baseModel`, `data.adapters` as a YAML
// list). Fed by ConfigMap add/update/remove events: from a YAML file in standalone mode (configmap-file.ts), from
// the Kubernetes informers of @igw/k8s-sync in a cluster. Several ConfigMaps may name the same base model (large
// adapter lists are split); a ConfigMap that is deleted or loses its label is dropped; an invalid one is reported
// and its last good state kept (as an upstream reconcile error would).
import type { ConfigMapObject } from '@igw/k8s-sync';
import { parse as parseYaml } from 'yaml';

/** Either label marks a ConfigMap for the BBR (IPP HEAD; GAIE v1.3-v1.5). */
export const BBR_MANAGED_LABELS = [
  'inference.llm-d.ai/ipp-managed',
  'inference.networking.k8s.io/bbr-managed',
] as const;

export interface BaseModelLookup {
  /** The adapter's base model, the model itself when it is a base model, else ''. Names are trimmed. */
  baseModelOf(model: string): string;
}

export interface ConfigMapIssue {
  namespace: string;
  name: string;
  message: string;
}

/** What a ConfigMap source writes into. */
export interface ConfigMapSink {
  /** Add or update; a ConfigMap without a BBR label is removed. Returns an issue when the data is invalid. */
  upsertConfigMap(cm: ConfigMapObject): ConfigMapIssue | undefined;
  removeConfigMap(namespace: string, name: string): void;
  /** Make the set equal to `cms` (a full list, e.g. a re-read file). */
  replaceAll(cms: readonly ConfigMapObject[]): ConfigMapIssue[];
}

interface Entry {
  baseModel: string;
  adapters: string[];
  seq: number;
}

export function isBbrManaged(cm: ConfigMapObject): boolean {
  const labels = cm.metadata.labels ?? {};
  return BBR_MANAGED_LABELS.some((l) => labels[l] === 'true');
}

export function parseBaseModelConfigMap(
  cm: ConfigMapObject,
): { baseModel: string; adapters: string[] } | string {
  const data = cm.data ?? {};
  const baseModel = (data.baseModel ?? '').trim();
  if (baseModel === '') return 'missing or empty baseModel in configmap';
  const raw = data.adapters;
  const adapters: string[] = [];
  if (raw !== undefined && raw.trim() !== '') {
    let list: unknown;
    try {
      list = parseYaml(raw);
    } catch (err) {
      return `failed to parse adapters: ${(err as Error).message}`;
    }
    if (!Array.isArray(list)) return 'failed to parse adapters: expected a YAML list of strings';
    for (const a of list) {
      if (typeof a !== 'string') return `failed to parse adapters: ${JSON.stringify(a)} is not a string`;
      const t = a.trim();
      if (t !== '') adapters.push(t);
    }
  }
  return { baseModel, adapters };
}

export class BaseModelStore implements BaseModelLookup, ConfigMapSink {
  private readonly entries = new Map<string, Entry>();
  private adapterToBase = new Map<string, string>();
  private baseModels = new Set<string>();
  private seq = 0;

  baseModelOf(model: string): string {
    const t = model.trim();
    const base = this.adapterToBase.get(t);
    if (base !== undefined) return base;
    return this.baseModels.has(t) ? t : '';
  }

  upsertConfigMap(cm: ConfigMapObject): ConfigMapIssue | undefined {
    const namespace = cm.metadata.namespace ?? '';
    const name = cm.metadata.name;
    if (!isBbrManaged(cm)) {
      this.removeConfigMap(namespace, name);
      return undefined;
    }
    const parsed = parseBaseModelConfigMap(cm);
    if (typeof parsed === 'string') return { namespace, name, message: parsed };
    const key = `${namespace}/${name}`;
    const prev = this.entries.get(key);
    this.entries.set(key, { ...parsed, seq: prev?.seq ?? ++this.seq });
    this.rebuild();
    return undefined;
  }

  removeConfigMap(namespace: string, name: string): void {
    if (this.entries.delete(`${namespace}/${name}`)) this.rebuild();
  }

  replaceAll(cms: readonly ConfigMapObject[]): ConfigMapIssue[] {
    const keep = new Set(cms.map((c) => `${c.metadata.namespace ?? ''}/${c.metadata.name}`));
    for (const k of [...this.entries.keys()]) if (!keep.has(k)) this.entries.delete(k);
    const issues: ConfigMapIssue[] = [];
    for (const cm of cms) {
      const issue = this.upsertConfigMap(cm);
      if (issue) issues.push(issue);
    }
    this.rebuild();
    return issues;
  }

  /** Snapshot for logs and tests. */
  stats(): { configMaps: number; baseModels: number; adapters: number } {
    return {
      configMaps: this.entries.size,
      baseModels: this.baseModels.size,
      adapters: this.adapterToBase.size,
    };
  }

  // A few ConfigMaps with at most thousands of adapters: rebuilding on each change keeps the rules obvious
  // (an adapter listed twice maps to the most recently added ConfigMap's base, and falls back when it goes).
  private rebuild(): void {
    const adapterToBase = new Map<string, string>();
    const baseModels = new Set<string>();
    const ordered = [...this.entries.values()].sort((a, b) => a.seq - b.seq);
    for (const e of ordered) {
      baseModels.add(e.baseModel);
      for (const a of e.adapters) adapterToBase.set(a, e.baseModel);
    }
    this.adapterToBase = adapterToBase;
    this.baseModels = baseModels;
  }
}
