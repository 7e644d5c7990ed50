import type { Migration } from '../migrate.js';

/**
 * The queue: task groups, tasks with their whole definition, one row per run, the
 * pending work that claimWork takes, dependencies and workers.
 *
 * States and reasons are text with CHECK constraints rather than enum types: a new
 * reason is then a constraint swap in a later migration, not an enum rebuild.
 * Priorities are stored as numbers (7 = highest ... 1 = lowest) so that claiming can
 * order by them directly.
 *
 * Lock order, for every transaction that touches several of these rows:
 * tasks -> pending_tasks -> task_runs. claimWork skips locked pending rows and never
 * locks the task row, so a claimer never waits on a resolver.
 */
export const queueTables: Migration = {
  version: 3,
  name: 'queue tables',
  up: `
    -- sealed is when the group was sealed (Taskcluster reports it as a date), NULL while open.
    CREATE TABLE task_groups (
      task_group_id text PRIMARY KEY,
      scheduler_id text NOT NULL,
      expires timestamptz NOT NULL,
      sealed timestamptz
    );
    CREATE INDEX task_groups_expires_idx ON task_groups (expires);

    -- No foreign key to task_groups: a group's row outlives its tasks (its expiry is
    -- extended past theirs) and is created in the same transaction as its first task.
    CREATE TABLE tasks (
      task_id text PRIMARY KEY,
      task_queue_id text NOT NULL,
      scheduler_id text NOT NULL,
      project_id text NOT NULL,
      task_group_id text NOT NULL,
      dependencies jsonb NOT NULL,
      requires text NOT NULL CHECK (requires IN ('all-completed', 'all-resolved')),
      routes jsonb NOT NULL,
      priority smallint NOT NULL CHECK (priority BETWEEN 1 AND 7),
      retries smallint NOT NULL CHECK (retries BETWEEN 0 AND 49),
      retries_left smallint NOT NULL CHECK (retries_left BETWEEN 0 AND 999),
      created timestamptz NOT NULL,
      deadline timestamptz NOT NULL,
      expires timestamptz NOT NULL,
      scopes jsonb NOT NULL,
      payload jsonb NOT NULL,
      metadata jsonb NOT NULL,
      tags jsonb NOT NULL,
      extra jsonb NOT NULL,
      -- Set once the deadline resolver has dealt with the task. After its deadline a
      -- task is immutable, so the flag never goes back; the partial index below then
      -- only holds tasks whose deadline is still ahead or not yet handled.
      deadline_handled boolean NOT NULL DEFAULT false,
      CHECK (created <= deadline AND deadline <= expires)
    );
    CREATE INDEX tasks_task_group_idx ON tasks (task_group_id, task_id);
    CREATE INDEX tasks_task_queue_idx ON tasks (task_queue_id);
    CREATE INDEX tasks_expires_idx ON tasks (expires);
    CREATE INDEX tasks_deadline_idx ON tasks (deadline) WHERE NOT deadline_handled;

    CREATE TABLE task_runs (
      task_id text NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
      run_id smallint NOT NULL CHECK (run_id BETWEEN 0 AND 1000),
      state text NOT NULL
        CHECK (state IN ('pending', 'running', 'completed', 'failed', 'exception')),
      reason_created text NOT NULL
        CHECK (reason_created IN ('scheduled', 'retry', 'task-retry', 'rerun', 'exception')),
      reason_resolved text CHECK (reason_resolved IN (
        'completed', 'failed', 'deadline-exceeded', 'canceled', 'claim-expired',
        'worker-shutdown', 'malformed-payload', 'resource-unavailable', 'internal-error',
        'intermittent-task', 'superseded')),
      worker_group text,
      worker_id text,
      taken_until timestamptz,
      scheduled timestamptz NOT NULL,
      started timestamptz,
      resolved timestamptz,
      PRIMARY KEY (task_id, run_id),
      -- A run is resolved exactly when it has a resolution reason and time.
      CHECK ((state IN ('pending', 'running')) = (reason_resolved IS NULL AND resolved IS NULL)),
      -- A running run always knows who holds it and until when.
      CHECK (state <> 'running' OR
        (worker_group IS NOT NULL AND worker_id IS NOT NULL AND taken_until IS NOT NULL
         AND started IS NOT NULL))
    );
    -- Only the latest run can be pending or running, so at most one per task.
    CREATE UNIQUE INDEX task_runs_one_open_idx ON task_runs (task_id)
      WHERE state IN ('pending', 'running');
    -- The claim-expiry resolver scans running runs by takenUntil.
    CREATE INDEX task_runs_claim_expiry_idx ON task_runs (taken_until) WHERE state = 'running';
    -- listClaimedTasks / worker views.
    CREATE INDEX task_runs_worker_idx ON task_runs (worker_group, worker_id)
      WHERE state = 'running';

    -- Exactly the runs that are pending: a row is inserted in the transaction that
    -- makes a run pending and deleted in the one that claims or resolves it, so a row
    -- here is never a stale hint. seq gives strict first-in first-out within a priority.
    CREATE TABLE pending_tasks (
      task_id text NOT NULL,
      run_id smallint NOT NULL,
      task_queue_id text NOT NULL,
      priority smallint NOT NULL CHECK (priority BETWEEN 1 AND 7),
      seq bigint GENERATED ALWAYS AS IDENTITY,
      inserted timestamptz NOT NULL,
      PRIMARY KEY (task_id, run_id),
      FOREIGN KEY (task_id, run_id) REFERENCES task_runs (task_id, run_id) ON DELETE CASCADE
    );
    CREATE INDEX pending_tasks_claim_idx ON pending_tasks (task_queue_id, priority DESC, seq);

    -- One row per (dependent, required) pair; satisfied flips when the required task
    -- resolves in a way that satisfies the dependent's requires.
    CREATE TABLE task_dependencies (
      dependent_task_id text NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
      required_task_id text NOT NULL,
      requires text NOT NULL CHECK (requires IN ('all-completed', 'all-resolved')),
      satisfied boolean NOT NULL,
      expires timestamptz NOT NULL,
      PRIMARY KEY (required_task_id, dependent_task_id)
    );
    CREATE INDEX task_dependencies_unsatisfied_idx ON task_dependencies (dependent_task_id)
      WHERE NOT satisfied;

    -- Workers as the queue sees them: first and last claim, quarantine.
    CREATE TABLE queue_workers (
      task_queue_id text NOT NULL,
      worker_group text NOT NULL,
      worker_id text NOT NULL,
      quarantine_until timestamptz,
      quarantine_details jsonb NOT NULL DEFAULT '[]',
      first_claim timestamptz NOT NULL,
      last_date_active timestamptz NOT NULL,
      expires timestamptz NOT NULL,
      PRIMARY KEY (task_queue_id, worker_group, worker_id)
    );
    CREATE INDEX queue_workers_expires_idx ON queue_workers (expires);
  `,
};
