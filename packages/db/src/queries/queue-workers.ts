import type { Queryable } from './queryable.js';

export interface QuarantineDetail {
  clientId: string;
  updatedAt: string;
  quarantineUntil: string;
  quarantineInfo: string;
}

export interface WorkerRow {
  taskQueueId: string;
  workerGroup: string;
  workerId: string;
  /** Null when never quarantined; a past date means the quarantine was lifted or ran out. */
  quarantineUntil: Date | null;
  quarantineDetails: QuarantineDetail[];
  firstClaim: Date;
  lastDateActive: Date;
  expires: Date;
  /** The worker's latest claims, oldest first. */
  recentTasks: { taskId: string; runId: number }[];
}

export interface WorkerKey {
  taskQueueId: string;
  workerGroup: string;
  workerId: string;
}

interface DbWorkerRow {
  task_queue_id: string;
  worker_group: string;
  worker_id: string;
  quarantine_until: Date | null;
  quarantine_details: QuarantineDetail[];
  first_claim: Date;
  last_date_active: Date;
  expires: Date;
  recent_tasks: { taskId: string; runId: number }[];
}

const COLUMNS = `task_queue_id, worker_group, worker_id, quarantine_until, quarantine_details,
  first_claim, last_date_active, expires, recent_tasks`;

const fromDb = (r: DbWorkerRow): WorkerRow => ({
  taskQueueId: r.task_queue_id,
  workerGroup: r.worker_group,
  workerId: r.worker_id,
  quarantineUntil: r.quarantine_until,
  quarantineDetails: r.quarantine_details,
  firstClaim: r.first_claim,
  lastDateActive: r.last_date_active,
  expires: r.expires,
  recentTasks: r.recent_tasks,
});

/** A worker counts as gone once expired, but not while a quarantine still holds it. */
const LIVE = '(expires > $NOW OR quarantine_until > $NOW)';

export async function getWorker(
  db: Queryable,
  key: WorkerKey,
  now: Date,
): Promise<WorkerRow | undefined> {
  const { rows } = await db.query<DbWorkerRow>(
    `SELECT ${COLUMNS} FROM queue_workers
      WHERE task_queue_id = $1 AND worker_group = $2 AND worker_id = $3
        AND ${LIVE.replaceAll('$NOW', '$4')}`,
    [key.taskQueueId, key.workerGroup, key.workerId, now],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/**
 * Live workers of the queue in (workerGroup, workerId) order after `after`;
 * `quarantined` keeps only those whose quarantine holds now (true) or does not (false).
 */
export async function listWorkers(
  db: Queryable,
  taskQueueId: string,
  page: {
    after: { workerGroup: string; workerId: string } | undefined;
    limit: number;
    quarantined: boolean | undefined;
  },
  now: Date,
): Promise<WorkerRow[]> {
  const { rows } = await db.query<DbWorkerRow>(
    `SELECT ${COLUMNS} FROM queue_workers
      WHERE task_queue_id = $1 AND ${LIVE.replaceAll('$NOW', '$2')}
        AND ($3::text IS NULL OR (worker_group, worker_id) > ($3, $4::text))
        AND ($5::boolean IS NULL OR (COALESCE(quarantine_until > $2, false) = $5))
      ORDER BY worker_group, worker_id LIMIT $6`,
    [
      taskQueueId,
      now,
      page.after?.workerGroup ?? null,
      page.after?.workerId ?? null,
      page.quarantined ?? null,
      page.limit,
    ],
  );
  return rows.map(fromDb);
}

/**
 * Sets the worker's quarantine and appends `detail` to its history (keeping the
 * latest `keepDetails`); the worker's expiry is pushed to at least `expires` so a
 * released worker does not vanish at once. Undefined when no such worker was recorded
 * (it never called claimWork or declareWorker, or its record was deleted).
 */
export async function quarantineWorker(
  db: Queryable,
  key: WorkerKey,
  change: { quarantineUntil: Date; detail: QuarantineDetail; expires: Date; keepDetails: number },
): Promise<WorkerRow | undefined> {
  const { rows } = await db.query<DbWorkerRow>(
    `UPDATE queue_workers w
        SET quarantine_until = $4,
            expires = GREATEST(w.expires, $6),
            quarantine_details = (
              SELECT COALESCE(jsonb_agg(kept.e ORDER BY kept.i), '[]') FROM (
                SELECT e, i FROM jsonb_array_elements(w.quarantine_details || jsonb_build_array($5::jsonb))
                  WITH ORDINALITY AS a(e, i)
                ORDER BY i DESC LIMIT $7) kept)
      WHERE task_queue_id = $1 AND worker_group = $2 AND worker_id = $3
      RETURNING ${COLUMNS}`,
    [
      key.taskQueueId,
      key.workerGroup,
      key.workerId,
      change.quarantineUntil,
      JSON.stringify(change.detail),
      change.expires,
      change.keepDetails,
    ],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/**
 * Records the worker as seen now (declareWorker), creating it if needed; its expiry
 * never moves backwards. Returns the worker as stored.
 */
export async function workerSeen(
  db: Queryable,
  key: WorkerKey,
  expires: Date,
  now: Date,
): Promise<WorkerRow> {
  const { rows } = await db.query<DbWorkerRow>(
    `INSERT INTO queue_workers AS w (task_queue_id, worker_group, worker_id, first_claim,
         last_date_active, expires)
     VALUES ($1, $2, $3, $4, $4, $5)
     ON CONFLICT (task_queue_id, worker_group, worker_id) DO UPDATE
        SET last_date_active = GREATEST(w.last_date_active, EXCLUDED.last_date_active),
            expires = GREATEST(w.expires, EXCLUDED.expires)
     RETURNING ${COLUMNS}`,
    [key.taskQueueId, key.workerGroup, key.workerId, now, expires],
  );
  const row = rows[0];
  if (!row) throw new Error('workerSeen returned no row');
  return fromDb(row);
}

/** Deletes up to `limit` workers that expired and are not held by a quarantine. */
export async function deleteExpiredWorkers(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM queue_workers WHERE (task_queue_id, worker_group, worker_id) IN (
       SELECT task_queue_id, worker_group, worker_id FROM queue_workers
        WHERE expires <= $1 AND NOT COALESCE(quarantine_until > $1, false)
        ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)
     AND expires <= $1 AND NOT COALESCE(quarantine_until > $1, false)`,
    [now, limit],
  );
  return rowCount ?? 0;
}
