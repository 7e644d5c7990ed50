import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { queries } from '@bulwark/db';
import { PROVENANCE_ARTIFACT, writeNextProvenance } from '@bulwark/queue-service';
import { startRunningTask, uploadArtifact } from './artifact-helpers.js';
import { startTestPlatform, type TestPlatform } from './harness.js';
import { provenanceOf, statementOf } from './provenance-helpers.js';

let first: TestPlatform;
before(async () => {
  // This replica never writes provenance on its own during the test.
  first = await startTestPlatform({ provenanceIntervalMs: 3_600_000 });
});
after(() => first.close());

test('a completion whose provenance was never written (a crash) is written once by the next process', async () => {
  const running = await startRunningTask(first);
  await uploadArtifact(first, running, 'public/app.bin', Buffer.from('app'));
  // The completion commits, and the process dies before it writes the provenance: the
  // completing transaction alone is all that happened.
  await first.db.pool.query(
    `UPDATE task_runs SET state = 'completed', reason_resolved = 'completed', resolved = now()
      WHERE task_id = $1 AND run_id = $2`,
    [running.taskId, running.runId],
  );
  assert.equal(await queries.provenance.countPending(first.db.pool), 1);
  const artifacts = async (): Promise<number> =>
    (
      await first.db.pool.query(`SELECT 1 FROM artifacts WHERE task_id = $1 AND name = $2`, [
        running.taskId,
        PROVENANCE_ARTIFACT,
      ])
    ).rowCount ?? 0;
  assert.equal(await artifacts(), 0);

  const restarted = await startTestPlatform({ replicaOf: first });
  try {
    const statement = statementOf(await provenanceOf(restarted, running.taskId));
    assert.equal(statement.subject[0]?.name, 'public/app.bin');
    // Exactly once: nothing is left to write, by any replica, and one artifact exists.
    assert.equal(await writeNextProvenance(first.queue.context), false);
    assert.equal(await queries.provenance.countPending(first.db.pool), 0);
    assert.equal(await artifacts(), 1);
    const { rows } = await first.db.pool.query(
      `SELECT count(*)::int AS n FROM (SELECT entity_id, action FROM audit_log
         UNION ALL SELECT entity_id, action FROM audit_pending) a
        WHERE entity_id = $1 AND action = 'provenance-signed'`,
      [running.taskId],
    );
    assert.equal(rows[0].n, 1);
  } finally {
    await restarted.close();
  }
});
