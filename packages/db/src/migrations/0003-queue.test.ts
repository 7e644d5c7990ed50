import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { createTestDatabase } from '../testing.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

const TASK = `INSERT INTO tasks (task_id, task_queue_id, scheduler_id, project_id, task_group_id,
  dependencies, requires, routes, priority, retries, retries_left, created, deadline, expires,
  scopes, payload, metadata, tags, extra)
  VALUES ($1, 'p/w', '-', 'none', $1, '[]', 'all-completed', '[]', 1, 5, 5,
    now(), now() + interval '1 day', now() + interval '2 days', '[]', '{}', '{}', '{}', '{}')`;

test('0003 creates the queue tables', async () => {
  const { rows } = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
  );
  const tables = rows.map((r) => r.table_name);
  for (const t of [
    'task_groups',
    'tasks',
    'task_runs',
    'pending_tasks',
    'task_dependencies',
    'queue_workers',
  ])
    assert.ok(tables.includes(t), t);
});

test('0003: a task has at most one pending or running run', async () => {
  await db.pool.query(TASK, ['one-open']);
  await db.pool.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
     VALUES ('one-open', 0, 'pending', 'scheduled', now())`,
  );
  await assert.rejects(
    db.pool.query(
      `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
       VALUES ('one-open', 1, 'pending', 'retry', now())`,
    ),
    /duplicate key/,
  );
});

test('0003: resolved runs need a reason and a time; running runs need a worker', async () => {
  await db.pool.query(TASK, ['checks']);
  await assert.rejects(
    db.pool.query(
      `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
       VALUES ('checks', 0, 'completed', 'scheduled', now())`,
    ),
    /check constraint/,
  );
  await assert.rejects(
    db.pool.query(
      `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
       VALUES ('checks', 0, 'running', 'scheduled', now())`,
    ),
    /check constraint/,
  );
  await assert.rejects(
    db.pool.query(
      `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
       VALUES ('checks', 0, 'pending', 'because', now())`,
    ),
    /check constraint/,
  );
});

test('0003: pending rows belong to a run and vanish with it', async () => {
  await db.pool.query(TASK, ['cascade']);
  await assert.rejects(
    db.pool.query(
      `INSERT INTO pending_tasks (task_id, run_id, task_queue_id, priority, inserted)
       VALUES ('cascade', 0, 'p/w', 1, now())`,
    ),
    /foreign key/,
  );
  await db.pool.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
     VALUES ('cascade', 0, 'pending', 'scheduled', now())`,
  );
  await db.pool.query(
    `INSERT INTO pending_tasks (task_id, run_id, task_queue_id, priority, inserted)
     VALUES ('cascade', 0, 'p/w', 1, now())`,
  );
  await db.pool.query(`DELETE FROM tasks WHERE task_id = 'cascade'`);
  const { rows } = await db.pool.query(`SELECT 1 FROM pending_tasks WHERE task_id = 'cascade'`);
  assert.equal(rows.length, 0);
});

test('0003: priorities are 1..7 and a deadline cannot follow expiry', async () => {
  await assert.rejects(
    db.pool.query(TASK.replace("'[]', 1, 5, 5", "'[]', 8, 5, 5"), ['prio']),
    /check constraint/,
  );
  await assert.rejects(
    db.pool.query(TASK.replace("now() + interval '2 days'", 'now()'), ['late']),
    /check constraint/,
  );
});
