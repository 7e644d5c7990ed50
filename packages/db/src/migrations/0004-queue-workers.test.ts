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

test('0004 creates task_queues and gives workers their recent tasks', async () => {
  const { rows } = await db.pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name IN ('task_queues', 'queue_workers', 'task_runs')`,
  );
  const has = (table: string, column: string): boolean =>
    rows.some((r) => r.table_name === table && r.column_name === column);
  assert.ok(has('task_queues', 'last_date_active'));
  assert.ok(has('queue_workers', 'recent_tasks'));
  assert.ok(has('task_runs', 'task_queue_id'));
  await db.pool.query(
    `INSERT INTO queue_workers (task_queue_id, worker_group, worker_id, first_claim,
       last_date_active, expires) VALUES ('p/w', 'g', 'w', now(), now(), now())`,
  );
  const worker = await db.pool.query<{ recent_tasks: unknown }>(
    `SELECT recent_tasks FROM queue_workers WHERE worker_id = 'w'`,
  );
  assert.deepEqual(worker.rows[0]?.recent_tasks, []);
});

test('0004: a running run must name the queue it was claimed from', async () => {
  await db.pool.query(TASK, ['running']);
  await db.pool.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
     VALUES ('running', 0, 'pending', 'scheduled', now())`,
  );
  await assert.rejects(
    db.pool.query(
      `UPDATE task_runs SET state = 'running', worker_group = 'g', worker_id = 'w',
         taken_until = now(), started = now() WHERE task_id = 'running'`,
    ),
    /task_runs_running_has_queue/,
  );
  await db.pool.query(
    `UPDATE task_runs SET state = 'running', worker_group = 'g', worker_id = 'w',
       taken_until = now(), started = now(), task_queue_id = 'p/w' WHERE task_id = 'running'`,
  );
});

test('0004: task queue stability is one of Taskcluster’s three', async () => {
  await db.pool.query(
    `INSERT INTO task_queues (task_queue_id, expires, last_date_active) VALUES ('p/ok', now(), now())`,
  );
  const { rows } = await db.pool.query<{ stability: string; description: string }>(
    `SELECT stability, description FROM task_queues WHERE task_queue_id = 'p/ok'`,
  );
  assert.deepEqual(rows[0], { stability: 'experimental', description: '' });
  await assert.rejects(
    db.pool.query(
      `INSERT INTO task_queues (task_queue_id, expires, last_date_active, stability)
       VALUES ('p/bad', now(), now(), 'beta')`,
    ),
    /check constraint/,
  );
});

test('0004: the claimed-runs index replaces the per-worker one', async () => {
  const { rows } = await db.pool.query<{ indexname: string }>(
    `SELECT indexname FROM pg_indexes WHERE tablename IN ('task_runs', 'task_dependencies')`,
  );
  const names = rows.map((r) => r.indexname);
  assert.ok(names.includes('task_runs_claimed_idx'));
  assert.ok(names.includes('task_dependencies_expires_idx'));
  assert.ok(!names.includes('task_runs_worker_idx'));
});
