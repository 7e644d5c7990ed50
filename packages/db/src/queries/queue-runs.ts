import { AUDIT_PENDING_COLUMNS } from './audit.js';
import type { Queryable } from './queryable.js';
import { notify } from './queryable.js';
import { taskColumnsOf, taskRowFromDb, type DbTaskRow, type TaskRow } from './queue-tasks.js';

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
  /** Which replica of a quorum task this run is (0 to 4); null for an ordinary run. */
  replica: number | null;
}

export const RUN_COLUMNS = `task_id, run_id, state, reason_created, reason_resolved, worker_group,
  worker_id, taken_until, scheduled, started, resolved, replica`;

// The same columns qualified, for statements that join another table.
const RUN_COLUMNS_OF_R = `r.task_id, r.run_id, r.state, r.reason_created, r.reason_resolved,
  r.worker_group, r.worker_id, r.taken_until, r.scheduled, r.started, r.resolved, r.replica`;

// A claimed run's columns beside its task's (task_id comes with the task's).
const RUN_COLUMNS_BESIDE_TASK = `c.run_id, c.state, c.reason_created, c.reason_resolved,
  c.worker_group, c.worker_id, c.taken_until, c.scheduled, c.started, c.resolved, c.replica`;

export interface DbRunRow {
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
  replica: number | null;
}

export function runRowFromDb(r: DbRunRow): RunRow {
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
    replica: r.replica,
  };
}

/** All runs of a task, oldest first. */
export async function getRuns(db: Queryable, taskId: string): Promise<RunRow[]> {
  const { rows } = await db.query<DbRunRow>(
    `SELECT ${RUN_COLUMNS} FROM task_runs WHERE task_id = $1 ORDER BY run_id`,
    [taskId],
  );
  return rows.map(runRowFromDb);
}

