import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { defaultEndpointPickerConfig, parseEndpointPickerConfig, SUPPORTED_PLUGIN_TYPES } from './parse.js';

const HEAD = 'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n';
const parse = (body: string, env: Record<string, string> = {}) =>
  parseEndpointPickerConfig(HEAD + body, { env });

function configError(body: string, ...fragments: string[]): ConfigError {
  let caught: unknown;
  try {
    parse(body);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  for (const f of fragments)
    assert.ok(caught.message.includes(f), `'${caught.message}' should mention '${f}'`);
  return caught;
}

describe('defaults', () => {
  test('no config: queue 2, kv 2, prefix 3, max-score picker, v1.0 detector, data layer defaults', () => {
    const cfg = defaultEndpointPickerConfig({ env: {} });
    assert.equal(cfg.profile.kind, 'plugins');
    if (cfg.profile.kind !== 'plugins') return;
    assert.deepEqual(
      cfg.profile.scorers.map((s) => [s.type, s.weight]),
      [
        ['queue-scorer', 2],
        ['kv-cache-utilization-scorer', 2],
        ['prefix-cache-scorer', 3],
      ],
    );
    assert.deepEqual(cfg.profile.picker, {
      name: 'max-score-picker',
      type: 'max-score-picker',
      maxNumOfEndpoints: 1,
    });
    assert.deepEqual(cfg.prefixCache, {
      blockSizeBytes: 64,
      maxPrefixBlocksToMatch: 256,
      lruCapacityPerServer: 31250,
      scheme: 'v1.0',
    });
    assert.deepEqual(cfg.saturationDetector, {
      kind: 'v1.0',
      queueDepthThreshold: 5,
      kvCacheUtilThreshold: 0.8,
      metricsStalenessThresholdMs: 200,
      headroom: 0,
    });
    assert.deepEqual(cfg.dataLayer.metricsDataSource, {
      scheme: 'http',
      path: '/metrics',
      insecureSkipVerify: true,
    });
    assert.deepEqual(parseEndpointPickerConfig('  \n', { env: {} }), cfg);
  });

  test('no profiles: a default profile with every scorer and picker; scorer weight 1', () => {
    const cfg = parse(
      'plugins:\n- type: queue-scorer\n- type: lora-affinity-scorer\n- type: random-picker\n',
    );
    assert.ok(cfg.profile.kind === 'plugins');
    if (cfg.profile.kind !== 'plugins') return;
    assert.equal(cfg.profile.name, 'default');
    assert.deepEqual(
      cfg.profile.scorers.map((s) => [s.name, s.weight]),
      [
        ['queue-scorer', 1],
        ['lora-affinity-scorer', 1],
      ],
    );
    assert.equal(cfg.profile.picker.type, 'random-picker');
    assert.equal(cfg.prefixCache, null);
  });

  test('no profiles: a declared utilization-detector also filters (it is a filter upstream)', () => {
    const cfg = parse('plugins:\n- type: queue-scorer\n- type: utilization-detector\n');
    assert.ok(cfg.profile.kind === 'plugins' && cfg.profile.utilizationFilter);
    assert.equal(cfg.saturationDetector.kind, 'utilization');
  });

  test('the upstream conformance config: header-based-testing-filter, picker added', () => {
    const cfg = parse(
      'plugins:\n- type: header-based-testing-filter\nschedulingProfiles:\n- name: conformance-profile\n  plugins:\n  - pluginRef: header-based-testing-filter\n',
    );
    assert.ok(cfg.profile.kind === 'plugins');
    if (cfg.profile.kind !== 'plugins') return;
    assert.equal(cfg.profile.headerFilter, true);
    assert.equal(cfg.profile.name, 'conformance-profile');
    assert.deepEqual(cfg.profile.scorers, []);
    assert.equal(cfg.profile.picker.type, 'max-score-picker');
  });

  test('profile without picker: the first declared picker, else a new max-score-picker', () => {
    const a = parse(
      'plugins:\n- {name: p, type: weighted-random-picker, parameters: {maxNumOfEndpoints: 3}}\n- type: queue-scorer\n' +
        'schedulingProfiles:\n- name: x\n  plugins: [{pluginRef: queue-scorer, weight: 5}]\n',
    );
    assert.ok(
      a.profile.kind === 'plugins' &&
        a.profile.picker.name === 'p' &&
        a.profile.picker.maxNumOfEndpoints === 3,
    );
    const b = parse(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: x\n  plugins: [{pluginRef: queue-scorer}]\n',
    );
    assert.ok(b.profile.kind === 'plugins' && b.profile.picker.type === 'max-score-picker');
  });

  test('upstream example (prefix params, weight 50) and the llm-d apiVersion', () => {
    const cfg = parseEndpointPickerConfig(
      'apiVersion: llm-d.ai/v1alpha1\nkind: EndpointPickerConfig\nplugins:\n- type: prefix-cache-scorer\n' +
        '  parameters: {hashBlockSize: 32, maxPrefixBlocksToMatch: 128, lruCapacityPerServer: 0}\n' +
        'schedulingProfiles:\n- name: default\n  plugins: [{pluginRef: prefix-cache-scorer, weight: 50}]\n',
      { env: {} },
    );
    assert.deepEqual(cfg.prefixCache, {
      blockSizeBytes: 32,
      maxPrefixBlocksToMatch: 128,
      lruCapacityPerServer: 31250, // <= 0 -> default
      scheme: 'v1.0',
    });
  });

  test('blockSizeTokens selects the token-approximate scheme', () => {
    const cfg = parse(
      'plugins:\n- type: prefix-cache-scorer\n  parameters: {blockSizeTokens: 16, maxPrefixTokensToMatch: 1024}\n',
    );
    assert.deepEqual(cfg.prefixCache, {
      blockSizeBytes: 64,
      maxPrefixBlocksToMatch: 64,
      lruCapacityPerServer: 31250,
      scheme: 'token-approximate',
    });
  });

  test('data layer: metrics-data-source and core-metrics-extractor are returned for the scraper', () => {
    const cfg = parse(
      `plugins:
- type: queue-scorer
- type: metrics-data-source
  parameters: {scheme: https, path: /stats, insecureSkipVerify: false}
- type: core-metrics-extractor
  parameters:
    defaultEngine: sglang
    engineConfigs:
    - {name: sglang, queuedRequestsSpec: 'sglang:num_queue_reqs', kvUsageSpec: 'sglang:token_usage'}
dataLayer:
  sources:
  - pluginRef: metrics-data-source
    extractors: [{pluginRef: core-metrics-extractor}]
`,
    );
    assert.deepEqual(cfg.dataLayer, {
      metricsDataSource: { scheme: 'https', path: '/stats', insecureSkipVerify: false },
      coreMetricsExtractor: {
        defaultEngine: 'sglang',
        engineConfigs: [
          { name: 'sglang', queuedRequestsSpec: 'sglang:num_queue_reqs', kvUsageSpec: 'sglang:token_usage' },
        ],
      },
    });
  });

  test('featureGates and dataLayer.injectDefaults are accepted and returned', () => {
    const cfg = parse(
      'featureGates: [dataLayer]\nplugins:\n- type: queue-scorer\ndataLayer: {injectDefaults: false}\n',
    );
    assert.deepEqual(cfg.featureGates, ['dataLayer']);
    assert.equal(cfg.dataLayer.injectDefaults, false);
    assert.deepEqual(parse('plugins: []\n').featureGates, []);
  });

  test('saturation detectors: v1 and utilization selectable; SD_* env knobs with upstream fallbacks', () => {
    const env = {
      SD_QUEUE_DEPTH_THRESHOLD: '9',
      SD_KV_CACHE_UTIL_THRESHOLD: '1.5',
      SD_METRICS_STALENESS_THRESHOLD: '1s',
    };
    const a = parse('plugins:\n- type: queue-scorer\n', env).saturationDetector;
    assert.deepEqual(a, {
      kind: 'v1.0',
      queueDepthThreshold: 9,
      kvCacheUtilThreshold: 0.8, // >= 1 -> default
      metricsStalenessThresholdMs: 1000,
      headroom: 0,
    });
    const b = parse(
      'plugins:\n- type: queue-scorer\n- {name: u, type: utilization-detector, parameters: {headroom: 0.2, metricsStalenessThreshold: 500ms}}\n' +
        '- {name: v, type: v1-saturation-detector}\nsaturationDetector: {pluginRef: u}\n',
    ).saturationDetector;
    assert.deepEqual(b, {
      kind: 'utilization',
      queueDepthThreshold: 5,
      kvCacheUtilThreshold: 0.8,
      metricsStalenessThresholdMs: 500,
      headroom: 0.2,
    });
  });

  test('legacy-filter-tree profile with v0.3 env knobs', () => {
    const cfg = parse('plugins:\n- type: legacy-filter-tree\n  parameters: {queueThresholdCritical: 7}\n', {
      KV_CACHE_THRESHOLD: '0.7',
    });
    assert.deepEqual(cfg.profile, {
      kind: 'legacy-v0.3',
      name: 'default',
      params: {
        kvCacheThreshold: 0.7,
        queueThresholdCritical: 7,
        queueingThresholdLoRA: 128,
        loraAffinityThreshold: 0.999,
      },
    });
  });
});

describe('validation errors name the bad field', () => {
  test('unknown plugin type lists the supported types', () => {
    const e = configError(
      'plugins:\n- type: token-load-scorer\n',
      "plugins[0].type: unknown plugin type 'token-load-scorer'",
    );
    for (const t of SUPPORTED_PLUGIN_TYPES) assert.ok(e.message.includes(t));
  });

  test('unknown fields (top level, plugin entry, parameters) are errors', () => {
    configError('plugins: []\nflowControl: {}\n', 'flowControl');
    configError('plugins:\n- type: queue-scorer\n  weight: 2\n', 'plugins[0]', 'weight');
    configError('plugins:\n- type: queue-scorer\n  parameters: {foo: 1}\n', 'plugins[0].parameters', 'foo');
    configError(
      'plugins:\n- type: prefix-cache-scorer\n  parameters: {hashBlockSize: "64"}\n',
      'plugins[0].parameters.hashBlockSize',
    );
  });

  test('header fields', () => {
    assert.throws(
      () => parseEndpointPickerConfig('apiVersion: v1\nkind: EndpointPickerConfig\n', { env: {} }),
      /apiVersion/,
    );
    assert.throws(
      () =>
        parseEndpointPickerConfig(`apiVersion: ${'inference.networking.x-k8s.io/v1alpha1'}\nkind: Pod\n`, {
          env: {},
        }),
      /kind/,
    );
  });

  test('YAML syntax errors and duplicate keys', () => {
    assert.throws(
      () => parseEndpointPickerConfig('plugins: [\n', { env: {} }),
      (e) => e instanceof ConfigError && /yaml/.test(e.message),
    );
    assert.throws(
      () => parseEndpointPickerConfig(`${HEAD}kind: EndpointPickerConfig\n`, { env: {} }),
      ConfigError,
    );
  });

  test('profile rules: names, refs, pickers, handlers, weights', () => {
    configError(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: ""\n  plugins: []\n',
      'schedulingProfiles[0].name',
    );
    configError(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- {name: a, plugins: []}\n- {name: a, plugins: []}\n',
      "duplicate profile name 'a'",
    );
    configError(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- {name: a, plugins: [{pluginRef: nope}]}\n',
      "schedulingProfiles[0].plugins[0].pluginRef: 'nope' is not defined",
    );
    configError(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- {name: a, plugins: [{pluginRef: ""}]}\n',
      'schedulingProfiles[0].plugins[0].pluginRef',
    );
    configError(
      'plugins:\n- type: max-score-picker\n- type: random-picker\nschedulingProfiles:\n- {name: a, plugins: [{pluginRef: max-score-picker}, {pluginRef: random-picker}]}\n',
      'two pickers',
    );
    configError(
      'plugins:\n- type: single-profile-handler\n- {name: h2, type: single-profile-handler}\n',
      'several profile handlers',
    );
    configError(
      'plugins:\n- type: queue-scorer\n- type: queue-scorer\n',
      "duplicate plugin name 'queue-scorer'",
    );
    configError(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- {name: a, plugins: [{pluginRef: queue-scorer, weight: -1}]}\n',
      'schedulingProfiles[0].plugins[0].weight',
    );
    configError(
      'plugins:\n- type: queue-scorer\nschedulingProfiles:\n- {name: a, plugins: []}\n- {name: b, plugins: []}\n',
      'exactly one profile',
    );
  });

  test('detector, data-layer and legacy misuse', () => {
    configError(
      'plugins:\n- type: v1-saturation-detector\n- type: utilization-detector\n',
      'saturationDetector.pluginRef',
    );
    configError(
      'plugins:\n- type: queue-scorer\nsaturationDetector: {pluginRef: queue-scorer}\n',
      'not a detector',
    );
    configError(
      'plugins:\n- type: queue-scorer\ndataLayer: {sources: [{pluginRef: queue-scorer}]}\n',
      'dataLayer.sources[0].pluginRef',
    );
    configError(
      'plugins:\n- type: metrics-data-source\n  parameters: {scheme: ftp}\n',
      'plugins[0].parameters.scheme',
    );
    configError('plugins:\n- type: legacy-filter-tree\n- type: queue-scorer\n', 'must be the profile');
    configError(
      'plugins:\n- type: prefix-cache-scorer\n  parameters: {autoTune: true}\n',
      'plugins[0].parameters.autoTune',
    );
    configError(
      'plugins:\n- type: utilization-detector\n  parameters: {metricsStalenessThreshold: soon}\n',
      'metricsStalenessThreshold',
    );
    assert.throws(
      () => parse('plugins: []\n', { SD_METRICS_STALENESS_THRESHOLD: 'soon' }),
      /SD_METRICS_STALENESS_THRESHOLD/,
    );
  });

  test('non-object documents and alias bombs are ConfigErrors', () => {
    assert.throws(
      () => parseEndpointPickerConfig('- a\n- b\n', { env: {} }),
      (e) => e instanceof ConfigError && /\(root\)/.test(e.message),
    );
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      bomb.push(
        `${cur}: &${cur} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
      );
    }
    assert.throws(() => parseEndpointPickerConfig(`${HEAD}${bomb.join('\n')}\n`, { env: {} }), ConfigError);
  });

  test('an undefined pluginRef is reported even when another plugin entry is invalid', () => {
    const e = configError(
      'plugins:\n- type: nope\n- type: queue-scorer\nschedulingProfiles:\n- {name: a, plugins: [{pluginRef: nope}, {pluginRef: missing}]}\n',
      "plugins[0].type: unknown plugin type 'nope'",
      "'missing' is not defined",
    );
    assert.equal(e.issues.length, 2);
  });

  test('several problems are reported together', () => {
    const e = configError('plugins:\n- type: nope\n- type: queue-scorer\n  parameters: {x: 1}\n');
    assert.equal(e.issues.length, 2);
  });
});
