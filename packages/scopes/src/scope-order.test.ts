// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { patternMatch } from './satisfaction.js';
import { normalizeScopeSet, scopeCompare, sortAndNormalize } from './scope-order.js';
import { satisfactionDifference, scope, scopeSet } from './testing/arbitraries.js';

test('scopeCompare sorts the reference example', () => {
  const sorted = ['*', '', 'a*', 'a', 'a(', 'aa', 'b'];
  for (let i = 0; i < 20; i++) {
    const shuffled = [...sorted].sort(() => Math.random() - 0.5);
    assert.deepEqual(shuffled.sort(scopeCompare), sorted);
  }
});

test('scopeCompare puts P* immediately before P and everything starting with P', () => {
  const cases: [a: string, b: string, expected: -1 | 0 | 1][] = [
    ['a', 'a', 0],
    ['a*', 'a*', 0],
    ['a*', 'a', -1],
    ['a', 'a*', 1],
    ['a*', 'a(', -1],
    ['a*', 'a!', -1], // '!' sorts below '*' as a character, but not as a trailing star
    ['a', 'a!', -1],
    ['a*', 'aa*', -1],
    ['ab*', 'a', 1],
    ['*', '', -1],
    ['', 'a', -1],
    ['a*', 'b', -1],
    ['b', 'a*', 1],
    // With two stars the first is an ordinary character.
    ['a*', 'a**', -1],
    ['a**', 'a*', 1],
    ['a**', 'a*b', -1],
    ['a*b', 'a**', 1],
  ];
  for (const [a, b, expected] of cases) assert.equal(scopeCompare(a, b), expected, `${a} vs ${b}`);
});

test('scopeCompare is a total order, and a star scope sorts before what it strictly satisfies', () => {
  fc.assert(
    fc.property(scope, scope, scope, (a, b, c) => {
      assert.ok(Math.sign(scopeCompare(a, b)) === -Math.sign(scopeCompare(b, a)));
      assert.equal(scopeCompare(a, b) === 0, a === b);
      if (scopeCompare(a, b) <= 0 && scopeCompare(b, c) <= 0) assert.ok(scopeCompare(a, c) <= 0);
      // (Scopes ending in ** can satisfy each other, like `*` and `**`; then either may come first.)
      if (patternMatch(a, b) && !patternMatch(b, a)) assert.equal(scopeCompare(a, b), -1);
    }),
    { numRuns: 3000 },
  );
});

test('normalizeScopeSet drops duplicates and scopes satisfied by a star scope', () => {
  const cases: [input: string[], expected: string[]][] = [
    [[], []],
    [['*'], ['*']],
    [['*', 'test'], ['*']],
    [['*', 'test', 'te*'], ['*']],
    [['test*', 't*'], ['t*']],
    [
      ['test*', 'ab*'],
      ['ab*', 'test*'],
    ],
    [
      ['abc', 'ab*', 'a', 'ab'],
      ['a', 'ab*'],
    ],
    [
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ],
    [
      ['ab', 'a', 'abc*'],
      ['a', 'ab', 'abc*'],
    ],
    [['a*', 'ab', 'a', 'abc*'], ['a*']],
    [['a', 'a', 'a'], ['a']],
    [['a*', 'a**'], ['a*']],
    [
      ['a**', 'a*b', 'a'],
      ['a', 'a**'],
    ],
    [['', '*'], ['*']],
    [
      ['', 'a'],
      ['', 'a'],
    ],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(sortAndNormalize(input), expected, JSON.stringify(input));
    assert.deepEqual(normalizeScopeSet([...input].sort(scopeCompare)), expected);
  }
});

test('sortAndNormalize does not modify its input', () => {
  const input = Object.freeze(['b', 'a*', 'ab']);
  assert.deepEqual(sortAndNormalize(input), ['a*', 'b']);
  assert.deepEqual(input, ['b', 'a*', 'ab']);
});

test('property: normalized sets are sorted, have no scope satisfying another, and satisfy the same scopes', () => {
  fc.assert(
    fc.property(scopeSet, (scopes) => {
      const normalized = sortAndNormalize(scopes);
      assert.deepEqual(normalized, [...normalized].sort(scopeCompare));
      for (const a of normalized) {
        for (const b of normalized) {
          if (a !== b)
            assert.ok(!patternMatch(a, b), `${a} satisfies ${b} in ${JSON.stringify(normalized)}`);
        }
      }
      assert.equal(satisfactionDifference(scopes, normalized), undefined);
      // Normalizing is idempotent.
      assert.deepEqual(normalizeScopeSet(normalized), normalized);
    }),
    { numRuns: 2000 },
  );
});
