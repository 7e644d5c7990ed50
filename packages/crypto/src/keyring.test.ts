// test-tier: unit
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Keyring, KeyringError } from './keyring.js';
import { loadOrCreateKeyringFile } from './keyring-file.js';
import { constantTimeEqual, generateAccessToken } from './tokens.js';

test('seal and open round-trip under the bound associated data', () => {
  const ring = new Keyring([Keyring.generateKey('a')]);
  const sealed = ring.seal('hunter2', 'client:alice');
  assert.equal(sealed.kid, 'a');
  assert.ok(!JSON.stringify(sealed).includes('hunter2'));
  assert.equal(ring.openString(sealed, 'client:alice'), 'hunter2');
});

test('S11: a ciphertext moved to another row fails to open', () => {
  const ring = new Keyring([Keyring.generateKey('a')]);
  const sealed = ring.seal('token-of-alice', 'client:alice');
  assert.throws(() => ring.open(sealed, 'client:mallory'), KeyringError);
});

test('S11: tampering with ciphertext, iv or tag is detected', () => {
  const ring = new Keyring([Keyring.generateKey('a')]);
  const sealed = ring.seal('value', 'x');
  const flip = (b64: string): string => {
    const buf = Buffer.from(b64, 'base64');
    buf[0] = buf[0]! ^ 1;
    return buf.toString('base64');
  };
  for (const field of ['ciphertext', 'iv', 'tag'] as const) {
    assert.throws(() => ring.open({ ...sealed, [field]: flip(sealed[field]) }, 'x'), KeyringError);
  }
  assert.throws(() => ring.open({ ...sealed, kid: 'nope' }, 'x'), KeyringError);
  assert.throws(() => ring.open('garbage', 'x'), KeyringError);
});

test('rotation: the newest key seals, older keys still open', () => {
  const oldKey = Keyring.generateKey('old');
  const before = new Keyring([oldKey]).seal('v', 'ad');
  const rotated = new Keyring([oldKey, Keyring.generateKey('new')]);
  assert.equal(rotated.openString(before, 'ad'), 'v');
  assert.equal(rotated.needsRotation(before), true);
  const after = rotated.seal('v', 'ad');
  assert.equal(after.kid, 'new');
  assert.equal(rotated.needsRotation(after), false);
  assert.throws(() => new Keyring([oldKey]).open(after, 'ad'), KeyringError);
});

test('keys are validated', () => {
  assert.throws(() => new Keyring([]), KeyringError);
  assert.throws(() => new Keyring([{ id: 'a', key: 'c2hvcnQ=' }]), KeyringError);
  assert.throws(
    () => new Keyring([{ id: 'bad id', key: Keyring.generateKey('x').key }]),
    KeyringError,
  );
});

test('S11: the keyring file is created 0600 in a 0700 directory and reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-keyring-'));
  try {
    const path = join(dir, 'sub', 'keyring.json');
    const first = await loadOrCreateKeyringFile(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'sub'))).mode & 0o777, 0o700);
    const second = await loadOrCreateKeyringFile(path);
    assert.equal(second.currentKeyId, first.currentKeyId);
    assert.equal(second.openString(first.seal('x', 'y'), 'y'), 'x');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('access tokens are 44 URL-safe characters and unique', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const token = generateAccessToken();
    assert.match(token, /^[A-Za-z0-9_-]{44}$/);
    seen.add(token);
  }
  assert.equal(seen.size, 1000);
});

test('constantTimeEqual compares exactly', () => {
  assert.equal(constantTimeEqual('abc', 'abc'), true);
  assert.equal(constantTimeEqual('abc', 'abd'), false);
  assert.equal(constantTimeEqual('abc', 'abcd'), false);
  assert.equal(constantTimeEqual('', ''), true);
});
