import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { migrate } from '../migrate.js';
import { createTestDatabase } from '../testing.js';
import { deleteExpiredTasks } from '../queries/queue-tasks.js';
import { migrations } from './index.js';
import { taskSql } from './version-step.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase({ empty: true });
  await migrate(db.pool, migrations.slice(0, 12));
  await db.pool
    .query(`INSERT INTO task_groups VALUES ('GROUP3', 'steps', '2031-01-01T00:00:00Z', NULL);
    ${taskSql('ORDINARY')} ${taskSql('QUORUM')}
    UPDATE tasks SET verification = '{"replicas":2}' WHERE task_id = 'QUORUM';`);
});
after(() => db.drop());

const run = (taskId: string, runId: number, replica: number | null): Promise<unknown> =>
  db.pool.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled, replica)
     VALUES ($1, $2, 'pending', 'scheduled', now(), $3)`,
    [taskId, runId, replica],
  );

test('0012: an ordinary task still has at most one open run', async () => {
  await run('ORDINARY', 0, null);
  await assert.rejects(run('ORDINARY', 1, null), /task_runs_one_open_idx/);
});

test('0012: a quorum task has one open run per replica, never two of one replica', async () => {
  await run('QUORUM', 0, 0);
  await run('QUORUM', 1, 1);
  await assert.rejects(run('QUORUM', 2, 1), /task_runs_one_open_idx/);
  await assert.rejects(run('QUORUM', 2, 5), /check/);
});

test('0012: a worker holds one replica of a task; a decision needs a verification', async () => {
  const hold = (replica: number): Promise<unknown> =>
    db.pool.query(`INSERT INTO task_replica_workers VALUES ('QUORUM', 'g', 'w', $1)`, [replica]);
  await hold(0);
  await assert.rejects(hold(1), /duplicate key/);
  await assert.rejects(
    db.pool.query(`UPDATE tasks SET quorum = '{}' WHERE task_id = 'ORDINARY'`),
    /tasks_quorum_needs_verification/,
  );
});

test('0012: a task’s replica holds go with the task when it expires', async () => {
  const deleted = await deleteExpiredTasks(db.pool, new Date('2032-01-01T00:00:00Z'), 10);
  assert.equal(deleted, 2);
  const { rows } = await db.pool.query(`SELECT * FROM task_replica_workers`);
  assert.deepEqual(rows, []);
});
