import { PRIORITY_NAMES } from '../domain/priorities.js';
import { identifierSchema, taskIdSchema } from './common.js';

export const changeTaskPriorityRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['newPriority'],
  properties: { newPriority: { type: 'string', enum: PRIORITY_NAMES } },
} as const;

export const taskGroupPriorityChangeResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['taskGroupId', 'schedulerId', 'newPriority', 'tasksAffected', 'taskIds'],
  properties: {
    taskGroupId: taskIdSchema,
    schedulerId: identifierSchema,
    newPriority: { type: 'string', enum: PRIORITY_NAMES },
    tasksAffected: { type: 'integer', minimum: 0 },
    taskIds: { type: 'array', items: taskIdSchema },
  },
} as const;
