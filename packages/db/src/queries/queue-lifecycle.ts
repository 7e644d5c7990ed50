import { AUDIT_PENDING_COLUMNS, type AuditEntry } from './audit.js';
import type { Queryable } from './queryable.js';
import {
  QUEUE_CHANNEL,
  RUN_COLUMNS,
  runRowFromDb,
  type DbRunRow,
  type RunRow,
  type RunState,
} from './queue-runs.js';
import {
  TASK_COLUMNS,
  taskInsertValues,
  taskRowFromDb,
  type DbTaskRow,
  type TaskRow,
} from './queue-tasks.js';

/*
 * The queue's hot path (createTask, reportCompleted and friends) as one statement
 * per step instead of one per row: each round trip inside a transaction keeps its
 * backend idle in transaction while the server process, which shares a core with
 * PostgreSQL, gets round to the next statement. The statements are named, so each
 * connection parses and plans them once.
 *
 * Within one statement every part sees the same snapshot, so a part may only rely on
 * rows that were committed before the statement started or returned by another part.
 * Reads that must see a change committed while this transaction waited for a lock
 * (dependencies, see resolveRunningRun) come in a statement after the one that locks.
 */

export interface CreatedTask {
  /** The group as stored after the upsert: its schedulerId and whether it is sealed. */
  groupSchedulerId: string;
  groupSealed: boolean;
  /** False when the taskId was taken (nothing else of the task was written then). */
  inserted: boolean;
  /** The pending run, when one was added. */
  run: RunRow | undefined;
}

/**
 * createTask's writes in one statement: creates the task group or extends its expiry,
 * inserts the task when its group has the same schedulerId, records the audit entry
 * when it was inserted into an unsealed group, and, when `schedule` (the task has no
 * dependencies), adds its pending run and pending_tasks row and wakes its queue's
 * claimers on commit. The caller refuses (rolls back) a foreign or sealed group as
 * before; the task's tasks -> task_runs -> pending_tasks rows go in that order.
 */
export async function insertTaskAndSchedule(
  db: Queryable,
  task: TaskRow,
  options: { schedule: boolean; audit: AuditEntry },
  now: Date,
): Promise<CreatedTask> {
  const { rows } = await db.query<
    Partial<DbRunRow> & { group_scheduler_id: string; group_sealed: boolean; inserted: boolean }
  >({
    name: 'queue-create-task',
    text: `WITH grp AS (
       INSERT INTO task_groups (task_group_id, scheduler_id, expires) VALUES ($5, $3, $14)
       ON CONFLICT (task_group_id)
         DO UPDATE SET expires = GREATEST(task_groups.expires, EXCLUDED.expires)
       RETURNING scheduler_id, sealed),
     ins AS (
       INSERT INTO tasks (${TASK_COLUMNS})
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
              $18, $19, $20, $21
         FROM grp WHERE grp.scheduler_id = $3
       ON CONFLICT (task_id) DO NOTHING
       RETURNING task_id),
     accepted AS MATERIALIZED (SELECT 1 FROM ins, grp WHERE grp.sealed IS NULL),
     scheduled AS MATERIALIZED (SELECT 1 FROM accepted WHERE $23::boolean),
     run AS (
       INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
       SELECT $1, 0, 'pending', 'scheduled', $22 FROM scheduled
       RETURNING ${RUN_COLUMNS}),
     pending AS (
       INSERT INTO pending_tasks (task_id, run_id, task_queue_id, priority, inserted)
       SELECT task_id, run_id, $2, $9, $22 FROM run),
     audit AS (
       INSERT INTO audit_pending (${AUDIT_PENDING_COLUMNS})
       SELECT $22, $24, $1, $25, $26, $27 FROM accepted),
     wake AS (SELECT pg_notify($28, $2) FROM scheduled)
     SELECT grp.scheduler_id AS group_scheduler_id, grp.sealed IS NOT NULL AS group_sealed,
            EXISTS (SELECT 1 FROM ins) AS inserted, (SELECT count(*) FROM wake) AS woken,
            run.*
       FROM grp LEFT JOIN run ON true`,
    values: [
      ...taskInsertValues(task),
      now,
      options.schedule,
      options.audit.entityType,
      options.audit.action,
      options.audit.clientId,
      JSON.stringify(options.audit.details),
      QUEUE_CHANNEL,
    ],
  });
  const row = rows[0];
  if (!row) throw new Error('insertTaskAndSchedule returned no row');
  return {
    groupSchedulerId: row.group_scheduler_id,
    groupSealed: row.group_sealed,
    inserted: row.inserted,
    run:
      row.run_id === null || row.run_id === undefined ? undefined : runRowFromDb(row as DbRunRow),
  };
}

