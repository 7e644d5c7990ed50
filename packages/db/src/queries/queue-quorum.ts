import type { Queryable } from './queryable.js';
import type { QuorumDecision } from './queue-tasks.js';

/** One artifact of a replica's run as the quorum compares it. */
export interface ReplicaArtifact {
  runId: number;
  name: string;
  storageType: string;
  /** The sha256 the blob store computed, for stored (object, s3) artifacts. */
  blobSha256: string | null;
  /** For reference, link and error artifacts: where they point or why they failed. */
  details: Record<string, string>;
}

/**
 * The present artifacts of the given runs of one task, by run then name. Only the
 * store's digest (blob_sha256) is read: never upload_sha256, the digest an uploader
 * announced (S17).
 */
export async function artifactsOfRuns(
  db: Queryable,
  taskId: string,
  runIds: readonly number[],
): Promise<ReplicaArtifact[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<{
    run_id: number;
    name: string;
    storage_type: string;
    blob_sha256: string | null;
    details: Record<string, string>;
  }>(
    `SELECT run_id, name, storage_type, blob_sha256, details FROM artifacts
      WHERE task_id = $1 AND run_id = ANY($2::smallint[]) AND present
      ORDER BY run_id, name`,
    [taskId, runIds],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    name: r.name,
    storageType: r.storage_type,
    blobSha256: r.blob_sha256,
    details: r.details,
  }));
}

/** Records the quorum's decision on its task; the caller holds the task row's lock. */
export async function setDecision(
  db: Queryable,
  taskId: string,
  decision: QuorumDecision,
): Promise<void> {
  await db.query(`UPDATE tasks SET quorum = $2 WHERE task_id = $1 AND quorum IS NULL`, [
    taskId,
    JSON.stringify(decision),
  ]);
}

/**
 * Stores an artifact the queue itself writes (the quorum's report) on a run, present
 * at once and pointing at a blob the caller stored and registered in this transaction.
 * Replaces nothing: false when the name is taken on that run.
 */
export async function insertQueueArtifact(
  db: Queryable,
  artifact: {
    taskId: string;
    runId: number;
    name: string;
    contentType: string;
    expires: Date;
    sha256: string;
    size: number;
  },
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details, present,
       expires, content_length, created, upload_finished, blob_sha256)
     VALUES ($1, $2, $3, 'object', $4, '{}', true, $5, $6, $7, true, $8)
     ON CONFLICT (task_id, run_id, name) DO NOTHING`,
    [
      artifact.taskId,
      artifact.runId,
      artifact.name,
      artifact.contentType,
      artifact.expires,
      artifact.size,
      now,
      artifact.sha256,
    ],
  );
  return rowCount === 1;
}
