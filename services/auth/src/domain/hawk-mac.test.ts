// test-tier: unit
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { headerMac, MacKey, macsEqual } from './hawk-mac.js';

const RUNS = Number(process.env.BULWARK_FUZZ_RUNS ?? 300);

test('MacKey computes exactly what createHmac computes, for keys and messages of every length', () => {
  // Keys around the 64-byte block (hashed first when longer), Unicode keys and messages
  // (encoded as UTF-8, as createHmac does with strings), and messages past the reused
  // buffer's room.
  const text = (maxLength: number) =>
    fc.oneof(
      fc.string({ maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
    );
  fc.assert(
    fc.property(
      text(150),
      fc.oneof(
        text(300),
        fc.nat({ max: 20_000 }).map((n) => 'm'.repeat(n)),
      ),
      (key, message) => {
        const expected = createHmac('sha256', key).update(message).digest('base64');
        const macKey = new MacKey(key);
        assert.equal(macKey.macBase64(message), expected);
        // Twice: the shared buffers must not carry anything over between calls.
        assert.equal(macKey.macBase64(message), expected);
      },
    ),
    { numRuns: RUNS },
  );
  for (const length of [0, 1, 63, 64, 65, 127, 128, 129]) {
    const key = 'k'.repeat(length);
    assert.equal(
      new MacKey(key).macBase64('hawk.1.header\n'),
      createHmac('sha256', key).update('hawk.1.header\n').digest('base64'),
      `key of ${length} bytes`,
    );
  }
});

test('headerMac agrees with hawk.crypto.calculateMac on every attribute', () => {
  const value = fc.string({ maxLength: 40 });
  fc.assert(
    fc.property(
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        resource: fc.string({ maxLength: 80 }).map((s) => `/${s}`),
        host: fc.domain(),
        port: fc.integer({ min: 1, max: 65535 }),
        ts: fc.nat().map(String),
        nonce: value,
        hash: fc.option(value, { nil: undefined }),
        ext: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
        app: fc.option(value, { nil: undefined }),
        dlg: fc.option(value, { nil: undefined }),
      }),
      fc.string({ minLength: 1, maxLength: 66 }),
      (input, key) => {
        const expected = hawk.crypto.calculateMac(
          'header',
          { id: 'c', key, algorithm: 'sha256' },
          { ...input, hash: input.hash ?? '' },
        );
        assert.equal(headerMac(new MacKey(key), input), expected);
      },
    ),
    { numRuns: RUNS },
  );
});

test('a resource hawk cannot parse has no MAC rather than an exception', () => {
  const input = {
    method: 'GET',
    host: 'example.com',
    port: 443,
    ts: '1',
    nonce: 'n',
    hash: undefined,
    ext: undefined,
    app: undefined,
    dlg: undefined,
  };
  assert.equal(headerMac(new MacKey('k'), { ...input, resource: 'http://[::1' }), undefined);
  assert.equal(typeof headerMac(new MacKey('k'), { ...input, resource: 'http://h/p' }), 'string');
});

test('S1: a prepared key shows nothing of the key when serialized or inspected', async () => {
  const { inspect } = await import('node:util');
  const key = new MacKey('a-secret-access-token-of-44-characters-abcde');
  assert.equal(JSON.stringify({ key }), '{"key":"[MacKey]"}');
  assert.equal(inspect({ key }), '{ key: [MacKey] }');
});

test('S13: macsEqual accepts only the identical MAC', () => {
  const mac = new MacKey('key').macBase64('message');
  assert.equal(macsEqual(mac, mac), true);
  assert.equal(macsEqual(`${mac}`, mac.slice(0)), true);
  assert.equal(macsEqual('', mac), false);
  assert.equal(macsEqual(mac.slice(0, -1), mac), false);
  assert.equal(macsEqual(`${mac}=`, mac), false);
  for (let i = 0; i < mac.length; i++) {
    const flipped = mac.slice(0, i) + (mac[i] === 'A' ? 'B' : 'A') + mac.slice(i + 1);
    assert.equal(macsEqual(flipped, mac), false, `differs at ${i}`);
  }
  // Characters beyond one byte cannot cancel out.
  assert.equal(macsEqual('\u0141', 'A'), false);
});
