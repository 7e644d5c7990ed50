import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, withTransaction } from './pool.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ empty: true });
  await db.pool.query('CREATE TABLE items (id int PRIMARY KEY)');
});
after(async () => {
  await db.drop();
});

async function itemIds(): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM items ORDER BY id');
  return rows.map((row) => row.id);
}

/** Fails the way PostgreSQL does when a serializable transaction loses a conflict. */
const SERIALIZATION_FAILURE = `DO $$ BEGIN
  RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure';
END $$`;

void test('a transaction commits what its function did', async () => {
  await db.pool.query('TRUNCATE items');
  const result = await withTransaction(db.pool, async (client) => {
    await client.query('INSERT INTO items VALUES (1), (2)');
    return 'done';
  });
  assert.equal(result, 'done');
  assert.deepEqual(await itemIds(), [1, 2]);
});

void test('a throwing function rolls everything back and is not retried', async () => {
  await db.pool.query('TRUNCATE items');
  let attempts = 0;
  await assert.rejects(
    withTransaction(db.pool, async (client) => {
      attempts++;
      await client.query('INSERT INTO items VALUES (1)');
      await client.query('INSERT INTO items VALUES (1)'); // unique violation, not retryable
    }),
    { code: '23505' },
  );
  assert.equal(attempts, 1);
  assert.deepEqual(await itemIds(), []);
});

void test('serialization failures and deadlocks are retried', async () => {
  await db.pool.query('TRUNCATE items');
  let attempts = 0;
  const result = await withTransaction(
    db.pool,
    async (client) => {
      attempts++;
      await client.query('INSERT INTO items VALUES ($1)', [attempts]);
      if (attempts === 1) await client.query(SERIALIZATION_FAILURE);
      if (attempts === 2) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return attempts;
    },
    { isolation: 'serializable' },
  );
  assert.equal(result, 3);
  // Only the last attempt's work survives.
  assert.deepEqual(await itemIds(), [3]);
});

void test('retrying stops after three retries', async () => {
  let attempts = 0;
  await assert.rejects(
    withTransaction(db.pool, async (client) => {
      attempts++;
      await client.query(SERIALIZATION_FAILURE);
    }),
    { code: '40001' },
  );
  assert.equal(attempts, 4);
});

void test('the pool sets limits on every connection', async () => {
  const pool = createPool(db.connectionString, { applicationName: 'limits-test' });
  try {
    const { rows } = await pool.query(
      `SELECT current_setting('statement_timeout') AS statement,
              current_setting('idle_in_transaction_session_timeout') AS idle,
              current_setting('application_name') AS app`,
    );
    assert.deepEqual(rows[0], { statement: '30s', idle: '1min', app: 'limits-test' });
  } finally {
    await pool.end();
  }
});

void test('an idle connection killed by the server does not crash the process', async () => {
  const errors: Error[] = [];
  const pool = createPool(db.connectionString, {
    applicationName: 'doomed',
    onIdleClientError: (err) => errors.push(err),
  });
  try {
    await pool.query('SELECT 1'); // leaves one idle connection in the pool
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'doomed'`,
    );
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(10);
    assert.equal(errors.length, 1);
    // The pool replaces the dead connection.
    assert.deepEqual((await pool.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  } finally {
    await pool.end();
  }
});
