import { TASK_QUEUE_ID } from './common.js';

/** Bounds of the quorum a task may ask for (docs/quorum.md). */
export const MIN_REPLICAS = 2;
export const MAX_REPLICAS = 5;
export const MAX_NONDETERMINISTIC_PATTERNS = 64;

/**
 * A Bulwark extension of the task definition: run the task as `replicas` replicas on
 * distinct workers and resolve it only once their artifacts agree. Absent, the task
 * is an ordinary Taskcluster task.
 */
export const verificationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['replicas'],
  properties: {
    replicas: { type: 'integer', minimum: MIN_REPLICAS, maximum: MAX_REPLICAS },
    distinctBy: { type: 'string', enum: ['workerId', 'workerGroup'] },
    trustedTaskQueueId: { type: 'string', pattern: TASK_QUEUE_ID, maxLength: 77 },
    nondeterministic: {
      type: 'array',
      // Artifact names or patterns: `*` within one path segment, `**` across segments.
      items: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[\\x21-\\x7e]+$' },
      maxItems: MAX_NONDETERMINISTIC_PATTERNS,
      uniqueItems: true,
    },
  },
} as const;
