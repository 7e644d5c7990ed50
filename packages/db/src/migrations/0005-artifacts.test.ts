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

const ARTIFACT = `INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details,
  present, expires, created, blob_sha256)
  VALUES ($1, 0, $2, $3, 'text/plain', '{}', $4, now() + interval '1 day', now(), $5)`;

const DIGEST = 'a'.repeat(64);

test('0005 creates blobs and artifacts', async () => {
  const { rows } = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name IN ('blobs', 'artifacts')`,
  );
  assert.deepEqual(rows.map((r) => r.table_name).sort(), ['artifacts', 'blobs']);
});

test('0005: artifacts go with their task', async () => {
  await db.pool.query(TASK, ['cascade']);
  await db.pool.query(ARTIFACT, ['cascade', 'public/a', 'reference', true, null]);
  await db.pool.query(`DELETE FROM tasks WHERE task_id = 'cascade'`);
  const { rowCount } = await db.pool.query(`SELECT 1 FROM artifacts WHERE task_id = 'cascade'`);
  assert.equal(rowCount, 0);
});

test('0005: a blob an artifact references cannot be deleted', async () => {
  await db.pool.query(TASK, ['referenced']);
  await db.pool.query(`INSERT INTO blobs (sha256, size, created) VALUES ($1, 3, now())`, [DIGEST]);
  await db.pool.query(ARTIFACT, ['referenced', 'out.bin', 'object', true, DIGEST]);
  await assert.rejects(
    db.pool.query(`DELETE FROM blobs WHERE sha256 = $1`, [DIGEST]),
    /foreign key/,
  );
  await db.pool.query(`DELETE FROM artifacts WHERE task_id = 'referenced'`);
  await db.pool.query(`DELETE FROM blobs WHERE sha256 = $1`, [DIGEST]);
});

test('0005: stored artifacts are present only with a blob; others never have one', async () => {
  await db.pool.query(TASK, ['checks']);
  await assert.rejects(
    db.pool.query(ARTIFACT, ['checks', 'no-data', 'object', true, null]),
    /check constraint/,
  );
  await db.pool.query(`INSERT INTO blobs (sha256, size, created) VALUES ($1, 3, now())`, [DIGEST]);
  await assert.rejects(
    db.pool.query(ARTIFACT, ['checks', 'ref', 'reference', true, DIGEST]),
    /check constraint/,
  );
  await assert.rejects(
    db.pool.query(`INSERT INTO blobs (sha256, size, created) VALUES ('../x', 1, now())`),
    /check constraint/,
  );
  await assert.rejects(
    db.pool.query(ARTIFACT, ['checks', '', 'error', true, null]),
    /check constraint/,
  );
});
