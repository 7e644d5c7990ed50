import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { createTestDatabase } from '../testing.js';
import * as secrets from '../queries/secrets.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

const SEALED = { v: 1, kid: 'k', iv: 'aXY=', ciphertext: 'Y3Q=', tag: 'dGFn' };
const at = (iso: string): Date => new Date(iso);

test('0002 creates the secrets table with an index on expires', async () => {
  const { rows } = await db.pool.query<{ indexname: string }>(
    `SELECT indexname FROM pg_indexes WHERE tablename = 'secrets' ORDER BY indexname`,
  );
  assert.deepEqual(
    rows.map((r) => r.indexname),
    ['secrets_expires_idx', 'secrets_pkey'],
  );
});

test('0002: names are 1..1024 printable ASCII characters', async () => {
  const insert = (name: string): Promise<unknown> =>
    db.pool.query(`INSERT INTO secrets VALUES ($1, '{}', now(), now(), now())`, [name]);
  await insert('ok/name with spaces~');
  for (const bad of ['', 'x'.repeat(1025), 'tab\there', 'caf\u00e9']) {
    await assert.rejects(insert(bad), /check constraint/, JSON.stringify(bad));
  }
  await db.pool.query(`DELETE FROM secrets`);
});

test('0002: upsert reports created, then updated; an expired row counts as gone', async () => {
  const now = at('2030-01-01T00:00:00Z');
  const row = { name: 'up/a', sealedValue: SEALED, expires: at('2030-01-02T00:00:00Z') };
  assert.equal(await secrets.upsertSecret(db.pool, row, now), 'created');
  assert.equal(await secrets.upsertSecret(db.pool, row, now), 'updated');
  const later = at('2030-01-03T00:00:00Z');
  const renewed = { ...row, expires: at('2030-02-01T00:00:00Z') };
  assert.equal(await secrets.upsertSecret(db.pool, renewed, later), 'created');
  const stored = await secrets.getSecret(db.pool, 'up/a', later);
  assert.equal(stored?.created.toISOString(), later.toISOString(), 'created restarts');
  assert.deepEqual(stored?.sealedValue, SEALED);
  assert.equal(await secrets.removeSecret(db.pool, 'up/a'), true);
  assert.equal(await secrets.removeSecret(db.pool, 'up/a'), false);
});

test('0002: a secret is readable up to its expiry, to the second, and not after', async () => {
  const expires = at('2030-01-01T00:00:10Z');
  await secrets.upsertSecret(db.pool, { name: 'exp/a', sealedValue: SEALED, expires });
  const read = (iso: string): Promise<unknown> => secrets.getSecret(db.pool, 'exp/a', at(iso));
  assert.ok(await read('2030-01-01T00:00:09Z'));
  assert.ok(await read('2030-01-01T00:00:10Z'), 'live at its expiry instant, as Taskcluster');
  assert.equal(await read('2030-01-01T00:00:10.001Z'), undefined);
  assert.equal(await read('2030-01-01T00:00:11Z'), undefined);
  await secrets.removeSecret(db.pool, 'exp/a');
});

test('0002: without a clock, expiry is judged by the database server', async () => {
  await db.pool.query(
    `INSERT INTO secrets VALUES ('clock/past', '{}', now() - interval '1 second', now(), now()),
                                ('clock/future', '{}', now() + interval '1 hour', now(), now())`,
  );
  assert.equal(await secrets.getSecret(db.pool, 'clock/past'), undefined);
  assert.ok(await secrets.getSecret(db.pool, 'clock/future'));
  assert.deepEqual(await secrets.listSecretNames(db.pool, { limit: 10 }), ['clock/future']);
  assert.deepEqual(await secrets.deleteExpiredSecrets(db.pool, { limit: 10 }), ['clock/past']);
  await db.pool.query(`DELETE FROM secrets`);
});

test('0002: names list in byte order, page by page, without expired ones', async () => {
  const now = at('2030-01-01T00:00:00Z');
  const live = at('2031-01-01T00:00:00Z');
  const dead = at('2029-01-01T00:00:00Z');
  for (const name of ['b', 'B', 'a/z', 'a', 'a/b', '~']) {
    await secrets.upsertSecret(db.pool, { name, sealedValue: SEALED, expires: live }, now);
  }
  await secrets.upsertSecret(db.pool, { name: 'a/c', sealedValue: SEALED, expires: dead }, now);
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await secrets.listSecretNames(db.pool, { after, limit: 4, now });
    pages.push(page);
    if (page.length < 4) break;
    after = page.at(-1);
  }
  assert.deepEqual(pages, [
    ['B', 'a', 'a/b', 'a/z'],
    ['b', '~'],
  ]);
  await db.pool.query(`DELETE FROM secrets`);
});

test('0002: concurrent sweeps delete each expired secret exactly once', async () => {
  const now = at('2030-01-01T00:00:00Z');
  const expired = Array.from({ length: 40 }, (_, i) => `sweep/${String(i).padStart(2, '0')}`);
  for (const name of expired) {
    await secrets.upsertSecret(
      db.pool,
      { name, sealedValue: SEALED, expires: at('2029-12-31T23:59:59Z') },
      now,
    );
  }
  await secrets.upsertSecret(
    db.pool,
    { name: 'sweep/live', sealedValue: SEALED, expires: now },
    now,
  );
  const sweep = async (): Promise<string[]> => {
    const names: string[] = [];
    for (;;) {
      const batch = await secrets.deleteExpiredSecrets(db.pool, { limit: 7, now });
      names.push(...batch);
      if (batch.length === 0) return names;
    }
  };
  const results = await Promise.all([sweep(), sweep(), sweep()]);
  const all = results.flat().sort();
  assert.deepEqual(all, expired);
  assert.ok(await secrets.getSecret(db.pool, 'sweep/live', now), 'a live secret is kept');
});
