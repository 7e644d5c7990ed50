import { queries, type Queryable } from '@bulwark/db';
import { replicaTaskQueueId } from './verification.js';

type TaskRow = queries.queueTasks.TaskRow;

/**
 * Makes a task pending: its run 0, or for a quorum task one pending run per replica
 * (run r is replica r), each claimable from its replica's queue. The caller holds the
 * task row's lock or has just inserted the task.
 */
export async function addFirstRuns(db: Queryable, task: TaskRow, now: Date): Promise<void> {
  const replicas = task.verification?.replicas;
  if (replicas === undefined) {
    await queries.queueRuns.addPendingRun(
      db,
      {
        taskId: task.taskId,
        runId: 0,
        reasonCreated: 'scheduled',
        taskQueueId: task.taskQueueId,
        priority: task.priority,
      },
      now,
    );
    return;
  }
  for (let replica = 0; replica < replicas; replica++) {
    await queries.queueRuns.addPendingRun(
      db,
      {
        taskId: task.taskId,
        runId: replica,
        reasonCreated: 'scheduled',
        taskQueueId: replicaTaskQueueId(task, replica),
        priority: task.priority,
        replica,
      },
      now,
    );
  }
}
