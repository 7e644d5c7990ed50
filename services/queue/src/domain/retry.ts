import { queries, type Queryable } from '@bulwark/db';

type TaskRow = queries.queueTasks.TaskRow;

/**
 * After the run `runId` was resolved in a way that retries (claim-expired,
 * worker-shutdown, intermittent-task), appends a pending run when retries remain and
 * the deadline has not passed; a retry consumes one of `retriesLeft`. The caller
 * holds the task row's lock. Returns whether a run was added.
 */
export async function retryIfAllowed(
  db: Queryable,
  task: TaskRow,
  runId: number,
  reasonCreated: 'retry' | 'task-retry',
  now: Date,
): Promise<boolean> {
  if (task.retriesLeft <= 0 || task.deadline <= now) return false;
  await queries.queueTasks.setRetriesLeft(db, task.taskId, task.retriesLeft - 1);
  await queries.queueRuns.addPendingRun(
    db,
    {
      taskId: task.taskId,
      runId: runId + 1,
      reasonCreated,
      taskQueueId: task.taskQueueId,
      priority: task.priority,
    },
    now,
  );
  return true;
}
