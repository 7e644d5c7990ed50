import { queries, withTransaction, type Queryable } from '@bulwark/db';
import type { QueueContext } from './context.js';

type TaskRow = queries.queueTasks.TaskRow;

/**
 * Gives an unresolved task a new priority (the caller holds its row's lock). A
 * pending run moves in the claim order at once; a running run keeps going, and its
 * retries get the new priority. Refuses ('resolved') a task whose latest run is
 * resolved.
 */
export async function changeTaskPriority(
  db: Queryable,
  task: TaskRow,
  priority: number,
): Promise<'changed' | 'unchanged' | 'resolved'> {
  const latest = (await queries.queueRuns.getRuns(db, task.taskId)).at(-1);
  if (latest && latest.state !== 'pending' && latest.state !== 'running') return 'resolved';
  if (task.priority === priority) return 'unchanged';
  await queries.queueTasks.setPriority(db, [task.taskId], priority);
  if (latest?.state === 'pending') {
    await queries.queueRuns.setPendingPriority(db, [task.taskId], priority);
  }
  return 'changed';
}

/** Tasks per transaction, so a large group never holds all its rows' locks at once. */
const GROUP_BATCH = 200;

/**
 * changeTaskGroupPriority: gives every unresolved task of the group the new
 * priority, in batches (each its own transaction, taken in taskId order). Returns the
 * ids of the tasks that changed.
 */
export async function changeTaskGroupPriority(
  ctx: QueueContext,
  target: { taskGroupId: string; priority: number; callerId: string },
): Promise<string[]> {
  const changed: string[] = [];
  let after: string | undefined;
  for (;;) {
    const batch = await withTransaction(ctx.pool, async (db) => {
      const now = ctx.now();
      const tasks = await queries.queueGroups.lockUnresolvedTasksInGroup(
        db,
        target.taskGroupId,
        { after, limit: GROUP_BATCH },
        now,
      );
      const ids = tasks.filter((t) => t.priority !== target.priority).map((t) => t.taskId);
      if (ids.length > 0) {
        await queries.queueTasks.setPriority(db, ids, target.priority);
        await queries.queueRuns.setPendingPriority(db, ids, target.priority);
        await queries.audit.appendAudit(
          db,
          {
            entityType: 'task-group',
            entityId: target.taskGroupId,
            action: 'priority-changed',
            clientId: target.callerId,
            details: { priority: target.priority, taskIds: ids },
          },
          now,
        );
      }
      return { ids, last: tasks.at(-1)?.taskId, full: tasks.length === GROUP_BATCH };
    });
    changed.push(...batch.ids);
    if (!batch.full || batch.last === undefined) return changed;
    after = batch.last;
  }
}
