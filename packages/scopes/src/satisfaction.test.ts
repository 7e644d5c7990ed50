// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { patternMatch, satisfiesScope } from './satisfaction.js';

test('patternMatch: equality, or a trailing star matching any suffix', () => {
  const cases: [pattern: string, scope: string, expected: boolean][] = [
    ['a', 'a', true],
    ['a', 'b', false],
    ['a', 'ab', false],
    ['a', 'a*', false],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'a*', true],
    ['a*', 'b', false],
    ['a*', '', false],
    ['*', '', true],
    ['*', 'anything at all', true],
    ['', '', true],
    ['', 'a', false],
    // A star anywhere but at the end is an ordinary character.
    ['a*b', 'axb', false],
    ['a*b', 'a*b', true],
    ['a*b*', 'a*bc', true],
    ['a*b*', 'axbc', false],
    // Double stars: the first star is literal.
    ['a**', 'a*', true],
    ['a**', 'a*x', true],
    ['a**', 'a', false],
    ['a**', 'ab', false],
    ['a*', 'a**', true],
    // Matching is textual: assume: is not expanded.
    ['assume:x', 'queue:y', false],
    ['assume:*', 'assume:anything', true],
  ];
  for (const [pattern, scope, expected] of cases) {
    assert.equal(patternMatch(pattern, scope), expected, `${pattern} vs ${scope}`);
  }
});

test('satisfiesScope: some scope of the set matches', () => {
  assert.equal(satisfiesScope([], 'a'), false);
  assert.equal(satisfiesScope([], ''), false);
  assert.equal(satisfiesScope(['b', 'a*'], 'abc'), true);
  assert.equal(satisfiesScope(['b', 'ab'], 'abc'), false);
  assert.equal(satisfiesScope(['*'], 'queue:create-task:highest:x/y'), true);
  assert.equal(satisfiesScope(['assume:role'], 'secrets:get:x'), false);
});
