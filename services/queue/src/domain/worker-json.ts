import type { FromJsonSchema } from '@bulwark/api';
import type { queries } from '@bulwark/db';
import type { listWorkersResponse, workerResponse } from '../schemas/workers.js';

type WorkerRow = queries.queueWorkers.WorkerRow;

/** getWorker / quarantineWorker / declareWorker's answer (Taskcluster's worker-response). */
export function workerJson(worker: WorkerRow): FromJsonSchema<typeof workerResponse> {
  const [provisionerId = '', workerType = ''] = worker.taskQueueId.split('/');
  return {
    provisionerId,
    workerType,
    taskQueueId: worker.taskQueueId,
    workerGroup: worker.workerGroup,
    workerId: worker.workerId,
    recentTasks: worker.recentTasks,
    expires: worker.expires.toJSON(),
    // Absent for a worker never quarantined (Taskcluster stores a date in the past).
    ...(worker.quarantineUntil ? { quarantineUntil: worker.quarantineUntil.toJSON() } : {}),
    quarantineDetails: worker.quarantineDetails,
    firstClaim: worker.firstClaim.toJSON(),
    lastDateActive: worker.lastDateActive.toJSON(),
  };
}

/** One listWorkers entry: the quarantine only while it holds, the latest claim if any. */
export function workerListEntry(
  worker: WorkerRow,
  now: Date,
): FromJsonSchema<typeof listWorkersResponse>['workers'][number] {
  const latestTask = worker.recentTasks.at(-1);
  return {
    workerGroup: worker.workerGroup,
    workerId: worker.workerId,
    firstClaim: worker.firstClaim.toJSON(),
    lastDateActive: worker.lastDateActive.toJSON(),
    ...(latestTask ? { latestTask } : {}),
    ...(worker.quarantineUntil && worker.quarantineUntil > now
      ? { quarantineUntil: worker.quarantineUntil.toJSON() }
      : {}),
  };
}