type DbRunBesideTask = {
  [K in keyof DbRunRow as K extends 'task_id' ? never : K]: DbRunRow[K] | null;
};

/**
 * Locks the task, then its run (tasks -> task_runs, as every writer of runs does),
 * and returns both in one round trip: the task undefined when it does not exist, the
 * run undefined when the task has no such run. A run inserted by a transaction this
 * one waited for is not seen (the statement's snapshot predates the wait), which is
 * harmless for its callers: a run being resolved was claimed, so created, long before;
 * a run that was changed meanwhile is seen as changed (row locks read the latest
 * version).
 */
export async function lockTaskAndRun(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<{ task: TaskRow | undefined; run: RunRow | undefined }> {
  // The run's lock is taken inside the lateral subquery, which runs once per task row
  // and only after that row is locked.
  const { rows } = await db.query<DbTaskRow & DbRunBesideTask>({
    name: 'queue-lock-task-and-run',
    text: `SELECT t.*, r.* FROM (
         SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = $1 FOR UPDATE) t
       LEFT JOIN LATERAL (
         SELECT run_id, state, reason_created, reason_resolved, worker_group, worker_id,
                taken_until, scheduled, started, resolved, replica
           FROM task_runs WHERE task_id = t.task_id AND run_id = $2 FOR UPDATE) r ON true`,
    values: [taskId, runId],
  });
  const row = rows[0];
  if (!row) return { task: undefined, run: undefined };
  const task = taskRowFromDb(row);
  if (row.run_id === null) return { task, run: undefined };
  return { task, run: runRowFromDb({ ...(row as unknown as DbRunRow), task_id: task.taskId }) };
}

/**
 * Resolves a run the caller has locked (with its task) and found running, when no
 * retry follows: removes its pending_tasks row if any, marks it resolved, satisfies
 * the dependencies on its task that this resolution satisfies (`completed` both
 * kinds, anything else `all-resolved` only) and records the audit entry. Returns the
 * task's runs after the change, oldest first, and the dependents whose dependency
 * became satisfied, sorted as satisfyDependencies sorts them.
 *
 * This must be a statement of its own after the locks: its snapshot then includes
 * every dependency committed while this transaction waited for the task's lock.
 */
export async function resolveRunningRun(
  db: Queryable,
  run: { taskId: string; runId: number; state: RunState; reasonResolved: string },
  audit: AuditEntry,
  now: Date,
): Promise<{ runs: RunRow[]; dependents: string[] }> {
  const { rows } = await db.query<DbRunRow & { dependents: string[] | null }>({
    name: 'queue-resolve-running-run',
    text: `WITH unpended AS (DELETE FROM pending_tasks WHERE task_id = $1 AND run_id = $2),
     resolved AS (
       UPDATE task_runs SET state = $3, reason_resolved = $4, resolved = $5
        WHERE task_id = $1 AND run_id = $2 AND state IN ('pending', 'running')
       RETURNING ${RUN_COLUMNS}),
     satisfied AS (
       UPDATE task_dependencies SET satisfied = true
        WHERE required_task_id = $1 AND NOT satisfied AND (requires = 'all-resolved' OR $6)
       RETURNING dependent_task_id),
     audit AS (
       INSERT INTO audit_pending (${AUDIT_PENDING_COLUMNS}) VALUES ($5, $7, $1, $8, $9, $10))
     -- The other runs of a locked task cannot change meanwhile: only its latest run
     -- is ever pending or running, and that is this one. (A quorum task, whose
     -- replicas run side by side, never resolves its runs through this statement.)
     SELECT runs.*, (SELECT array_agg(dependent_task_id) FROM satisfied) AS dependents
       FROM (SELECT * FROM resolved
             UNION ALL
             SELECT ${RUN_COLUMNS} FROM task_runs WHERE task_id = $1 AND run_id <> $2) runs
      ORDER BY run_id`,
    values: [
      run.taskId,
      run.runId,
      run.state,
      run.reasonResolved,
      now,
      run.state === 'completed',
      audit.entityType,
      audit.action,
      audit.clientId,
      JSON.stringify(audit.details),
    ],
  });
  return {
    runs: rows.map(runRowFromDb),
    dependents: [...(rows[0]?.dependents ?? [])].sort(),
  };
}
