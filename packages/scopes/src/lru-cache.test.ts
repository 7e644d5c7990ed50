// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LruCache } from './lru-cache.js';

test('LruCache forgets the least recently used entry when full', () => {
  const cache = new LruCache<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // a is now more recent than b
  cache.set('c', 3);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  cache.set('a', 10); // replacing refreshes too
  cache.set('d', 4);
  assert.equal(cache.get('c'), undefined);
  assert.equal(cache.get('a'), 10);
});

test('LruCache with no room stores nothing, and refuses nonsense sizes', () => {
  const cache = new LruCache<string, number>(0);
  cache.set('a', 1);
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.size, 0);
  assert.throws(() => new LruCache(-1), RangeError);
  assert.throws(() => new LruCache(1.5), RangeError);
});
