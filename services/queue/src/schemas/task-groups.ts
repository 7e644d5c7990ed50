import { dateTimeSchema, identifierSchema, taskIdSchema } from './common.js';
import { continuationTokenSchema, taskDefinitionAndStatus } from './lists.js';
import { MAX_PAGE } from '../domain/pagination.js';

export const groupProperties = {
  taskGroupId: taskIdSchema,
  schedulerId: identifierSchema,
  expires: dateTimeSchema,
  sealed: dateTimeSchema,
} as const;

export const taskGroupResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['taskGroupId', 'schedulerId', 'expires'],
  properties: groupProperties,
} as const;

export const listTaskGroupResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['taskGroupId', 'schedulerId', 'expires', 'tasks'],
  properties: {
    ...groupProperties,
    tasks: { type: 'array', maxItems: MAX_PAGE, items: taskDefinitionAndStatus },
    continuationToken: continuationTokenSchema,
  },
} as const;

export const cancelTaskGroupResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['taskGroupId', 'taskGroupSize', 'cancelledCount', 'taskIds'],
  properties: {
    taskGroupId: taskIdSchema,
    taskGroupSize: { type: 'integer', minimum: 0 },
    cancelledCount: { type: 'integer', minimum: 0 },
    taskIds: { type: 'array', items: taskIdSchema },
  },
} as const;
