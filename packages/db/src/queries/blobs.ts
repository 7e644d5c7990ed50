import type { Queryable } from './queryable.js';

/**
 * Registers a blob the store holds (again). Run in the same transaction that points
 * an artifact at it: the row lock this takes orders it against the collector.
 */
export async function registerBlob(
  db: Queryable,
  blob: { sha256: string; size: number },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO blobs (sha256, size, created) VALUES ($1, $2, $3)
     ON CONFLICT (sha256) DO UPDATE SET size = EXCLUDED.size`,
    [blob.sha256, blob.size, now],
  );
}

/**
 * Deletes up to `limit` blob rows that no artifact references and that are older
 * than `createdBefore`, skipping rows another transaction holds, and returns their
 * digests. Call inside a transaction and delete the stored data before committing:
 * an upload that registers the same digest meanwhile waits for that commit, and the
 * foreign key from artifacts refuses the delete of a blob that became referenced.
 */
export async function takeUnreferencedBlobs(
  db: Queryable,
  createdBefore: Date,
  limit: number,
): Promise<string[]> {
  const { rows } = await db.query<{ sha256: string }>(
    `DELETE FROM blobs WHERE sha256 IN (
       SELECT b.sha256 FROM blobs b
        WHERE b.created < $1
          AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.blob_sha256 = b.sha256)
        LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING sha256`,
    [createdBefore, limit],
  );
  return rows.map((r) => r.sha256);
}
