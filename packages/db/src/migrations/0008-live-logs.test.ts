import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { createTestDatabase } from '../testing.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    `INSERT INTO tasks (task_id, task_queue_id, scheduler_id, project_id, task_group_id,
       dependencies, requires, routes, priority, retries, retries_left, created, deadline,
       expires, scopes, payload, metadata, tags, extra)
     VALUES ('t1', 'p/w', '-', 'none', 't1', '[]', 'all-completed', '[]', 1, 5, 5, now(),
       now() + interval '1 day', now() + interval '2 days', '[]', '{}', '{}', '{}', '{}')`,
  );
});
after(() => db.drop());

test('0008: chunks belong to a live log, which belongs to its task', async () => {
  await assert.rejects(
    db.pool.query(`INSERT INTO live_log_chunks VALUES ('t1', 0, 0, '\\x61')`),
    /foreign key/,
  );
  await db.pool.query(`INSERT INTO live_logs (task_id, run_id, updated) VALUES ('t1', 0, now())`);
  await db.pool.query(`INSERT INTO live_log_chunks VALUES ('t1', 0, 0, '\\x61')`);
  await assert.rejects(
    db.pool.query(`INSERT INTO live_log_chunks VALUES ('t1', 0, 1, '')`),
    /check constraint/,
  );
  await db.pool.query(`DELETE FROM tasks WHERE task_id = 't1'`);
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM live_log_chunks');
  assert.equal(rows[0].n, 0);
});
