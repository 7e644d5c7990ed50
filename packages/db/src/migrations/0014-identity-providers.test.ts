import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import * as identity from '../queries/identity.js';
import { createTestDatabase } from '../testing.js';
import { identityProviderTables } from './0014-identity-providers.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

const SEALED = { v: 1, kid: 'k', iv: 'aXY=', ciphertext: 'Y3Q=', tag: 'dGFn' };
const at = (iso: string): Date => new Date(iso);

test(`${identityProviderTables.version} creates the identity tables`, async () => {
  const { rows } = await db.pool.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables
      WHERE tablename IN ('identity_providers', 'signin_attempts', 'login_sessions')
      ORDER BY tablename`,
  );
  assert.deepEqual(
    rows.map((r) => r.tablename),
    ['identity_providers', 'login_sessions', 'signin_attempts'],
  );
});

test('provider names are short lower-case words; an attempt goes with its provider', async () => {
  const row = (name: string): identity.IdentityProviderRow => ({
    name,
    config: { issuer: 'https://idp.example' },
    sealedClientSecret: SEALED,
    created: at('2030-01-01T00:00:00Z'),
    lastModified: at('2030-01-01T00:00:00Z'),
  });
  for (const bad of ['', 'Upper', '-dash', 'a'.repeat(33), 'a/b']) {
    await assert.rejects(identity.insertProvider(db.pool, row(bad)), /check constraint/, bad);
  }
  assert.equal(await identity.insertProvider(db.pool, row('corp')), true);
  assert.equal(await identity.insertProvider(db.pool, row('corp')), false);
  await identity.insertAttempt(db.pool, {
    stateHash: 'a'.repeat(64),
    provider: 'corp',
    flow: 'code',
    redirectUri: 'http://127.0.0.1:1/callback',
    finishChallenge: 'c',
    sealedSecrets: SEALED,
    pollInterval: 5,
    nextPoll: at('2030-01-01T00:00:00Z'),
    expires: at('2030-01-01T00:10:00Z'),
    created: at('2030-01-01T00:00:00Z'),
  });
  assert.equal(await identity.deleteProvider(db.pool, 'corp'), true);
  assert.equal((await db.pool.query(`SELECT * FROM signin_attempts`)).rowCount, 0);
});

test('an attempt is taken once; a session is usable until revoked, by its client only', async () => {
  await identity.insertProvider(db.pool, {
    name: 'once',
    config: {},
    sealedClientSecret: SEALED,
    created: at('2030-01-01T00:00:00Z'),
    lastModified: at('2030-01-01T00:00:00Z'),
  });
  const stateHash = 'b'.repeat(64);
  await identity.insertAttempt(db.pool, {
    stateHash,
    provider: 'once',
    flow: 'code',
    redirectUri: null,
    finishChallenge: 'c',
    sealedSecrets: SEALED,
    pollInterval: 5,
    nextPoll: at('2030-01-01T00:00:00Z'),
    expires: at('2030-01-01T00:10:00Z'),
    created: at('2030-01-01T00:00:00Z'),
  });
  assert.equal(await identity.takeAttempt(db.pool, stateHash, 'device'), undefined);
  const takes = await Promise.all([
    identity.takeAttempt(db.pool, stateHash, 'code'),
    identity.takeAttempt(db.pool, stateHash, 'code'),
  ]);
  assert.equal(takes.filter(Boolean).length, 1);

  const sessionId = 'S'.repeat(22);
  await identity.insertSession(db.pool, {
    sessionId,
    clientId: `login:once/alice/${sessionId}`,
    provider: 'once',
    subject: 'alice',
    expires: at('2030-01-01T01:00:00Z'),
    revoked: null,
    created: at('2030-01-01T00:00:00Z'),
  });
  assert.equal(
    await identity.sessionUsable(db.pool, sessionId, `login:once/alice/${sessionId}`),
    true,
  );
  assert.equal(
    await identity.sessionUsable(db.pool, sessionId, `login:once/mallory/${sessionId}`),
    false,
  );
  assert.equal(await identity.sessionUsable(db.pool, 'U'.repeat(22), 'login:once/x/y'), false);
  assert.equal(await identity.revokeSession(db.pool, sessionId, at('2030-01-01T00:30:00Z')), true);
  assert.equal(await identity.revokeSession(db.pool, sessionId, at('2030-01-01T00:31:00Z')), false);
  assert.equal(
    await identity.sessionUsable(db.pool, sessionId, `login:once/alice/${sessionId}`),
    false,
  );
  assert.equal(await identity.pruneIdentityRows(db.pool, at('2030-01-03T00:00:00Z')), 1);
});
