// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseTrustLevels, trustLevelOf } from '../domain/trust-levels.js';

test('builder trust levels: the first matching entry wins, and an unmatched queue is level 1', () => {
  const rules = parseTrustLevels(' proj-release/signed=3, proj-release/*=2 ,proj-*=1,');
  assert.deepEqual(rules, [
    { pattern: 'proj-release/signed', level: 3 },
    { pattern: 'proj-release/*', level: 2 },
    { pattern: 'proj-*', level: 1 },
  ]);
  assert.equal(trustLevelOf(rules, 'proj-release/signed'), 3);
  assert.equal(trustLevelOf(rules, 'proj-release/other'), 2);
  assert.equal(trustLevelOf(rules, 'proj-release/signedx'), 2, 'an exact entry is not a prefix');
  assert.equal(trustLevelOf(rules, 'elsewhere/any'), 1);
  assert.equal(trustLevelOf([], 'proj-release/signed'), 1);
  assert.deepEqual(parseTrustLevels(''), []);
});

test('builder trust levels: malformed entries are refused with the entry named', () => {
  for (const bad of [
    'proj/*=4',
    'proj/*=0',
    'proj/*',
    '=3',
    'proj/a b=3',
    'proj/*=high',
    'a/b/c=2',
  ]) {
    assert.throws(() => parseTrustLevels(bad), /builder trust levels: ".*" is not/, bad);
  }
});
