import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { migrate } from '../migrate.js';
import { createTestDatabase } from '../testing.js';
import { migrations } from './index.js';
import { PROVENANCE_MIGRATION_VERSION } from './0013-provenance.js';
import { taskSql } from './version-step.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase({ empty: true });
  await migrate(db.pool, migrations.slice(0, PROVENANCE_MIGRATION_VERSION));
  await db.pool.query(`${taskSql('PROVTASK')}
    INSERT INTO task_runs (task_id, run_id, state, reason_created, worker_group, worker_id,
        taken_until, scheduled, started, task_queue_id)
      VALUES ('PROVTASK', 0, 'running', 'scheduled', 'g', 'w', now(), now(), now(), 'p/w');`);
});
after(() => db.drop());

const pending = async (): Promise<unknown[]> =>
  (await db.pool.query(`SELECT task_id, run_id FROM provenance_pending`)).rows;

test('0013: a run that becomes completed enqueues its task once, with its own transaction', async () => {
  const complete = `UPDATE task_runs SET state = 'completed', reason_resolved = 'completed',
    resolved = now() WHERE run_id = 0`;
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(complete);
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  assert.deepEqual(await pending(), [], 'a rolled-back completion enqueues nothing');
  await db.pool.query(complete);
  await db.pool.query(`UPDATE task_runs SET taken_until = now() WHERE run_id = 0`);
  await db.pool.query(`UPDATE task_runs SET state = 'failed', reason_resolved = 'failed'`);
  assert.deepEqual(await pending(), [{ task_id: 'PROVTASK', run_id: 0 }]);
});

test('0013: only one provenance key is current; retired keys stay', async () => {
  const insert = (id: string, retired: string) =>
    db.pool.query(`INSERT INTO provenance_keys VALUES ($1, 'pem', '{}', now(), ${retired})`, [
      id.repeat(64),
    ]);
  await insert('a', 'NULL');
  await assert.rejects(insert('b', 'NULL'), /duplicate key/);
  await insert('b', 'now()');
  await assert.rejects(insert('C', 'now()'), /check constraint/);
});
