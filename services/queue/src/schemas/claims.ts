import { dateTimeSchema, identifierSchema, MAX_RUN_ID } from './common.js';
import { taskStatusSchema } from './status.js';
import { taskDefinition } from './task.js';

export const MAX_TASKS_PER_CLAIM = 32;

export const claimWorkRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['workerGroup', 'workerId'],
  properties: {
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    tasks: { type: 'integer', minimum: 1, maximum: MAX_TASKS_PER_CLAIM },
  },
} as const;

const credentialsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'accessToken', 'certificate'],
  properties: {
    clientId: { type: 'string', maxLength: 512 },
    accessToken: { type: 'string', maxLength: 128 },
    certificate: { type: 'string', maxLength: 1_000_000 },
  },
} as const;

const claimSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'runId', 'workerGroup', 'workerId', 'takenUntil', 'task', 'credentials'],
  properties: {
    status: taskStatusSchema,
    runId: { type: 'integer', minimum: 0, maximum: MAX_RUN_ID },
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    takenUntil: dateTimeSchema,
    task: taskDefinition,
    credentials: credentialsSchema,
  },
} as const;

export const claimWorkResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['tasks'],
  properties: { tasks: { type: 'array', items: claimSchema, maxItems: MAX_TASKS_PER_CLAIM } },
} as const;

export const reclaimResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'runId', 'workerGroup', 'workerId', 'takenUntil', 'credentials'],
  properties: {
    status: taskStatusSchema,
    runId: { type: 'integer', minimum: 0, maximum: MAX_RUN_ID },
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    takenUntil: dateTimeSchema,
    credentials: credentialsSchema,
  },
} as const;

export const EXCEPTION_REASONS = [
  'worker-shutdown',
  'malformed-payload',
  'resource-unavailable',
  'internal-error',
  'intermittent-task',
] as const;

export const reportExceptionRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', enum: EXCEPTION_REASONS } },
} as const;
