import { MAX_STATUS_ARTIFACTS } from '../domain/quorum-status.js';
import { identifierSchema, MAX_RUN_ID } from './common.js';
import { MAX_REPLICAS } from './verification.js';

const sha256Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const STATES = ['unscheduled', 'pending', 'running', 'completed', 'failed', 'exception'];

/** The `quorum` extension of a task status (quorum-status.ts). */
export const quorumStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['required', 'distinctBy', 'decided', 'replicas'],
  properties: {
    required: { type: 'integer', minimum: 2, maximum: MAX_REPLICAS },
    distinctBy: { type: 'string', enum: ['workerId', 'workerGroup'] },
    trustedTaskQueueId: { type: 'string', maxLength: 77 },
    decided: { type: 'boolean' },
    reason: {
      type: 'string',
      enum: ['agreed', 'differed', 'replica-failed', 'deadline-exceeded', 'canceled'],
    },
    message: { type: 'string', maxLength: 100_000 },
    replicas: {
      type: 'array',
      maxItems: MAX_REPLICAS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['replica', 'trusted', 'taskQueueId', 'state'],
        properties: {
          replica: { type: 'integer', minimum: 0, maximum: MAX_REPLICAS - 1 },
          trusted: { type: 'boolean' },
          taskQueueId: { type: 'string', maxLength: 77 },
          runId: { type: 'integer', minimum: 0, maximum: MAX_RUN_ID },
          state: { type: 'string', enum: STATES },
          workerGroup: identifierSchema,
          workerId: identifierSchema,
          artifacts: {
            type: 'array',
            maxItems: MAX_STATUS_ARTIFACTS,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'sha256'],
              properties: {
                name: { type: 'string', maxLength: 1024 },
                sha256: { anyOf: [sha256Schema, { type: 'null' }] },
                agreed: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
} as const;
