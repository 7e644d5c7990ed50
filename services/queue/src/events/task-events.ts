import { queries, type Queryable } from '@bulwark/db';
import { artifactJson } from '../domain/artifact-json.js';
import {
  taskStatusJson,
  type RunJson,
  type TaskStatusJson,
  type TaskStatusState,
} from '../domain/task-status.js';

type TaskRow = queries.queueTasks.TaskRow;
type TaskChange = queries.queueEvents.TaskChange;
type TaskStateChange = queries.queueEvents.TaskStateChange;

/** Taskcluster's queue exchanges (without `exchange/taskcluster-queue/v1/`) that Bulwark sends. */
export type Exchange =
  | 'task-defined'
  | 'task-pending'
  | 'task-running'
  | 'task-completed'
  | 'task-failed'
  | 'task-exception'
  | 'artifact-created';

/**
 * The message body, as Taskcluster's Pulse messages for these exchanges carry it:
 * state changes carry `task.tags`, artifact-created carries `artifact` instead.
 */
export interface TaskEventBody {
  version: 1;
  status: TaskStatusJson;
  runId?: number;
  workerGroup?: string;
  workerId?: string;
  takenUntil?: string;
  task?: { tags: Record<string, string> };
  artifact?: { storageType: string; name: string; expires: string; contentType: string };
}

export interface TaskEvent {
  readonly exchange: Exchange;
  readonly taskId: string;
  /**
   * Where the change stands in the task's life: 0 when defined, then 3 per run
   * (pending, running, resolved). A task's changes only ever move forward, so a stream
   * that remembers the last position it sent per task can drop what it already sent,
   * and a client that names its last event can be sent exactly what followed.
   * Undefined for artifact-created, which has no place in that order: it is sent live
   * only, without an event id (listArtifacts says what a reconnecting client missed).
   */
  readonly position: number | undefined;
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
export function eventId(taskId: string, position: number): string {
  return `${taskId}.${position}`;
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
 * The task's status as it was the moment a change happened, rebuilt from its runs as
 * read now: the runs before `runId` (resolved before that run was created, so as they
 * are now), and run `runId` as it stood in `changed` (pending: not yet claimed;
 * running: claimed, not yet resolved). Later runs did not exist yet. So each message
 * says what happened then, never what happened since (a task-defined read after the
 * task was scheduled still says `unscheduled`, with no runs).
 */
export function statusAt(
  status: TaskStatusJson,
  changed: ChangedState,
  runId: number | undefined,
): TaskStatusJson {
  if (changed === 'unscheduled' || runId === undefined) {
    return { ...status, state: 'unscheduled', runs: [] };
  }
  const runs = status.runs.filter((r) => r.runId < runId);
  const run = status.runs.find((r) => r.runId === runId);
  if (run) runs.push(runAt(run, changed));
  return { ...status, state: stateAt(status, changed, runs), runs };
}

/**
 * The task's state in a message: its latest run's. A quorum task's replicas run side
 * by side, and one replica's resolution is not the task's: its messages say `pending`
 * or `running` until the quorum is decided, then the decision (docs/quorum.md).
 */
function stateAt(
  status: TaskStatusJson,
  changed: ChangedState,
  runs: readonly RunJson[],
): TaskStatusState {
  if (!status.quorum) return runs.at(-1)?.state ?? 'unscheduled';
  const resolution = changed !== 'pending' && changed !== 'running';
  if (resolution && status.quorum.decided) return status.state;
  return runs.every((r) => r.state === 'pending') ? 'pending' : 'running';
}

/** A run as it stood when it entered `changed` (its resolution: as it is now). */
function runAt(run: RunJson, changed: ChangedState): RunJson {
  const { runId, reasonCreated, scheduled } = run;
  if (changed === 'pending') return { runId, state: 'pending', reasonCreated, scheduled };
  if (changed === 'running') {
    const { workerGroup, workerId, takenUntil, started } = run;
    return {
      runId,
      state: 'running',
      reasonCreated,
      ...(workerGroup !== undefined ? { workerGroup } : {}),
      ...(workerId !== undefined ? { workerId } : {}),
      ...(takenUntil !== undefined ? { takenUntil } : {}),
      scheduled,
      ...(started !== undefined ? { started } : {}),
    };
  }
  return run;
}

/**
 * The event for one change, carrying the task's status as it was when the change
 * happened (statusAt), built from the status read after the change was announced.
 * Worker fields come from the run, as Taskcluster's messages have them.
 */
function eventFor(state: TaskState, changed: ChangedState, runId: number | undefined): TaskEvent {
  const status = statusAt(state.status, changed, runId);
  const body: TaskEventBody = {
    version: 1,
    status,
    task: { tags: state.task.tags },
  };
  const run: RunJson | undefined =
    runId === undefined ? undefined : status.runs.find((r) => r.runId === runId);
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

function eventOfChange(state: TaskState, change: TaskStateChange): TaskEvent {
  return eventFor(state, change.state, change.state === 'unscheduled' ? undefined : change.runId);
}

/** artifact-created as Taskcluster sends it: the run's worker, the artifact, no tags. */
function artifactEvent(
  state: TaskState,
  runId: number,
  artifact: queries.queueArtifacts.ArtifactRow,
): TaskEvent {
  const { storageType, name, expires, contentType } = artifactJson(artifact);
  // The run was running when the artifact was created, unless it was created after
  // the run resolved (as an error artifact may be).
  const current = state.status.runs.find((r) => r.runId === runId);
  const resolvedBefore =
    current?.resolved !== undefined && Date.parse(current.resolved) <= artifact.created.getTime();
  const changed: ChangedState = resolvedBefore
    ? current.state
    : current?.started !== undefined
      ? 'running'
      : 'pending';
  const status = statusAt(state.status, changed, runId);
  const body: TaskEventBody = {
    version: 1,
    status,
    runId,
    artifact: { storageType, name, expires, contentType },
  };
  const run = status.runs.find((r) => r.runId === runId);
  if (run?.workerGroup !== undefined) body.workerGroup = run.workerGroup;
  if (run?.workerId !== undefined) body.workerId = run.workerId;
  return { exchange: 'artifact-created', taskId: state.task.taskId, position: undefined, body };
}

/**
 * The event a change announces, read now, with the task it was built from (whose
 * routes an AMQP message is CCed to): undefined when the task (or the artifact) is
 * gone or the artifact is no longer present.
 */
export async function loadChangeEvent(
  db: Queryable,
  change: TaskChange,
): Promise<{ event: TaskEvent; task: TaskRow } | undefined> {
  if (!queries.queueEvents.isArtifactChange(change)) {
    const state = await loadTaskState(db, change.taskId);
    return state && { event: eventOfChange(state, change), task: state.task };
  }
  const key = { taskId: change.taskId, runId: change.runId, name: change.artifact };
  const [state, artifact] = await Promise.all([
    loadTaskState(db, change.taskId),
    queries.queueArtifacts.getArtifact(db, key),
  ]);
  if (!state || !artifact?.present) return undefined;
  return { event: artifactEvent(state, change.runId, artifact), task: state.task };
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
      events.push(eventFor(state, run.state, run.runId));
    }
  }
  return events;
}

/** The event that brought the task to where it is now. */
export function latestEventOf(state: TaskState): TaskEvent {
  const events = historyOf(state);
  return events[events.length - 1] ?? eventFor(state, 'unscheduled', undefined);
}
