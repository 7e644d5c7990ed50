import { queries, withTransaction } from '@bulwark/db';
import { cancelTaskRuns } from './cancel.js';
import type { QueueContext } from './context.js';

/** Tasks per transaction, so a large group never holds all its rows' locks at once. */
const BATCH = 100;

/**
 * cancelTaskGroup: resolves every unresolved task of the group as
 * `exception/canceled`, as cancelTask would, in batches taken in taskId order (each
 * its own transaction). One pass is enough: cancelling a task can only schedule a
 * dependent that has no run yet, and such a dependent in this group is either later
 * in the order (cancelled when reached) or was cancelled already. Returns the ids of
 * the tasks this call cancelled.
 */
export async function cancelTaskGroup(
  ctx: QueueContext,
  target: { taskGroupId: string; callerId: string },
): Promise<string[]> {
  const cancelled: string[] = [];
  let after: string | undefined;
  for (;;) {
    const batch = await withTransaction(ctx.pool, async (db) => {
      const now = ctx.now();
      const tasks = await queries.queueGroups.lockUnresolvedTasksInGroup(
        db,
        target.taskGroupId,
        { after, limit: BATCH },
        now,
      );
      const ids: string[] = [];
      for (const task of tasks) {
        if (!(await cancelTaskRuns(ctx, db, task, 'canceled', now))) continue;
        ids.push(task.taskId);
        await queries.audit.appendAudit(
          db,
          {
            entityType: 'task',
            entityId: task.taskId,
            action: 'canceled',
            clientId: target.callerId,
            details: { taskGroupId: target.taskGroupId },
          },
          now,
        );
      }
      return { ids, last: tasks.at(-1)?.taskId, full: tasks.length === BATCH };
    });
    cancelled.push(...batch.ids);
    if (!batch.full || batch.last === undefined) return cancelled;
    after = batch.last;
  }
}
