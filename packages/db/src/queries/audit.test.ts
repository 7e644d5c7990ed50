import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { withTransaction } from '../pool.js';
import { createTestDatabase } from '../testing.js';
import { chainAllPendingAudit } from '../audit-chainer.js';
import {
  appendAudit,
  appendAuditEntries,
  listAuditForEntity,
  verifyAuditChain as verifyChain,
} from './audit.js';

/** Links what is pending first, as every reader of the log does. */
async function verifyAuditChain(
  pool: typeof db.pool,
  pageSize?: number,
): ReturnType<typeof verifyChain> {
  await chainAllPendingAudit(pool);
  return verifyChain(pool, pageSize);
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

const entry = (n: number) => ({
  entityType: 'client',
  entityId: `c${n % 3}`,
  action: 'updated',
  clientId: 'tester',
  details: { n, nested: { b: 1, a: [1, 2] } },
});

test('S14: concurrent appends form one unbroken chain', async () => {
  await Promise.all(
    Array.from({ length: 40 }, (_, n) =>
      withTransaction(db.pool, (client) => appendAudit(client, entry(n))),
    ),
  );
  const result = await verifyAuditChain(db.pool, 7);
  assert.equal(result.ok, true);
  assert.equal(result.checked, 40);
  const forC1 = await listAuditForEntity(db.pool, 'client', 'c1', { limit: 100 });
  assert.equal(forC1.length, 13);
});

test('S14: batches appended concurrently with single entries chain in order, no forks', async () => {
  await Promise.all(
    Array.from({ length: 10 }, (_, n) =>
      withTransaction(db.pool, (client) =>
        n % 2 === 0
          ? appendAuditEntries(client, [entry(200 + n), entry(300 + n), entry(400 + n)])
          : appendAudit(client, entry(500 + n)),
      ),
    ),
  );
  await withTransaction(db.pool, (client) => appendAuditEntries(client, []));
  const result = await verifyAuditChain(db.pool, 4);
  assert.equal(result.ok, true);
  assert.equal(result.checked, 40 + 5 * 3 + 5);
});

test('S14: an aborted transaction leaves no audit record', async () => {
  await assert.rejects(
    withTransaction(db.pool, async (client) => {
      await appendAudit(client, entry(100));
      throw new Error('change failed');
    }),
  );
  assert.equal((await verifyAuditChain(db.pool)).checked, 60);
});

test('S14: an open audited transaction blocks no other writer; entries chain once committed', async () => {
  const before = (await verifyAuditChain(db.pool)).checked;
  const slow = await db.pool.connect();
  try {
    await slow.query('BEGIN');
    await appendAudit(slow, entry(900));
    // Another writer commits while the first is still open (it used to wait here).
    await withTransaction(db.pool, (client) => appendAudit(client, entry(901)));
    await chainAllPendingAudit(db.pool);
    assert.equal((await verifyChain(db.pool)).checked, before + 1);
    await slow.query('COMMIT');
  } finally {
    slow.release();
  }
  const result = await verifyAuditChain(db.pool);
  assert.equal(result.ok, true);
  assert.equal(result.checked, before + 2);
});

test('S14: chainers running at once on many connections still make one chain', async () => {
  const before = (await verifyAuditChain(db.pool)).checked;
  await Promise.all([
    ...Array.from({ length: 30 }, (_, n) =>
      withTransaction(db.pool, (client) => appendAudit(client, entry(1000 + n))),
    ),
    ...Array.from({ length: 5 }, () => chainAllPendingAudit(db.pool)),
  ]);
  const result = await verifyAuditChain(db.pool);
  assert.equal(result.ok, true);
  assert.equal(result.checked, before + 30);
});

test('S14: the log is append-only', async () => {
  await assert.rejects(
    db.pool.query(`UPDATE audit_log SET action = 'x' WHERE seq = 1`),
    /append-only/,
  );
  await assert.rejects(db.pool.query(`DELETE FROM audit_log WHERE seq = 2`), /append-only/);
});

test('S14: editing or deleting a row behind the trigger breaks verification at that row', async () => {
  await db.pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
  await db.pool.query(`UPDATE audit_log SET details = '{"n": 999}' WHERE seq = 5`);
  const edited = await verifyAuditChain(db.pool);
  assert.equal(edited.ok, false);
  assert.equal(edited.brokenAt, 5n);
  await db.pool.query(`DELETE FROM audit_log WHERE seq = 5`);
  const deleted = await verifyAuditChain(db.pool);
  assert.equal(deleted.ok, false);
  assert.equal(deleted.brokenAt, 5n);
  await db.pool.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
});
