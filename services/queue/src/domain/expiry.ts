import { queries } from '@bulwark/db';
import type { QueueContext } from './context.js';

/** Rows deleted per statement: small enough that each delete holds its locks briefly. */
export const EXPIRY_BATCH = 500;

export interface ExpiryCounts {
  tasks: number;
  dependencies: number;
  taskGroups: number;
  workers: number;
  taskQueues: number;
}

const countsOf = (c: ExpiryCounts): number[] => [
  c.tasks,
  c.dependencies,
  c.taskGroups,
  c.workers,
  c.taskQueues,
];

/**
 * One pass of the queue's expiry: deletes up to a batch each of tasks (their runs,
 * pending work, dependency rows and artifacts go with them by ON DELETE CASCADE),
 * dependency rows, task groups left without tasks, workers no quarantine holds, and
 * task queues, whose `expires` has passed. Each delete is its own statement that
 * skips rows another replica holds, so every replica can run this at once; a row is
 * never deleted before its own `expires`.
 */
export async function expireQueueRecords(ctx: QueueContext): Promise<ExpiryCounts> {
  const now = ctx.now();
  const counts: ExpiryCounts = {
    // Tasks first: a group is only deleted once it has no task left.
    tasks: await queries.queueTasks.deleteExpiredTasks(ctx.pool, now, EXPIRY_BATCH),
    dependencies: await queries.queueTasks.deleteExpiredDependencies(ctx.pool, now, EXPIRY_BATCH),
    taskGroups: await queries.queueGroups.deleteExpiredTaskGroups(ctx.pool, now, EXPIRY_BATCH),
    workers: await queries.queueWorkers.deleteExpiredWorkers(ctx.pool, now, EXPIRY_BATCH),
    taskQueues: await queries.queueTaskQueues.deleteExpiredTaskQueues(ctx.pool, now, EXPIRY_BATCH),
  };
  if (countsOf(counts).some((n) => n > 0))
    ctx.logger.info({ expired: counts }, 'queue records expired');
  return counts;
}

/** For repeatJob: true (run again at once) while any kind still filled a whole batch. */
export async function expireQueueRecordsJob(ctx: QueueContext): Promise<boolean> {
  const counts = await expireQueueRecords(ctx);
  return countsOf(counts).some((n) => n >= EXPIRY_BATCH);
}
