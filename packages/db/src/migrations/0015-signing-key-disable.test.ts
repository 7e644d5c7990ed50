import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import * as signing from '../queries/signing.js';
import { createTestDatabase } from '../testing.js';
import { signingKeyDisable } from './0015-signing-key-disable.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

const SEALED = { v: 1, kid: 'k', iv: 'aXY=', ciphertext: 'Y3Q=', tag: 'dGFn' };

test(`${signingKeyDisable.version}: a key is disabled once, by someone, and stays served`, async () => {
  const key: signing.SigningKeyRow = {
    keyId: 'release',
    description: 'r',
    minisignKeyId: '0123456789abcdef',
    publicKey: 'RWQ=',
    sealedPrivateKey: SEALED,
    policy: { minLevel: 3 },
    created: new Date('2030-01-01T00:00:00Z'),
  };
  assert.equal(await signing.insertSigningKey(db.pool, key), true);
  assert.equal((await signing.getSigningKey(db.pool, 'release'))?.disabled, undefined);
  const at = new Date('2030-01-02T00:00:00Z');
  assert.equal(await signing.disableSigningKey(db.pool, 'release', 'ops/alice', at), true);
  // Disabling again changes nothing: the first time and the first caller stand.
  const later = new Date('2030-01-03T00:00:00Z');
  assert.equal(await signing.disableSigningKey(db.pool, 'release', 'ops/bob', later), false);
  const row = await signing.getSigningKey(db.pool, 'release');
  assert.deepEqual(row?.disabled, { at, by: 'ops/alice' });
  assert.equal((await signing.listSigningKeys(db.pool)).length, 1);
  await assert.rejects(
    db.pool.query(`UPDATE signing_keys SET disabled_by = NULL WHERE key_id = 'release'`),
    /check constraint/,
  );
});
