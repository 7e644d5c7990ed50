import type { Migration } from '../migrate.js';

/**
 * The reproducibility quorum (docs/quorum.md, decision D33): a task may ask to run as N
 * replicas on distinct workers, and resolves only once their artifacts are compared.
 *
 * - tasks.verification is the task's request as accepted (NULL for an ordinary task);
 *   tasks.quorum is the decision once made (state, reason, the replicas and digests
 *   compared), NULL until then and always for ordinary tasks.
 * - task_runs.replica numbers a quorum task's replicas (0 to 4); an ordinary run has
 *   none. The task may now have one open (pending or running) run per replica, so the
 *   one-open-run index is keyed by (task, replica); an ordinary task still has at most
 *   one.
 * - pending_tasks.replica carries the run's replica into claimWork's statement, which
 *   must know it before it decides to hand the run out.
 * - task_replica_workers records which worker took which replica of a task. Its
 *   primary key is what keeps one worker from holding two replicas of one task, even
 *   when two claims of that worker race: the second insert waits for the first's
 *   commit and then finds the key taken (docs/quorum.md). worker_id is '' when the
 *   task asks for distinct worker groups. Like pending_tasks, it never makes a claimer
 *   lock the task row (the queue's lock order, docs/architecture.md).
 */
export const quorum: Migration = {
  version: 12,
  name: 'quorum',
  up: `
    ALTER TABLE tasks ADD COLUMN verification jsonb;
    ALTER TABLE tasks ADD COLUMN quorum jsonb;
    ALTER TABLE tasks ADD CONSTRAINT tasks_quorum_needs_verification
      CHECK (quorum IS NULL OR verification IS NOT NULL);

    ALTER TABLE task_runs ADD COLUMN replica smallint CHECK (replica BETWEEN 0 AND 4);
    DROP INDEX task_runs_one_open_idx;
    CREATE UNIQUE INDEX task_runs_one_open_idx ON task_runs (task_id, (COALESCE(replica, -1)))
      WHERE state IN ('pending', 'running');

    ALTER TABLE pending_tasks ADD COLUMN replica smallint;

    -- No foreign key to tasks: claimWork inserts here, and the check would take a key
    -- share lock on the task row, which a resolver holds for update while it removes
    -- pending rows a claimer holds (a deadlock). Rows go with their task in
    -- deleteExpiredTasks.
    CREATE TABLE task_replica_workers (
      task_id text NOT NULL,
      worker_group text NOT NULL,
      worker_id text NOT NULL,
      replica smallint NOT NULL CHECK (replica BETWEEN 0 AND 4),
      PRIMARY KEY (task_id, worker_group, worker_id)
    );
  `,
};
