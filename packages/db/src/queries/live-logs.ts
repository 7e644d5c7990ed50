import type { Queryable } from './queryable.js';

export interface LiveLogState {
  size: number;
  closed: boolean;
}

export interface LiveLogChunk {
  offset: number;
  data: Buffer;
}

/**
 * The run's live log, created empty if it has none, locked for the rest of the
 * transaction so that appends to one log are serialized.
 */
export async function lockLiveLog(
  db: Queryable,
  taskId: string,
  runId: number,
  now: Date,
): Promise<LiveLogState> {
  await db.query(
    `INSERT INTO live_logs (task_id, run_id, updated) VALUES ($1, $2, $3)
     ON CONFLICT (task_id, run_id) DO NOTHING`,
    [taskId, runId, now],
  );
  const { rows } = await db.query<{ size: string; closed: boolean }>(
    `SELECT size, closed FROM live_logs WHERE task_id = $1 AND run_id = $2 FOR UPDATE`,
    [taskId, runId],
  );
  const row = rows[0];
  if (!row) throw new Error('the live log row vanished inside its transaction');
  return { size: Number(row.size), closed: row.closed };
}

/** Appends `data` at the log's current end (the caller checked `offset` against it). */
export async function appendLiveLog(
  db: Queryable,
  append: { taskId: string; runId: number; offset: number; data: Buffer; close: boolean },
  now: Date,
): Promise<void> {
  const { taskId, runId, offset, data, close } = append;
  if (data.length > 0) {
    await db.query(
      `INSERT INTO live_log_chunks (task_id, run_id, "offset", data) VALUES ($1, $2, $3, $4)`,
      [taskId, runId, offset, data],
    );
  }
  await db.query(
    `UPDATE live_logs SET size = size + $3, closed = closed OR $4, updated = $5
      WHERE task_id = $1 AND run_id = $2`,
    [taskId, runId, data.length, close, now],
  );
}

/** A run's state with its live log, if it has one: what a reader needs, in one read. */
export interface LiveLogProgress {
  runState: string;
  log: LiveLogState | undefined;
}

export async function getLiveLogProgress(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<LiveLogProgress | undefined> {
  const { rows } = await db.query<{ state: string; size: string | null; closed: boolean | null }>(
    `SELECT r.state, l.size, l.closed
       FROM task_runs r LEFT JOIN live_logs l USING (task_id, run_id)
      WHERE r.task_id = $1 AND r.run_id = $2`,
    [taskId, runId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    runState: row.state,
    log: row.size === null ? undefined : { size: Number(row.size), closed: row.closed === true },
  };
}

/** Chunks that hold bytes at or after `from`, in order, at most `limit` of them. */
export async function readLiveLog(
  db: Queryable,
  taskId: string,
  runId: number,
  from: number,
  limit: number,
): Promise<LiveLogChunk[]> {
  const { rows } = await db.query<{ offset: string; data: Buffer }>(
    `SELECT "offset", data FROM live_log_chunks
      WHERE task_id = $1 AND run_id = $2 AND "offset" + length(data) > $3
        -- Chunks are at most 1 MiB, so this bounds the index range scanned.
        AND "offset" > $3 - 1048576
      ORDER BY "offset" LIMIT $4`,
    [taskId, runId, from, limit],
  );
  return rows.map((r) => ({ offset: Number(r.offset), data: r.data }));
}

/**
 * Deletes up to `limit` live logs (and their chunks) last written before `before`:
 * by then their run has ended and its complete log is an ordinary artifact.
 */
export async function deleteStaleLiveLogs(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM live_logs WHERE (task_id, run_id) IN (
       SELECT task_id, run_id FROM live_logs WHERE updated < $1
        LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [before, limit],
  );
  return rowCount ?? 0;
}
