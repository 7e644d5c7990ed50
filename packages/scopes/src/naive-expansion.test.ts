// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { expandScopesNaive, roleMatches, scopesGrantedByRole } from './naive-expansion.js';

test('roleMatches: which scopes grant which role ids', () => {
  const cases: [roleId: string, scope: string, expected: boolean][] = [
    ['a', 'assume:a', true],
    ['a', 'assume:ab', false],
    ['a', 'assume:a*', true],
    ['a', 'assume:*', true],
    ['a', 'assume*', true],
    ['a', '*', true],
    ['a', 'as*', true],
    ['a', 'b*', false],
    ['a', 'assume:b*', false],
    ['ab', 'assume:a*', true],
    ['a*', 'assume:a', true],
    ['a*', 'assume:abc', true],
    ['a*', 'assume:abc*', true],
    ['a*', 'assume:b', false],
    ['ab*', 'assume:a', false],
    ['ab*', 'assume:a*', true],
    ['a**', 'assume:a*', true],
    ['a**', 'assume:a', false],
    ['*', 'assume:', true],
    ['*', 'assume', false],
  ];
  for (const [roleId, scope, expected] of cases) {
    assert.equal(roleMatches(roleId, scope), expected, `${roleId} by ${scope}`);
  }
});

test('scopesGrantedByRole fills <..> in star roles only', () => {
  const starRole = { roleId: 'p:*', scopes: ['x', 'get:<..>/*', 'set:<..>'] };
  const cases: [scope: string, expected: string[]][] = [
    ['assume:p:zap', ['x', 'get:zap/*', 'set:zap']],
    ['assume:p:', ['x', 'get:/*', 'set:']],
    ['assume:p:ops*', ['x', 'get:ops*', 'set:ops*']],
    ['assume:p:*', ['x', 'get:*', 'set:*']],
    ['assume:p*', ['x', 'get:*', 'set:*']],
    ['*', ['x', 'get:*', 'set:*']],
    ['assume:q', []],
  ];
  for (const [scope, expected] of cases)
    assert.deepEqual(scopesGrantedByRole(starRole, scope), expected, scope);
  assert.deepEqual(scopesGrantedByRole({ roleId: 'p', scopes: ['get:<..>'] }, 'assume:p'), [
    'get:<..>',
  ]);
  // A role whose id ends in two stars: the first is literal.
  assert.deepEqual(scopesGrantedByRole({ roleId: 'a**', scopes: ['<..>'] }, 'assume:a*'), ['*']);
  assert.deepEqual(scopesGrantedByRole({ roleId: 'a**', scopes: ['<..>'] }, 'assume:a*b'), ['b']);
});

test('expandScopesNaive repeats until nothing new appears', () => {
  const roles = [
    { roleId: 'a', scopes: ['assume:b*'] },
    { roleId: 'bx', scopes: ['assume:c:x'] },
    { roleId: 'by', scopes: ['Y'] },
    { roleId: 'c:*', scopes: ['C<..>'] },
  ];
  assert.deepEqual(expandScopesNaive(roles, ['assume:a']), [
    'Cx',
    'Y',
    'assume:a',
    'assume:b*',
    'assume:c:x',
  ]);
  assert.deepEqual(expandScopesNaive(roles, []), []);
  assert.deepEqual(expandScopesNaive(roles, ['other']), ['other']);
});
