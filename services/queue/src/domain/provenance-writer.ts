import { Readable } from 'node:stream';
import { queries, withTransaction } from '@bulwark/db';
import { PROVENANCE_ARTIFACT } from './control-plane-artifacts.js';
import type { QueueContext } from './context.js';
import { provenanceEnvelope } from './provenance-document.js';
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
      const envelope = provenanceEnvelope(
        {
          rootUrl: ctx.provenance.rootUrl(),
          task,
          runs: [
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
      const blob = await ctx.blobs.store.put(Readable.from([envelope]));
      await queries.blobs.registerBlob(db, blob, now);
      await queries.provenance.insertStoredArtifact(
        db,
        {
          taskId: task.taskId,
          runId: run.runId,
          name: PROVENANCE_ARTIFACT,
          contentType: 'application/json',
          expires: task.expires,
          sha256: blob.sha256,
          size: blob.size,
        },
        now,
      );
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

async function postpone(ctx: QueueContext, taskId: string): Promise<void> {
  await queries.provenance.postponePending(ctx.pool, taskId).catch(() => undefined);
}
