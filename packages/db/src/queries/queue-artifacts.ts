import type { Queryable } from './queryable.js';

export type StorageType = 'object' | 's3' | 'reference' | 'link' | 'error';

export interface ArtifactKey {
  taskId: string;
  runId: number;
  name: string;
}

export interface ArtifactRow extends ArtifactKey {
  storageType: StorageType;
  contentType: string;
  /** `{url}` for reference, `{artifact}` for link, `{reason, message}` for error; else `{}`. */
  details: Record<string, string>;
  present: boolean;
  expires: Date;
  contentLength: number | null;
  created: Date;
  uploadId: string | null;
  uploadTokenExpires: Date | null;
  uploadLength: number | null;
  uploadSha256: string | null;
  uploadFinished: boolean;
  blobSha256: string | null;
}

const COLUMNS = `task_id, run_id, name, storage_type, content_type, details, present, expires,
  content_length, created, upload_id, upload_token_expires, upload_length, upload_sha256,
  upload_finished, blob_sha256`;

interface DbArtifactRow {
  task_id: string;
  run_id: number;
  name: string;
  storage_type: StorageType;
  content_type: string;
  details: Record<string, string>;
  present: boolean;
  expires: Date;
  content_length: string | null;
  created: Date;
  upload_id: string | null;
  upload_token_expires: Date | null;
  upload_length: string | null;
  upload_sha256: string | null;
  upload_finished: boolean;
  blob_sha256: string | null;
}

// bigint arrives as a string; artifact sizes stay far below 2^53.
const toNumber = (v: string | null): number | null => (v === null ? null : Number(v));

function fromDb(r: DbArtifactRow): ArtifactRow {
  return {
    taskId: r.task_id,
    runId: r.run_id,
    name: r.name,
    storageType: r.storage_type,
    contentType: r.content_type,
    details: r.details,
    present: r.present,
    expires: r.expires,
    contentLength: toNumber(r.content_length),
    created: r.created,
    uploadId: r.upload_id,
    uploadTokenExpires: r.upload_token_expires,
    uploadLength: toNumber(r.upload_length),
    uploadSha256: r.upload_sha256,
    uploadFinished: r.upload_finished,
    blobSha256: r.blob_sha256,
  };
}

const KEY = 'task_id = $1 AND run_id = $2 AND name = $3';
const keyValues = (k: ArtifactKey): unknown[] => [k.taskId, k.runId, k.name];

