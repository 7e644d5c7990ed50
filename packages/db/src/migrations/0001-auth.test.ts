import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { createTestDatabase } from '../testing.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

test('0001 creates the auth tables', async () => {
  const { rows } = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  const tables = rows.map((r) => r.table_name);
  for (const t of ['audit_log', 'clients', 'hawk_nonces', 'roles', 'roles_version'])
    assert.ok(tables.includes(t), t);
});

// Created UNLOGGED; 0011 makes it logged (see its test).
test('0001: the nonce table is keyed by (ts, client, nonce)', async () => {
  await db.pool.query(`INSERT INTO hawk_nonces VALUES (1, 'c', 'n')`);
  await assert.rejects(
    db.pool.query(`INSERT INTO hawk_nonces VALUES (1, 'c', 'n')`),
    /duplicate key/,
  );
});

test('0001: roles_version is a single row', async () => {
  await assert.rejects(
    db.pool.query(`INSERT INTO roles_version (singleton, version) VALUES (false, 1)`),
  );
  await assert.rejects(
    db.pool.query(`INSERT INTO roles_version (version) VALUES (1)`),
    /duplicate key/,
  );
  const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM roles_version`);
  assert.equal(rows[0]?.n, '1');
});

test('0001: the audit log refuses updates and deletes', async () => {
  await db.pool.query(
    `INSERT INTO audit_log VALUES (1, now(), 'client', 'c', 'created', 'root', '{}', repeat('0', 64), repeat('1', 64))`,
  );
  await assert.rejects(db.pool.query(`UPDATE audit_log SET action = 'deleted'`), /append-only/);
  await assert.rejects(db.pool.query(`DELETE FROM audit_log`), /append-only/);
});
