import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { parseHawkHeader } from './hawk-header.js';

/** What the `hawk` package itself makes of a header: its attributes, or undefined if refused. */
function hawkParse(header: string): Record<string, string> | undefined {
  try {
    return { ...hawk.utils.parseAuthorizationHeader(header) };
  } catch {
    return undefined;
  }
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
);
const valueChars = fc.constantFrom(
  ...'aZ09 _-+/=.,:;!#$%&\'()*<>?@[]^`{|}~"\\\u00e9\n\t'.split(''),
);
const value = fc.string({ unit: valueChars, maxLength: 12 });
const separator = fc.constantFrom(', ', ',', ' , ', ' ', '', ',  ', ';', '\t,');
const attribute = fc.tuple(names, value, separator).map(([n, v, sep]) => `${n}="${v}"${sep}`);
const header = fc
  .tuple(
    fc.constantFrom('Hawk ', 'hawk ', 'HAWK  ', 'Hawk', 'Bearer ', 'Hawk\t', ' Hawk '),
    fc.array(attribute, { maxLength: 7 }),
  )
  .map(([scheme, attrs]) => scheme + attrs.join(''));

test('the header parser accepts exactly what hawk accepts, with the same attributes', () => {
  fc.assert(
    fc.property(fc.oneof(header, fc.string({ maxLength: 60 })), (h) => {
      assert.deepEqual(
        parseHawkHeader(h) === undefined ? undefined : { ...parseHawkHeader(h) },
        hawkParse(h),
      );
    }),
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
  assert.deepEqual({ ...parsed }, hawkParse(signed));
  assert.equal(parseHawkHeader(`Hawk id="${'a'.repeat(5000)}"`), undefined);
  assert.equal(parseHawkHeader('Hawk id="a", id="b"'), undefined);
  assert.equal(parseHawkHeader('Hawk id="a" junk'), undefined);
  assert.equal(parseHawkHeader(''), undefined);
});
