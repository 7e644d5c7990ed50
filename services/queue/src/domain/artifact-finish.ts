import { inputError, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { lockAcceptingRun } from './artifact-rules.js';
import type { QueueContext } from './context.js';

/**
 * finishArtifact: makes an object artifact visible once its upload finished with the
 * uploadId createArtifact chose, and records it with the digest the store computed.
 */
export async function finishArtifact(
  ctx: QueueContext,
  key: queries.queueArtifacts.ArtifactKey,
  uploadId: string,
  callerId: string,
): Promise<void> {
  await withTransaction(ctx.pool, async (db) => {
    const seen = await queries.queueArtifacts.getArtifact(db, key);
    if (!seen) throw notFound('Artifact');
    if (seen.storageType !== 'object') {
      throw inputError('Only object artifacts can be finished');
    }
    // Finishing again is harmless, even once the run is over.
    if (seen.present) return;
    // Run before artifact, the order every artifact transaction locks in.
    await lockAcceptingRun(db, key.taskId, key.runId, ctx.now());
    const artifact = await queries.queueArtifacts.getArtifact(db, key, { forUpdate: true });
    if (!artifact || artifact.present) return;
    if (artifact.uploadId !== uploadId) {
      throw inputError('The given uploadId does not match that of the artifact');
    }
    if (!artifact.uploadFinished) {
      throw inputError('Object storing artifact data does not exist (finish its upload first)');
    }
    await queries.queueArtifacts.markPresent(db, key);
    // Last: the audit lock is held from here to the commit (S14). The digest is the
    // one the blob store computed, never the uploader's.
    await queries.audit.appendAudit(
      db,
      {
        entityType: 'task',
        entityId: key.taskId,
        action: 'artifact-created',
        clientId: callerId,
        details: {
          runId: key.runId,
          name: key.name,
          storageType: 'object',
          sha256: artifact.blobSha256,
          size: artifact.contentLength,
        },
      },
      ctx.now(),
    );
  });
}
