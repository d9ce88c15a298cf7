import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeaderMapView } from '@igw/ext-proc';
import { RequestMessage } from './message.js';

const none = { get: () => ({ found: false as const }) };
const msg = () => new RequestMessage(new HeaderMapView([['x-existing', 'old']]), none);

describe('RequestMessage header mutation semantics', () => {
  test('set then remove of an absent header cancels out', () => {
    const m = msg();
    m.setHeader('X-New', 'v');
    m.removeHeader('x-new');
    assert.deepEqual([m.setHeaders(), m.removeHeaders()], [[], []]);
  });
  test('remove then set lets the new value win', () => {
    const m = msg();
    m.removeHeader('x-existing');
    m.setHeader('X-Existing', 'new');
    assert.deepEqual([m.setHeaders(), m.removeHeaders()], [[['X-Existing', 'new']], []]);
  });
  test('the last setter wins', () => {
    const m = msg();
    m.setHeader('X-A', '1');
    m.setHeader('x-a', '2');
    assert.deepEqual(m.setHeaders(), [['x-a', '2']]);
    assert.equal(m.header('X-A'), '2');
  });
  test('removing a missing header does nothing; removing an existing one is recorded', () => {
    const m = msg();
    m.removeHeader('x-missing');
    assert.deepEqual(m.removeHeaders(), []);
    m.removeHeader('X-Existing');
    assert.deepEqual(m.removeHeaders(), ['x-existing']);
    assert.equal(m.header('x-existing'), undefined);
  });
  test('setting an unchanged value is no mutation (and undoes a pending change)', () => {
    const m = msg();
    m.setHeader('x-existing', 'old');
    assert.deepEqual(m.setHeaders(), []);
    m.setHeader('x-existing', 'changed');
    m.setHeader('x-existing', 'old');
    assert.deepEqual([m.setHeaders(), m.removeHeaders()], [[], []]);
  });
  test('values are sanitised before they are compared and emitted', () => {
    const m = msg();
    m.setHeader('x-model', 'evil\r\nx-injected: 1');
    assert.deepEqual(m.setHeaders(), [['x-model', 'evilx-injected: 1']]);
  });
});
