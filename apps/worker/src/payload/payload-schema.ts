/**
 * The payload a Bulwark worker accepts, as a published JSON schema (docs/worker-payload.md
 * shows it with examples). Bounded everywhere: a payload is attacker-controlled input
 * to the machine that runs it.
 */
const argv = {
  type: 'array',
  minItems: 1,
  maxItems: 1024,
  items: { type: 'string', maxLength: 32_768 },
} as const;

export const HOST_PORT = '^(?:\\[[0-9a-fA-F:.]{2,45}\\]|[A-Za-z0-9.-]{1,253}):[0-9]{1,5}$';
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';
const ARTIFACT_NAME = '^[\\x21-\\x7e][\\x20-\\x7e]{0,1023}$';

export const workerPayloadSchema = {
  $id: 'https://bulwark.invalid/schemas/worker/v1/payload.json',
  title: 'Bulwark worker payload',
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: {
      description: 'One argv, or a list of argvs run in order until one fails.',
      oneOf: [argv, { type: 'array', minItems: 1, maxItems: 64, items: argv }],
    },
    env: {
      type: 'object',
      maxProperties: 256,
      propertyNames: { pattern: ENV_NAME },
      additionalProperties: { type: 'string', maxLength: 32_768 },
    },
    maxRunTime: {
      description: 'Seconds the commands may run in all; the pool limit when absent.',
      type: 'integer',
      minimum: 1,
      maximum: 7 * 24 * 3600,
    },
    artifacts: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'path', 'name'],
        properties: {
          type: { enum: ['file', 'directory'] },
          path: { type: 'string', minLength: 1, maxLength: 4096 },
          name: { type: 'string', pattern: ARTIFACT_NAME, maxLength: 1024 },
          expires: { type: 'string', format: 'date-time', maxLength: 64 },
          contentType: { type: 'string', maxLength: 255 },
        },
      },
    },
    features: {
      type: 'object',
      additionalProperties: false,
      properties: { taskclusterProxy: { type: 'boolean' } },
    },
    network: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allow: {
          description:
            'host:port destinations; each needs worker:network:<taskQueueId>/<host>:<port>.',
          type: 'array',
          maxItems: 64,
          uniqueItems: true,
          items: { type: 'string', pattern: HOST_PORT, maxLength: 260 },
        },
      },
    },
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        memoryMB: { type: 'integer', minimum: 16, maximum: 1_048_576 },
        pids: { type: 'integer', minimum: 8, maximum: 1_000_000 },
        cpus: { type: 'number', minimum: 0.01, maximum: 1024 },
        diskMB: {
          description:
            'MB the task directory may hold, files and directories together (each file also takes metadata from it).',
          type: 'integer',
          minimum: 16,
          maximum: 16_777_216,
        },
      },
    },
    onExitStatus: {
      type: 'object',
      additionalProperties: false,
      properties: {
        retry: {
          type: 'array',
          maxItems: 64,
          items: { type: 'integer', minimum: 1, maximum: 255 },
        },
      },
    },
  },
} as const;
