import type { Queryable } from './queryable.js';

/** A control-plane provenance key as stored: the private half sealed (S11). */
export interface ProvenanceKeyRow {
  keyId: string;
  publicKeyPem: string;
  sealedPrivateKey: unknown;
  created: Date;
  retired: Date | null;
}

interface DbKeyRow {
  key_id: string;
  public_key_pem: string;
  sealed_private_key: unknown;
  created: Date;
  retired: Date | null;
}

const fromDb = (r: DbKeyRow): ProvenanceKeyRow => ({
  keyId: r.key_id,
  publicKeyPem: r.public_key_pem,
  sealedPrivateKey: r.sealed_private_key,
  created: r.created,
  retired: r.retired,
});

/** The key that signs new provenance, if one was made. */
export async function getCurrentKey(db: Queryable): Promise<ProvenanceKeyRow | undefined> {
  const { rows } = await db.query<DbKeyRow>({
    name: 'provenance-current-key',
    text: `SELECT * FROM provenance_keys WHERE retired IS NULL`,
  });
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/** Every key, current first, then by age: what verifiers are served. */
export async function listKeys(db: Queryable): Promise<ProvenanceKeyRow[]> {
  const { rows } = await db.query<DbKeyRow>(
    `SELECT * FROM provenance_keys ORDER BY retired IS NOT NULL, created DESC, key_id`,
  );
  return rows.map(fromDb);
}

/**
 * Adds a key as the current one unless a current key exists (the unique index decides
 * between replicas racing to make the first one); true when it was added.
 */
export async function insertCurrentKey(
  db: Queryable,
  key: { keyId: string; publicKeyPem: string; sealedPrivateKey: unknown },
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO provenance_keys (key_id, public_key_pem, sealed_private_key, created)
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [key.keyId, key.publicKeyPem, JSON.stringify(key.sealedPrivateKey), now],
  );
  return rowCount === 1;
}

/** Retires the current key (it stays, for verifiers); answers its id, if there was one. */
export async function retireCurrentKey(db: Queryable, now: Date): Promise<string | undefined> {
  const { rows } = await db.query<{ key_id: string }>(
    `UPDATE provenance_keys SET retired = $1 WHERE retired IS NULL RETURNING key_id`,
    [now],
  );
  return rows[0]?.key_id;
}

/**
 * Takes the oldest task whose provenance is still to be written and whose
 * dependencies' provenance is all written (a dependent's provenance refers to theirs by
 * digest), locking its row for the rest of the transaction; other replicas skip it.
 */
export async function takePending(
  db: Queryable,
): Promise<{ taskId: string; runId: number } | undefined> {
  const { rows } = await db.query<{ task_id: string; run_id: number }>({
    name: 'provenance-take-pending',
    text: `SELECT p.task_id, p.run_id FROM provenance_pending p JOIN tasks t USING (task_id)
      WHERE NOT EXISTS (
        SELECT 1 FROM provenance_pending d
         WHERE d.task_id IN (SELECT jsonb_array_elements_text(t.dependencies)))
      ORDER BY p.enqueued LIMIT 1 FOR UPDATE OF p SKIP LOCKED`,
  });
  const row = rows[0];
  return row ? { taskId: row.task_id, runId: row.run_id } : undefined;
}

export async function deletePending(db: Queryable, taskId: string): Promise<void> {
  await db.query({
    name: 'provenance-delete-pending',
    text: `DELETE FROM provenance_pending WHERE task_id = $1`,
    values: [taskId],
  });
}

/** How many tasks still wait for their provenance (for tests and operators). */
export async function countPending(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM provenance_pending`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The run's artifacts whose data the queue stored, with the digest the blob store
 * computed while storing it: never a digest an uploader announced.
 */
export async function storedArtifacts(
  db: Queryable,
  taskId: string,
  runId: number,
): Promise<{ name: string; sha256: string }[]> {
  const { rows } = await db.query<{ name: string; blob_sha256: string }>({
    name: 'provenance-stored-artifacts',
    text: `SELECT name, blob_sha256 FROM artifacts
      WHERE task_id = $1 AND run_id = $2 AND present AND blob_sha256 IS NOT NULL
      ORDER BY name`,
    values: [taskId, runId],
  });
  return rows.map((r) => ({ name: r.name, sha256: r.blob_sha256 }));
}

/** The digest of each given task's stored artifact `name` (its provenance), by taskId. */
export async function artifactDigests(
  db: Queryable,
  taskIds: readonly string[],
  name: string,
): Promise<Map<string, string>> {
  if (taskIds.length === 0) return new Map();
  const { rows } = await db.query<{ task_id: string; blob_sha256: string }>({
    name: 'provenance-artifact-digests',
    text: `SELECT DISTINCT ON (task_id) task_id, blob_sha256 FROM artifacts
      WHERE task_id = ANY($1) AND name = $2 AND present AND blob_sha256 IS NOT NULL
      ORDER BY task_id, run_id DESC`,
    values: [taskIds, name],
  });
  return new Map(rows.map((r) => [r.task_id, r.blob_sha256]));
}

/**
 * Inserts an artifact whose data the control plane itself stored (the blob row must
 * exist): present at once, its upload finished. False when the name is taken.
 */
export async function insertStoredArtifact(
  db: Queryable,
  a: {
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
  const { rowCount } = await db.query({
    name: 'provenance-insert-artifact',
    text: `INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, details,
       present, expires, content_length, created, upload_finished, blob_sha256)
     VALUES ($1, $2, $3, 'object', $4, '{}', true, $5, $6, $7, true, $8)
     ON CONFLICT (task_id, run_id, name) DO NOTHING`,
    values: [a.taskId, a.runId, a.name, a.contentType, a.expires, a.size, now, a.sha256],
  });
  return rowCount === 1;
}

/** Sends a task whose provenance could not be written to the back of the line. */
export async function postponePending(db: Queryable, taskId: string): Promise<void> {
  await db.query(`UPDATE provenance_pending SET enqueued = now() WHERE task_id = $1`, [taskId]);
}
