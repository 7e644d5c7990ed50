import { MAX_ARTIFACT_NAME_LENGTH } from '../domain/artifact-names.js';
import { dateTimeSchema, identifierSchema, MAX_RUN_ID } from './common.js';
import { taskStatusSchema } from './status.js';
import { taskDefinition } from './task.js';
import { groupProperties } from './task-groups.js';

/**
 * The bodies of the queue's AMQP messages (and of the task event streams), as
 * Taskcluster's message schemas describe them: the same properties, the same required
 * ones, no others. Served at `/schemas/queue/v1/<exchange>-message.json`.
 */

const version = { type: 'integer', enum: [1] } as const;
const runId = { type: 'integer', minimum: 0, maximum: MAX_RUN_ID } as const;
/** What Taskcluster calls task-pulse-definition: the task's tags, nothing else. */
const taskTags = {
  type: 'object',
  additionalProperties: false,
  required: ['tags'],
  properties: { tags: taskDefinition.properties.tags },
} as const;

function taskMessage(
  properties: Record<string, unknown>,
  required: readonly string[],
): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['version', 'status', ...required],
    properties: { version, status: taskStatusSchema, ...properties },
  };
}

export const taskDefinedMessage = taskMessage({ task: taskTags }, []);

export const taskPendingMessage = taskMessage({ task: taskTags, runId }, ['runId']);

export const taskRunningMessage = taskMessage(
  {
    task: taskTags,
    runId,
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    takenUntil: dateTimeSchema,
  },
  ['runId', 'workerGroup', 'workerId', 'takenUntil'],
);

export const artifactCreatedMessage = taskMessage(
  {
    runId,
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    artifact: {
      type: 'object',
      additionalProperties: false,
      required: ['storageType', 'name', 'expires', 'contentType'],
      properties: {
        // s3 artifacts are not announced on AMQP, as in Taskcluster (the publisher skips them).
        storageType: { type: 'string', enum: ['reference', 'link', 'error', 'object'] },
        name: { type: 'string', maxLength: MAX_ARTIFACT_NAME_LENGTH },
        expires: dateTimeSchema,
        contentType: { type: 'string', maxLength: 255 },
      },
    },
  },
  ['runId', 'workerGroup', 'workerId', 'artifact'],
);

/** task-completed and task-failed: a run a worker resolved, so the worker is named. */
export const taskResolvedByWorkerMessage = taskMessage(
  { task: taskTags, runId, workerGroup: identifierSchema, workerId: identifierSchema },
  ['runId', 'workerGroup', 'workerId'],
);

/**
 * task-exception: the run may never have been claimed, so the worker is optional. Bulwark
 * always names the run; Taskcluster's schema does not require it, and neither does this.
 */
export const taskExceptionMessage = taskMessage(
  { task: taskTags, runId, workerGroup: identifierSchema, workerId: identifierSchema },
  [],
);

/** task-group-resolved, Taskcluster's task-group-changed-message. */
export const taskGroupChangedMessage = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'taskGroupId', 'schedulerId', 'expires'],
  properties: { version, ...groupProperties },
} as const;
