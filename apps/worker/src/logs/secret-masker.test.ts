// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { PrefixAutomaton } from './prefix-automaton.js';
import { MASK, SecretMasker } from './secret-masker.js';
import { secretForms, secretStrings } from './secret-forms.js';

const SECRET = 'hunter2-Sup3r/secret+token';

function maskAll(secrets: string[], chunks: (string | Buffer)[]): string {
  const masker = new SecretMasker();
  for (const secret of secrets) masker.addSecret(secret);
  return chunks.map((c) => masker.write(c)).join('') + masker.end();
}

test('S15: every encoded form of a secret is masked', () => {
  const bytes = Buffer.from(SECRET);
  const printed = [
    SECRET,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('base64').replace(/=+$/, ''),
    encodeURIComponent(SECRET),
    JSON.stringify({ token: SECRET }),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    // Inside a longer base64 string, at each of the three alignments.
    Buffer.from(`user:${SECRET}`).toString('base64'),
    Buffer.from(`ab:${SECRET}!`).toString('base64'),
    Buffer.from(`x${SECRET}yz`).toString('base64url'),
  ];
  for (const form of printed) {
    const out = maskAll([SECRET], [`before ${form} after\n`]);
    assert.ok(out.includes(MASK), form);
    assert.ok(!out.includes(SECRET) && !out.includes(bytes.toString('hex')), form);
    assert.ok(out.startsWith('before ') && out.endsWith(' after\n'), out);
  }
});

test('S15: a secret split across writes, even one character at a time, is masked', () => {
  const text = `token=${SECRET}; again ${Buffer.from(SECRET).toString('base64')}\n`;
  const oneByOne = maskAll([SECRET], [...text]);
  assert.equal(oneByOne, maskAll([SECRET], [text]));
  assert.ok(!oneByOne.includes(SECRET));
  // Split inside a multi-byte UTF-8 character as well.
  const unicode = `é${SECRET}é`;
  const bytes = Buffer.from(unicode);
  const parts = [...bytes].map((b) => Buffer.from([b]));
  assert.equal(maskAll([SECRET], parts), `é${MASK}é`);
});

test('output is held back only while it could still become a secret', () => {
  const masker = new SecretMasker();
  masker.addSecret(SECRET);
  assert.equal(masker.write('progress 10%\n'), 'progress 10%\n');
  assert.equal(masker.write('token: hun'), 'token: ');
  assert.equal(masker.write('gry\n'), 'hungry\n');
  assert.equal(masker.end(), '');
});

test('secrets added mid-stream apply to what follows', () => {
  const masker = new SecretMasker();
  assert.equal(masker.write('plain\n'), 'plain\n');
  masker.addSecret(SECRET);
  assert.equal(masker.write(`${SECRET}\n`), `${MASK}\n`);
});

test('short values are not masked; secret leaves are found in nested values', () => {
  assert.deepEqual(secretForms('abc'), []);
  assert.deepEqual(
    secretStrings({ a: 'long-enough', b: ['abc', { c: 'nested-value' }], n: 123456 }).sort(),
    ['123456', 'long-enough', 'nested-value'],
  );
});

test('streaming masks exactly as masking the whole text at once, however it is split', () => {
  const secret = fc.string({
    minLength: 8,
    maxLength: 24,
    unit: fc.constantFrom(...'ABCDEFXYZ0123456789_+/=-é€'.split('')),
  });
  const filler = fc.string({ maxLength: 30, unit: fc.constantFrom(...' .,;:\n\t!'.split('')) });
  fc.assert(
    fc.property(
      fc.array(secret, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(filler, fc.nat(2)), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (secrets, pieces, cuts) => {
        const text = pieces
          .map(([fill, which]) => fill + (secrets[which % secrets.length] as string))
          .join('');
        const whole = maskAll(secrets, [text]);
        const positions = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort(
          (a, b) => a - b,
        );
        const chunks: string[] = [];
        let from = 0;
        for (const at of positions) {
          chunks.push(text.slice(from, at));
          from = at;
        }
        chunks.push(text.slice(from));
        assert.equal(maskAll(secrets, chunks), whole);
        for (const s of secrets) assert.ok(!whole.includes(s));
      },
    ),
    { numRuns: 2000 },
  );
});

test('the prefix automaton finds the longest pending prefix', () => {
  const automaton = new PrefixAutomaton(['abcd', 'bcx', 'zz']);
  assert.equal(automaton.pendingPrefixLength('xxabc'), 3);
  assert.equal(automaton.pendingPrefixLength('xxabcd'), 0);
  assert.equal(automaton.pendingPrefixLength('xxbc'), 2);
  assert.equal(automaton.pendingPrefixLength('abcz'), 1);
  assert.equal(automaton.pendingPrefixLength('abcq'), 0);
  assert.equal(automaton.pendingPrefixLength('abcab', 3), 2);
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 'c') }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'b', 'c') }),
      (words, text) => {
        let naive = 0;
        for (let k = Math.min(text.length, 6); k > 0 && naive === 0; k--) {
          const tail = text.slice(text.length - k);
          if (words.some((w) => w.length > k && w.startsWith(tail))) naive = k;
        }
        assert.equal(new PrefixAutomaton(words).pendingPrefixLength(text), naive);
      },
    ),
  );
});
