import type { Migration } from '../migrate.js';

/**
 * Live logs: what a worker has sent of a running task's log, so that any replica can
 * stream it to readers while the task runs.
 *
 * - live_logs has one row per run that has sent any of its log: the size so far (the
 *   offset the next append must start at, which makes appends idempotent under
 *   retries) and whether the worker said the log is complete.
 * - live_log_chunks holds the bytes, keyed by their offset in the log. Chunks are
 *   transient: the complete log is uploaded as an ordinary artifact at the end of the
 *   run, and these rows are deleted a while after (or with their task).
 */
export const liveLogTables: Migration = {
  version: 8,
  name: 'live-logs',
  up: `
    CREATE TABLE live_logs (
      task_id text NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
      run_id smallint NOT NULL CHECK (run_id BETWEEN 0 AND 1000),
      size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
      closed boolean NOT NULL DEFAULT false,
      updated timestamptz NOT NULL,
      PRIMARY KEY (task_id, run_id)
    );
    CREATE INDEX live_logs_updated_idx ON live_logs (updated);

    CREATE TABLE live_log_chunks (
      task_id text NOT NULL,
      run_id smallint NOT NULL,
      "offset" bigint NOT NULL CHECK ("offset" >= 0),
      data bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 1048576),
      PRIMARY KEY (task_id, run_id, "offset"),
      FOREIGN KEY (task_id, run_id) REFERENCES live_logs (task_id, run_id) ON DELETE CASCADE
    );
  `,
};
