import { strict as assert } from 'node:assert';
import { rows, taskSql, type Step } from './version-step.js';

/** versions.test.ts's step for 0012 (the quorum): a quorum task, its replicas, a worker's hold. */
export const quorumStep: Step = {
  version: 12,
  insert: `
      ${taskSql('TASK12QUORUM')}
      UPDATE tasks SET verification = '{"replicas":2,"distinctBy":"workerId"}'
        WHERE task_id = 'TASK12QUORUM';
      INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled, replica)
        VALUES ('TASK12QUORUM', 0, 'pending', 'scheduled', '2030-01-01T00:00:00Z', 0),
               ('TASK12QUORUM', 1, 'pending', 'scheduled', '2030-01-01T00:00:00Z', 1);
      INSERT INTO task_replica_workers VALUES ('TASK12QUORUM', 'wg', 'wi', 0);`,
  async check(db) {
    // Earlier tasks stay ordinary: no verification, no decision.
    assert.deepEqual(
      await rows(db, `SELECT count(*)::int AS n FROM tasks WHERE verification IS NOT NULL`),
      [{ n: 1 }],
    );
    assert.deepEqual(
      await rows(
        db,
        `SELECT run_id, state, replica FROM task_runs WHERE task_id = 'TASK12QUORUM' ORDER BY run_id`,
      ),
      [
        { run_id: 0, state: 'pending', replica: 0 },
        { run_id: 1, state: 'pending', replica: 1 },
      ],
    );
    assert.deepEqual(await rows(db, 'SELECT * FROM task_replica_workers'), [
      { task_id: 'TASK12QUORUM', worker_group: 'wg', worker_id: 'wi', replica: 0 },
    ]);
  },
};
