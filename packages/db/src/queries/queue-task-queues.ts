import type { Queryable } from './queryable.js';
import { taskColumnsOf, taskRowFromDb, type DbTaskRow, type TaskRow } from './queue-tasks.js';

export interface TaskQueueRow {
  taskQueueId: string;
  expires: Date;
  lastDateActive: Date;
  description: string;
  stability: 'experimental' | 'stable' | 'deprecated';
}

interface DbTaskQueueRow {
  task_queue_id: string;
  expires: Date;
  last_date_active: Date;
  description: string;
  stability: TaskQueueRow['stability'];
}

const COLUMNS = 'task_queue_id, expires, last_date_active, description, stability';

const fromDb = (r: DbTaskQueueRow): TaskQueueRow => ({
  taskQueueId: r.task_queue_id,
  expires: r.expires,
  lastDateActive: r.last_date_active,
  description: r.description,
  stability: r.stability,
});

/** Records that the queue was active now; its expiry never moves backwards. */
export async function taskQueueSeen(
  db: Queryable,
  taskQueueId: string,
  expires: Date,
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO task_queues AS q (task_queue_id, expires, last_date_active)
     VALUES ($1, $2, $3)
     ON CONFLICT (task_queue_id) DO UPDATE
        SET expires = GREATEST(q.expires, EXCLUDED.expires),
            last_date_active = GREATEST(q.last_date_active, EXCLUDED.last_date_active)`,
    [taskQueueId, expires, now],
  );
}

/** The queue, unless it expired. */
export async function getTaskQueue(
  db: Queryable,
  taskQueueId: string,
  now: Date,
): Promise<TaskQueueRow | undefined> {
  const { rows } = await db.query<DbTaskQueueRow>(
    `SELECT ${COLUMNS} FROM task_queues WHERE task_queue_id = $1 AND expires > $2`,
    [taskQueueId, now],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/** Unexpired queues in id order, after `after`. */
export async function listTaskQueues(
  db: Queryable,
  page: { after: string | undefined; limit: number },
  now: Date,
): Promise<TaskQueueRow[]> {
  const { rows } = await db.query<DbTaskQueueRow>(
    `SELECT ${COLUMNS} FROM task_queues
      WHERE expires > $3 AND ($1::text IS NULL OR task_queue_id > $1)
      ORDER BY task_queue_id LIMIT $2`,
    [page.after ?? null, page.limit, now],
  );
  return rows.map(fromDb);
}

export async function deleteExpiredTaskQueues(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM task_queues WHERE task_queue_id IN (
       SELECT task_queue_id FROM task_queues WHERE expires <= $1
        ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)
     AND expires <= $1`,
    [now, limit],
  );
  return rowCount ?? 0;
}

/** Pending runs and claimed (running) runs of the queue, counted from their indexes. */
export async function countQueueRuns(
  db: Queryable,
  taskQueueId: string,
): Promise<{ pending: number; claimed: number }> {
  const { rows } = await db.query<{ pending: string; claimed: string }>(
    `SELECT (SELECT count(*) FROM pending_tasks WHERE task_queue_id = $1) AS pending,
            (SELECT count(*) FROM task_runs WHERE task_queue_id = $1 AND state = 'running')
              AS claimed`,
    [taskQueueId],
  );
  return { pending: Number(rows[0]?.pending ?? 0), claimed: Number(rows[0]?.claimed ?? 0) };
}

/** Position of a pending run in its queue's claim order. */
export interface PendingPosition {
  priority: number;
  seq: string;
}

export interface PendingRun {
  taskId: string;
  runId: number;
  inserted: Date;
  position: PendingPosition;
  task: TaskRow;
}

/** The queue's pending runs in the order claimWork takes them, after `after`. */
export async function listPendingRuns(
  db: Queryable,
  taskQueueId: string,
  page: { after: PendingPosition | undefined; limit: number },
): Promise<PendingRun[]> {
  const { rows } = await db.query<
    DbTaskRow & { run_id: number; inserted: Date; p_priority: number; seq: string }
  >(
    `SELECT ${taskColumnsOf('t')}, p.run_id, p.inserted, p.priority AS p_priority, p.seq
       FROM pending_tasks p JOIN tasks t ON t.task_id = p.task_id
      WHERE p.task_queue_id = $1
        AND ($2::smallint IS NULL OR (p.priority < $2 OR (p.priority = $2 AND p.seq > $3)))
      ORDER BY p.priority DESC, p.seq LIMIT $4`,
    [taskQueueId, page.after?.priority ?? null, page.after?.seq ?? null, page.limit],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    runId: r.run_id,
    inserted: r.inserted,
    position: { priority: r.p_priority, seq: String(r.seq) },
    task: taskRowFromDb(r),
  }));
}

/** Position of a claimed run in the oldest-claim-first order: start (µs since epoch), taskId. */
export interface ClaimedPosition {
  startedMicros: string;
  taskId: string;
}

export interface ClaimedRun {
  taskId: string;
  runId: number;
  workerGroup: string;
  workerId: string;
  claimed: Date;
  position: ClaimedPosition;
  task: TaskRow;
}

/** The queue's running runs, oldest claim first, after `after`. */
export async function listClaimedRuns(
  db: Queryable,
  taskQueueId: string,
  page: { after: ClaimedPosition | undefined; limit: number },
): Promise<ClaimedRun[]> {
  const { rows } = await db.query<
    DbTaskRow & {
      run_id: number;
      worker_group: string;
      worker_id: string;
      started: Date;
      started_micros: string;
    }
  >(
    `SELECT ${taskColumnsOf('t')}, r.run_id, r.worker_group, r.worker_id, r.started,
            (extract(epoch FROM r.started) * 1000000)::bigint AS started_micros
       FROM task_runs r JOIN tasks t ON t.task_id = r.task_id
      WHERE r.task_queue_id = $1 AND r.state = 'running'
        AND ($2::bigint IS NULL OR (r.started, r.task_id) >
             (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text))
      ORDER BY r.started, r.task_id LIMIT $4`,
    [taskQueueId, page.after?.startedMicros ?? null, page.after?.taskId ?? null, page.limit],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    runId: r.run_id,
    workerGroup: r.worker_group,
    workerId: r.worker_id,
    claimed: r.started,
    position: { startedMicros: String(r.started_micros), taskId: r.task_id },
    task: taskRowFromDb(r),
  }));
}