export async function getArtifact(
  db: Queryable,
  key: ArtifactKey,
  options: { forUpdate?: boolean } = {},
): Promise<ArtifactRow | undefined> {
  const { rows } = await db.query<DbArtifactRow>(
    `SELECT ${COLUMNS} FROM artifacts WHERE ${KEY}${options.forUpdate ? ' FOR UPDATE' : ''}`,
    keyValues(key),
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

export interface NewArtifact extends ArtifactKey {
  storageType: StorageType;
  contentType: string;
  details: Record<string, string>;
  present: boolean;
  expires: Date;
  contentLength: number | null;
  uploadId: string | null;
}

/** Inserts the artifact unless one of that name exists; true when it was inserted. */
export async function insertArtifact(db: Queryable, a: NewArtifact, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details, present,
       expires, content_length, created, upload_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (task_id, run_id, name) DO NOTHING`,
    [
      ...keyValues(a),
      a.storageType,
      a.contentType,
      JSON.stringify(a.details),
      a.present,
      a.expires,
      a.contentLength,
      now,
      a.uploadId,
    ],
  );
  return rowCount === 1;
}

/** The changes a repeated createArtifact may make (the caller checked they are allowed). */
export async function updateArtifact(
  db: Queryable,
  key: ArtifactKey,
  change: { storageType: StorageType; details: Record<string, string>; expires: Date },
): Promise<void> {
  await db.query(
    `UPDATE artifacts SET storage_type = $4, details = $5, expires = $6 WHERE ${KEY}`,
    [...keyValues(key), change.storageType, JSON.stringify(change.details), change.expires],
  );
}

/** Present artifacts of one run in name order, after `afterName` when given. */
export async function listArtifacts(
  db: Queryable,
  taskId: string,
  runId: number,
  afterName: string | undefined,
  limit: number,
): Promise<ArtifactRow[]> {
  const { rows } = await db.query<DbArtifactRow>(
    `SELECT ${COLUMNS} FROM artifacts
      WHERE task_id = $1 AND run_id = $2 AND present AND ($3::text IS NULL OR name > $3)
      ORDER BY name LIMIT $4`,
    [taskId, runId, afterName ?? null, limit],
  );
  return rows.map(fromDb);
}

/** Arms a one-time upload capability (only its hash is stored) with the uploader's claims. */
export async function setUploadToken(
  db: Queryable,
  key: ArtifactKey,
  upload: {
    tokenHash: Buffer;
    tokenExpires: Date;
    uploadLength: number | null;
    uploadSha256: string | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE artifacts SET upload_token_hash = $4, upload_token_expires = $5,
       upload_length = $6, upload_sha256 = COALESCE($7, upload_sha256)
      WHERE ${KEY} AND NOT upload_finished`,
    [
      ...keyValues(key),
      upload.tokenHash,
      upload.tokenExpires,
      upload.uploadLength,
      upload.uploadSha256,
    ],
  );
}

/** Records the announced digest (createUpload without an upload method). */
export async function setUploadSha256(
  db: Queryable,
  key: ArtifactKey,
  sha256: string,
): Promise<void> {
  await db.query(`UPDATE artifacts SET upload_sha256 = $4 WHERE ${KEY}`, [
    ...keyValues(key),
    sha256,
  ]);
}

/** The unfinished upload a capability belongs to, while it is valid. */
export async function getByUploadToken(
  db: Queryable,
  tokenHash: Buffer,
  now: Date,
): Promise<ArtifactRow | undefined> {
  const { rows } = await db.query<DbArtifactRow>(
    `SELECT ${COLUMNS} FROM artifacts
      WHERE upload_token_hash = $1 AND upload_token_expires > $2 AND NOT upload_finished`,
    [tokenHash, now],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/**
 * Points the unfinished upload at the blob the store wrote (the blob row must exist).
 * False when the upload was finished or removed meanwhile.
 */
export async function attachBlob(
  db: Queryable,
  key: ArtifactKey,
  uploadId: string | null,
  sha256: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE artifacts SET blob_sha256 = $5
      WHERE ${KEY} AND upload_id IS NOT DISTINCT FROM $4 AND NOT upload_finished`,
    [...keyValues(key), uploadId, sha256],
  );
  return rowCount === 1;
}

/** Forgets stored data that failed a check, so nothing keeps the blob alive. */
export async function detachBlob(db: Queryable, key: ArtifactKey): Promise<void> {
  await db.query(`UPDATE artifacts SET blob_sha256 = NULL WHERE ${KEY} AND NOT present`, [
    ...keyValues(key),
  ]);
}

/**
 * Ends the upload: the capability is spent. With `present`, the artifact becomes
 * visible with the size the store measured.
 */
export async function finishUpload(
  db: Queryable,
  key: ArtifactKey,
  result: { contentLength: number; present: boolean },
): Promise<void> {
  await db.query(
    `UPDATE artifacts SET upload_finished = true, upload_token_hash = NULL,
       upload_token_expires = NULL, content_length = $4, present = present OR $5
      WHERE ${KEY}`,
    [...keyValues(key), result.contentLength, result.present],
  );
}

/** Makes a finished object artifact visible. */
export async function markPresent(db: Queryable, key: ArtifactKey): Promise<void> {
  await db.query(`UPDATE artifacts SET present = true WHERE ${KEY} AND upload_finished`, [
    ...keyValues(key),
  ]);
}

/** Deletes up to `limit` artifacts whose expiry passed; returns how many. */
export async function deleteExpiredArtifacts(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM artifacts WHERE (task_id, run_id, name) IN (
       SELECT task_id, run_id, name FROM artifacts WHERE expires <= $1
        ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, limit],
  );
  return rowCount ?? 0;
}

export interface RunForArtifacts {
  state: string;
  reasonResolved: string | null;
  resolved: Date | null;
  workerGroup: string | null;
  workerId: string | null;
  projectId: string;
  taskExpires: Date;
}

/**
 * The run an artifact belongs to, with what artifact rules need from its task. The run
 * row is share-locked until the transaction ends, so a resolution cannot commit
 * between the check that the run accepts artifacts and the write (tasks -> runs lock
 * order is kept: the task row is read, not locked).
 */
export async function lockRunForArtifacts(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<RunForArtifacts | undefined> {
  const { rows } = await db.query<{
    state: string;
    reason_resolved: string | null;
    resolved: Date | null;
    worker_group: string | null;
    worker_id: string | null;
    project_id: string;
    expires: Date;
  }>(
    `SELECT r.state, r.reason_resolved, r.resolved, r.worker_group, r.worker_id,
            t.project_id, t.expires
       FROM task_runs r JOIN tasks t ON t.task_id = r.task_id
      WHERE r.task_id = $1 AND r.run_id = $2
      FOR SHARE OF r`,
    [taskId, runId],
  );
  const r = rows[0];
  return r
    ? {
        state: r.state,
        reasonResolved: r.reason_resolved,
        resolved: r.resolved,
        workerGroup: r.worker_group,
        workerId: r.worker_id,
        projectId: r.project_id,
        taskExpires: r.expires,
      }
    : undefined;
}
