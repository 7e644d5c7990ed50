import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MemoryReplayGuard } from './replay-guard.js';

test('a triple is accepted once; any other triple is new', () => {
  const guard = new MemoryReplayGuard(900);
  const ts = 1_800_000_000;
  assert.equal(guard.firstUse('alice', ts, 'n1'), true);
  assert.equal(guard.firstUse('alice', ts, 'n1'), false);
  assert.equal(guard.firstUse('alice', ts, 'n1'), false);
  assert.equal(guard.firstUse('bob', ts, 'n1'), true);
  assert.equal(guard.firstUse('alice', ts + 1, 'n1'), true);
  assert.equal(guard.firstUse('alice', ts, 'n2'), true);
  assert.equal(guard.size, 4);
});

test('client ids and nonces cannot be shifted into one another', () => {
  const guard = new MemoryReplayGuard(900);
  const ts = 1_800_000_000;
  assert.equal(guard.firstUse('a:b', ts, 'c'), true);
  assert.equal(guard.firstUse('a', ts, 'b:c'), true);
  assert.equal(guard.firstUse('3:a', ts, 'b'), true);
  assert.equal(guard.firstUse('', ts, '1:a:b'), true);
  assert.equal(guard.firstUse('1:a', ts, 'b'), true);
  assert.equal(guard.size, 5);
  assert.equal(guard.firstUse('a:b', ts, 'c'), false);
});

test('pruning forgets whole buckets before the oldest valid timestamp only', async () => {
  const guard = new MemoryReplayGuard(60);
  const base = 60 * 30_000_000;
  for (let s = 0; s < 180; s += 7) assert.equal(guard.firstUse('c', base + s, `n${s}`), true);
  await guard.prune(base + 60);
  // The first bucket (base .. base+59) is gone; the others still remember their triples.
  assert.equal(guard.firstUse('c', base + 63, 'n63'), false);
  assert.equal(guard.firstUse('c', base + 175, 'n175'), false);
  assert.equal(guard.size, [...Array(26).keys()].map((i) => i * 7).filter((s) => s >= 60).length);
  // A bucket that still holds a valid timestamp is kept whole.
  await guard.prune(base + 61);
  assert.equal(guard.firstUse('c', base + 63, 'n63'), false);
});
