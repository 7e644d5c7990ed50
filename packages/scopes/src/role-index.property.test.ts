// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { expandScopesNaive } from './naive-expansion.js';
import type { Role } from './role-errors.js';
import { RoleIndex } from './role-index.js';
import { sortAndNormalize } from './scope-order.js';
import { satisfiesScope } from './satisfaction.js';
import { expansionScenario, layeredScenario } from './testing/arbitraries.js';

interface Tally {
  runs: number;
  valid: number;
  grew: number;
}

/**
 * RoleIndex.expand must equal the fixed-point expansion exactly. Invalid role sets must
 * be refused by both, with the same error class.
 */
function checkAgainstNaive(tally: Tally, roles: Role[], input: string[]): void {
  tally.runs++;
  let expected: string[];
  try {
    expected = expandScopesNaive(roles, input);
  } catch (naiveError) {
    assert.throws(
      () => RoleIndex.build(roles),
      (error: unknown) =>
        error instanceof Error && error.constructor === (naiveError as Error).constructor,
    );
    return;
  }
  tally.valid++;
  const cached = RoleIndex.build(roles);
  const actual = RoleIndex.build(roles, { cacheEntries: 0 }).expand(input);
  assert.deepEqual(actual, expected);
  assert.deepEqual(cached.expand(input), expected);
  assert.deepEqual(cached.expand(input), expected);
  for (const scope of input) assert.ok(satisfiesScope(actual, scope));
  if (actual.length > sortAndNormalize(input).length) tally.grew++;
}

test('property: RoleIndex.expand equals the naive expansion on random role sets', () => {
  const tally: Tally = { runs: 0, valid: 0, grew: 0 };
  fc.assert(
    fc.property(expansionScenario, ([roles, input]) => checkAgainstNaive(tally, roles, input)),
    { numRuns: 12_000 },
  );
  // The generator must keep producing valid role sets where roles actually expand.
  assert.ok(tally.valid > tally.runs * 0.3, JSON.stringify(tally));
  assert.ok(tally.grew > tally.runs * 0.1, JSON.stringify(tally));
});

test('property: RoleIndex.expand equals the naive expansion on layered, parameterized role sets', () => {
  const tally: Tally = { runs: 0, valid: 0, grew: 0 };
  fc.assert(
    fc.property(layeredScenario, ([roles, input]) => checkAgainstNaive(tally, roles, input)),
    { numRuns: 8000 },
  );
  assert.ok(tally.valid > tally.runs * 0.3, JSON.stringify(tally));
  assert.ok(tally.grew > tally.runs * 0.2, JSON.stringify(tally));
});
