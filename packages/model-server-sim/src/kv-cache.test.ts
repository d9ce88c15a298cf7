import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BlockCache } from './kv-cache.js';
import { textBlockHashes } from './tokens.js';

describe('BlockCache', () => {
  test('a published prefix is found again, and only as a leading run', () => {
    const c = new BlockCache(100);
    const a = textBlockHashes('m', 'x'.repeat(64 * 4), 16);
    assert.equal(a.length, 4);
    assert.equal(c.matchPrefix(a), 0);
    assert.ok(c.allocate(4));
    for (const h of a) c.publish(h);
    assert.equal(c.used, 4);
    const b = textBlockHashes('m', `${'x'.repeat(64 * 2)}${'y'.repeat(64 * 2)}`, 16);
    assert.equal(c.matchPrefix(b), 2, 'shares the first two blocks only');
    assert.equal(
      c.matchPrefix(textBlockHashes('other-model', 'x'.repeat(64 * 4), 16)),
      0,
      'model is in the key',
    );
  });

  test('shared blocks count once; released blocks stay cached but unused', () => {
    const c = new BlockCache(10);
    const h = textBlockHashes('m', 'p'.repeat(64 * 3), 16);
    c.allocate(3);
    for (const x of h) c.publish(x);
    c.acquirePrefix(h, 3); // a second sequence shares all three
    assert.equal(c.used, 3);
    c.release(h, 3, 0);
    assert.equal(c.used, 3, 'still held by the first');
    c.release(h, 3, 0);
    assert.equal(c.used, 0);
    assert.equal(c.stats().evictable, 3);
    assert.equal(c.matchPrefix(h), 3, 'unused blocks remain hits');
    assert.equal(c.countIdle(h, 3), 3);
  });

  test('allocation evicts unused blocks LRU, the tail of a chain first', () => {
    const c = new BlockCache(6);
    const old = textBlockHashes('m', 'a'.repeat(64 * 3), 16);
    const young = textBlockHashes('m', 'b'.repeat(64 * 3), 16);
    c.allocate(3);
    for (const x of old) c.publish(x);
    c.release(old, 3, 0);
    c.allocate(3);
    for (const x of young) c.publish(x);
    c.release(young, 3, 0);
    assert.ok(c.allocate(2));
    assert.equal(c.evictions, 2);
    assert.equal(c.matchPrefix(old), 1, 'the old chain lost its last two blocks');
    assert.equal(c.matchPrefix(young), 3, 'the younger chain is intact');
    assert.equal(c.allocatable, 4);
    assert.equal(c.allocate(5), false, 'never more than capacity minus used');
    assert.equal(c.used, 2);
  });

  test('publishing a block someone else computed meanwhile shares it', () => {
    const c = new BlockCache(4);
    const h = textBlockHashes('m', 'z'.repeat(64), 16);
    c.allocate(2);
    c.publish(h[0]!);
    c.publish(h[0]!);
    assert.equal(c.used, 1, 'the duplicate block was given back');
  });
});
