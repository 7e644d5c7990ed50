// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { AllowEntryError, isCanonicalIPv4, parseAllowEntry } from './allow-entry.js';

test('canonical addresses, names and ports are read as written (lower case)', () => {
  assert.deepEqual(parseAllowEntry('10.250.0.2:5432'), { host: '10.250.0.2', port: 5432 });
  assert.deepEqual(parseAllowEntry('0.0.0.0:1'), { host: '0.0.0.0', port: 1 });
  assert.deepEqual(parseAllowEntry('Registry.NPMJS.org:443'), {
    host: 'registry.npmjs.org',
    port: 443,
  });
  assert.deepEqual(parseAllowEntry('a-1.example:65535'), { host: 'a-1.example', port: 65535 });
});

test('S7: entries the resolver would read otherwise than they look are refused, saying why', () => {
  for (const [entry, why] of [
    // The C resolver reads these as 8.250.0.2, 127.0.0.1, 127.0.0.1, 127.0.0.1, 10.0.0.1.
    ['010.250.000.002:80', /not a canonical IPv4 address/],
    ['0x7f.0.0.1:80', /not a canonical IPv4 address/],
    ['2130706433:80', /not a canonical IPv4 address/],
    ['127.1:80', /not a canonical IPv4 address/],
    ['10.0.1:80', /not a canonical IPv4 address/],
    ['1.2.3.4.5:80', /not a canonical IPv4 address/],
    ['256.1.1.1:80', /not a canonical IPv4 address/],
    ['example.0x10:80', /not a canonical IPv4 address/],
    ['10.0.0.0/8:80', /address range/],
    ['[::1]:80', /IPv6/],
    ['::ffff:127.0.0.1:80', /IPv6/],
    ['under_score.example:80', /not a host name/],
    ['-lead.example:80', /not a host name/],
    ['trailing.dot.:80', /not a host name/],
    ['a..b:80', /not a host name/],
    [':80', /has no host/],
    ['example.org', /host:port/],
    ['example.org:080', /port 080/],
    ['example.org:0', /port 0/],
    ['example.org:65536', /port 65536/],
    ['example.org:+80', /port \+80/],
    ['example.org:', /port /],
  ] as const) {
    assert.throws(() => parseAllowEntry(entry), AllowEntryError, entry);
    assert.throws(() => parseAllowEntry(entry), why, entry);
  }
});

test('S7: an address is canonical exactly when it is four decimal octets without leading zeros', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  fc.assert(
    fc.property(fc.tuple(octet, octet, octet, octet), (octets) => {
      const text = octets.join('.');
      assert.equal(isCanonicalIPv4(text), true);
      assert.deepEqual(parseAllowEntry(`${text}:80`), { host: text, port: 80 });
    }),
  );
  fc.assert(
    fc.property(fc.tuple(octet, octet, octet, octet), fc.nat(3), (octets, at) => {
      const padded = octets.map((o, i) => (i === at ? `0${o}` : String(o))).join('.');
      assert.equal(isCanonicalIPv4(padded), false);
      assert.throws(() => parseAllowEntry(`${padded}:80`), /not a canonical IPv4 address/);
    }),
  );
});
