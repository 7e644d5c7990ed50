// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { parseHawkHeader, type HawkAttributes } from './hawk-header.js';

/** What the `hawk` package itself makes of a header: its attributes, or undefined if refused. */
function hawkParse(header: string): Record<string, string> | undefined {
  try {
    return { ...hawk.utils.parseAuthorizationHeader(header) };
  } catch {
    return undefined;
  }
}

/** Our attributes as a plain object of the ones present, the form hawk returns. */
function present(attributes: HawkAttributes | undefined): Record<string, string> | undefined {
  if (attributes === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

const names = fc.constantFrom(
  'id',
  'ts',
  'nonce',
  'hash',
  'ext',
  'mac',
  'app',
  'dlg',
  'xyz',
  'i d',
  // Names of the attributes object's own machinery, and prefixes and extensions of real ones.
  '__proto__',
  'constructor',
  'set',
  'nonc',
  'nonces',
  'i',
  'IDs',
  'Mac',
);
// Every class the grammar distinguishes: word characters, the rest of printable
// ASCII (quote and backslash included), control characters, JavaScript's Unicode
// whitespace, line terminators and other non-ASCII characters.
const hostileChars =
  '\u0000\u0007\u000b\u000c\u001f\u007f\u0085\u00a0\u1680\u2000\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff\r\ud83d';
const valueChars = fc.constantFrom(
  ...'aZ09 _-+/=.,:;!#$%&\'()*<>?@[]^`{|}~"\\\u00e9\n\t'.split(''),
  ...hostileChars.split(''),
);
const value = fc.string({ unit: valueChars, maxLength: 12 });
const separator = fc.constantFrom(
  ', ',
  ',',
  ' , ',
  ' ',
  '',
  ',  ',
  ';',
  '\t,',
  ',\n',
  '\r\n,',
  ',\u2028',
  '\u2029',
  '\u00a0,\u3000',
  ',\ufeff',
  ',\u200b',
  ',,',
);
const attribute = fc.tuple(names, value, separator).map(([n, v, sep]) => `${n}="${v}"${sep}`);
const header = fc
  .tuple(
    fc.constantFrom(
      'Hawk ',
      'hawk ',
      'HAWK  ',
      'Hawk',
      'Bearer ',
      'Hawk\t',
      ' Hawk ',
      'Hawk\n ',
      'Hawk \r\n',
      'Hawk\u2028',
      'Hawk\u00a0',
      'Hawk\ufeff ',
      'Hawk\u200b',
      'Hawkx ',
      'Haw ',
      'HawK_ ',
      'Hawk,',
      'Hawk\u0000',
    ),
    fc.array(attribute, { maxLength: 7 }),
  )
  .map(([scheme, attrs]) => scheme + attrs.join(''));

test('the header parser accepts exactly what hawk accepts, with the same attributes', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        header,
        fc.string({ maxLength: 60 }),
        // Arbitrary text after a valid scheme, from the whole alphabet above.
        fc.string({ unit: valueChars, maxLength: 40 }).map((rest) => `Hawk ${rest}`),
        // A valid header with hostile text appended.
        fc
          .tuple(header, fc.string({ unit: valueChars, maxLength: 4 }))
          .map(([h, tail]) => h + tail),
      ),
      (h) => {
        assert.deepEqual(present(parseHawkHeader(h)), hawkParse(h));
      },
    ),
    { numRuns: 20_000 },
  );
});

test('real client headers parse; oversized and malformed ones do not', () => {
  const { header: signed } = hawk.client.header('http://localhost:80/api/x', 'GET', {
    credentials: { id: 'static/root', key: 'k', algorithm: 'sha256' },
    ext: 'eyJhIjoxfQ==',
  });
  const parsed = parseHawkHeader(signed);
  assert.equal(parsed?.id, 'static/root');
  assert.deepEqual(present(parsed), hawkParse(signed));
  assert.equal(parseHawkHeader(`Hawk id="${'a'.repeat(5000)}"`), undefined);
  assert.equal(parseHawkHeader('Hawk id="a", id="b"'), undefined);
  assert.equal(parseHawkHeader('Hawk id="a" junk'), undefined);
  assert.equal(parseHawkHeader(''), undefined);
});

test('edge cases of the grammar: accepted or refused as hawk does', () => {
  const accepted = [
    'Hawk id="a"',
    'hAwK id="a"',
    'Hawk id="a",',
    'Hawk id="a" ,  ts="1"  ',
    'Hawk\n\r\u2028 id="a"',
    'Hawk\u00a0\ufeff\u3000id="a"',
    'Hawk id="a",\u00a0ts="1"\u205f',
    'Hawk ext=" !#$%&\'()*+,-./:;<=>?@[]^`{|}~"',
    `Hawk id="${'a'.repeat(4096 - 'Hawk id=""'.length)}"`,
  ];
  const refused = [
    'Hawk',
    'Hawk ',
    'Hawk \n',
    'Hawkid="a"',
    'Hawk\u200bid="a"',
    'Bearer id="a"',
    ' Hawk id="a"',
    'Hawk id=""',
    'Hawk id="a"\n',
    'Hawk id="a",\nts="1"',
    'Hawk id="a"\u2029',
    'Hawk id="a\\"',
    'Hawk id="a\u00e9"',
    'Hawk id="a\u007f"',
    'Hawk id="a"ts="1"',
    'Hawk id="a",,ts="1"',
    'Hawk id = "a"',
    'Hawk ID="a"',
    'Hawk __proto__="a"',
    'Hawk constructor="a"',
    'Hawk id="a", mac="b", id="a"',
    'Hawk id="a',
    'Hawk id=a',
    `Hawk id="${'a'.repeat(4097 - 'Hawk id=""'.length)}"`,
  ];
  for (const h of accepted) {
    assert.notEqual(parseHawkHeader(h), undefined, JSON.stringify(h));
    assert.deepEqual(present(parseHawkHeader(h)), hawkParse(h), JSON.stringify(h));
  }
  for (const h of refused) {
    assert.equal(parseHawkHeader(h), undefined, JSON.stringify(h));
    assert.equal(hawkParse(h), undefined, JSON.stringify(h));
  }
});
