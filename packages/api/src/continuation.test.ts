// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeContinuationToken, encodeContinuationToken } from './continuation.js';
import { isApiError } from './errors.js';

test('continuation tokens round-trip every printable key', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), (key) => {
      fc.pre(!/[\u0000-\u001f\u007f]/.test(key));
      assert.equal(decodeContinuationToken(encodeContinuationToken(key)), key);
    }),
  );
  assert.equal(decodeContinuationToken(undefined), undefined);
});

test('tokens a service could not have issued are a 400, never passed on', () => {
  // 'AA' decodes to U+0000, which PostgreSQL text cannot hold; the others decode to
  // control characters, broken UTF-8, or re-encode differently.
  for (const token of ['AA', 'AAA', 'Cg', '_w', 'YQ=', 'Y', 'YWJj!', '']) {
    assert.throws(
      () => decodeContinuationToken(token),
      (err) => isApiError(err) && err.code === 'InvalidRequestArguments',
      token,
    );
  }
});
