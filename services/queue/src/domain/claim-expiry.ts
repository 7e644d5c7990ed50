import { queries, withTransaction } from '@bulwark/db';
import type { QueueContext } from './context.js';
import { scheduleSatisfiedDependents } from './dependencies.js';
import { resolveReplicaRun } from './quorum-resolve.js';
import { retryIfAllowed } from './retry.js';

const BATCH = 32;

/**
 * Resolves runs whose claim expired as `exception/claim-expired` and retries them
 * while retries remain (reference §3.5). Safe on every replica at once: each task is
 * handled under its row lock taken with SKIP LOCKED, and the run is re-checked under
 * that lock, so a run reclaimed or resolved meanwhile is left alone. Returns how many
 * runs it resolved.
 */
export async function resolveExpiredClaims(ctx: QueueContext): Promise<number> {
  const now = ctx.now();
  const candidates = await queries.queueRuns.expiredClaims(ctx.pool, now, BATCH);
  let resolved = 0;
  for (const candidate of candidates) {
    const done = await withTransaction(ctx.pool, async (db) => {
      if (!(await queries.queueTasks.tryLockTask(db, candidate.taskId))) return false;
      const task = await queries.queueTasks.getTask(db, candidate.taskId);
      const run = await queries.queueRuns.getRunForUpdate(db, candidate.taskId, candidate.runId);
      if (!task || run?.state !== 'running' || !run.takenUntil || run.takenUntil >= now) {
        return false;
      }
      let retried: boolean;
      if (task.verification !== null) {
        // A quorum's replica retries or ends its quorum (quorum-resolve.ts).
        const expired = { state: 'exception', reasonResolved: 'claim-expired' } as const;
        ({ retried } = await resolveReplicaRun(ctx, db, task, run, expired, now));
      } else {
        await queries.queueRuns.resolveRun(
          db,
          {
            taskId: task.taskId,
            runId: run.runId,
            state: 'exception',
            reasonResolved: 'claim-expired',
          },
          now,
        );
        retried = await retryIfAllowed(db, task, run.runId, 'retry', now);
        if (!retried) await scheduleSatisfiedDependents(db, task.taskId, 'exception', now);
      }
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'task',
          entityId: task.taskId,
          action: 'resolved',
          clientId: 'system',
          details: {
            runId: run.runId,
            state: 'exception',
            reason: 'claim-expired',
            retried,
            ...(run.replica !== null ? { replica: run.replica } : {}),
          },
        },
        now,
      );
      return true;
    });
    if (done) resolved++;
  }
  return resolved;
}
