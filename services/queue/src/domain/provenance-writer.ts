import { Readable } from 'node:stream';
import type { BlobInfo } from '@bulwark/blobs';
import { queries, withTransaction, type Queryable } from '@bulwark/db';
import { PROVENANCE_ARTIFACT, VERIFICATION_ARTIFACT } from './control-plane-artifacts.js';
import type { QueueContext } from './context.js';
import { provenanceEnvelope, verificationEnvelope } from './provenance-document.js';
import { trustLevelOf } from './trust-levels.js';

/** The audit entry's client: the control plane itself signs. */
const SIGNER = 'static/bulwark/queue';

/**
 * Writes the provenance of the oldest completed task still waiting for it, in one
 * transaction: the facts are read from the database (the blob store's digests, never a
 * worker's), signed with the current key, stored in the blob store, attached to the task
 * under the reserved name, and the task taken off the waiting list. A crash anywhere
 * before the commit leaves the task waiting, and the next pass writes it; the commit
 * makes it exactly once. Answers false when nothing was waiting.
 */
export async function writeNextProvenance(ctx: QueueContext): Promise<boolean> {
  let taken: string | undefined;
  try {
    return await withTransaction(ctx.pool, async (db) => {
      const next = await queries.provenance.takePending(db);
      if (!next) return false;
      taken = next.taskId;
      const now = ctx.now();
      const task = await queries.queueTasks.getTask(db, next.taskId);
      const run = (await queries.queueRuns.getRuns(db, next.taskId)).find(
        (r) => r.runId === next.runId,
      );
      if (
        !task ||
        !run ||
        run.state !== 'completed' ||
        run.workerGroup === null ||
        run.workerId === null ||
        run.started === null ||
        run.resolved === null
      ) {
        // Nothing a provenance could attest (a run completed by hand, say): drop it.
        await queries.provenance.deletePending(db, next.taskId);
        return true;
      }
      const artifacts = (
        await queries.provenance.storedArtifacts(db, task.taskId, run.runId)
      ).filter((a) => a.name !== PROVENANCE_ARTIFACT);
      if (artifacts.length === 0) {
        // An in-toto statement needs a subject: a task that stored no data has nothing
        // to attest, and its dependents refer to it by URI alone.
        await queries.provenance.deletePending(db, next.taskId);
        return true;
      }
      const key = await ctx.provenance.keys.current(db, now);
      const rootUrl = ctx.provenance.rootUrl();
      const quorum = await ctx.provenance.quorumOf(db, task.taskId);
      const envelope = provenanceEnvelope(
        {
          rootUrl,
          task,
          // Every replica's worker for a quorum task; the one run otherwise.
          runs: quorum?.replicas ?? [
            {
              runId: run.runId,
              workerGroup: run.workerGroup,
              workerId: run.workerId,
              started: run.started,
              resolved: run.resolved,
            },
          ],
          artifacts,
          dependencyDigests: await queries.provenance.artifactDigests(
            db,
            task.dependencies,
            PROVENANCE_ARTIFACT,
          ),
          trustLevel: trustLevelOf(ctx.provenance.trustLevels, task.taskQueueId),
        },
        key,
      );
      const stored = { taskId: task.taskId, runId: run.runId, expires: task.expires };
      const blob = await storeControlPlaneArtifact(ctx, db, stored, PROVENANCE_ARTIFACT, envelope);
      if (quorum) {
        const agreed = quorum.agreedArtifacts;
        const summary = verificationEnvelope(
          {
            rootUrl,
            taskId: task.taskId,
            artifacts: agreed ? artifacts.filter((a) => agreed.includes(a.name)) : artifacts,
          },
          quorum,
          now,
          key,
        );
        await storeControlPlaneArtifact(ctx, db, stored, VERIFICATION_ARTIFACT, summary);
      }
      await queries.provenance.deletePending(db, task.taskId);
      // Last: the audit lock is held from here to the commit (S14).
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'task',
          entityId: task.taskId,
          action: 'provenance-signed',
          clientId: SIGNER,
          details: { runId: run.runId, keyId: key.keyId, sha256: blob.sha256 },
        },
        now,
      );
      return true;
    });
  } catch (err) {
    // A task whose provenance cannot be written now goes to the back of the line, so
    // it does not hold up every task behind it; it is tried again on a later pass.
    if (taken !== undefined) await postpone(ctx, taken);
    throw err;
  }
}

/** Stores a document the control plane wrote under its reserved name, present at once. */
async function storeControlPlaneArtifact(
  ctx: QueueContext,
  db: Queryable,
  at: { taskId: string; runId: number; expires: Date },
  name: string,
  bytes: Buffer,
): Promise<BlobInfo> {
  const now = ctx.now();
  const blob = await ctx.blobs.store.put(Readable.from([bytes]));
  await queries.blobs.registerBlob(db, blob, now);
  await queries.provenance.insertStoredArtifact(
    db,
    { ...at, name, contentType: 'application/json', sha256: blob.sha256, size: blob.size },
    now,
  );
  return blob;
}

async function postpone(ctx: QueueContext, taskId: string): Promise<void> {
  await queries.provenance.postponePending(ctx.pool, taskId).catch(() => undefined);
}
