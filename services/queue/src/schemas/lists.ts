import type { ParamSpec } from '@bulwark/api';
import { MAX_PAGE } from '../domain/pagination.js';
import { SLUGID, taskIdSchema } from './common.js';
import { taskStatusSchema } from './status.js';
import { taskDefinition } from './task.js';

/** `limit`: digits; the handler clamps it to 1..1000. */
export const limitQuery: ParamSpec = { pattern: /^[0-9]{1,4}$/, maxLength: 4 };
/** base64url of the last key of the previous page; every key we issue is well under 300 bytes. */
export const continuationQuery: ParamSpec = { pattern: /^[A-Za-z0-9_-]{1,400}$/, maxLength: 400 };
export const pageQuery = { continuationToken: continuationQuery, limit: limitQuery } as const;

export const continuationTokenSchema = { type: 'string', maxLength: 400 } as const;

/** At most this many taskIds per `tasks` / `statuses` call (Taskcluster sets no bound). */
export const MAX_TASK_IDS = 10_000;

export const tasksRequest = {
  type: 'object',
  additionalProperties: false,
  properties: {
    taskIds: {
      type: 'array',
      maxItems: MAX_TASK_IDS,
      // Ids that are not slugids name no task; they are ignored like unknown ones.
      items: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,22}$', maxLength: 22 },
    },
  },
} as const;

export const tasksResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['tasks'],
  properties: {
    tasks: {
      type: 'array',
      maxItems: MAX_PAGE,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['taskId', 'task'],
        properties: { taskId: taskIdSchema, task: taskDefinition },
      },
    },
    continuationToken: continuationTokenSchema,
  },
} as const;

export const statusesResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['statuses'],
  properties: {
    statuses: {
      type: 'array',
      maxItems: MAX_PAGE,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['taskId', 'status'],
        properties: { taskId: taskIdSchema, status: taskStatusSchema },
      },
    },
    continuationToken: continuationTokenSchema,
  },
} as const;

export const taskDefinitionAndStatus = {
  type: 'object',
  additionalProperties: false,
  required: ['task', 'status'],
  properties: { task: taskDefinition, status: taskStatusSchema },
} as const;

export const listDependentTasksResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['taskId', 'tasks'],
  properties: {
    taskId: { type: 'string', pattern: SLUGID, maxLength: 22 },
    tasks: { type: 'array', maxItems: MAX_PAGE, items: taskDefinitionAndStatus },
    continuationToken: continuationTokenSchema,
  },
} as const;
