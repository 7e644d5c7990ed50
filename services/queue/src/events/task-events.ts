import { queries, type Queryable } from '@bulwark/db';
import { taskStatusJson, type RunJson, type TaskStatusJson } from '../domain/task-status.js';

type TaskRow = queries.queueTasks.TaskRow;
type TaskChange = queries.queueEvents.TaskChange;

/** Taskcluster's queue exchanges (without `exchange/taskcluster-queue/v1/`) that Bulwark sends. */
export type Exchange =
  | 'task-defined'
  | 'task-pending'
  | 'task-running'
  | 'task-completed'
  | 'task-failed'
  | 'task-exception';

/** The message body, as Taskcluster's Pulse messages for these exchanges carry it. */
export interface TaskEventBody {
  version: 1;
  status: TaskStatusJson;
  runId?: number;
  workerGroup?: string;
  workerId?: string;
  takenUntil?: string;
  task: { tags: Record<string, string> };
}

export interface TaskEvent {
  readonly exchange: Exchange;
  readonly taskId: string;
  /**
   * Where the change stands in the task's life: 0 when defined, then 3 per run
   * (pending, running, resolved). A task's changes only ever move forward, so a stream
   * that remembers the last position it sent per task can drop what it already sent,
   * and a client that names its last event can be sent exactly what followed.
   */
  readonly position: number;
  readonly body: TaskEventBody;
}

/** A task and its runs, read together: what every event of that task is built from. */
export interface TaskState {
  readonly task: TaskRow;
  readonly status: TaskStatusJson;
}

type ChangedState = 'unscheduled' | queries.RunState;

export function positionOf(state: ChangedState, runId = 0): number {
  switch (state) {
    case 'unscheduled':
      return 0;
    case 'pending':
      return 3 * runId + 1;
    case 'running':
      return 3 * runId + 2;
    default:
      return 3 * runId + 3;
  }
}

/** Event ids are `<taskId>.<position>`: slugids never contain a dot. */
export function eventId(event: TaskEvent): string {
  return `${event.taskId}.${event.position}`;
}

export function parseEventId(id: string): { taskId: string; position: number } | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,4})$/.exec(id);
  if (!match?.[1] || !match[2]) return undefined;
  return { taskId: match[1], position: Number(match[2]) };
}

function exchangeOf(state: ChangedState): Exchange {
  return state === 'unscheduled' ? 'task-defined' : `task-${state}`;
}

/** The task's status as the queue's `status` endpoint answers it, or undefined when gone. */
export async function loadTaskState(db: Queryable, taskId: string): Promise<TaskState | undefined> {
  const task = await queries.queueTasks.getTask(db, taskId);
  if (!task) return undefined;
  return { task, status: taskStatusJson(task, await queries.queueRuns.getRuns(db, taskId)) };
}

/**
 * The event for one change, carrying the task's status as read after the change was
 * announced (never older than the change, possibly newer). Worker fields come from
 * the run, as Taskcluster's messages have them.
 */
function eventFor(state: TaskState, changed: ChangedState, runId: number | undefined): TaskEvent {
  const body: TaskEventBody = {
    version: 1,
    status: state.status,
    task: { tags: state.task.tags },
  };
  const run: RunJson | undefined =
    runId === undefined ? undefined : state.status.runs.find((r) => r.runId === runId);
  if (runId !== undefined) body.runId = runId;
  if (run && changed !== 'pending') {
    if (run.workerGroup !== undefined) body.workerGroup = run.workerGroup;
    if (run.workerId !== undefined) body.workerId = run.workerId;
    if (changed === 'running' && run.takenUntil !== undefined) body.takenUntil = run.takenUntil;
  }
  return {
    exchange: exchangeOf(changed),
    taskId: state.task.taskId,
    position: positionOf(changed, runId),
    body,
  };
}

export function eventOfChange(state: TaskState, change: TaskChange): TaskEvent {
  return eventFor(state, change.state, change.state === 'unscheduled' ? undefined : change.runId);
}

/**
 * Every change the task went through, oldest first, rebuilt from its runs: defined,
 * then per run pending (unless it was born resolved, as a task canceled before it was
 * scheduled), running (if it was claimed), and its resolution.
 */
export function historyOf(state: TaskState): TaskEvent[] {
  const events = [eventFor(state, 'unscheduled', undefined)];
  for (const run of state.status.runs) {
    if (run.reasonCreated !== 'exception') events.push(eventFor(state, 'pending', run.runId));
    if (run.started !== undefined) events.push(eventFor(state, 'running', run.runId));
    if (run.state !== 'pending' && run.state !== 'running') {
      events.push(eventFor(state, run.state as queries.RunState, run.runId));
    }
  }
  return events;
}

/** The event that brought the task to where it is now. */
export function latestEventOf(state: TaskState): TaskEvent {
  const events = historyOf(state);
  return events[events.length - 1] ?? eventFor(state, 'unscheduled', undefined);
}