export async function getRun(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<RunRow | undefined> {
  // Named: the revocation check of run credentials (S3) runs it on every request they sign.
  const { rows } = await db.query<DbRunRow>({
    name: 'queue-get-run',
    text: `SELECT ${RUN_COLUMNS} FROM task_runs WHERE task_id = $1 AND run_id = $2`,
    values: [taskId, runId],
  });
  return rows[0] ? runRowFromDb(rows[0]) : undefined;
}

export async function getRunForUpdate(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<RunRow | undefined> {
  const { rows } = await db.query<DbRunRow>(
    `SELECT ${RUN_COLUMNS} FROM task_runs WHERE task_id = $1 AND run_id = $2 FOR UPDATE`,
    [taskId, runId],
  );
  return rows[0] ? runRowFromDb(rows[0]) : undefined;
}

/**
 * Appends a pending run and its pending_tasks row, and wakes the claimers of its
 * queue on every replica once the transaction commits. `replica` numbers a quorum
 * task's replica (its run is claimable from `taskQueueId`, which for the trusted
 * replica is the trusted queue).
 */
export async function addPendingRun(
  db: Queryable,
  run: {
    taskId: string;
    runId: number;
    reasonCreated: ReasonCreated;
    taskQueueId: string;
    priority: number;
    replica?: number;
  },
  now: Date,
): Promise<void> {
  const replica = run.replica ?? null;
  await db.query(
    `INSERT INTO task_runs (task_id, run_id, state, reason_created, scheduled, replica)
     VALUES ($1, $2, 'pending', $3, $4, $5)`,
    [run.taskId, run.runId, run.reasonCreated, now, replica],
  );
  await db.query(
    `INSERT INTO pending_tasks (task_id, run_id, task_queue_id, priority, inserted, replica)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [run.taskId, run.runId, run.taskQueueId, run.priority, now, replica],
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

/** How many claims a worker record remembers (Taskcluster's recentTasks). */
export const RECENT_TASKS_KEPT = 20;

/** SQL for the last RECENT_TASKS_KEPT elements of a jsonb array expression, in order. */
const lastRecentTasks = (array: string): string =>
  `CASE WHEN jsonb_array_length(${array}) <= ${RECENT_TASKS_KEPT} THEN ${array}
        ELSE jsonb_path_query_array(${array}, '$[last - ${RECENT_TASKS_KEPT - 1} to last]') END`;

export interface WorkerClaim {
  taskQueueId: string;
  count: number;
  workerGroup: string;
  workerId: string;
  takenUntil: Date;
  /** When the worker record expires unless seen again. */
  workerExpires: Date;
  /** A worker record last touched before this is touched again even without a claim. */
  refreshSeenBefore: Date;
  /**
   * Who claims: each claimed run gets a `claimed` audit entry by this client, in queue
   * order, written by the same statement (as appendAuditEntries would write it).
   */
  auditClientId: string;
}

/**
 * claimWork's single statement: takes up to `count` pending runs of the queue,
 * highest priority first and oldest first within a priority, marks them running for
 * the worker, and records the worker (first claim, last activity, recent claims).
 *
 * - `FOR UPDATE SKIP LOCKED` lets concurrent claimers (on any replica) take disjoint
 *   rows without waiting; deleting the pending row in the same statement as the run
 *   update means a run can only ever be handed out once.
 * - A worker quarantined as of the statement's snapshot takes nothing; it is still
 *   recorded as seen.
 * - Each worker has its own row, so claimers only ever wait for another claim of the
 *   same worker. Its activity time and expiry are refreshed only once older than
 *   `refreshSeenBefore`; an attempt that claims nothing while they are fresh neither
 *   writes nor locks it.
 *
 * - Each claimed run's `claimed` audit entry is inserted by the same statement, so
 *   the claim and its record commit together without another round trip.
 * - A replica of a quorum task (docs/quorum.md) goes only to a worker that holds no
 *   other replica of that task, at most one replica of a task per statement. The
 *   worker's hold is recorded in task_replica_workers by the same statement; its
 *   primary key serializes two claims of one worker racing for two replicas (the
 *   second waits for the first to commit, then finds the key taken and leaves its
 *   replica pending). Workers are told apart by workerGroup alone when the task asks
 *   for distinct worker groups.
 *
 * Returns the claimed runs with their tasks, in queue order.
 */
export async function claimPendingRuns(
  db: Queryable,
  claim: WorkerClaim,
  now: Date,
): Promise<{ run: RunRow; task: TaskRow }[]> {
  const { rows } = await db.query<DbRunRow & DbTaskRow>({
    name: 'queue-claim-pending-runs',
    text: `WITH worker AS (
       SELECT quarantine_until FROM queue_workers
        WHERE task_queue_id = $1 AND worker_group = $3 AND worker_id = $4),
     candidates AS MATERIALIZED (
       SELECT p.task_id, p.run_id, p.priority, p.seq, p.replica,
              CASE WHEN t.verification->>'distinctBy' = 'workerGroup' THEN '' ELSE $4 END
                AS distinct_id
         FROM pending_tasks p JOIN tasks t USING (task_id)
        WHERE p.task_queue_id = $1 AND t.deadline > $6
          AND NOT EXISTS (SELECT 1 FROM worker WHERE quarantine_until > $6)
          AND (p.replica IS NULL OR NOT EXISTS (
            SELECT 1 FROM task_replica_workers h
             WHERE h.task_id = p.task_id AND h.worker_group = $3 AND h.replica <> p.replica
               AND h.worker_id = CASE WHEN t.verification->>'distinctBy' = 'workerGroup'
                                      THEN '' ELSE $4 END))
        ORDER BY p.priority DESC, p.seq
        LIMIT $2 FOR UPDATE OF p SKIP LOCKED),
     held AS (
       INSERT INTO task_replica_workers (task_id, worker_group, worker_id, replica)
       SELECT DISTINCT ON (task_id) task_id, $3, distinct_id, replica
         FROM candidates WHERE replica IS NOT NULL
        ORDER BY task_id, priority DESC, seq
       ON CONFLICT (task_id, worker_group, worker_id) DO UPDATE SET replica = EXCLUDED.replica
         WHERE task_replica_workers.replica = EXCLUDED.replica
       RETURNING task_id, replica),
     picked AS (
       DELETE FROM pending_tasks p USING candidates c
        WHERE p.task_id = c.task_id AND p.run_id = c.run_id
          AND (c.replica IS NULL
               OR EXISTS (SELECT 1 FROM held WHERE held.task_id = c.task_id
                                              AND held.replica = c.replica))
       RETURNING p.task_id, p.run_id, p.priority, p.seq),
     claimed AS (
       UPDATE task_runs r
          SET state = 'running', worker_group = $3, worker_id = $4, taken_until = $5,
              started = $6, task_queue_id = $1
         FROM picked
        WHERE r.task_id = picked.task_id AND r.run_id = picked.run_id AND r.state = 'pending'
       RETURNING ${RUN_COLUMNS_OF_R}, picked.priority, picked.seq),
     fresh AS (
       SELECT COALESCE(jsonb_agg(jsonb_build_object('taskId', task_id, 'runId', run_id)
                                 ORDER BY priority DESC, seq), '[]') AS tasks
         FROM claimed),
     -- A worker seen for the first time gets its record. (Two first claims of the
     -- same worker at once: the second's insert is skipped and its claims are missing
     -- from recentTasks; nothing else depends on them.)
     created AS (
       INSERT INTO queue_workers (task_queue_id, worker_group, worker_id, first_claim,
           last_date_active, expires, recent_tasks)
       SELECT $1, $3, $4, $6, $6, $7, ${lastRecentTasks('fresh.tasks')} FROM fresh
        WHERE NOT EXISTS (SELECT 1 FROM worker)
       ON CONFLICT DO NOTHING),
     -- A known worker's record is only written when it claimed something, or when its
     -- activity time is older than refreshSeenBefore: an idle long poll writes (and
     -- locks) nothing. Per claim only the unindexed recent_tasks changes, so the update
     -- is HOT; the indexed expires moves with the activity refresh.
     touched AS (
       UPDATE queue_workers w
          SET recent_tasks = ${lastRecentTasks('w.recent_tasks || fresh.tasks')},
              last_date_active = CASE WHEN w.last_date_active < $8 THEN $6
                                      ELSE w.last_date_active END,
              expires = CASE WHEN w.last_date_active < $8 THEN GREATEST(w.expires, $7)
                             ELSE w.expires END
         FROM fresh
        WHERE w.task_queue_id = $1 AND w.worker_group = $3 AND w.worker_id = $4
          AND (fresh.tasks <> '[]'::jsonb OR w.last_date_active < $8)),
     audit AS (
       INSERT INTO audit_pending (${AUDIT_PENDING_COLUMNS})
       SELECT $6, 'task', task_id, 'claimed', $9,
              jsonb_build_object('runId', run_id, 'workerGroup', $3::text,
                                 'workerId', $4::text, 'takenUntil', $10::text)
         FROM claimed ORDER BY priority DESC, seq)
     -- UPDATE ... RETURNING has no order of its own; hand the claims out in queue order.
     SELECT ${taskColumnsOf('t')}, ${RUN_COLUMNS_BESIDE_TASK}
       FROM claimed c JOIN tasks t ON t.task_id = c.task_id
      ORDER BY c.priority DESC, c.seq`,
    values: [
      claim.taskQueueId,
      claim.count,
      claim.workerGroup,
      claim.workerId,
      claim.takenUntil,
      now,
      claim.workerExpires,
      claim.refreshSeenBefore,
      claim.auditClientId,
      claim.takenUntil.toJSON(),
    ],
  });
  return rows.map((r) => ({ run: runRowFromDb(r), task: taskRowFromDb(r) }));
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

/** The runs of each of `taskIds`, oldest first; tasks without runs are absent. */
export async function getRunsOfTasks(
  db: Queryable,
  taskIds: readonly string[],
): Promise<Map<string, RunRow[]>> {
  const byTask = new Map<string, RunRow[]>();
  if (taskIds.length === 0) return byTask;
  const { rows } = await db.query<DbRunRow>(
    `SELECT ${RUN_COLUMNS} FROM task_runs WHERE task_id = ANY($1::text[]) ORDER BY task_id, run_id`,
    [taskIds],
  );
  for (const row of rows) {
    const run = runRowFromDb(row);
    const list = byTask.get(run.taskId);
    if (list) list.push(run);
    else byTask.set(run.taskId, [run]);
  }
  return byTask;
}

/**
 * Moves the tasks' pending runs, if any, to `priority`. Each keeps its place in line
 * (seq) among the runs of its new priority, so the next claim already sees the new
 * order. A claimer holding a row meanwhile makes this wait, then find it gone.
 */
export async function setPendingPriority(
  db: Queryable,
  taskIds: readonly string[],
  priority: number,
): Promise<void> {
  await db.query(`UPDATE pending_tasks SET priority = $2 WHERE task_id = ANY($1::text[])`, [
    taskIds,
    priority,
  ]);
}
