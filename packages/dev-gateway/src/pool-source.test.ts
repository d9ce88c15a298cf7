import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { loadPool, PoolFileError, PoolSource } from './pool-source.js';
import { sleep, tempDir, writePool } from './testing/fixtures.js';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

describe('pool resources file', () => {
  test('endpoints = ready pods x target port; failure mode from endpointPickerRef', () => {
    const f = join(dir, 'a.yaml');
    writePool(f, 8000, ['10.0.0.1', '10.0.0.2'], 'FailOpen');
    const snap = loadPool(f, 'pool', 'default');
    assert.deepEqual(
      snap.endpoints.map((e) => e.address),
      ['10.0.0.1:8000', '10.0.0.2:8000'],
    );
    assert.equal(snap.pool?.failureMode, 'FailOpen');
  });

  test('bad files: missing, bad YAML, no such pool', () => {
    assert.throws(() => loadPool(join(dir, 'none.yaml'), 'pool', 'default'), PoolFileError);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: [unclosed');
    assert.throws(() => loadPool(bad, 'pool', 'default'), /YAML document 1/);
    const f = join(dir, 'b.yaml');
    writePool(f, 8000, ['10.0.0.1']);
    assert.throws(() => loadPool(f, 'other', 'default'), /no InferencePool default\/other/);
  });

  test('reloads on change and keeps the last good endpoints on a bad edit', async () => {
    const f = join(dir, 'c.yaml');
    writePool(f, 8000, ['10.0.0.1']);
    const src = PoolSource.open(f, 'pool', 'default', pino({ level: 'silent' }));
    src.watch();
    try {
      writePool(f, 8000, ['10.0.0.1', '10.0.0.5']);
      for (let i = 0; i < 100 && src.addresses().length !== 2; i++) await sleep(50);
      assert.deepEqual(src.addresses(), ['10.0.0.1:8000', '10.0.0.5:8000']);
      writeFileSync(f, ': not yaml [');
      await sleep(700);
      assert.deepEqual(src.addresses(), ['10.0.0.1:8000', '10.0.0.5:8000']);
    } finally {
      src.close();
    }
  });
});
