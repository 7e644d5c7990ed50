// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ScopeExpression } from './expressions.js';
import {
  isScopeExpression,
  MAX_EXPRESSION_DEPTH,
  removeGivenScopes,
  satisfiesExpression,
  scopesSatisfying,
} from './expressions.js';
import { scope, scopeSet } from './testing/arbitraries.js';

const expression: fc.Arbitrary<ScopeExpression> = fc.letrec<{ expr: ScopeExpression }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scope,
    fc.record({ AllOf: fc.array(tie('expr'), { maxLength: 3 }) }),
    fc.record({ AnyOf: fc.array(tie('expr'), { maxLength: 3 }) }),
  ),
})).expr;

function nested(depth: number): ScopeExpression {
  let expr: ScopeExpression = 'a';
  for (let i = 0; i < depth; i++) expr = { AllOf: [expr] };
  return expr;
}

test('isScopeExpression accepts valid scopes and one-key AllOf / AnyOf objects', () => {
  for (const value of [
    '',
    'a',
    'queue:create-task:*',
    { AllOf: [] },
    { AnyOf: [] },
    { AllOf: ['a', { AnyOf: ['b', { AllOf: ['c'] }] }] },
    nested(MAX_EXPRESSION_DEPTH),
  ]) {
    assert.equal(isScopeExpression(value), true, JSON.stringify(value));
  }
});

test('isScopeExpression refuses malformed expressions', () => {
  for (const value of [
    undefined,
    null,
    1,
    ['a'],
    {},
    { AllOf: [], AnyOf: [] },
    { AllOf: 'a' },
    { AllOf: [1] },
    { AllOf: ['a\n'] },
    { AnyOf: [null] },
    { OneOf: ['a'] },
    { allof: ['a'] },
    'tab\there',
    { AllOf: [{ AnyOf: ['a', { AllOf: ['b'], extra: 1 }] }] },
    nested(MAX_EXPRESSION_DEPTH + 1),
  ]) {
    assert.equal(isScopeExpression(value), false, JSON.stringify(value));
  }
});

test('satisfiesExpression: AllOf:[] is satisfied, AnyOf:[] is not', () => {
  const cases: [scopes: string[], expr: ScopeExpression, expected: boolean][] = [
    [[], { AllOf: [] }, true],
    [['*'], { AnyOf: [] }, false],
    [['a'], 'a', true],
    [['a*'], 'abc', true],
    [['a'], 'b', false],
    [['a', 'b'], { AllOf: ['a', 'b'] }, true],
    [['a'], { AllOf: ['a', 'b'] }, false],
    [['a'], { AnyOf: ['a', 'b'] }, true],
    [[], { AnyOf: ['a', 'b'] }, false],
    [['c'], { AnyOf: ['a', { AllOf: ['c'] }] }, true],
    [['a', 'c'], { AllOf: ['a', { AnyOf: ['b', 'c'] }] }, true],
    [['a'], { AllOf: ['a', { AnyOf: [] }] }, false],
    [['assume:x'], 'secrets:get:y', false],
  ];
  for (const [scopes, expr, expected] of cases) {
    assert.equal(satisfiesExpression(scopes, expr), expected, JSON.stringify([scopes, expr]));
  }
});

test('malformed expressions are never satisfied', () => {
  const malformed = [
    {},
    { AllOf: ['a'], AnyOf: ['a'] },
    { Other: [] },
    5,
  ] as unknown as ScopeExpression[];
  for (const expr of malformed) {
    assert.equal(satisfiesExpression(['*'], expr), false);
    assert.equal(scopesSatisfying(['*'], expr), undefined);
    assert.throws(() => removeGivenScopes(['*'], expr), TypeError);
  }
});

test('scopesSatisfying returns the satisfied required scopes, including every satisfied AnyOf branch', () => {
  const cases: [scopes: string[], expr: ScopeExpression, expected: string[] | undefined][] = [
    [['a'], 'a', ['a']],
    [['*'], 'queue:x', ['queue:x']],
    [['a'], 'b', undefined],
    [[], { AllOf: [] }, []],
    [['*'], { AnyOf: [] }, undefined],
    [['a*'], { AnyOf: ['ab', 'ac', 'b'] }, ['ab', 'ac']],
    [['a*'], { AllOf: ['ab', { AnyOf: ['ac', 'b'] }] }, ['ab', 'ac']],
    [['a', 'b'], { AllOf: ['a', { AnyOf: ['b', 'c'] }] }, ['a', 'b']],
    [['a'], { AllOf: ['a', 'b'] }, undefined],
    // A failed AllOf inside an AnyOf contributes nothing.
    [['a', 'c'], { AnyOf: [{ AllOf: ['a', 'b'] }, 'c'] }, ['c']],
    // Results are sorted and normalized.
    [['*'], { AllOf: ['b', 'a', 'x*', 'xy', 'a'] }, ['a', 'b', 'x*']],
  ];
  for (const [scopes, expr, expected] of cases) {
    assert.deepEqual(scopesSatisfying(scopes, expr), expected, JSON.stringify([scopes, expr]));
  }
});

test('removeGivenScopes returns what is missing, simplified', () => {
  const cases: [scopes: string[], expr: ScopeExpression, expected: ScopeExpression | null][] = [
    [['a'], 'a', null],
    [[], 'a', 'a'],
    [[], { AllOf: [] }, null],
    [[], { AnyOf: [] }, { AnyOf: [] }],
    [['a'], { AllOf: ['a', 'b'] }, 'b'],
    [[], { AllOf: ['a', 'b'] }, { AllOf: ['a', 'b'] }],
    [['b'], { AllOf: ['a', 'b', 'c'] }, { AllOf: ['a', 'c'] }],
    [['a'], { AnyOf: ['a', 'b'] }, null],
    [[], { AnyOf: ['a', 'b'] }, { AnyOf: ['a', 'b'] }],
    [[], { AnyOf: ['a'] }, 'a'],
    [['x'], { AllOf: [{ AnyOf: ['a', 'x'] }, { AnyOf: ['b', 'c'] }] }, { AnyOf: ['b', 'c'] }],
    [['a'], { AnyOf: [{ AllOf: ['a', 'b'] }, 'c'] }, { AnyOf: ['b', 'c'] }],
    [['q*'], { AllOf: ['q:1', { AllOf: ['r', 'q:2'] }] }, 'r'],
  ];
  for (const [scopes, expr, expected] of cases) {
    assert.deepEqual(removeGivenScopes(scopes, expr), expected, JSON.stringify([scopes, expr]));
  }
});

test('property: scopesSatisfying is defined exactly when satisfiesExpression holds, and removeGivenScopes is null then', () => {
  fc.assert(
    fc.property(scopeSet, expression, (scopes, expr) => {
      const satisfied = satisfiesExpression(scopes, expr);
      const used = scopesSatisfying(scopes, expr);
      assert.equal(used !== undefined, satisfied);
      assert.equal(removeGivenScopes(scopes, expr) === null, satisfied);
      if (used !== undefined) {
        // The scopes it reports are enough on their own, and all are granted.
        assert.equal(satisfiesExpression(used, expr), true);
        for (const required of used) assert.equal(satisfiesExpression(scopes, required), true);
      } else {
        const missing = removeGivenScopes(scopes, expr)!;
        assert.equal(isScopeExpression(missing), true);
        assert.equal(satisfiesExpression(scopes, missing), false);
      }
    }),
    { numRuns: 2000 },
  );
});
