import type { Queryable } from './queryable.js';
import { notify } from './queryable.js';

/** Every replica LISTENs here; the payload is the taskQueueId that gained pending work. */
export const QUEUE_CHANNEL = 'bulwark_queue';

export type RunState = 'pending' | 'running' | 'completed' | 'failed' | 'exception';
export type ReasonCreated = 'scheduled' | 'retry' | 'task-retry' | 'rerun' | 'exception';

export interface RunRow {
  taskId: string;
  runId: number;
  state: RunState;
  reasonCreated: ReasonCreated;
  reasonResolved: string | null;
  workerGroup: string | null;
  workerId: string | null;
  takenUntil: Date | null;
  scheduled: Date;
  started: Date | null;
  resolved: Date | null;
}

const COLUMNS = `task_id, run_id, state, reason_created, reason_resolved, worker_group,
  worker_id, taken_until, scheduled, started, resolved`;

// The same columns qualified, for statements that join another table.
const RUN_COLUMNS_OF_R = `r.task_id, r.run_id, r.state, r.reason_created, r.reason_resolved,
  r.worker_group, r.worker_id, r.taken_until, r.scheduled, r.started, r.resolved`;

interface DbRunRow {
  task_id: string;
  run_id: number;
  state: RunState;
  reason_created: ReasonCreated;
  reason_resolved: string | null;
  worker_group: string | null;
  worker_id: string | null;
  taken_until: Date | null;
  scheduled: Date;
  started: Date | null;
  resolved: Date | null;
}

function fromDb(r: DbRunRow): RunRow {
  return {
    taskId: r.task_id,
    runId: r.run_id,
    state: r.state,
    reasonCreated: r.reason_created,
    reasonResolved: r.reason_resolved,
    workerGroup: r.worker_group,
    workerId: r.worker_id,
    takenUntil: r.taken_until,
    scheduled: r.scheduled,
    started: r.started,
    resolved: r.resolved,
  };
}

/** All runs of a task, oldest first. */
export async function getRuns(db: Queryable, taskId: string): Promise<RunRow[]> {
  const { rows } = await db.query<DbRunRow>(
    `SELECT ${COLUMNS} FROM task_runs WHERE task_id = $1 ORDER BY run_id`,
    [taskId],
  );
  return rows.map(fromDb);
}

export async function getRun(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<RunRow | undefined> {
  const { rows } = await db.query<DbRunRow>(
    `SELECT ${COLUMNS} FROM task_runs WHERE task_id = $1 AND run_id = $2`,
    [taskId, runId],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

export async function getRunForUpdate(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<RunRow | undefined> {
  const { rows } = await db.query<DbRunRow>(
    `SELECT ${COLUMNS} FROM task_runs WHERE task_id = $1 AND run_id = $2 FOR UPDATE`,
    [taskId, runId],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/**
 * Appends a pending run and its pending_tasks row, and wakes the claimers of its
 * queue on every replica once the transaction commits.
 */
export async function addPendingRun(
  db: Queryable,
  run: {
    taskId: string;
    runId: number;
    reasonCreated: ReasonCreated;
    taskQueueId: string;
    priority: number;
  },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled)
     VALUES ($1, $2, 'pending', $3, $4)`,
    [run.taskId, run.runId, run.reasonCreated, now],
  );
  await db.query(
    `INSERT INTO pending_tasks (task_id, run_id, task_queue_id, priority, inserted)
     VALUES ($1, $2, $3, $4, $5)`,
    [run.taskId, run.runId, run.taskQueueId, run.priority, now],
  );
  await notify(db, QUEUE_CHANNEL, run.taskQueueId);
}

/** Appends an already-resolved run (an unscheduled task resolved at its deadline). */
export async function addResolvedRun(
  db: Queryable,
  run: { taskId: string; runId: number; reasonCreated: ReasonCreated; reasonResolved: string },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, reason_resolved, scheduled, resolved)
     VALUES ($1, $2, 'exception', $3, $4, $5, $5)`,
    [run.taskId, run.runId, run.reasonCreated, run.reasonResolved, now],
  );
}

/**
 * Takes up to `count` pending runs of the queue, highest priority first and oldest
 * first within a priority, and marks them running for the worker, in one statement.
 * `FOR UPDATE SKIP LOCKED` lets concurrent claimers (on any replica) take disjoint
 * rows without waiting; deleting the pending row in the same transaction as the run
 * update means a run can only ever be handed out once.
 */
export async function claimPendingRuns(
  db: Queryable,
  claim: {
    taskQueueId: string;
    count: number;
    workerGroup: string;
    workerId: string;
    takenUntil: Date;
  },
  now: Date,
): Promise<RunRow[]> {
  const { rows } = await db.query<DbRunRow>(
    `WITH picked AS (
       DELETE FROM pending_tasks WHERE (task_id, run_id) IN (
         SELECT p.task_id, p.run_id FROM pending_tasks p JOIN tasks t USING (task_id)
          WHERE p.task_queue_id = $1 AND t.deadline > $6
          ORDER BY p.priority DESC, p.seq
          LIMIT $2 FOR UPDATE OF p SKIP LOCKED)
       RETURNING task_id, run_id, priority, seq),
     claimed AS (
       UPDATE task_runs r
          SET state = 'running', worker_group = $3, worker_id = $4, taken_until = $5, started = $6
         FROM picked
        WHERE r.task_id = picked.task_id AND r.run_id = picked.run_id AND r.state = 'pending'
       RETURNING ${RUN_COLUMNS_OF_R}, picked.priority, picked.seq)
     -- UPDATE ... RETURNING has no order of its own; hand the claims out in queue order.
     SELECT ${COLUMNS} FROM claimed ORDER BY priority DESC, seq`,
    [claim.taskQueueId, claim.count, claim.workerGroup, claim.workerId, claim.takenUntil, now],
  );
  return rows.map(fromDb);
}

export async function setTakenUntil(
  db: Queryable,
  taskId: string,
  runId: number,
  takenUntil: Date,
): Promise<void> {
  await db.query(`UPDATE task_runs SET taken_until = $3 WHERE task_id = $1 AND run_id = $2`, [
    taskId,
    runId,
    takenUntil,
  ]);
}

/** Resolves a pending or running run; its pending_tasks row, if any, goes with it. */
export async function resolveRun(
  db: Queryable,
  run: { taskId: string; runId: number; state: RunState; reasonResolved: string },
  now: Date,
): Promise<void> {
  await db.query(`DELETE FROM pending_tasks WHERE task_id = $1 AND run_id = $2`, [
    run.taskId,
    run.runId,
  ]);
  await db.query(
    `UPDATE task_runs SET state = $3, reason_resolved = $4, resolved = $5
      WHERE task_id = $1 AND run_id = $2 AND state IN ('pending', 'running')`,
    [run.taskId, run.runId, run.state, run.reasonResolved, now],
  );
}

/** Tasks with a running run whose claim expired before `before`, most overdue first. */
export async function expiredClaims(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<{ taskId: string; runId: number }[]> {
  const { rows } = await db.query<{ task_id: string; run_id: number }>(
    `SELECT task_id, run_id FROM task_runs
      WHERE state = 'running' AND taken_until < $1 ORDER BY taken_until LIMIT $2`,
    [before, limit],
  );
  return rows.map((r) => ({ taskId: r.task_id, runId: r.run_id }));
}
