import type { ParamSpec } from '@bulwark/api';
import { dateTimeSchema, identifierSchema, MAX_RUN_ID, taskIdSchema } from './common.js';
import { continuationTokenSchema } from './lists.js';
import { MAX_PAGE } from '../domain/pagination.js';

/** As Taskcluster's route patterns: any generic id here; an unknown queue is then a 404. */
const GENERIC_ID = /^[a-zA-Z0-9-_]{1,38}$/;
const idParam: ParamSpec = { pattern: GENERIC_ID, maxLength: 38 };
export const workerParams = {
  provisionerId: idParam,
  workerType: idParam,
  workerGroup: idParam,
  workerId: idParam,
} as const;

export const quarantinedQuery: ParamSpec = { pattern: /^(true|false)$/, maxLength: 5 };

/** Quarantine history entries kept per worker (Taskcluster keeps all of them). */
export const MAX_QUARANTINE_DETAILS = 50;

const taskRunSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['taskId', 'runId'],
  properties: {
    taskId: taskIdSchema,
    runId: { type: 'integer', minimum: 0, maximum: MAX_RUN_ID },
  },
} as const;

export const workerResponse = {
  type: 'object',
  additionalProperties: false,
  required: [
    'provisionerId',
    'workerType',
    'workerGroup',
    'workerId',
    'recentTasks',
    'expires',
    'firstClaim',
  ],
  properties: {
    provisionerId: { type: 'string', maxLength: 38 },
    workerType: { type: 'string', maxLength: 38 },
    taskQueueId: { type: 'string', maxLength: 77 },
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    recentTasks: { type: 'array', items: taskRunSchema },
    expires: dateTimeSchema,
    quarantineUntil: dateTimeSchema,
    quarantineDetails: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['clientId', 'updatedAt', 'quarantineUntil', 'quarantineInfo'],
        properties: {
          clientId: { type: 'string' },
          quarantineUntil: dateTimeSchema,
          updatedAt: dateTimeSchema,
          quarantineInfo: { type: 'string' },
        },
      },
    },
    firstClaim: dateTimeSchema,
    lastDateActive: dateTimeSchema,
  },
} as const;

export const listWorkersResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['workers'],
  properties: {
    workers: {
      type: 'array',
      maxItems: MAX_PAGE,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['workerGroup', 'workerId', 'firstClaim'],
        properties: {
          workerGroup: identifierSchema,
          workerId: identifierSchema,
          quarantineUntil: dateTimeSchema,
          firstClaim: dateTimeSchema,
          latestTask: taskRunSchema,
          lastDateActive: dateTimeSchema,
        },
      },
    },
    continuationToken: continuationTokenSchema,
  },
} as const;

export const quarantineWorkerRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['quarantineUntil'],
  properties: {
    quarantineUntil: dateTimeSchema,
    quarantineInfo: { type: 'string', minLength: 0, maxLength: 4000 },
  },
} as const;

export const declareWorkerRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['expires'],
  properties: { expires: dateTimeSchema },
} as const;
