import { dateTimeSchema, identifierSchema, MAX_RUN_ID, taskIdSchema } from './common.js';
import { continuationTokenSchema } from './lists.js';
import { taskDefinition } from './task.js';
import { MAX_PAGE } from '../domain/pagination.js';

const queueIds = {
  provisionerId: { type: 'string', maxLength: 38 },
  workerType: { type: 'string', maxLength: 38 },
  taskQueueId: { type: 'string', maxLength: 77 },
} as const;

const count = { type: 'integer', minimum: 0 } as const;

export const pendingTasksResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['provisionerId', 'workerType', 'taskQueueId', 'pendingTasks'],
  properties: { ...queueIds, pendingTasks: count },
} as const;

export const taskQueueCountsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['provisionerId', 'workerType', 'taskQueueId', 'pendingTasks', 'claimedTasks'],
  properties: { ...queueIds, pendingTasks: count, claimedTasks: count },
} as const;

const runId = { type: 'integer', minimum: 0, maximum: MAX_RUN_ID } as const;

export const listPendingTasksResponse = {
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
        required: ['taskId', 'runId', 'task', 'inserted'],
        properties: { taskId: taskIdSchema, runId, task: taskDefinition, inserted: dateTimeSchema },
      },
    },
    continuationToken: continuationTokenSchema,
  },
} as const;

export const listClaimedTasksResponse = {
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
        required: ['taskId', 'runId', 'workerGroup', 'workerId', 'claimed', 'task'],
        properties: {
          taskId: taskIdSchema,
          runId,
          workerGroup: identifierSchema,
          workerId: identifierSchema,
          claimed: dateTimeSchema,
          task: taskDefinition,
        },
      },
    },
    continuationToken: continuationTokenSchema,
  },
} as const;

const taskQueueProperties = {
  taskQueueId: queueIds.taskQueueId,
  stability: { type: 'string', enum: ['experimental', 'stable', 'deprecated'] },
  description: { type: 'string', maxLength: 32768 },
  expires: dateTimeSchema,
  lastDateActive: dateTimeSchema,
} as const;

const TASK_QUEUE_REQUIRED = [
  'taskQueueId',
  'stability',
  'description',
  'expires',
  'lastDateActive',
] as const;

export const taskQueueResponse = {
  type: 'object',
  additionalProperties: false,
  required: TASK_QUEUE_REQUIRED,
  properties: taskQueueProperties,
} as const;

export const listTaskQueuesResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['taskQueues'],
  properties: {
    taskQueues: {
      type: 'array',
      maxItems: MAX_PAGE,
      items: {
        type: 'object',
        additionalProperties: false,
        required: TASK_QUEUE_REQUIRED,
        properties: taskQueueProperties,
      },
    },
    continuationToken: continuationTokenSchema,
  },
} as const;
