import type { Migration } from '../migrate.js';

/**
 * Workers and task queues as the queue sees them, and what the listing endpoints
 * need to stay index-backed.
 *
 * - queue_workers gains the worker's recent claims (Taskcluster keeps the last 20).
 * - task_queues records each queue seen by claimWork or declareWorker.
 * - task_runs gains the queue a run was claimed from, so the claimed runs of one
 *   queue (taskQueueCounts, listClaimedTasks) are an index range instead of a join
 *   over every task the queue ever had. It replaces the unused per-worker index, so
 *   a claim still maintains the same number of partial indexes.
 * - task_dependencies gets an expiry index for the expiry job.
 */
export const queueWorkers: Migration = {
  version: 4,
  name: 'queue workers and quarantine',
  up: `
    ALTER TABLE queue_workers ADD COLUMN recent_tasks jsonb NOT NULL DEFAULT '[]';
    -- listWorkers?quarantined=true, and the expiry job keeps quarantined workers.
    CREATE INDEX queue_workers_quarantine_idx ON queue_workers (quarantine_until)
      WHERE quarantine_until IS NOT NULL;

    CREATE TABLE task_queues (
      task_queue_id text PRIMARY KEY,
      expires timestamptz NOT NULL,
      last_date_active timestamptz NOT NULL,
      description text NOT NULL DEFAULT '',
      stability text NOT NULL DEFAULT 'experimental'
        CHECK (stability IN ('experimental', 'stable', 'deprecated'))
    );
    CREATE INDEX task_queues_expires_idx ON task_queues (expires);

    ALTER TABLE task_runs ADD COLUMN task_queue_id text;
    UPDATE task_runs r SET task_queue_id = t.task_queue_id
      FROM tasks t WHERE t.task_id = r.task_id AND r.started IS NOT NULL;
    ALTER TABLE task_runs ADD CONSTRAINT task_runs_running_has_queue
      CHECK (state <> 'running' OR task_queue_id IS NOT NULL);
    DROP INDEX task_runs_worker_idx;
    CREATE INDEX task_runs_claimed_idx ON task_runs (task_queue_id, started, task_id)
      WHERE state = 'running';

    CREATE INDEX task_dependencies_expires_idx ON task_dependencies (expires);
  `,
};
