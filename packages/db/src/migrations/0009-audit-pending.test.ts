import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { createTestDatabase } from '../testing.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

test('0009: pending audit entries can be inserted and moved, never changed', async () => {
  await db.pool.query(
    `INSERT INTO audit_pending (at, entity_type, entity_id, action, client_id, details)
     VALUES (now(), 'client', 'c', 'created', 'root', '{}')`,
  );
  await assert.rejects(
    db.pool.query(`UPDATE audit_pending SET action = 'deleted'`),
    /never changed/,
  );
  const { rowCount } = await db.pool.query('DELETE FROM audit_pending');
  assert.equal(rowCount, 1);
});
