import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { parseTaskChange, TASK_EVENTS_CHANNEL } from '../queries/queue-events.js';
import { createTestDatabase } from '../testing.js';
import { drainNotifications } from './drain-notifications.js';
import { taskEventNotifications } from './0007-task-events.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let listener: pg.PoolClient;
const received: string[] = [];

before(async () => {
  db = await createTestDatabase();
  listener = await db.pool.connect();
  listener.on('notification', (msg) => {
    if (msg.channel === TASK_EVENTS_CHANNEL) received.push(msg.payload ?? '');
  });
  await listener.query(`LISTEN ${TASK_EVENTS_CHANNEL}`);
});
after(async () => {
  listener.release(true);
  await db.drop();
});

// Slugids, as the queue's tasks have: the payload parser refuses anything else.
const TASK_A = 'aaaaaaaaaaaaaaaaaaaaaa';
const TASK_B = 'bbbbbbbbbbbbbbbbbbbbbb';
const GROUP = 'gggggggggggggggggggggg';

const TASK = `INSERT INTO tasks (task_id, task_queue_id, scheduler_id, project_id, task_group_id,
  dependencies, requires, routes, priority, retries, retries_left, created, deadline, expires,
  scopes, payload, metadata, tags, extra)
  VALUES ($1, 'p/w', '-', 'none', $2, '[]', 'all-completed', '[]', 1, 5, 5,
    now(), now() + interval '1 day', now() + interval '2 days', '[]', '{}', '{}', '{}', '{}')`;
const PENDING_RUN = `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
  VALUES ($1, $2, 'pending', 'scheduled', now())`;

/** Whatever arrived since the last call: every notification committed until now. */
function drain(): Promise<string[]> {
  return drainNotifications(db.pool, listener, TASK_EVENTS_CHANNEL, received);
}

test('0007 announces a defined task and every run state change, in commit order', async () => {
  await db.pool.query(TASK, [TASK_A, GROUP]);
  await db.pool.query(PENDING_RUN, [TASK_A, 0]);
  await db.pool.query(
    `UPDATE task_runs SET state = 'running', worker_group = 'g', worker_id = 'w',
       taken_until = now() + interval '20 minutes', started = now(), task_queue_id = 'p/w'
     WHERE task_id = $1 AND run_id = 0`,
    [TASK_A],
  );
  await db.pool.query(
    `UPDATE task_runs SET state = 'completed', reason_resolved = 'completed', resolved = now()
      WHERE task_id = $1 AND run_id = 0`,
    [TASK_A],
  );
  const payloads = await drain();
  assert.deepEqual(
    payloads.map((p) => JSON.parse(p)),
    [
      { taskId: TASK_A, taskGroupId: GROUP, state: 'unscheduled' },
      { taskId: TASK_A, taskGroupId: GROUP, runId: 0, state: 'pending' },
      { taskId: TASK_A, taskGroupId: GROUP, runId: 0, state: 'running' },
      { taskId: TASK_A, taskGroupId: GROUP, runId: 0, state: 'completed' },
    ],
  );
  assert.ok(payloads.every((p) => parseTaskChange(p) !== undefined));
  assert.ok(
    payloads.every((p) => Buffer.byteLength(p) < 200),
    'payloads stay compact',
  );
});

test('0007: a reclaim is not a state change and notifies nothing', async () => {
  await db.pool.query(TASK, [TASK_B, GROUP]);
  await db.pool.query(PENDING_RUN, [TASK_B, 0]);
  await db.pool.query(
    `UPDATE task_runs SET state = 'running', worker_group = 'g', worker_id = 'w',
       taken_until = now() + interval '20 minutes', started = now(), task_queue_id = 'p/w'
     WHERE task_id = $1 AND run_id = 0`,
    [TASK_B],
  );
  await drain();
  await db.pool.query(
    `UPDATE task_runs SET taken_until = now() + interval '40 minutes' WHERE task_id = $1`,
    [TASK_B],
  );
  await db.pool.query(`UPDATE task_runs SET state = 'running' WHERE task_id = $1`, [TASK_B]);
  assert.deepEqual(await drain(), []);
});

test('0007: a rolled-back change announces nothing', async () => {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(TASK, ['cccccccccccccccccccccc', GROUP]);
    await client.query(PENDING_RUN, ['cccccccccccccccccccccc', 0]);
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  assert.deepEqual(await drain(), []);
});

test('0007 keeps its channel name: the migration and the query module agree', () => {
  assert.ok(taskEventNotifications.up.includes(`pg_notify('${TASK_EVENTS_CHANNEL}'`));
});

test('payloads that are not exactly what the triggers send are ignored', () => {
  const good = { taskId: TASK_A, taskGroupId: GROUP, runId: 3, state: 'failed' };
  assert.deepEqual(parseTaskChange(JSON.stringify(good)), good);
  for (const bad of [
    undefined,
    'not json',
    'null',
    JSON.stringify({ ...good, taskId: '../etc' }),
    JSON.stringify({ ...good, state: 'unscheduled' }),
    JSON.stringify({ ...good, state: 'lost' }),
    JSON.stringify({ ...good, runId: 1001 }),
    JSON.stringify({ ...good, runId: '1' }),
    JSON.stringify({ taskId: TASK_A, state: 'unscheduled' }),
    `{"taskId":"${'a'.repeat(2000)}"}`,
  ]) {
    assert.equal(parseTaskChange(bad), undefined, String(bad));
  }
});
