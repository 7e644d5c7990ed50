import type { FromJsonSchema } from '@bulwark/api';
import type { queries } from '@bulwark/db';
import { priorityName } from './priorities.js';
import type { runSchema, taskStatusSchema } from '../schemas/status.js';
import { quorumStatusJson, quorumTaskState } from './quorum-status.js';

type TaskRow = queries.queueTasks.TaskRow;
type RunRow = queries.queueRuns.RunRow;
type ReplicaArtifact = queries.queueQuorum.ReplicaArtifact;

/** A run as the status lists it, as its schema defines it. */
export type RunJson = FromJsonSchema<typeof runSchema>;

/** A task's status, as its schema defines it. */
export type TaskStatusJson = FromJsonSchema<typeof taskStatusSchema>;

export type TaskStatusState = TaskStatusJson['state'];
type ReasonResolved = NonNullable<RunJson['reasonResolved']>;

export function runJson(run: RunRow): RunJson {
  return {
    runId: run.runId,
    state: run.state,
    reasonCreated: run.reasonCreated,
    // Narrowed: the column holds only reasons the queue wrote, each one of the schema's
    // (resolve-run.ts, claim expiry, deadlines); the response check would catch another.
    ...(run.reasonResolved !== null
      ? { reasonResolved: run.reasonResolved as ReasonResolved }
      : {}),
    ...(run.workerGroup !== null ? { workerGroup: run.workerGroup } : {}),
    ...(run.workerId !== null ? { workerId: run.workerId } : {}),
    ...(run.takenUntil !== null ? { takenUntil: run.takenUntil.toJSON() } : {}),
    scheduled: run.scheduled.toJSON(),
    ...(run.started !== null ? { started: run.started.toJSON() } : {}),
    ...(run.resolved !== null ? { resolved: run.resolved.toJSON() } : {}),
    ...(run.replica !== null ? { replica: run.replica } : {}),
  };
}

/**
 * Task state is the latest run's, or `unscheduled` before the first run (reference
 * §3.3); a quorum task's is its quorum's (quorum-status.ts), and its status carries
 * the quorum, with digests from `artifacts` when given (the status endpoint).
 */
export function taskStatusJson(
  task: TaskRow,
  runs: readonly RunRow[],
  artifacts?: readonly ReplicaArtifact[],
): TaskStatusJson {
  const quorum = quorumStatusJson(task, runs, artifacts);
  const [provisionerId = '', workerType = ''] = task.taskQueueId.split('/');
  return {
    taskId: task.taskId,
    provisionerId,
    workerType,
    taskQueueId: task.taskQueueId,
    schedulerId: task.schedulerId,
    projectId: task.projectId,
    taskGroupId: task.taskGroupId,
    priority: priorityName(task.priority),
    deadline: task.deadline.toJSON(),
    expires: task.expires.toJSON(),
    retriesLeft: task.retriesLeft,
    state: task.verification ? quorumTaskState(task, runs) : (runs.at(-1)?.state ?? 'unscheduled'),
    runs: runs.map(runJson),
    ...(quorum ? { quorum } : {}),
  };
}
