import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import pg from 'pg';
import { createTestDatabase } from './testing.js';

void test('test databases are isolated from each other and dropped afterwards', async () => {
  const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    assert.notEqual(a.connectionString, b.connectionString);
    await a.pool.query('CREATE TABLE only_in_a (v int)');
    const { rows } = await b.pool.query("SELECT to_regclass('only_in_a') AS t");
    assert.equal(rows[0].t, null);
  } finally {
    await a.drop();
  }
  await assert.rejects(a.pool.query('SELECT 1'), /after calling end/);
  const { rowCount } = await b.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [
    new pg.Client(a.connectionString).database,
  ]);
  assert.equal(rowCount, 0);
  await b.drop();
  await b.drop(); // idempotent
});

void test('test databases start from the migrated template', async () => {
  const db = await createTestDatabase();
  try {
    const { rows } = await db.pool.query("SELECT to_regclass('schema_migrations') AS t");
    assert.equal(rows[0].t, 'schema_migrations');
  } finally {
    await db.drop();
  }
});

void test('outside npm test, the error says how to run tests', async () => {
  const saved = process.env.BULWARK_TEST_DATABASE_URL;
  delete process.env.BULWARK_TEST_DATABASE_URL;
  try {
    await assert.rejects(createTestDatabase(), /npm test/);
  } finally {
    process.env.BULWARK_TEST_DATABASE_URL = saved;
  }
});
