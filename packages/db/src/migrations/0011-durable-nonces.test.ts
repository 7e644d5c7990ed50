import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { migrate } from '../migrate.js';
import { createTestDatabase } from '../testing.js';
import { migrations } from './index.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase({ empty: true });
});
after(() => db.drop());

async function persistence(): Promise<string | undefined> {
  const { rows } = await db.pool.query<{ relpersistence: string }>(
    `SELECT relpersistence FROM pg_class WHERE relname = 'hawk_nonces'`,
  );
  return rows[0]?.relpersistence;
}

// S13: a crash recovery empties UNLOGGED tables; the nonces must survive it.
test('0011 makes the nonce table logged and keeps the nonces already seen', async () => {
  await migrate(db.pool, migrations.slice(0, 10));
  assert.equal(await persistence(), 'u');
  await db.pool.query(`INSERT INTO hawk_nonces VALUES (1, 'c', 'n')`);
  await migrate(db.pool, migrations.slice(0, 11));
  assert.equal(await persistence(), 'p');
  const { rows } = await db.pool.query(`SELECT ts, client_id, nonce FROM hawk_nonces`);
  assert.deepEqual(rows, [{ ts: '1', client_id: 'c', nonce: 'n' }]);
  await assert.rejects(
    db.pool.query(`INSERT INTO hawk_nonces VALUES (1, 'c', 'n')`),
    /duplicate key/,
  );
});
