import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { parseTaskChange, TASK_EVENTS_CHANNEL } from '../queries/queue-events.js';
import { createTestDatabase } from '../testing.js';
import { drainNotifications } from './drain-notifications.js';
import { artifactEventNotifications } from './0010-artifact-events.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let listener: pg.PoolClient;
const received: string[] = [];

const TASK = 'aaaaaaaaaaaaaaaaaaaaaa';
const GROUP = 'gggggggggggggggggggggg';

before(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    `INSERT INTO tasks (task_id, task_queue_id, scheduler_id, project_id, task_group_id,
       dependencies, requires, routes, priority, retries, retries_left, created, deadline,
       expires, scopes, payload, metadata, tags, extra)
     VALUES ($1, 'p/w', '-', 'none', $2, '[]', 'all-completed', '[]', 1, 5, 5, now(),
       now() + interval '1 day', now() + interval '2 days', '[]', '{}', '{}', '{}', '{}')`,
    [TASK, GROUP],
  );
  await db.pool.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
     VALUES ($1, 0, 'pending', 'scheduled', now())`,
    [TASK],
  );
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

/** Whatever arrived since the last call: every notification committed until now. */
async function drain(): Promise<unknown[]> {
  const payloads = await drainNotifications(db.pool, listener, TASK_EVENTS_CHANNEL, received);
  return payloads.map((payload) => JSON.parse(payload) as unknown);
}

const insert = (name: string, storageType: string, present: boolean) =>
  db.pool.query(
    `INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details,
       present, expires, created)
     VALUES ($1, 0, $2, $3, 'text/plain', '{}', $4, now() + interval '1 day', now())`,
    [TASK, name, storageType, present],
  );

test('0010 announces an artifact created present, with its run and name', async () => {
  await insert('public/error', 'error', true);
  assert.deepEqual(await drain(), [
    { taskId: TASK, taskGroupId: GROUP, runId: 0, artifact: 'public/error' },
  ]);
});

test('0010 announces an upload when it becomes present, not before, and not its bookkeeping', async () => {
  const name = 'public/dir/"quoted" ünicode.bin';
  await insert(name, 'object', false);
  await db.pool.query(`UPDATE artifacts SET upload_id = 'u1' WHERE name = $1`, [name]);
  assert.deepEqual(await drain(), [], 'nothing while the upload is unfinished');
  await db.pool.query(`INSERT INTO blobs (sha256, size, created) VALUES ($1, 3, now())`, [
    'ab'.repeat(32),
  ]);
  await db.pool.query(
    `UPDATE artifacts SET present = true, upload_finished = true, blob_sha256 = $2 WHERE name = $1`,
    [name, 'ab'.repeat(32)],
  );
  const payloads = await drain();
  assert.deepEqual(payloads, [{ taskId: TASK, taskGroupId: GROUP, runId: 0, artifact: name }]);
  assert.deepEqual(parseTaskChange(JSON.stringify(payloads[0])), payloads[0]);
  await db.pool.query(`UPDATE artifacts SET upload_token_hash = NULL WHERE name = $1`, [name]);
  assert.deepEqual(await drain(), [], 'a present artifact whose readers see no change');
});

test('0010 announces a present artifact re-created with new content', async () => {
  await insert('public/ref', 'reference', true);
  await drain();
  await db.pool.query(
    `UPDATE artifacts SET details = '{"url": "https://example.com/y"}' WHERE name = 'public/ref'`,
  );
  assert.deepEqual(await drain(), [
    { taskId: TASK, taskGroupId: GROUP, runId: 0, artifact: 'public/ref' },
  ]);
});

test('0010 writes to the channel the queue listens on', () => {
  assert.ok(artifactEventNotifications.up.includes(`pg_notify('${TASK_EVENTS_CHANNEL}'`));
});

test('artifact payloads are parsed strictly', () => {
  const good = { taskId: TASK, taskGroupId: GROUP, runId: 2, artifact: 'public/x' };
  assert.deepEqual(parseTaskChange(JSON.stringify(good)), good);
  const longest = { ...good, artifact: '\u0001'.repeat(1024) };
  assert.deepEqual(parseTaskChange(JSON.stringify(longest)), longest, 'every character escaped');
  for (const bad of [
    { ...good, artifact: '' },
    { ...good, artifact: 'x'.repeat(1025) },
    { ...good, artifact: 7 },
    { ...good, runId: undefined },
    { ...good, state: 'completed' },
    { taskId: TASK, taskGroupId: GROUP, state: 'unscheduled', artifact: 'x' },
  ]) {
    assert.equal(parseTaskChange(JSON.stringify(bad)), undefined, JSON.stringify(bad));
  }
});
