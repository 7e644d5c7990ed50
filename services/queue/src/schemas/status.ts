import { PRIORITY_NAMES } from '../domain/priorities.js';
import { dateTimeSchema, identifierSchema, MAX_RUN_ID, taskIdSchema } from './common.js';
import { quorumStatusSchema } from './quorum-status.js';
import { MAX_REPLICAS } from './verification.js';

export const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['runId', 'state', 'reasonCreated', 'scheduled'],
  properties: {
    runId: { type: 'integer', minimum: 0, maximum: MAX_RUN_ID },
    state: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'exception'] },
    reasonCreated: {
      type: 'string',
      enum: ['scheduled', 'retry', 'task-retry', 'rerun', 'exception'],
    },
    reasonResolved: {
      type: 'string',
      enum: [
        'completed',
        'failed',
        'deadline-exceeded',
        'canceled',
        'claim-expired',
        'worker-shutdown',
        'malformed-payload',
        'resource-unavailable',
        'internal-error',
        'intermittent-task',
        'superseded',
      ],
    },
    workerGroup: identifierSchema,
    workerId: identifierSchema,
    takenUntil: dateTimeSchema,
    scheduled: dateTimeSchema,
    started: dateTimeSchema,
    resolved: dateTimeSchema,
    // Bulwark extension: the replica of a quorum task this run is (docs/quorum.md).
    replica: { type: 'integer', minimum: 0, maximum: MAX_REPLICAS - 1 },
  },
} as const;

export const taskStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'taskId',
    'provisionerId',
    'workerType',
    'taskQueueId',
    'schedulerId',
    'projectId',
    'taskGroupId',
    'deadline',
    'expires',
    'retriesLeft',
    'state',
    'runs',
  ],
  properties: {
    taskId: taskIdSchema,
    provisionerId: { type: 'string', maxLength: 38 },
    workerType: { type: 'string', maxLength: 38 },
    taskQueueId: { type: 'string', maxLength: 77 },
    schedulerId: { type: 'string', maxLength: 38 },
    projectId: { type: 'string', maxLength: 500 },
    taskGroupId: taskIdSchema,
    priority: { type: 'string', enum: PRIORITY_NAMES },
    deadline: dateTimeSchema,
    expires: dateTimeSchema,
    retriesLeft: { type: 'integer', minimum: 0, maximum: 999 },
    state: {
      type: 'string',
      enum: ['unscheduled', 'pending', 'running', 'completed', 'failed', 'exception'],
    },
    runs: { type: 'array', items: runSchema, maxItems: MAX_RUN_ID + 1 },
    // Bulwark extension, only for a task verified by a quorum (docs/quorum.md).
    quorum: quorumStatusSchema,
  },
} as const;

export const taskStatusResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: taskStatusSchema },
} as const;
