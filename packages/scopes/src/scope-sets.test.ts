// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { satisfiesScope } from './satisfaction.js';
import { sortAndNormalize } from './scope-order.js';
import { mergeScopeSets, scopeIntersection, scopeUnion } from './scope-sets.js';
import { probeScopes, satisfactionDifference, scopeSet } from './testing/arbitraries.js';

test('mergeScopeSets merges sorted normalized sets, dropping what star scopes cover', () => {
  const cases: [a: string[], b: string[], expected: string[]][] = [
    [[], [], []],
    [['a'], [], ['a']],
    [[], ['a'], ['a']],
    [['a'], ['a'], ['a']],
    [['a', 'c'], ['b'], ['a', 'b', 'c']],
    [['a*'], ['a', 'ab', 'b'], ['a*', 'b']],
    [['a', 'ab', 'b'], ['a*'], ['a*', 'b']],
    [['*'], ['a', 'b*'], ['*']],
    [['ab*', 'c'], ['a*'], ['a*', 'c']],
    [
      ['a', 'b*'],
      ['b', 'bc', 'c*'],
      ['a', 'b*', 'c*'],
    ],
    [['a*'], ['a*'], ['a*']],
    [['a*'], ['a**'], ['a*']],
  ];
  for (const [a, b, expected] of cases) {
    assert.deepEqual(mergeScopeSets(a, b), expected, `${JSON.stringify(a)} + ${JSON.stringify(b)}`);
  }
});

test('mergeScopeSets returns a new array and leaves its inputs alone', () => {
  const a = Object.freeze(['a']);
  const merged = mergeScopeSets(a, []);
  assert.notEqual(merged, a);
  merged.push('x');
  assert.deepEqual(a, ['a']);
});

test('scopeUnion accepts unsorted sets and returns them merged', () => {
  const a = Object.freeze(['b', 'a', 'ab']);
  const b = Object.freeze(['a*', 'c']);
  assert.deepEqual(scopeUnion(a, b), ['a*', 'b', 'c']);
  assert.deepEqual(scopeUnion(['x'], []), ['x']);
  assert.deepEqual(a, ['b', 'a', 'ab']);
});

test('scopeIntersection keeps what both sets grant', () => {
  const cases: [a: string[], b: string[], expected: string[]][] = [
    [[], ['a'], []],
    [['a'], ['a'], ['a']],
    [['a'], ['b'], []],
    [['a*'], ['ab', 'ac', 'b'], ['ab', 'ac']],
    [['ab', 'ac', 'b'], ['a*'], ['ab', 'ac']],
    [['a*'], ['ab*'], ['ab*']],
    [['*'], ['x', 'y*'], ['x', 'y*']],
    [['a*', 'b'], ['a*', 'c'], ['a*']],
  ];
  for (const [a, b, expected] of cases) {
    assert.deepEqual(
      scopeIntersection(a, b),
      expected,
      `${JSON.stringify(a)} & ${JSON.stringify(b)}`,
    );
  }
});

test('property: mergeScopeSets(a, b) satisfies exactly what a ∪ b satisfies', () => {
  fc.assert(
    fc.property(scopeSet, scopeSet, (rawA, rawB) => {
      const a = sortAndNormalize(rawA);
      const b = sortAndNormalize(rawB);
      const merged = mergeScopeSets(a, b);
      assert.deepEqual(merged, sortAndNormalize([...a, ...b]));
      assert.equal(satisfactionDifference(merged, [...rawA, ...rawB]), undefined);
      assert.deepEqual(mergeScopeSets(b, a), merged);
      assert.deepEqual(scopeUnion(rawA, rawB), merged);
    }),
    { numRuns: 2000 },
  );
});

test('property: scopeIntersection satisfies what both sets satisfy (no ** scopes)', () => {
  const withoutDoubleStars = scopeSet.map((scopes) => scopes.filter((s) => !s.endsWith('**')));
  fc.assert(
    fc.property(withoutDoubleStars, withoutDoubleStars, (a, b) => {
      const intersection = scopeIntersection(a, b);
      for (const probe of probeScopes(a, b)) {
        assert.equal(
          satisfiesScope(intersection, probe),
          satisfiesScope(a, probe) && satisfiesScope(b, probe),
          probe,
        );
      }
    }),
    { numRuns: 1000 },
  );
});
