import {
  dateTimeSchema,
  identifierSchema,
  PROJECT_ID,
  PROVISIONER_ID,
  scopeSchema,
  TASK_QUEUE_ID,
  taskIdSchema,
  WORKER_TYPE,
} from './common.js';
import { PRIORITY_NAMES } from '../domain/priorities.js';
import { verificationSchema } from './verification.js';

/** Limits of the task definition (reference §3.1). */
export const MAX_DEPENDENCIES = 10_000;
export const MAX_ROUTES = 64;
export const MAX_SCOPES = 1000;
export const MAX_TAGS = 1000;
// The payload and extra are the worker's and the scheduler's; bounded by count here
// and by the request body limit overall.
const MAX_FREE_FORM_PROPERTIES = 10_000;

const metadataSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'owner', 'source'],
  properties: {
    name: { type: 'string', maxLength: 255 },
    description: { type: 'string', maxLength: 32768 },
    owner: { type: 'string', maxLength: 255 },
    source: { type: 'string', maxLength: 4096, pattern: '^(https?://|ssh://|git@)' },
  },
} as const;

const freeFormObject = {
  type: 'object',
  maxProperties: MAX_FREE_FORM_PROPERTIES,
} as const;

const definitionProperties = {
  provisionerId: { type: 'string', pattern: PROVISIONER_ID, maxLength: 38 },
  workerType: { type: 'string', pattern: WORKER_TYPE, maxLength: 38 },
  taskQueueId: { type: 'string', pattern: TASK_QUEUE_ID, maxLength: 77 },
  schedulerId: identifierSchema,
  projectId: { type: 'string', pattern: PROJECT_ID, minLength: 1, maxLength: 500 },
  taskGroupId: taskIdSchema,
  dependencies: {
    type: 'array',
    items: taskIdSchema,
    maxItems: MAX_DEPENDENCIES,
    uniqueItems: true,
  },
  requires: { type: 'string', enum: ['all-completed', 'all-resolved'] },
  routes: {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 249 },
    maxItems: MAX_ROUTES,
    uniqueItems: true,
  },
  priority: { type: 'string', enum: PRIORITY_NAMES },
  retries: { type: 'integer', minimum: 0, maximum: 49 },
  created: dateTimeSchema,
  deadline: dateTimeSchema,
  expires: dateTimeSchema,
  scopes: { type: 'array', items: scopeSchema, maxItems: MAX_SCOPES },
  payload: freeFormObject,
  metadata: metadataSchema,
  tags: {
    type: 'object',
    maxProperties: MAX_TAGS,
    propertyNames: { type: 'string', maxLength: 4096 },
    additionalProperties: { type: 'string', maxLength: 4096 },
  },
  extra: freeFormObject,
  // Bulwark's extension (docs/quorum.md); answered only when the task has it.
  verification: verificationSchema,
} as const;

export const createTaskRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['created', 'deadline', 'payload', 'metadata'],
  properties: definitionProperties,
} as const;

/** A task as `task` and claimWork return it: every field present, defaults applied. */
export const taskDefinition = {
  type: 'object',
  additionalProperties: false,
  required: [
    'provisionerId',
    'workerType',
    'taskQueueId',
    'schedulerId',
    'projectId',
    'taskGroupId',
    'dependencies',
    'requires',
    'routes',
    'priority',
    'retries',
    'created',
    'deadline',
    'expires',
    'scopes',
    'payload',
    'metadata',
    'tags',
    'extra',
  ],
  properties: definitionProperties,
} as const;
