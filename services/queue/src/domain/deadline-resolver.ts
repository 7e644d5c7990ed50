import { queries, withTransaction } from '@bulwark/db';
import { cancelTaskRuns } from './cancel.js';
import type { QueueContext } from './context.js';

const BATCH = 32;

/**
 * Resolves tasks whose deadline (plus `delayMs`) has passed as
 * `exception/deadline-exceeded` (reference §3.5) and marks them handled, so each
 * task is visited once. Safe on every replica at once: tasks are taken with
 * `FOR UPDATE SKIP LOCKED`. Returns how many tasks it handled.
 */
export async function resolvePastDeadlines(ctx: QueueContext, delayMs: number): Promise<number> {
  const now = ctx.now();
  return withTransaction(ctx.pool, async (db) => {
    const taskIds = await queries.queueTasks.lockTasksPastDeadline(
      db,
      new Date(now.getTime() - delayMs),
      BATCH,
    );
    for (const taskId of taskIds) {
      const task = await queries.queueTasks.getTask(db, taskId);
      if (!task) continue;
      const changed = await cancelTaskRuns(ctx, db, task, 'deadline-exceeded', now);
      await queries.queueTasks.markDeadlineHandled(db, taskId);
      if (changed) {
        await queries.audit.appendAudit(
          db,
          {
            entityType: 'task',
            entityId: taskId,
            action: 'resolved',
            clientId: 'system',
            details: { state: 'exception', reason: 'deadline-exceeded' },
          },
          now,
        );
      }
    }
    return taskIds.length;
  });
}
