import type { queries } from '@bulwark/db';
import { priorityName, type PriorityName } from './priorities.js';

type TaskRow = queries.queueTasks.TaskRow;
type RunRow = queries.queueRuns.RunRow;

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
  };
}

/** Task state is the latest run's, or `unscheduled` before the first run (reference §3.3). */
export function taskStatusJson(task: TaskRow, runs: readonly RunRow[]): TaskStatusJson {
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
    state: runs.at(-1)?.state ?? 'unscheduled',
    runs: runs.map(runJson),
  };
}
