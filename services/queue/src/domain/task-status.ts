import type { queries } from '@bulwark/db';
import { priorityName, type PriorityName } from './priorities.js';
import { quorumStatusJson, quorumTaskState, type QuorumStatusJson } from './quorum-status.js';

type TaskRow = queries.queueTasks.TaskRow;
type RunRow = queries.queueRuns.RunRow;
type ReplicaArtifact = queries.queueQuorum.ReplicaArtifact;

export interface RunJson {
  runId: number;
  state: string;
  reasonCreated: string;
  reasonResolved?: string;
  workerGroup?: string;
  workerId?: string;
  takenUntil?: string;
  scheduled: string;
  started?: string;
  resolved?: string;
  /** Bulwark extension: which replica of a quorum task this run is. */
  replica?: number;
}

export interface TaskStatusJson {
  taskId: string;
  provisionerId: string;
  workerType: string;
  taskQueueId: string;
  schedulerId: string;
  projectId: string;
  taskGroupId: string;
  /** The task's priority now, as Taskcluster's status carries it since priorities can change. */
  priority?: PriorityName;
  deadline: string;
  expires: string;
  retriesLeft: number;
  state: string;
  runs: RunJson[];
  /** Bulwark extension, only for a task verified by a quorum (docs/quorum.md). */
  quorum?: QuorumStatusJson;
}

export function runJson(run: RunRow): RunJson {
  return {
    runId: run.runId,
    state: run.state,
    reasonCreated: run.reasonCreated,
    ...(run.reasonResolved !== null ? { reasonResolved: run.reasonResolved } : {}),
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
