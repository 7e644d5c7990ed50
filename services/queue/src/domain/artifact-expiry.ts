import { queries, withTransaction } from '@bulwark/db';
import type { QueueContext } from './context.js';
import { deleteStaleLiveLogs, STALE_LIVE_LOG_BATCH } from './live-log.js';

/** Rows per statement, as the other expiry jobs. */
export const ARTIFACT_EXPIRY_BATCH = 500;
/** Blobs deleted per transaction: each is removed from the store before the commit. */
export const BLOB_COLLECTION_BATCH = 50;

/**
 * Deletes up to a batch of expired artifacts. Their blobs are then unreferenced (as
 * are those of artifacts that went with their task) and collected below.
 */
export async function expireArtifacts(ctx: QueueContext): Promise<number> {
  return queries.queueArtifacts.deleteExpiredArtifacts(ctx.pool, ctx.now(), ARTIFACT_EXPIRY_BATCH);
}

/**
 * Deletes up to a batch of blobs that no artifact references and that were registered
 * before `graceMs` ago. The rows are deleted and the data removed inside one
 * transaction, so an upload registering the same content waits for it and then
 * writes the data again; if removing the data fails, the rows come back and the next
 * pass retries. Safe on every replica at once (SKIP LOCKED).
 */
export async function collectUnreferencedBlobs(
  ctx: QueueContext,
  graceMs: number,
): Promise<number> {
  const before = new Date(ctx.now().getTime() - graceMs);
  return withTransaction(ctx.pool, async (db) => {
    const digests = await queries.blobs.takeUnreferencedBlobs(db, before, BLOB_COLLECTION_BATCH);
    for (const digest of digests) await ctx.blobs.store.delete(digest);
    return digests.length;
  });
}

/**
 * For repeatJob: one pass of each (artifacts, blobs, stale live logs); true (run again
 * at once) while any filled a batch.
 */
export async function artifactExpiryJob(ctx: QueueContext, graceMs: number): Promise<boolean> {
  const artifacts = await expireArtifacts(ctx);
  const blobs = await collectUnreferencedBlobs(ctx, graceMs);
  const liveLogs = await deleteStaleLiveLogs(ctx);
  if (artifacts > 0 || blobs > 0 || liveLogs > 0) {
    ctx.logger.info({ artifacts, blobs, liveLogs }, 'artifacts expired');
  }
  return (
    artifacts >= ARTIFACT_EXPIRY_BATCH ||
    blobs >= BLOB_COLLECTION_BATCH ||
    liveLogs >= STALE_LIVE_LOG_BATCH
  );
}
