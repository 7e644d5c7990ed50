import { isDeepStrictEqual } from 'node:util';
import { inputError, type FromJsonSchema } from '@bulwark/api';
import type { queries } from '@bulwark/db';
import { hasDoubleStarSuffix, isValidScope } from '@bulwark/scopes';
import { DEFAULT_PRIORITY, priorityName, priorityNumber } from './priorities.js';
import type { createTaskRequest, taskDefinition } from '../schemas/task.js';
import { verificationFromInput } from './verification.js';

type TaskRow = queries.queueTasks.TaskRow;

/** The createTask body as the schema admits it. */
export type TaskInput = FromJsonSchema<typeof createTaskRequest>;

/**
 * The definition as `task` returns it: every field present, with defaults applied;
 * `verification` only when the task has one, so an ordinary task's definition is
 * exactly Taskcluster's.
 */
export type TaskDefinition = FromJsonSchema<typeof taskDefinition>;

const CLOCK_SKEW_MS = 15 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const YEAR_MS = 365 * DAY_MS;
const DEFAULT_RETRIES = 5;

function resolveTaskQueue(input: TaskInput): {
  provisionerId: string;
  workerType: string;
  taskQueueId: string;
} {
  const { provisionerId, workerType, taskQueueId } = input;
  if (taskQueueId !== undefined) {
    const [p = '', w = ''] = taskQueueId.split('/');
    if (
      (provisionerId !== undefined && provisionerId !== p) ||
      (workerType !== undefined && workerType !== w)
    ) {
      throw inputError('taskQueueId must equal `<provisionerId>/<workerType>` when all are given');
    }
    return { provisionerId: p, workerType: w, taskQueueId };
  }
  if (provisionerId === undefined || workerType === undefined) {
    throw inputError('give either taskQueueId, or both provisionerId and workerType');
  }
  return { provisionerId, workerType, taskQueueId: `${provisionerId}/${workerType}` };
}

function parseDate(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw inputError(`${field} is not a valid date`);
  return date;
}

/**
 * Applies Taskcluster's defaults and checks the rules a schema cannot express
 * (reference §3.2): queue identifiers, the time window, valid scopes without `**`.
 */
export function taskRowFromInput(
  taskId: string,
  input: TaskInput,
  now: Date,
  maxDeadlineDays: number,
): TaskRow {
  const queue = resolveTaskQueue(input);
  const created = parseDate(input.created, 'created');
  const deadline = parseDate(input.deadline, 'deadline');
  const expires = input.expires
    ? parseDate(input.expires, 'expires')
    : new Date(deadline.getTime() + YEAR_MS);
  const t = now.getTime();
  if (Math.abs(created.getTime() - t) > CLOCK_SKEW_MS) {
    throw inputError('created must be within 15 minutes of the current time');
  }
  if (deadline < created) throw inputError('deadline cannot be before created');
  if (deadline.getTime() < t) throw inputError('deadline cannot be in the past');
  if (deadline.getTime() - t > maxDeadlineDays * DAY_MS + CLOCK_SKEW_MS) {
    throw inputError(`deadline cannot be more than ${maxDeadlineDays} days into the future`);
  }
  if (expires < deadline) throw inputError('expires cannot be before the deadline');
  const scopes = input.scopes ?? [];
  for (const scope of scopes) {
    if (!isValidScope(scope)) throw inputError(`invalid scope ${JSON.stringify(scope)}`);
    // `a:**` satisfies `a:*` checks, so it would pass scopes on unchecked (S4).
    if (hasDoubleStarSuffix(scope)) throw inputError('task scopes must not end with **');
  }
  const retries = input.retries ?? DEFAULT_RETRIES;
  return {
    taskId,
    taskQueueId: queue.taskQueueId,
    schedulerId: input.schedulerId ?? '-',
    projectId: input.projectId ?? 'none',
    taskGroupId: input.taskGroupId ?? taskId,
    dependencies: input.dependencies ?? [],
    requires: input.requires ?? 'all-completed',
    routes: input.routes ?? [],
    priority: priorityNumber(input.priority ?? DEFAULT_PRIORITY),
    retries,
    retriesLeft: retries,
    created,
    deadline,
    expires,
    scopes,
    payload: input.payload,
    metadata: input.metadata,
    tags: input.tags ?? {},
    extra: input.extra ?? {},
    verification: verificationFromInput(input.verification, queue.taskQueueId),
    quorum: null,
  };
}

export function taskDefinitionJson(row: TaskRow): TaskDefinition {
  const [provisionerId = '', workerType = ''] = row.taskQueueId.split('/');
  return {
    provisionerId,
    workerType,
    taskQueueId: row.taskQueueId,
    schedulerId: row.schedulerId,
    projectId: row.projectId,
    taskGroupId: row.taskGroupId,
    dependencies: row.dependencies,
    requires: row.requires,
    routes: row.routes,
    priority: priorityName(row.priority),
    retries: row.retries,
    created: row.created.toJSON(),
    deadline: row.deadline.toJSON(),
    expires: row.expires.toJSON(),
    scopes: row.scopes,
    payload: row.payload,
    // Narrowed: the column holds only metadata createTask validated against the schema.
    metadata: row.metadata as TaskDefinition['metadata'],
    tags: row.tags,
    extra: row.extra,
    ...(row.verification !== null ? { verification: row.verification } : {}),
  };
}

/**
 * Whether re-creating a task with this definition is the same request again
 * (idempotent) rather than a different task under a taken id (409). Key order is
 * irrelevant: jsonb does not keep it.
 */
export function sameDefinition(stored: TaskRow, requested: TaskRow): boolean {
  return isDeepStrictEqual(taskDefinitionJson(stored), taskDefinitionJson(requested));
}
