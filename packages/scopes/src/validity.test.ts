// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { hasDoubleStarSuffix, isValidScope } from './validity.js';

test('isValidScope accepts printable ASCII, including space and the empty string', () => {
  for (const scope of [
    '',
    ' ',
    'queue:create-task:highest:proj/*',
    'assume:repo:github.com/org/repo:branch:main',
    '!"#$%&\'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~',
    '<..>',
    '**',
  ]) {
    assert.equal(isValidScope(scope), true, JSON.stringify(scope));
  }
});

test('isValidScope refuses other whitespace, control characters, non-ASCII and non-strings', () => {
  for (const scope of [
    'a\tb',
    'a\nb',
    'a\rb',
    '\u0000',
    '\u001a',
    '\u007f',
    'caf\u00e9',
    '\u{1f600}',
  ]) {
    assert.equal(isValidScope(scope), false, JSON.stringify(scope));
  }
  for (const value of [undefined, null, 1, true, ['a'], { scope: 'a' }]) {
    assert.equal(isValidScope(value), false, JSON.stringify(value));
  }
});

test('hasDoubleStarSuffix is true exactly for scopes ending in two or more stars', () => {
  const cases: [string, boolean][] = [
    ['foo:**', true],
    ['**', true],
    ['a***', true],
    ['foo:*', false],
    ['*', false],
    ['a**b', false],
    ['', false],
  ];
  for (const [scope, expected] of cases) assert.equal(hasDoubleStarSuffix(scope), expected, scope);
});
